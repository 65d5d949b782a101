//! The job list's search by a person, a member's or a supporter's name or ID number, found only
//! through blind indexes (under both epochs while a key rotation runs); and its Excel export. The
//! audit row of such a search keeps the person as a blind index and a sealed copy, never in clear.

use std::collections::BTreeSet;

use hedui_core::{BlindIndex, HouseholdId};
use hedui_store::{JobFilter, JobRow};

use crate::{Action, App, AppError, AppResult, Caller, Object};

/// The most rows one export holds.
pub const EXPORT_LIMIT: i64 = 10_000;

/// A search by a person: either, both (then a household must match both), or neither.
#[derive(Clone, Debug, Default)]
pub struct PersonSearch {
    pub name: String,
    pub id_number: String,
}

impl PersonSearch {
    pub fn is_empty(&self) -> bool {
        self.name.trim().is_empty() && self.id_number.trim().is_empty()
    }
}

impl App {
    /// The jobs `filter` selects in the caller's scope, narrowed to the households of the person
    /// searched for, and how many there are in all. Audited.
    pub fn search_jobs(
        &self,
        actor: &Caller,
        filter: &JobFilter,
        person: &PersonSearch,
    ) -> AppResult<(Vec<JobRow>, i64)> {
        self.authorize(actor, Action::JobList, &Object::None)?;
        let (f, found) = self.narrowed(filter, person)?;
        self.list_jobs(actor, &f, "job.list", found.as_ref().map(|(b, s)| (*b, s.as_str())))
    }

    /// The jobs a search selects, up to [`EXPORT_LIMIT`], for an Excel file. Audited as an export.
    pub fn export_jobs(&self, actor: &Caller, filter: &JobFilter, person: &PersonSearch) -> AppResult<Vec<JobRow>> {
        self.authorize(actor, Action::JobList, &Object::None)?;
        let (mut f, found) = self.narrowed(filter, person)?;
        f.limit = EXPORT_LIMIT;
        f.offset = 0;
        Ok(self.list_jobs(actor, &f, "job.export", found.as_ref().map(|(b, s)| (*b, s.as_str())))?.0)
    }

    /// `filter` narrowed to the person's households, and the person as a blind index and the
    /// text to seal for the audit row.
    fn narrowed(
        &self,
        filter: &JobFilter,
        person: &PersonSearch,
    ) -> AppResult<(JobFilter, Option<(BlindIndex, String)>)> {
        let mut f = filter.clone();
        let Some((households, index, text)) = self.person_households(person)? else { return Ok((f, None)) };
        f.households = Some(match &filter.households {
            Some(given) => households.into_iter().filter(|h| given.contains(h)).collect(),
            None => households.into_iter().collect(),
        });
        Ok((f, Some((index, text))))
    }

    /// The households of the person searched for (a member or a supporter with that name, that
    /// ID number, or both), the search as a blind index, and its text to seal for the audit row;
    /// `None` when nothing is searched for.
    pub(crate) fn person_households(
        &self,
        person: &PersonSearch,
    ) -> AppResult<Option<(BTreeSet<HouseholdId>, BlindIndex, String)>> {
        if person.is_empty() {
            return Ok(None);
        }
        let (name, id) = (person.name.trim(), person.id_number.trim());
        let mut sets: Vec<BTreeSet<HouseholdId>> = Vec::new();
        let mut index = None;
        let mut text = Vec::new();
        if !id.is_empty() {
            let parsed = hedui_core::id_number::IdNumber::parse_with_table(id, &self.regions)
                .map_err(|e| AppError::Invalid(format!("身份证号码无效：{e}")))?;
            let mut hs = BTreeSet::new();
            for b in self.identity.id_indexes(&parsed.id) {
                if let Some(p) = self.store.find_person(&b)? {
                    hs.extend(self.store.households_of_person(p)?.into_iter().map(|(h, _, _)| h));
                }
            }
            index = Some(self.identity.id_index(&parsed.id));
            text.push(format!("身份证号={}", parsed.id.as_str()));
            sets.push(hs);
        }
        if !name.is_empty() {
            let mut hs = BTreeSet::new();
            for b in self.identity.name_indexes(name) {
                hs.extend(self.store.households_named(&b)?);
            }
            index.get_or_insert_with(|| self.identity.name_index(name));
            text.push(format!("姓名={name}"));
            sets.push(hs);
        }
        let households = sets.into_iter().reduce(|a, b| a.intersection(&b).copied().collect()).unwrap_or_default();
        let index = index.ok_or_else(|| AppError::Internal("a person search without an index".into()))?;
        Ok(Some((households, index, text.join("；"))))
    }
}
