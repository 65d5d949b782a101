//! Training and scoring over records, in memory: `u` from pairs drawn at random, `m` from one EM
//! run per training rule (each run holds out that rule's columns, and a part's `m` is the mean of
//! the runs that did not hold it out), the prior over the candidate pairs the scoring rules make,
//! then every candidate pair scored once.

use crate::blocking::{Rule, TooLarge, candidate_pairs};
use crate::comparison::Level;
use crate::estimate::{em, estimate_u, patterns};
use crate::model::{Model, probability};

/// What to train and score with.
#[derive(Clone, Debug)]
pub struct Plan<'a> {
    /// The record column each part of the model reads, in the parts' order.
    pub columns: &'a [usize],
    /// One EM run per rule.
    pub training: &'a [Rule],
    /// The rules whose candidate pairs are scored.
    pub scoring: &'a [Rule],
    pub random_pairs: usize,
    pub seed: u64,
    /// The most a block may take to score, in bytes.
    pub memory_limit: u64,
}

/// A candidate pair scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub a: usize,
    pub b: usize,
    pub weight: f64,
    pub probability: f64,
}

/// How training went.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    pub random_pairs: usize,
    /// Per training rule: its candidate pairs, EM's iterations and whether it converged.
    pub runs: Vec<(String, usize, usize, bool)>,
    pub prior: f64,
}

/// splitmix64, seeded: the same draws for the same seed.
pub(crate) struct Draws(pub(crate) u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `0.0..1.0`.
    #[cfg(test)]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn values<'a>(record: &'a [String], columns: &[usize]) -> Vec<&'a str> {
    columns.iter().map(|&c| record.get(c).map_or("", String::as_str)).collect()
}

fn levels(model: &Model, records: &[Vec<String>], columns: &[usize], a: usize, b: usize) -> Vec<Level> {
    model.levels(&values(&records[a], columns), &values(&records[b], columns))
}

/// Trains `model` on `records`.
pub fn train(model: &mut Model, records: &[Vec<String>], plan: &Plan<'_>) -> Result<Trained, TooLarge> {
    let (columns, memory_limit) = (plan.columns, plan.memory_limit);
    let mut draws = Draws(plan.seed);
    let n = records.len();
    let mut random = Vec::with_capacity(plan.random_pairs);
    while n > 1 && random.len() < plan.random_pairs {
        let (a, b) = (draws.below(n), draws.below(n));
        if a != b {
            random.push(levels(model, records, columns, a, b));
        }
    }
    let random_pairs = random.len();
    estimate_u(model, &patterns(random));
    let start = model.clone();
    let mut m_sums: Vec<Vec<Vec<f64>>> = vec![Vec::new(); model.parts.len()];
    let mut runs = Vec::new();
    for rule in plan.training {
        let held: Vec<usize> = (0..columns.len()).filter(|k| rule.columns.contains(&columns[*k])).collect();
        let pairs = candidate_pairs(records, std::slice::from_ref(rule), memory_limit)?;
        let pats = patterns(pairs.iter().map(|&(a, b)| levels(model, records, columns, a, b)));
        let mut run = start.clone();
        let report = em(&mut run, &pats, &held, true, 100, 1e-6);
        runs.push((rule.name.clone(), pairs.len(), report.iterations, report.converged));
        for (k, part) in run.parts.iter().enumerate() {
            if !held.contains(&k) {
                m_sums[k].push(part.m.clone());
            }
        }
    }
    for (part, ms) in model.parts.iter_mut().zip(&m_sums) {
        if !ms.is_empty() {
            part.m = (0..part.m.len()).map(|i| ms.iter().map(|m| m[i]).sum::<f64>() / ms.len() as f64).collect();
        }
    }
    // The prior among the pairs that will be scored, with m and u now fixed.
    let pairs = candidate_pairs(records, plan.scoring, memory_limit)?;
    let pats = patterns(pairs.iter().map(|&(a, b)| levels(model, records, columns, a, b)));
    for _ in 0..100 {
        let (mut matched, mut total) = (0.0, 0.0);
        for (l, count) in &pats {
            matched += probability(model.weight(l)) * *count as f64;
            total += *count as f64;
        }
        let prior = if total > 0.0 { matched / total } else { model.prior };
        let done = (prior - model.prior).abs() < 1e-9;
        model.prior = prior;
        if done {
            break;
        }
    }
    Ok(Trained { random_pairs, runs, prior: model.prior })
}

/// Every candidate pair of the plan's scoring rules, scored once (term frequencies counted).
pub fn score(model: &Model, records: &[Vec<String>], plan: &Plan<'_>) -> Result<Vec<Scored>, TooLarge> {
    let columns = plan.columns;
    Ok(candidate_pairs(records, plan.scoring, plan.memory_limit)?
        .into_iter()
        .map(|(a, b)| {
            let weight = model.score(&values(&records[a], columns), &values(&records[b], columns));
            Scored { a, b, weight, probability: probability(weight) }
        })
        .collect())
}

#[cfg(test)]
mod tests;
