//! Training and scoring on generated people with known truth: the links found match the truth,
//! and the model's own precision is close to the true one.

use std::collections::HashSet;

use hedui_core::id_number::check_char;

use super::*;
use crate::bands::{Bands, expected};
use crate::comparison::Comparison;
use crate::model::Part;

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红";
const COUNTIES: [&str; 5] = ["320402", "320404", "320411", "320412", "320481"];

struct Person {
    name: String,
    birth: (u16, u8, u8),
    county: &'static str,
    id: String,
}

fn person(d: &mut Draws) -> Person {
    let s: Vec<char> = SURNAMES.chars().collect();
    let g: Vec<char> = GIVEN.chars().collect();
    let mut name = s[d.below(s.len())].to_string();
    for _ in 0..1 + d.below(2) {
        name.push(g[d.below(g.len())]);
    }
    let birth = (1940 + d.below(70) as u16, 1 + d.below(12) as u8, 1 + d.below(28) as u8);
    let county = COUNTIES[d.below(COUNTIES.len())];
    let first17 = format!("{county}{:04}{:02}{:02}{:03}", birth.0, birth.1, birth.2, d.below(1000));
    let id = format!("{first17}{}", check_char(first17.as_bytes()).map_or('0', char::from));
    Person { name, birth, county, id }
}

/// A record of `p` with the kinds of noise typed records have.
fn record(p: &Person, d: &mut Draws) -> Vec<String> {
    let mut id = p.id.clone().into_bytes();
    match d.below(100) {
        0..=9 => id.clear(),
        10..=14 => id[9 + d.below(8)] = b'0' + d.below(10) as u8,
        15..=16 => id.swap(14, 15),
        17..=26 => id = format!("{}{}", &p.id[..6], &p.id[8..17]).into_bytes(),
        _ => {}
    }
    let (y, mut m, mut day) = p.birth;
    let mut y = y;
    match d.below(100) {
        0..=4 if day <= 12 => std::mem::swap(&mut m, &mut day),
        5..=6 => y += 1,
        _ => {}
    }
    let mut name: Vec<char> = p.name.chars().collect();
    if d.below(100) < 5 {
        let g: Vec<char> = GIVEN.chars().collect();
        let last = name.len() - 1;
        name[last] = g[d.below(g.len())];
    }
    vec![
        name.into_iter().collect(),
        format!("{y}-{m:02}-{day:02}"),
        p.county.to_string(),
        String::from_utf8_lossy(&id).into_owned(),
    ]
}

#[test]
fn trained_on_its_own_data_the_model_finds_the_true_pairs_and_knows_its_precision() {
    let mut d = Draws(2026);
    let people: Vec<Person> = (0..3000).map(|_| person(&mut d)).collect();
    let (mut records, mut truth) = (Vec::new(), Vec::new());
    for (i, p) in people.iter().enumerate() {
        // Most people once, some twice, a few three times.
        let copies = match d.below(10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        for _ in 0..copies {
            records.push(record(p, &mut d));
            truth.push(i);
        }
    }
    let rule = |name: &str, c: usize| Rule { name: name.into(), columns: vec![c] };
    let (by_name, by_birth, by_id) = (rule("name", 0), rule("birth", 1), rule("id", 3));
    let parts = vec![
        Part::new("name", Comparison::ChineseName),
        Part::new("birth", Comparison::Date { days: 31 }),
        Part::new("county", Comparison::Exact),
        Part::new("id", Comparison::IdNumber),
    ];
    let mut model = Model::new(parts, 0.5);
    let scoring = [by_name.clone(), by_birth.clone(), by_id];
    let plan = Plan {
        columns: &[0, 1, 2, 3],
        training: &[by_name, by_birth],
        scoring: &scoring,
        random_pairs: 100_000,
        seed: 7,
        memory_limit: 1 << 30,
    };
    let trained = train(&mut model, &records, &plan).unwrap_or_else(|e| panic!("{e}"));
    assert!(trained.runs.iter().all(|r| r.3), "every EM run converged: {:?}", trained.runs);
    let scored = score(&model, &records, &plan).unwrap_or_else(|e| panic!("{e}"));
    let bands = Bands::default();
    let linked: HashSet<(usize, usize)> =
        scored.iter().filter(|s| s.probability >= bands.link).map(|s| (s.a, s.b)).collect();
    let true_pairs: HashSet<(usize, usize)> = (0..records.len())
        .flat_map(|a| ((a + 1)..records.len()).map(move |b| (a, b)))
        .filter(|&(a, b)| truth[a] == truth[b])
        .collect();
    let hits = linked.intersection(&true_pairs).count() as f64;
    let (precision, recall) = (hits / linked.len() as f64, hits / true_pairs.len() as f64);
    let f1 = 2.0 * precision * recall / (precision + recall);
    // A stranger linked, with why, to see what went wrong.
    let why = |(a, b): (usize, usize)| {
        let (x, y) = (values(&records[a], plan.columns), values(&records[b], plan.columns));
        format!("{x:?} {y:?}\n{}", model.explain(&x, &y).to_text())
    };
    let strangers: Vec<String> = linked.difference(&true_pairs).take(3).map(|&p| why(p)).collect();
    println!(
        "{} records, {} scored pairs, {} linked: precision {precision:.4}, recall {recall:.4}, F1 {f1:.4}",
        records.len(),
        scored.len(),
        linked.len()
    );
    assert!(f1 >= 0.95, "precision {precision:.4}, recall {recall:.4}, F1 {f1:.4}\n{}", strangers.join("\n"));
    let probabilities: Vec<f64> = scored.iter().map(|s| s.probability).collect();
    let e = expected(&bands, &probabilities);
    println!("the model expects precision {:.4} and recall {:.4} (of the candidate pairs)", e.precision, e.recall);
    assert!((e.precision - precision).abs() <= 0.03, "expected precision {:.4}, true {precision:.4}", e.precision);
}
