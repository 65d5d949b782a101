//! Evidence: the records in force on a job's date, read as facts, and each source's status.
//!
//! This stage reads the store and opens sealed records; it never changes a job. Which mirror
//! rows are in force is the store's one query ([`hedui_store::Store::records_in_force`]); this
//! module turns records into facts with a short, masked description for the report.

use std::collections::{BTreeMap, HashMap};

use hedui_core::catalog::Channel;
use hedui_core::fact::Fact;
use hedui_core::id_number::IdNumber;
use hedui_core::{BatchId, Date, Fen, PersonId};
use hedui_identity::place;
use hedui_means::{MemberCase, MistypedHit, SourceState, SourceStatus};
use hedui_store::{HouseholdRow, StoredRecord};

use crate::cases::mask_declared_id;
use crate::reports::{FinancialSummary, InstitutionTotal};
use crate::{App, AppError, AppResult, record_owner};

/// What the department mirrors said about a household's persons on a date.
pub(crate) struct MirrorEvidence {
    pub facts: Vec<Fact>,
    /// One status per department source.
    pub sources: Vec<SourceStatus>,
    /// Whether every department source had a snapshot in force on the date.
    pub every_source: bool,
}

/// One character changed, or two adjacent characters swapped.
pub fn one_typo_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() || a == b {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    match diff.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    }
}

impl App {
    /// The department mirrors as they stood on `as_of`, for these persons.
    pub(crate) fn mirror_evidence(&self, persons: &[PersonId], as_of: Date) -> AppResult<MirrorEvidence> {
        let batches = self.store.snapshots_in_force(as_of)?;
        let columns: HashMap<BatchId, Vec<String>> = batches.iter().map(|b| (b.id, b.columns.clone())).collect();
        let mut latest: HashMap<&str, Date> = HashMap::new();
        for b in &batches {
            let e = latest.entry(b.source.as_str()).or_insert(b.as_of);
            *e = (*e).max(b.as_of);
        }
        let records = self.store.records_in_force(persons, as_of)?;
        let mirrors: Vec<_> = self.catalog.by_channel(Channel::Mirror).collect();
        let sources = mirrors
            .iter()
            .map(|s| {
                let state = match latest.get(s.code.as_str()) {
                    None => SourceState::NotAnswered { reason: "没有该部门在核对日期前的数据".into() },
                    Some(_) if records.iter().any(|r| r.rec.source == s.code) => SourceState::Answered,
                    Some(_) => SourceState::NoRecord,
                };
                SourceStatus {
                    source: s.code.clone(),
                    name: format!("{}（{}）", s.name, s.department),
                    as_of: latest.get(s.code.as_str()).copied(),
                    state,
                }
            })
            .collect();
        let every_source = mirrors.iter().all(|s| latest.contains_key(s.code.as_str()));
        let facts = records.iter().map(|r| self.fact(r, &columns)).collect::<AppResult<_>>()?;
        Ok(MirrorEvidence { facts, sources, every_source })
    }

    /// A stored record as a fact, with a short masked description for the report.
    pub(crate) fn fact(&self, r: &StoredRecord, columns: &HashMap<BatchId, Vec<String>>) -> AppResult<Fact> {
        let plain = self.identity.open(&place::record_detail(record_owner(r)?, &r.rec), &r.rec.detail_enc)?;
        // Mirror rows store values in their batch's column order; bank answers store name-value pairs.
        let detail: Vec<(String, String)> =
            match (r.batch.and_then(|b| columns.get(&b)), serde_json::from_slice::<Vec<String>>(&plain)) {
                (Some(cols), Ok(values)) => cols.iter().cloned().zip(values).collect(),
                _ => serde_json::from_slice(&plain).unwrap_or_default(),
            };
        let person = r.rec.person.ok_or_else(|| AppError::Internal("unresolved record used as a fact".into()))?;
        Ok(Fact {
            source: r.rec.source.clone(),
            obs: r.rec.obs.clone(),
            person,
            as_of: r.rec.as_of,
            label: self.label(r, &detail),
            record: r.id,
        })
    }

    /// Unresolved records under a member's name. While a key rotation re-derives blind indexes,
    /// the name is looked up under both epochs' indexes.
    fn unresolved_named(&self, h: &HouseholdRow, m: &hedui_store::NewMember) -> AppResult<Vec<StoredRecord>> {
        if !self.identity.rotating() {
            return Ok(self.store.unresolved_by_name(&m.name_bidx)?);
        }
        let name = self.identity.open_string(&place::member_name(&h.number, m.seq), &m.name_enc)?;
        let mut out: Vec<StoredRecord> = Vec::new();
        for b in self.identity.name_indexes(&name) {
            out.extend(self.store.unresolved_by_name(&b)?);
        }
        out.sort_by_key(|r| r.id);
        out.dedup_by_key(|r| r.id);
        Ok(out)
    }

