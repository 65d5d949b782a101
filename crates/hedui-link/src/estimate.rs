//! Estimating a model from the data itself, without labels: `u` from pairs drawn at random
//! (nearly all non-matches), then `m` and the prior by expectation–maximisation over the
//! candidate pairs, with the comparisons a blocking rule made agree held out (they agree on every
//! pair it produced, so they say nothing about which pairs match). Pairs are grouped by their
//! levels first: a run of EM costs one pass over the distinct patterns, not over the pairs.

use std::collections::HashMap;

use crate::comparison::Level;
use crate::model::{Model, normalized, probability};

/// How an EM run went.
#[derive(Clone, Debug, PartialEq)]
pub struct EmReport {
    pub iterations: usize,
    /// The largest change of any `m` or of the prior in the last iteration was below the
    /// tolerance.
    pub converged: bool,
    pub prior: f64,
}

/// Distinct level patterns and how many pairs have each.
pub fn patterns(pairs: impl IntoIterator<Item = Vec<Level>>) -> Vec<(Vec<Level>, u64)> {
    let mut counts: HashMap<Vec<Level>, u64> = HashMap::new();
    for p in pairs {
        *counts.entry(p).or_insert(0) += 1;
    }
    let mut out: Vec<_> = counts.into_iter().collect();
    out.sort();
    out
}

/// Sets each part's `u` to its levels' shares among `random` pairs (null levels left out); a
/// part none of whose pairs had both values keeps its `u`.
pub fn estimate_u(model: &mut Model, random: &[(Vec<Level>, u64)]) {
    for (k, part) in model.parts.iter_mut().enumerate() {
        let mut counts = vec![0f64; part.u.len()];
        for (levels, n) in random {
            if let Some(l) = levels.get(k).filter(|l| !l.is_null())
                && let Some(c) = counts.get_mut(l.0 as usize)
            {
                *c += *n as f64;
            }
        }
        if counts.iter().sum::<f64>() > 0.0 {
            part.u = normalized(&counts);
        }
    }
}

