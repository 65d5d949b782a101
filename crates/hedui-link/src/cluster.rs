//! Clusters of linked records whose ids hold from one run to the next.
//!
//! Connected components of the links at or above the link threshold. A component takes the id of
//! the earlier cluster most of its records were in (ties to the older id); each earlier id goes
//! to one component only, so when a cluster splits, the larger part keeps its id and the other
//! gets a new one, and when clusters merge, the one with most records keeps its id. Ids are never
//! reused. New records can be linked to existing clusters alone ([`Mode::Incremental`]): the
//! earlier clusters count as linked as they were, so only the new records' pairs need scoring.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Which cluster each record is in, and the next id to give.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clusters {
    pub of: BTreeMap<String, u64>,
    pub next: u64,
}

/// Whether the links given are all the links (a full run) or only those of new records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
}

struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// The clusters of `records` (ids) given `links` (pairs of indexes into `records`) and the
/// `previous` run's clusters.
pub fn cluster(records: &[String], links: &[(usize, usize)], previous: &Clusters, mode: Mode) -> Clusters {
    let mut sets = Sets((0..records.len()).collect());
    for &(a, b) in links {
        if a < records.len() && b < records.len() {
            sets.join(a, b);
        }
    }
    if mode == Mode::Incremental {
        let mut first_of: HashMap<u64, usize> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(&c) = previous.of.get(r) {
                match first_of.get(&c) {
                    Some(&j) => sets.join(i, j),
                    None => {
                        first_of.insert(c, i);
                    }
                }
            }
        }
    }
    // Components, each by its records' indexes, in the order of their smallest record id.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..records.len() {
        members.entry(sets.find(i)).or_default().push(i);
    }
    let mut components: Vec<Vec<usize>> = members.into_values().collect();
    components.sort_by(|a, b| a.iter().map(|&i| &records[i]).min().cmp(&b.iter().map(|&i| &records[i]).min()));
    // Claims: (records of the earlier cluster in the component, earlier id, component).
    let mut claims = Vec::new();
    for (k, comp) in components.iter().enumerate() {
        let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
        for &i in comp {
            if let Some(&c) = previous.of.get(&records[i]) {
                *counts.entry(c).or_insert(0) += 1;
            }
        }
        claims.extend(counts.into_iter().map(|(c, n)| (n, c, k)));
    }
    claims.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut id_of: Vec<Option<u64>> = vec![None; components.len()];
    let mut taken = std::collections::BTreeSet::new();
    for (_, c, k) in claims {
        if id_of[k].is_none() && !taken.contains(&c) {
            id_of[k] = Some(c);
            taken.insert(c);
        }
    }
    let mut next = previous.next.max(previous.of.values().max().map_or(0, |m| m + 1));
    let mut out = Clusters { of: BTreeMap::new(), next };
    for (k, comp) in components.iter().enumerate() {
        let id = id_of[k].unwrap_or_else(|| {
            next += 1;
            next - 1
        });
        for &i in comp {
            out.of.insert(records[i].clone(), id);
        }
    }
    out.next = next;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_rerun_with_new_records_keeps_the_clusters_ids() {
        let first = cluster(&ids(&["a", "b", "c", "d"]), &[(0, 1), (2, 3)], &Clusters::default(), Mode::Full);
        assert_eq!((first.of["a"], first.of["b"], first.of["c"], first.of["d"]), (0, 0, 1, 1));
        // New records, listed first and in another order: the old clusters keep their ids.
        let recs = ids(&["z", "e", "d", "c", "b", "a"]);
        let second = cluster(&recs, &[(5, 4), (3, 2), (1, 2)], &first, Mode::Full);
        assert_eq!((second.of["a"], second.of["c"], second.of["e"]), (0, 1, 1));
        assert_eq!(second.of["z"], 2, "a new singleton gets a new id");
        // The same run again changes nothing.
        assert_eq!(cluster(&recs, &[(5, 4), (3, 2), (1, 2)], &second, Mode::Full), second);
    }

    #[test]
    fn a_split_keeps_the_id_on_the_larger_part_and_a_merge_on_the_larger_cluster() {
        let recs = ids(&["a", "b", "c", "d", "e"]);
        let one = cluster(&recs, &[(0, 1), (1, 2), (3, 4)], &Clusters::default(), Mode::Full);
        // c leaves a, b, c: the pair keeps id 0; c gets a new id.
        let split = cluster(&recs, &[(0, 1), (3, 4)], &one, Mode::Full);
        assert_eq!((split.of["a"], split.of["c"], split.of["d"]), (0, 2, 1));
        // All five merge: the larger earlier cluster's id (0, with a and b) wins over 1 and 2.
        let merged = cluster(&recs, &[(0, 1), (1, 2), (2, 3), (3, 4)], &split, Mode::Full);
        assert!(merged.of.values().all(|&c| c == 0));
        assert_eq!(merged.next, 3, "retired ids are not given again");
    }

    #[test]
    fn new_records_link_to_existing_clusters_without_their_old_pairs() {
        let recs = ids(&["a", "b", "c"]);
        let before = cluster(&recs, &[(0, 1)], &Clusters::default(), Mode::Full);
        // Only the new record's link (f with b) is given; a and b stay together.
        let recs = ids(&["a", "b", "c", "f"]);
        let after = cluster(&recs, &[(3, 1)], &before, Mode::Incremental);
        assert_eq!((after.of["a"], after.of["b"], after.of["f"], after.of["c"]), (0, 0, 0, 1));
        // In a full run the same single link would have split a from b.
        let full = cluster(&recs, &[(3, 1)], &before, Mode::Full);
        assert_ne!(full.of["a"], full.of["b"]);
    }
}
