//! Review before issue (审核签发): a report a 核对员 completed waits for an 审核员 who did not
//! verify it. The reviewer reads the draft, then approves it with a signature made by their own
//! SM2 key (a UKey; hedui keeps only the public key, enrolled as their second factor) over the
//! approval statement; hedui checks it and issues the report, its issue signature covering the
//! verifier, the reviewer, the organization and the reviewer's signature. Or the reviewer returns
//! it (退回) with a reason, and the 核对员 verifies it again as a new version.

use hedui_core::JobId;
use hedui_core::job::{JobEvent, JobState};
use hedui_crypto::{decode_hex, encode_hex};
use hedui_store::{AuditOutcome, ReportRow, ReportState};

use crate::reports::Report;
use crate::reports::issue::{Seal, approval_statement};
use crate::{Action, App, AppError, AppResult, Caller, Object, Principal};

/// A report waiting for review, as the reviewer reads it.
#[derive(Clone, Debug)]
pub struct Draft {
    pub report: Report,
    /// What the reader's own key signs to approve it (for the 审核员; empty for others).
    pub statement: String,
    /// Whether the reader may approve it: a reviewer who did not verify it, with an SM2 key.
    pub may_approve: Result<(), String>,
}

impl App {
    /// The login and name of who acts: a user's display name, or the node for its own runs.
    pub(crate) fn person_named(&self, actor: &Caller) -> AppResult<(String, String)> {
        Ok(match &actor.principal {
            Principal::System(_) => ("system".into(), "系统（批量核对）".into()),
            Principal::User(login) => {
                let name = self.store.user_by_login(login)?.map(|u| u.display_name).unwrap_or_else(|| login.clone());
                (login.clone(), name)
            }
        })
    }

    /// The latest version of a job waiting for review, opened and checked.
    fn awaiting(&self, actor: &Caller, job: JobId) -> AppResult<(ReportRow, Report, Seal)> {
        let j = self.job(job)?;
        if j.state != JobState::Completed {
            return Err(AppError::InvalidState(format!(
                "核对任务 {job} 状态为“{}”，没有待审核的报告",
                j.state.name_zh()
            )));
        }
        let row =
            self.store.reports(job)?.pop().ok_or_else(|| AppError::NotFound(format!("核对任务 {job} 没有报告")))?;
        if row.state != ReportState::Completed {
            return Err(AppError::InvalidState(format!("核对任务 {job} 第 {} 版报告已签发", row.version)));
        }
        let (report, seal) = self.checked(actor, &row)?;
        Ok((row, report, seal))
    }

    /// The reviewer's enrolled SM2 public key, or why they cannot approve.
    fn reviewer_key(&self, actor: &Caller, report: &Report) -> Result<String, String> {
        if !crate::access::permits(actor.role, Action::ReportApprove) {
            return Err("只有审核员可以审核签发报告".into());
        }
        if actor.name() == report.verifier {
            return Err("审核员不能审核签发自己核对的报告（须由核对人以外的审核员审核）".into());
        }
        let user = self.store.user_by_login(actor.name()).ok().flatten().ok_or("审核员账号不存在")?;
        let factors = self.store.second_factors(user.id).map_err(|e| e.to_string())?;
        factors
            .into_iter()
            .find(|f| f.kind == "sm2")
            .and_then(|f| f.public_key)
            .ok_or_else(|| "审核员尚未登记个人 SM2 签名密钥（UKey），请联系安全管理员登记".into())
    }

    /// A job's report waiting for review, with the statement the reader would sign. Audited as a
    /// read of the draft.
    pub fn draft_report(&self, actor: &Caller, job: JobId) -> AppResult<Draft> {
        self.authorize(actor, Action::ReportReview, &Object::Job(job))?;
        let (_, report, seal) = self.awaiting(actor, job)?;
        self.audit(
            actor,
            "report.read",
            &format!("job:{job}"),
            AuditOutcome::Ok,
            format!("待审核报告 {}", report.number),
        )?;
        let may_approve = self.reviewer_key(actor, &report).map(|_| ());
        let statement = match may_approve {
            Ok(()) => approval_statement(&seal, &report.verifier, actor.name(), &self.organization),
            Err(_) => String::new(),
        };
        Ok(Draft { report, statement, may_approve })
    }

    /// Approves and issues a job's report waiting for review, with the reviewer's SM2 signature
    /// (hex, DER or r‖s) over its approval statement.
    pub fn approve(&self, actor: &Caller, job: JobId, signature: &str) -> AppResult<()> {
        actor.require_change()?;
        self.authorize(actor, Action::ReportApprove, &Object::Job(job))?;
        let (row, report, mut seal) = self.awaiting(actor, job)?;
        let key = self.reviewer_key(actor, &report).map_err(AppError::Forbidden)?;
        let statement = approval_statement(&seal, &report.verifier, actor.name(), &self.organization);
        let sig = decode_hex(signature.trim()).unwrap_or_default();
        // The statement as the page gives it, or as a copy without its last line break.
        let signed = |text: &str| hedui_exchange::gm::verify_user(&key, text.as_bytes(), &sig).is_ok();
        if !(signed(&statement) || signed(statement.trim_end_matches('\n'))) {
            let why = format!("报告 {} 的审核签名无效（不是本人 UKey 对审核声明的签名）", report.number);
            self.audit(actor, "report.approve", &format!("job:{job}"), AuditOutcome::Denied, why.clone())?;
            return Err(AppError::Invalid(why));
        }
        let (reviewer, reviewer_name) = self.person_named(actor)?;
        seal.approval = Some(hedui_store::Approval {
            verifier: report.verifier.clone(),
            verifier_name: report.verifier_name.clone(),
            reviewer,
            reviewer_name,
            organization: self.organization.clone(),
            reviewer_key: key,
            reviewer_sig: encode_hex(&sig),
        });
        self.issue_sealed(actor, row.id, &report, seal)
    }

    /// Returns a job's report waiting for review to its 核对员 (退回), with the reason; the
    /// version returned is never issued.
    pub fn return_report(&self, actor: &Caller, job: JobId, reason: &str) -> AppResult<()> {
        actor.require_change()?;
        self.authorize(actor, Action::ReportApprove, &Object::Job(job))?;
        if reason.trim().is_empty() {
            return Err(AppError::Invalid("请填写退回原因".into()));
        }
        let (_, report, _) = self.awaiting(actor, job)?;
        let j = self.job(job)?;
        let detail = format!("报告 {} 退回重新核对", report.number);
        self.move_job(actor, &j, JobState::Completed, JobEvent::Return, detail, Some(reason.trim()))?;
        Ok(())
    }
}