/// Expectation–maximisation of `m` (and `u` unless `fixed_u`) and the prior over the candidate
/// pairs' `patterns`, the parts in `held_out` neither used nor changed.
pub fn em(
    model: &mut Model,
    patterns: &[(Vec<Level>, u64)],
    held_out: &[usize],
    fixed_u: bool,
    max_iterations: usize,
    tolerance: f64,
) -> EmReport {
    let active: Vec<usize> = (0..model.parts.len()).filter(|k| !held_out.contains(k)).collect();
    let mut report = EmReport { iterations: 0, converged: false, prior: model.prior };
    for _ in 0..max_iterations {
        let mut m_sum: Vec<Vec<f64>> = model.parts.iter().map(|p| vec![0.0; p.m.len()]).collect();
        let mut u_sum = m_sum.clone();
        let (mut matched, mut total) = (0.0, 0.0);
        for (levels, n) in patterns {
            let n = *n as f64;
            let w = model.prior_weight() + active.iter().map(|&k| model.parts[k].weight(levels[k])).sum::<f64>();
            let p = probability(w);
            matched += p * n;
            total += n;
            for &k in &active {
                let l = levels[k];
                if !l.is_null() && (l.0 as usize) < m_sum[k].len() {
                    m_sum[k][l.0 as usize] += p * n;
                    u_sum[k][l.0 as usize] += (1.0 - p) * n;
                }
            }
        }
        let mut change: f64 = 0.0;
        for &k in &active {
            let part = &mut model.parts[k];
            if m_sum[k].iter().sum::<f64>() > 0.0 {
                let m = normalized(&m_sum[k]);
                change = m.iter().zip(&part.m).map(|(a, b)| (a - b).abs()).fold(change, f64::max);
                part.m = m;
            }
            if !fixed_u && u_sum[k].iter().sum::<f64>() > 0.0 {
                let u = normalized(&u_sum[k]);
                change = u.iter().zip(&part.u).map(|(a, b)| (a - b).abs()).fold(change, f64::max);
                part.u = u;
            }
        }
        if total > 0.0 {
            let prior = matched / total;
            change = change.max((prior - model.prior).abs());
            model.prior = prior;
        }
        report.iterations += 1;
        report.prior = model.prior;
        if change < tolerance {
            report.converged = true;
            break;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::Comparison;
    use crate::model::Part;

    use crate::train::Draws;

    /// A level drawn with the probabilities `probs`.
    fn level(d: &mut Draws, probs: &[f64]) -> Level {
        let mut x = d.unit();
        for (i, p) in probs.iter().enumerate() {
            if x < *p {
                return Level(i as u8);
            }
            x -= p;
        }
        Level(probs.len() as u8 - 1)
    }

    /// Pairs drawn from known `m`, `u` and prior, a missing value now and then.
    fn drawn(truth: &Model, n: usize, seed: u64) -> Vec<Vec<Level>> {
        let mut d = Draws(seed);
        (0..n)
            .map(|_| {
                let is_match = d.unit() < truth.prior;
                truth
                    .parts
                    .iter()
                    .map(|p| {
                        if d.unit() < 0.05 {
                            return Level::NULL;
                        }
                        level(&mut d, if is_match { &p.m } else { &p.u })
                    })
                    .collect()
            })
            .collect()
    }

    fn truth() -> Model {
        let part = |c: Comparison, m: &[f64], u: &[f64]| {
            let mut p = Part::new("x", c);
            (p.m, p.u) = (m.to_vec(), u.to_vec());
            p
        };
        Model::new(
            vec![
                part(Comparison::Exact, &[0.92, 0.08], &[0.02, 0.98]),
                part(Comparison::JaroWinkler { thresholds: vec![0.9] }, &[0.8, 0.15, 0.05], &[0.01, 0.04, 0.95]),
                part(
                    Comparison::Date { days: 30 },
                    &[0.85, 0.04, 0.04, 0.02, 0.05],
                    &[0.002, 0.002, 0.006, 0.04, 0.95],
                ),
                part(Comparison::Exact, &[0.97, 0.03], &[0.5, 0.5]),
            ],
            0.1,
        )
    }

    #[test]
    fn em_finds_known_m_and_prior_and_u_comes_from_random_pairs() {
        let truth = truth();
        let mut model = Model::new(truth.parts.iter().map(|p| Part::new("x", p.comparison.clone())).collect(), 0.5);
        // u from pairs that are all non-matches (as random pairs nearly are).
        let random = Model { prior: 0.0, ..truth.clone() };
        estimate_u(&mut model, &patterns(drawn(&random, 200_000, 7)));
        for (got, want) in model.parts.iter().zip(&truth.parts) {
            for (g, w) in got.u.iter().zip(&want.u) {
                assert!((g - w).abs() < 0.01, "u {:?} against {:?}", got.u, want.u);
            }
        }
        let pairs = patterns(drawn(&truth, 200_000, 11));
        assert!(pairs.len() <= 3 * 4 * 6 * 3, "{} patterns stand for 200,000 pairs", pairs.len());
        let report = em(&mut model, &pairs, &[], true, 200, 1e-7);
        assert!(report.converged, "{report:?}");
        assert!((report.prior - 0.1).abs() < 0.005, "{report:?}");
        for (got, want) in model.parts.iter().zip(&truth.parts) {
            for (g, w) in got.m.iter().zip(&want.m) {
                assert!((g - w).abs() < 0.02, "m {:?} against {:?}", got.m, want.m);
            }
        }
    }

    #[test]
    fn a_held_out_comparison_is_neither_used_nor_changed() {
        let truth = truth();
        let mut model = truth.clone();
        model.parts[0].m = vec![0.5, 0.5];
        let pairs = patterns(drawn(&truth, 50_000, 3));
        em(&mut model, &pairs, &[0], true, 100, 1e-7);
        assert_eq!(model.parts[0].m, vec![0.5, 0.5], "the blocking rule's comparison is left alone");
        assert!((model.parts[1].m[0] - 0.8).abs() < 0.03, "{:?}", model.parts[1].m);
    }
}
