//! Term frequencies: a common value agreeing says less than a rare one (two records named 王
//! agree far more often by chance than two named 亓). For the levels a part adjusts, a pair's
//! `u` is the share of the more common of its two values instead of the level's average, from the
//! data itself or from a reference population.
//!
//! A frequency table is personal data (a rare surname in a village names a family), so it keeps
//! only values seen at least `k` times; a value not kept counts as seen `k` times, an upper bound
//! of its share, so dropping it never makes a pair weigh more than it should.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How often each value of a column occurs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermFrequencies {
    pub counts: BTreeMap<String, u64>,
    /// All values counted, the dropped ones included.
    pub total: u64,
    /// Values seen fewer times than this were dropped (0: none were).
    pub min_count: u64,
}

impl TermFrequencies {
    /// Counts `values` (empty ones left out).
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a str>) -> TermFrequencies {
        let mut tf = TermFrequencies::default();
        for v in values.into_iter().map(str::trim).filter(|v| !v.is_empty()) {
            *tf.counts.entry(v.to_string()).or_insert(0) += 1;
            tf.total += 1;
        }
        tf
    }

    /// Drops the values seen fewer than `k` times.
    pub fn k_anonymous(mut self, k: u64) -> TermFrequencies {
        self.counts.retain(|_, n| *n >= k);
        self.min_count = self.min_count.max(k);
        self
    }

    /// The share of `value` among all values: its count, or `min_count` for a value not kept.
    pub fn share(&self, value: &str) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let n = self.counts.get(value.trim()).copied().unwrap_or(self.min_count.max(1));
        Some(n as f64 / self.total as f64)
    }
}

/// Which levels of a part are adjusted, and by which table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfAdjustment {
    pub levels: Vec<u8>,
    pub frequencies: TermFrequencies,
}

impl TfAdjustment {
    /// The `u` for a pair at `level` with values `a` and `b`, when this level is adjusted: the
    /// share of the more common of the two.
    pub fn u(&self, level: u8, a: &str, b: &str) -> Option<f64> {
        if !self.levels.contains(&level) {
            return None;
        }
        match (self.frequencies.share(a), self.frequencies.share(b)) {
            (Some(x), Some(y)) => Some(x.max(y)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_values_have_larger_shares_and_rare_ones_are_dropped_under_k() {
        let values = std::iter::repeat_n("王", 1000).chain(std::iter::repeat_n("李", 800)).chain(["亓"; 5]);
        let tf = TermFrequencies::from_values(values.chain(["", " "]));
        assert_eq!(tf.total, 1805, "empty values are not counted");
        assert!(tf.share("王") > tf.share("亓"));
        let kept = tf.clone().k_anonymous(3);
        assert_eq!(kept.counts.get("亓"), Some(&5));
        let dropped = tf.k_anonymous(10);
        assert_eq!(dropped.counts.get("亓"), None, "seen fewer than k times: not kept");
        assert_eq!(dropped.share("亓"), Some(10.0 / 1805.0), "counted as k, an upper bound");
        assert_eq!(TermFrequencies::default().share("王"), None);
        let adj = TfAdjustment { levels: vec![0], frequencies: dropped };
        assert_eq!(adj.u(0, "王", "王"), Some(1000.0 / 1805.0));
        assert_eq!(adj.u(0, "王", "李"), Some(1000.0 / 1805.0), "the more common of the two");
        assert_eq!(adj.u(1, "王", "王"), None, "a level not adjusted");
    }
}
