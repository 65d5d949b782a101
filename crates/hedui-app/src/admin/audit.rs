//! Reading the audit log: the whole trail for the roles that may, and one job's history on its
//! page.

use hedui_core::JobId;
use hedui_store::{AuditOutcome, AuditRow};

use crate::{App, AppResult, Caller};

impl App {
    /// The newest `limit` audit rows, for the 审计管理员 alone; the reading is audited and a
    /// refusal too.
    pub fn audit_log(&self, actor: &Caller, limit: i64) -> AppResult<Vec<AuditRow>> {
        self.authorize(actor, crate::Action::AuditRead, &crate::Object::None)?;
        let rows = self.store.audit_log(None, limit)?;
        self.audit(actor, "audit.read", "audit", AuditOutcome::Ok, format!("{} 条", rows.len()))?;
        Ok(rows)
    }

    /// What happened to one job, newest first (its page shows it to whoever may see the job),
    /// with the notes users wrote (an objection's reason) opened.
    pub fn job_history(&self, _actor: &Caller, job: JobId, limit: i64) -> AppResult<Vec<AuditRow>> {
        let mut rows = self.store.audit_log(Some(&format!("job:{job}")), limit)?;
        for r in &mut rows {
            if let Some(note) = self.open_note(&r.entry)? {
                r.entry.detail = format!("{}：{note}", r.entry.detail.trim_end_matches("（附言已加密保存）"));
            }
        }
        Ok(rows)
    }
}
