//! Blocking: which pairs are compared at all. A rule is a list of columns whose values must all
//! be equal (and present) for a pair to be a candidate; several rules run together, each pair
//! compared once (a pair is left to the first rule that makes it). A rule's pair count is known
//! before it runs, from its keys' group sizes, and a block larger than a memory limit is refused
//! naming the rule, before anything is built.

use std::collections::HashMap;

/// One rule: its name (for errors and reports) and the columns (indexes) it joins on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub columns: Vec<usize>,
}

/// A block too large for the memory limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "blocking rule {rule}: the block of key {key:?} has {records} records ({pairs} pairs, about {bytes} bytes), \
     more than the limit of {limit} bytes; make the rule stricter"
)]
pub struct TooLarge {
    pub rule: String,
    pub key: String,
    pub records: usize,
    pub pairs: u64,
    pub bytes: u64,
    pub limit: u64,
}

/// What a pair takes while its block is scored (two indexes and its levels, with slack).
pub const BYTES_PER_PAIR: u64 = 64;

/// A record's key under a rule: `None` when any of its columns is empty.
fn key(record: &[String], rule: &Rule) -> Option<String> {
    let mut k = String::new();
    for &c in &rule.columns {
        let v = record.get(c).map(|s| s.trim()).filter(|s| !s.is_empty())?;
        k.push_str(v);
        k.push('\u{1F}');
    }
    Some(k)
}

/// The records of each key under `rule`.
fn blocks(records: &[Vec<String>], rule: &Rule) -> HashMap<String, Vec<usize>> {
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(k) = key(r, rule) {
            out.entry(k).or_default().push(i);
        }
    }
    out
}

/// How many pairs `rule` makes among `records` (before pairs of earlier rules are left out).
pub fn count_pairs(records: &[Vec<String>], rule: &Rule) -> u64 {
    blocks(records, rule).values().map(|v| (v.len() as u64) * (v.len() as u64).saturating_sub(1) / 2).sum()
}

/// The candidate pairs `(i, j)`, `i < j`, of all `rules` in order, each once; `Err` when a block
/// of any rule would take more than `limit` bytes to score.
pub fn candidate_pairs(records: &[Vec<String>], rules: &[Rule], limit: u64) -> Result<Vec<(usize, usize)>, TooLarge> {
    let all: Vec<HashMap<String, Vec<usize>>> = rules.iter().map(|r| blocks(records, r)).collect();
    for (rule, blocks) in rules.iter().zip(&all) {
        for (k, members) in blocks {
            let n = members.len() as u64;
            let pairs = n * n.saturating_sub(1) / 2;
            let bytes = pairs * BYTES_PER_PAIR;
            if bytes > limit {
                let key = k.trim_end_matches('\u{1F}').replace('\u{1F}', "|");
                return Err(TooLarge { rule: rule.name.clone(), key, records: members.len(), pairs, bytes, limit });
            }
        }
    }
    let mut out = Vec::new();
    for (r, blocks) in all.iter().enumerate() {
        let mut keys: Vec<&String> = blocks.keys().collect();
        keys.sort();
        for k in keys {
            let members = &blocks[k];
            for (x, &i) in members.iter().enumerate() {
                for &j in &members[x + 1..] {
                    // Left to an earlier rule that makes it too.
                    let earlier = rules[..r]
                        .iter()
                        .any(|e| key(&records[i], e).is_some_and(|ki| key(&records[j], e) == Some(ki)));
                    if !earlier {
                        out.push((i, j));
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(rows: &[[&str; 3]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
    }

    fn rule(name: &str, columns: &[usize]) -> Rule {
        Rule { name: name.into(), columns: columns.to_vec() }
    }

    #[test]
    fn several_rules_make_each_pair_once_and_their_counts_are_known_first() {
        // name, birth, county
        let r = recs(&[
            ["张伟", "1980-01-01", "320402"],
            ["张伟", "1980-01-01", "320411"],
            ["张伟", "1990-05-05", "320402"],
            ["李娜", "1980-01-01", "320402"],
            ["", "1980-01-01", "320402"],
        ]);
        let by_name = rule("name", &[0]);
        let by_birth_county = rule("birth+county", &[1, 2]);
        assert_eq!(count_pairs(&r, &by_name), 3, "三个张伟");
        assert_eq!(count_pairs(&r, &by_birth_county), 3, "0, 3 and 4 share birth and county");
        let pairs = candidate_pairs(&r, &[by_name, by_birth_county], u64::MAX).unwrap_or_default();
        let mut sorted = pairs.clone();
        sorted.sort();
        assert_eq!(sorted, [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (3, 4)]);
        assert_eq!(pairs.len(), 6, "(0, 1) … each once, though (0, 3)'s rule also saw (0, 4)");
    }

    #[test]
    fn a_block_over_the_memory_limit_is_refused_naming_its_rule() {
        let r: Vec<Vec<String>> = (0..100).map(|i| vec!["王".to_string(), format!("{i}"), String::new()]).collect();
        let e = candidate_pairs(&r, &[rule("surname", &[0])], 1000).unwrap_err();
        assert_eq!((e.rule.as_str(), e.key.as_str(), e.records, e.pairs), ("surname", "王", 100, 4950));
        assert!(e.to_string().contains("blocking rule surname"), "{e}");
        assert_eq!(candidate_pairs(&r, &[rule("surname", &[0])], 4950 * BYTES_PER_PAIR).map(|p| p.len()), Ok(4950));
    }
}
