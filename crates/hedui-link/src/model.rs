//! The Fellegi–Sunter model: for each comparison, the probability of each level among matches
//! (`m`) and among non-matches (`u`), and the prior probability that a candidate pair matches.
//! A pair's match weight is the prior's log-odds plus, for each comparison, `log2(m / u)` of its
//! level (a null level adds nothing); its probability follows from the weight.

use serde::{Deserialize, Serialize};

use crate::comparison::{Comparison, Level};
use crate::tf::TfAdjustment;

/// No probability is let go to zero or one: a level never seen would otherwise veto a pair.
pub const FLOOR: f64 = 1e-6;

/// One comparison of the model: which column, how it compares, and its levels' `m` and `u`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub column: String,
    pub comparison: Comparison,
    /// Per level (not the null level), strongest first; each sums to 1.
    pub m: Vec<f64>,
    pub u: Vec<f64>,
    /// Levels whose `u` follows the values' frequencies ([`crate::tf`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tf: Option<TfAdjustment>,
}

impl Part {
    /// A part with `m` leaning to agreement and `u` to disagreement, for estimation to refine.
    pub fn new(column: &str, comparison: Comparison) -> Part {
        let n = comparison.levels().len();
        let m: Vec<f64> = (0..n).map(|i| 0.5f64.powi(i as i32 + 1)).collect();
        let u: Vec<f64> = (0..n).map(|i| 0.5f64.powi((n - i) as i32)).collect();
        Part { column: column.into(), comparison, m: normalized(&m), u: normalized(&u), tf: None }
    }

    /// The weight of a level: `log2(m / u)`, 0 for the null level.
    pub fn weight(&self, level: Level) -> f64 {
        let i = level.0 as usize;
        if level.is_null() || i >= self.m.len() {
            return 0.0;
        }
        (self.m[i].max(FLOOR) / self.u[i].max(FLOOR)).log2()
    }

    /// The weight of a pair with values `a` and `b` at `level`, and the `u` it used: the values'
    /// frequency where the level is adjusted, else the level's own.
    pub fn weight_of(&self, level: Level, a: &str, b: &str) -> (f64, Option<f64>) {
        let i = level.0 as usize;
        if level.is_null() || i >= self.m.len() {
            return (0.0, None);
        }
        let u = self.tf.as_ref().and_then(|t| t.u(level.0, a, b)).unwrap_or(self.u[i]);
        ((self.m[i].max(FLOOR) / u.max(FLOOR)).log2(), Some(u))
    }
}

/// Divides by the sum (an all-zero vector stays as it is).
pub fn normalized(v: &[f64]) -> Vec<f64> {
    let sum: f64 = v.iter().sum();
    if sum <= 0.0 { v.to_vec() } else { v.iter().map(|x| x / sum).collect() }
}

/// The whole model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The model file's format.
    pub version: u32,
    /// The probability that a candidate pair matches, before its comparisons are seen.
    pub prior: f64,
    pub parts: Vec<Part>,
}

/// One comparison's share of a pair's weight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Term {
    pub column: String,
    /// The level's name, or `null` when a value was missing.
    pub level: String,
    pub m: Option<f64>,
    pub u: Option<f64>,
    pub weight: f64,
}

/// Why a pair scored what it did: the prior, each comparison's term, their sum and the
/// probability. The terms and the prior add up to the total.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub prior_weight: f64,
    pub terms: Vec<Term>,
    pub total: f64,
    pub probability: f64,
}

impl Explanation {
    /// As text, one comparison a line.
    pub fn to_text(&self) -> String {
        let mut out = format!("先验权重 {:+.3}\n", self.prior_weight);
        for t in &self.terms {
            let mu = match (t.m, t.u) {
                (Some(m), Some(u)) => format!("（m={m:.4}，u={u:.4}）"),
                _ => "（缺值，不计）".into(),
            };
            out.push_str(&format!("{}：{} {:+.3}{mu}\n", t.column, t.level, t.weight));
        }
        out.push_str(&format!("合计 {:+.3}，匹配概率 {:.4}\n", self.total, self.probability));
        out
    }
}

/// The probability a match weight stands for.
pub fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    if odds.is_infinite() { 1.0 } else { odds / (1.0 + odds) }
}

impl Model {
    pub const VERSION: u32 = 1;

    pub fn new(parts: Vec<Part>, prior: f64) -> Model {
        Model { version: Model::VERSION, prior, parts }
    }

    /// The prior's log-odds, `log2(λ / (1 − λ))`.
    pub fn prior_weight(&self) -> f64 {
        let p = self.prior.clamp(FLOOR, 1.0 - FLOOR);
        (p / (1.0 - p)).log2()
    }

    /// A pair's match weight from its two records' values (one per part, in order), the values'
    /// frequencies counted where a part adjusts for them.
    pub fn score(&self, a: &[&str], b: &[&str]) -> f64 {
        let levels = self.levels(a, b);
        self.prior_weight()
            + self.parts.iter().enumerate().map(|(k, p)| p.weight_of(levels[k], a[k], b[k]).0).sum::<f64>()
    }

    /// A pair's match weight from its levels (one per part, in order), without frequencies.
    pub fn weight(&self, levels: &[Level]) -> f64 {
        self.prior_weight() + self.parts.iter().zip(levels).map(|(p, l)| p.weight(*l)).sum::<f64>()
    }

