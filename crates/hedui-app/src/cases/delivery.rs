//! Delivery: an issued report reaches the department that commissioned it (its list holds its own
//! commissions' jobs), which records its 回执: the day it received the report and the decision it
//! took. 只核对、不认定: hedui records the department's decision, it never makes one.

use hedui_core::job::JobState;
use hedui_core::{Date, JobId};
use hedui_store::intake::Receipt;
use hedui_store::{AuditOutcome, ReportState};

use crate::{Action, App, AppError, AppResult, Caller, Object};

/// The decisions a department records, by code, with their names.
pub const DECISIONS: [(&str, &str); 6] = [
    ("approved", "批准救助"),
    ("refused", "不予批准"),
    ("continued", "继续救助"),
    ("adjusted", "调整救助"),
    ("stopped", "停止救助"),
    ("other", "其他（见书面回执）"),
];

/// The name of a decision code.
pub fn decision_name(code: &str) -> &str {
    DECISIONS.iter().find(|(c, _)| *c == code).map_or(if code.is_empty() { "尚未决定" } else { code }, |(_, n)| n)
}

/// A 回执 as the department enters it.
#[derive(Clone, Debug)]
pub struct ReceiptInput {
    pub received_on: Date,
    /// A code of [`DECISIONS`], or empty while the department has not decided.
    pub decision: String,
    pub decided_on: Option<Date>,
}

impl App {
    /// Records the commissioning department's 回执 for the job's latest issued report. Audited.
    pub fn record_receipt(&self, actor: &Caller, job: JobId, input: &ReceiptInput) -> AppResult<()> {
        self.authorize(actor, Action::ReceiptRecord, &Object::Job(job))?;
        let j = self.job(job)?;
        if matches!(j.state, JobState::Objection | JobState::Rechecking) {
            return Err(AppError::InvalidState(format!("核对任务 {job} 正在异议复核中，请待复核报告签发后再登记回执")));
        }
        let issued = self.store.reports(job)?.into_iter().rfind(|r| r.state == ReportState::Issued);
        let report = issued.ok_or_else(|| AppError::InvalidState(format!("核对任务 {job} 还没有签发的报告")))?;
        let today = self.today();
        let issued_on = report.issued_at.map(|t| t.china_date()).unwrap_or(today);
        if input.received_on > today || input.received_on < issued_on {
            return Err(AppError::Invalid(format!(
                "签收日期 {} 应在报告签发日 {issued_on} 与今天 {today} 之间",
                input.received_on
            )));
        }
        let decision = input.decision.trim();
        if !decision.is_empty() && !DECISIONS.iter().any(|(c, _)| *c == decision) {
            return Err(AppError::Invalid(format!("认定结果“{decision}”无效")));
        }
        match (decision.is_empty(), input.decided_on) {
            (false, None) => return Err(AppError::Invalid("请填写认定日期".into())),
            (true, Some(_)) => return Err(AppError::Invalid("填写了认定日期，请选择认定结果".into())),
            (_, Some(d)) if d > today || d < input.received_on => {
                return Err(AppError::Invalid(format!("认定日期 {d} 应在签收日期与今天之间")));
            }
            _ => {}
        }
        let receipt = Receipt {
            report: report.id,
            job,
            received_by: actor.name().to_string(),
            organization: actor.organization.clone(),
            received_on: input.received_on,
            decision: decision.to_string(),
            decided_on: input.decided_on,
            created_at: self.now(),
        };
        let audit = self.audit_entry(
            actor,
            "report.receipt",
            &format!("job:{job}"),
            AuditOutcome::Ok,
            format!("第 {} 版报告回执：{} 签收；{}", report.version, input.received_on, decision_name(decision)),
        );
        self.store.record_receipt(&receipt, &audit).map_err(|e| match e {
            hedui_store::StoreError::Conflict(_) => {
                AppError::InvalidState(format!("第 {} 版报告的回执已登记", report.version))
            }
            e => e.into(),
        })
    }

    /// The 回执 recorded for a job's reports.
    pub fn receipts(&self, job: JobId) -> AppResult<Vec<Receipt>> {
        Ok(self.store.receipts(job)?)
    }
}
