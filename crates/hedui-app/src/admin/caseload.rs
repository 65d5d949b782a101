//! The caseload's backfill: a database whose reports were stored before the caseload existed gets
//! each household's latest report's compact inputs once, so a policy simulation sees every
//! household whatever release made its report.

use std::collections::HashMap;

use hedui_core::{Date, HouseholdId, JobId};
use hedui_store::{AuditOutcome, CaseloadRow, JobFilter};

use crate::{App, AppResult, Caller};

/// The `meta` key saying the caseload holds every household's latest report.
pub const CASELOAD_FORMAT: &str = "caseload_format";
const CHUNK: usize = 1000;

impl App {
    /// Fills the caseload from the reports stored before it existed; does nothing once done.
    /// Returns the number of households added.
    pub fn backfill_caseload(&self) -> AppResult<usize> {
        if self.store.meta(CASELOAD_FORMAT)?.as_deref() == Some("1") {
            return Ok(0);
        }
        let actor = Caller::system("caseload-backfill");
        let jobs = self.store.jobs(&JobFilter { limit: i64::MAX, ..JobFilter::default() })?;
        let mut latest: HashMap<HouseholdId, (Date, JobId)> = HashMap::new();
        for j in jobs.iter().filter(|j| j.outcome.is_some()) {
            let e = latest.entry(j.household).or_insert((j.as_of, j.id));
            if (j.as_of, j.id) > *e {
                *e = (j.as_of, j.id);
            }
        }
        let mut chunk = Vec::new();
        let mut added = 0;
        let mut households: Vec<(HouseholdId, JobId)> = latest.into_iter().map(|(h, (_, j))| (h, j)).collect();
        households.sort_unstable();
        for (household, job) in households {
            let Some(row) = self.store.reports(job)?.into_iter().last() else { continue };
            let report = self.open_report(&actor, &row)?;
            let entry = self.caseload_entry(&report)?;
            chunk.push(CaseloadRow { household, job, version: row.version, entry });
            if chunk.len() == CHUNK {
                added += self.put_caseload_chunk(&actor, &mut chunk)?;
            }
        }
        added += self.put_caseload_chunk(&actor, &mut chunk)?;
        let audit = self.audit_entry(
            &actor,
            "caseload.backfill",
            "caseload",
            AuditOutcome::Ok,
            format!("{added} 户的最新报告测算输入已写入模拟用的案件库"),
        );
        self.store.set_meta(CASELOAD_FORMAT, "1", &audit)?;
        Ok(added)
    }

    fn put_caseload_chunk(&self, actor: &Caller, chunk: &mut Vec<CaseloadRow>) -> AppResult<usize> {
        if chunk.is_empty() {
            return Ok(0);
        }
        let n = chunk.len();
        let audit = self.audit_entry(actor, "caseload.backfill", "caseload", AuditOutcome::Ok, format!("{n} 户"));
        self.store.put_caseload(chunk, &audit)?;
        chunk.clear();
        Ok(n)
    }
}