    /// A pair's levels from its two records' values (one per part, in order).
    pub fn levels(&self, a: &[&str], b: &[&str]) -> Vec<Level> {
        self.parts.iter().zip(a.iter().zip(b)).map(|(p, (x, y))| p.comparison.level(x, y)).collect()
    }

    /// Why a pair of records scored what it did ([`Model::score`]): each comparison's level,
    /// `m`, `u` (the values' frequency where adjusted) and weight, the prior and the total.
    pub fn explain(&self, a: &[&str], b: &[&str]) -> Explanation {
        let levels = self.levels(a, b);
        let terms: Vec<Term> = self
            .parts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let l = levels[k];
                let names = p.comparison.levels();
                let known = !l.is_null() && (l.0 as usize) < p.m.len();
                let (weight, u) = p.weight_of(l, a[k], b[k]);
                Term {
                    column: p.column.clone(),
                    level: if known { names[l.0 as usize].clone() } else { "null".into() },
                    m: known.then(|| p.m[l.0 as usize]),
                    u,
                    weight,
                }
            })
            .collect();
        let prior_weight = self.prior_weight();
        let total = prior_weight + terms.iter().map(|t| t.weight).sum::<f64>();
        Explanation { prior_weight, terms, total, probability: probability(total) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let mut name = Part::new("name", Comparison::Exact);
        (name.m, name.u) = (vec![0.9, 0.1], vec![0.01, 0.99]);
        let mut birth = Part::new("birth", Comparison::Date { days: 30 });
        (birth.m, birth.u) = (vec![0.8, 0.05, 0.05, 0.05, 0.05], vec![0.001, 0.001, 0.002, 0.01, 0.986]);
        Model::new(vec![name, birth], 0.01)
    }

    #[test]
    fn the_explanation_adds_up_to_the_pairs_weight() {
        let m = model();
        for (a, b) in [
            (["张伟", "1980-03-05"], ["张伟", "1980-03-05"]),
            (["张伟", "1980-03-05"], ["张伟", "1980-05-03"]),
            (["张伟", "1980-03-05"], ["李娜", "1990-01-01"]),
            (["张伟", ""], ["张伟", "1990-01-01"]),
        ] {
            let levels = m.levels(&a, &b);
            let e = m.explain(&a, &b);
            let sum = e.prior_weight + e.terms.iter().map(|t| t.weight).sum::<f64>();
            assert!((sum - e.total).abs() < 1e-12 && (e.total - m.weight(&levels)).abs() < 1e-12);
            assert!((e.total - m.score(&a, &b)).abs() < 1e-12);
            assert!((e.probability - probability(e.total)).abs() < 1e-12);
            assert!(e.to_text().contains("合计"));
        }
        // Exact on both: log2(0.9/0.01) + log2(0.8/0.001) + log2(0.01/0.99).
        let both = m.weight(&m.levels(&["张伟", "1980-03-05"], &["张伟", "1980-03-05"]));
        let expected = (90f64).log2() + (800f64).log2() + (0.01f64 / 0.99).log2();
        assert!((both - expected).abs() < 1e-9, "{both} {expected}");
        // A missing birth date weighs nothing: only the name and the prior.
        let e = m.explain(&["张伟", ""], &["张伟", "1990-01-01"]);
        assert_eq!((e.terms[1].level.as_str(), e.terms[1].weight), ("null", 0.0));
        assert!(probability(2000.0) == 1.0 && probability(-2000.0) == 0.0);
    }

    #[test]
    fn a_common_surname_agreeing_weighs_less_than_a_rare_one() {
        use crate::tf::{TermFrequencies, TfAdjustment};
        let mut m = model();
        let surnames = std::iter::repeat_n("王", 900).chain(std::iter::repeat_n("李", 700)).chain(["亓"; 4]);
        let frequencies = TermFrequencies::from_values(surnames).k_anonymous(3);
        m.parts[0].tf = Some(TfAdjustment { levels: vec![0], frequencies });
        let (wang, qi) = (m.score(&["王", ""], &["王", ""]), m.score(&["亓", ""], &["亓", ""]));
        assert!(qi > wang + 5.0, "亓 {qi} against 王 {wang}");
        let e = m.explain(&["亓", ""], &["亓", ""]);
        assert_eq!(e.terms[0].u, Some(4.0 / 1604.0), "the value's share is the u used");
        let sum = e.prior_weight + e.terms.iter().map(|t| t.weight).sum::<f64>();
        assert!((sum - e.total).abs() < 1e-12 && (e.total - qi).abs() < 1e-12, "the explanation adds up");
        // Disagreement is not adjusted.
        let no = m.explain(&["王", ""], &["亓", ""]);
        assert_eq!(no.terms[0].u, Some(0.99));
        let json = serde_json::to_string(&m).unwrap_or_default();
        assert!(json.contains("亓") && json.contains("min_count"), "the table goes into the model file");
    }

    #[test]
    fn a_model_file_reads_back_as_written() {
        let m = model();
        let json = serde_json::to_string(&m).unwrap_or_default();
        let back: Model = serde_json::from_str(&json).unwrap_or_else(|_| Model::new(Vec::new(), 0.0));
        assert_eq!(back, m);
    }
}