    /// Unresolved department records carrying a member's name and an ID number one typo from the member's.
    pub(crate) fn mistyped_hits(
        &self,
        h: &HouseholdRow,
        ids: &BTreeMap<u32, IdNumber>,
        as_of: Date,
    ) -> AppResult<Vec<MistypedHit>> {
        let mut hits = Vec::new();
        for m in &h.members {
            let Some(id) = ids.get(&m.seq) else { continue };
            let full = id.as_str();
            let short: String = full[..6].chars().chain(full[8..17].chars()).collect();
            for r in self.unresolved_named(h, m)? {
                if r.rec.as_of > as_of {
                    continue;
                }
                let Some(enc) = &r.rec.raw_id_enc else { continue };
                let raw = self
                    .identity
                    .open_string(&place::record_raw_id(record_owner(&r)?, &r.rec), enc)?
                    .trim()
                    .to_uppercase();
                if one_typo_apart(&raw, full) || one_typo_apart(&raw, &short) {
                    hits.push(MistypedHit {
                        member_seq: m.seq,
                        source: self.catalog.get(&r.rec.source).map_or(r.rec.source.clone(), |s| s.name.clone()),
                        masked_id: mask_declared_id(&raw),
                        record: r.id,
                    });
                }
            }
        }
        Ok(hits)
    }
}

impl App {
    /// The short description of a record the report shows, from data: the mapping's template
    /// for a department's row, the category's for an institution's answer (account and
    /// certificate numbers keep only their last four characters), else the source's name and
    /// the label of the record's code or the category's name.
    fn label(&self, r: &StoredRecord, detail: &[(String, String)]) -> String {
        let def = self.catalog.category(&r.rec.category);
        let template = match r.batch {
            Some(_) => self.mappings.spec(&r.rec.source).and_then(|s| s.label.as_deref()),
            None => def.and_then(|d| d.label.as_deref()),
        };
        let coded = |field: &str, code: &str| def.map_or(code.to_string(), |d| d.label(field, code).to_string());
        let get = |k: &str| match k {
            "@code" => coded("code", &r.rec.code),
            "@form" => coded("form", &r.rec.form),
            "@status" => coded("status", &r.rec.status),
            _ => detail.iter().find(|(h, _)| h == k).map_or_else(String::new, |(_, v)| v.clone()),
        };
        match template {
            Some(t) => hedui_core::label::fill(t, &get),
            None => {
                let source = self.catalog.get(&r.rec.source).map_or(r.rec.source.as_str(), |s| s.name.as_str());
                let what =
                    if r.rec.code.is_empty() { self.catalog.category_name(&r.rec.category) } else { get("@code") };
                format!("{source} {what}")
            }
        }
    }
}

/// Deposits and holdings of the counted members per institution, and their total, all as of
/// the query date: what the financial-asset test adds up, shown institution by institution.
pub(crate) fn financial_summary(
    as_of: Date,
    members: &[MemberCase],
    facts: &[Fact],
    sources: &[SourceStatus],
) -> FinancialSummary {
    let counted: std::collections::HashSet<PersonId> =
        members.iter().filter(|m| m.counted).filter_map(|m| m.person).collect();
    let mut per: BTreeMap<String, (Fen, Fen)> = BTreeMap::new();
    for f in facts.iter().filter(|f| counted.contains(&f.person)) {
        let e = per.entry(f.source.clone()).or_insert((Fen::ZERO, Fen::ZERO));
        if hedui_means::is_deposit(f.category.code()) {
            e.0 += f.amount;
        } else if hedui_means::is_holding(f.category.code()) {
            e.1 += f.amount;
        }
    }
    let institutions: Vec<InstitutionTotal> = per
        .into_iter()
        .filter(|(_, (d, p))| *d != Fen::ZERO || *p != Fen::ZERO)
        .map(|(source, (deposits, holdings))| InstitutionTotal {
            name: sources.iter().find(|s| s.source == source).map_or_else(|| source.clone(), |s| s.name.clone()),
            source,
            deposits,
            holdings,
            total: deposits + holdings,
        })
        .collect();
    let total = institutions.iter().map(|i| i.total).sum();
    FinancialSummary { as_of: Some(as_of), institutions, total }
}

#[cfg(test)]
mod tests {
    use super::one_typo_apart;

    #[test]
    fn typos_are_one_substitution_or_one_adjacent_swap() {
        assert!(one_typo_apart("360426199101010071", "360426199101010072"));
        assert!(one_typo_apart("360426199101010071", "360426199101010017"));
        assert!(!one_typo_apart("360426199101010071", "360426199101010071"));
        assert!(!one_typo_apart("360426199101010071", "360426199101011170"));
        assert!(!one_typo_apart("36042619910101007", "360426199101010071"));
    }
}
