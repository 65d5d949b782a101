//! Reading a report: the version asked for, opened and checked, masked for the reader, audited.

use hedui_core::JobId;
use hedui_store::{AuditOutcome, ReportRow};

use crate::reports::Report;
use crate::{App, AppError, AppResult, Caller};

impl App {
    /// A report version (the latest when `version` is `None`), masked for the reader. Audited.
    pub fn report(&self, actor: &Caller, job: JobId, version: Option<i64>) -> AppResult<Report> {
        let reports = self.store.reports(job)?;
        let row = match version {
            Some(v) => reports.into_iter().find(|r| r.version == v),
            None => reports.into_iter().last(),
        }
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "核对任务 {job} 没有{}报告",
                version.map(|v| format!("第 {v} 版")).unwrap_or_default()
            ))
        })?;
        let report = self.open_report(actor, &row)?;
        self.audit(
            actor,
            "report.read",
            &format!("job:{job}"),
            AuditOutcome::Ok,
            format!("报告 {} 第 {} 版", report.number, report.version),
        )?;
        Ok(if actor.role.sees_names() { report } else { report.masked_names() })
    }

    /// A job's report versions (state, outcome and times; no body is opened), oldest first.
    pub fn report_versions(&self, _actor: &Caller, job: JobId) -> AppResult<Vec<ReportRow>> {
        Ok(self.store.reports(job)?)
    }
}
