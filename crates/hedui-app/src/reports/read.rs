//! Reading a report: the version asked for, opened and checked, masked for the reader, audited.

use hedui_core::JobId;
use hedui_core::catalog::Sensitivity;
use hedui_store::{AuditOutcome, ReportRow};

use crate::reports::Report;
use crate::{App, AppError, AppResult, Caller};

impl App {
    /// A report version (the latest when `version` is `None`), masked for the reader. Audited.
    pub fn report(&self, actor: &Caller, job: JobId, version: Option<i64>) -> AppResult<Report> {
        self.report_for(actor, job, version, "report.read", "")
    }

    /// A report version as [`App::report`] reads it, to show its calculation (计算过程) on a
    /// page of its own; audited as a reading of the report.
    pub fn report_trace(&self, actor: &Caller, job: JobId, version: Option<i64>) -> AppResult<Report> {
        self.report_for(actor, job, version, "report.read", "的计算过程")
    }

    /// A report as [`App::report`] reads it, audited as `action` (a view, or a download of a file
    /// whose format `what` names).
    pub(crate) fn report_for(
        &self,
        actor: &Caller,
        job: JobId,
        version: Option<i64>,
        action: &str,
        what: &str,
    ) -> AppResult<Report> {
        let reports = self.store.reports(job)?;
        let job_row = self.store.job(job)?;
        let purged = reports.is_empty() && job_row.as_ref().is_some_and(|j| j.outcome.is_some());
        let latest = reports.last().map(|r| r.id);
        let row = match version {
            Some(v) => reports.into_iter().find(|r| r.version == v),
            None => reports.into_iter().last(),
        }
        .ok_or_else(|| match purged {
            // A job with an outcome had a report: only a retention run removes one.
            true => AppError::NotFound(format!("核对任务 {job} 的报告已超过保留期限，已按保留规定删除")),
            false => AppError::NotFound(format!(
                "核对任务 {job} 没有{}报告",
                version.map(|v| format!("第 {v} 版")).unwrap_or_default()
            )),
        })?;
        let report = self.open_report_in(actor, &row, latest, job_row.as_ref())?;
        let mut entry = self.audit_entry(
            actor,
            action,
            &format!("job:{job}"),
            AuditOutcome::Ok,
            format!("报告 {} 第 {} 版{what}", report.number, report.version),
        );
        entry.basis = match &job_row {
            Some(j) => self.basis_of(j)?,
            None => self.basis(job)?,
        };
        self.store.audit(&entry)?;
        let report = if actor.role.sees_names() { report } else { report.masked_names() };
        Ok(if actor.role.sees(Sensitivity::Sensitive) {
            report
        } else {
            report.masked_sensitive(&|s| self.sensitive(s))
        })
    }

    /// What a reading of a job's data relies on: its commission and the letter it ran under.
    pub(crate) fn basis(&self, job: JobId) -> AppResult<String> {
        let j = self.store.job(job)?.ok_or_else(|| AppError::NotFound(format!("核对任务 {job} 不存在")))?;
        self.basis_of(&j)
    }

    /// [`App::basis`] of a job row already read.
    pub(crate) fn basis_of(&self, j: &hedui_store::JobRow) -> AppResult<String> {
        let letter = match j.authorization {
            Some(id) => self.store.authorizations(j.household)?.into_iter().find(|a| a.id == id).map(|a| a.number),
            None => None,
        };
        Ok(match letter {
            Some(l) => format!("委托 {}；授权书 {l}", j.commission_number),
            None => format!("委托 {}", j.commission_number),
        })
    }

    /// What a source supplies that is sensitive (its categories of the catalog's class
    /// 敏感个人信息), or `None` when it supplies none.
    pub(crate) fn sensitive(&self, source: &str) -> Option<String> {
        let s = self.catalog.get(source)?;
        let names: Vec<String> = s
            .categories
            .iter()
            .filter_map(|c| self.catalog.category(c))
            .filter(|d| d.sensitivity == Sensitivity::Sensitive)
            .map(|d| d.name.clone())
            .collect();
        (!names.is_empty()).then(|| names.join("、"))
    }

    /// A job's report versions (state, outcome and times; no body is opened), oldest first.
    pub fn report_versions(&self, _actor: &Caller, job: JobId) -> AppResult<Vec<ReportRow>> {
        Ok(self.store.reports(job)?)
    }
}
