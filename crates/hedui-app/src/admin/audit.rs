//! Reading the audit log: the 审计管理员's viewer (conditions, pages over the whole trail, an
//! Excel export), and one job's history on its page. Every reading and export is audited, with
//! the conditions it asked.

use hedui_core::JobId;
use hedui_store::{AuditOutcome, AuditQuery, AuditRow};

use crate::{App, AppError, AppResult, Caller};

/// The most rows one Excel export holds.
pub const EXPORT_LIMIT: i64 = 100_000;

impl App {
    /// The newest `limit` audit rows, for the 审计管理员 alone; the reading is audited and a
    /// refusal too.
    pub fn audit_log(&self, actor: &Caller, limit: i64) -> AppResult<Vec<AuditRow>> {
        Ok(self.audit_find(actor, &AuditQuery { limit, ..Default::default() })?.0)
    }

    /// The rows `q` asks for, newest first, and how many match in all. For the 审计管理员.
    pub fn audit_find(&self, actor: &Caller, q: &AuditQuery) -> AppResult<(Vec<AuditRow>, i64)> {
        self.authorize(actor, crate::Action::AuditRead, &crate::Object::None)?;
        let (rows, total) = self.store.audit_search(q)?;
        let mut entry = self.audit_entry(
            actor,
            "audit.read",
            "audit",
            AuditOutcome::Ok,
            format!("{} 条（共 {total} 条）", rows.len()),
        );
        entry.search = describe(q);
        self.store.audit(&entry)?;
        Ok((rows, total))
    }

    /// Every row `q` asks for (up to [`EXPORT_LIMIT`]) as an Excel workbook. For the 审计管理员;
    /// the export is audited with its conditions.
    pub fn audit_export(&self, actor: &Caller, q: &AuditQuery) -> AppResult<Vec<u8>> {
        self.authorize(actor, crate::Action::AuditRead, &crate::Object::None)?;
        let (rows, total) = self.store.audit_search(&AuditQuery { limit: EXPORT_LIMIT, offset: 0, ..q.clone() })?;
        let header = [
            "编号",
            "时间（北京时间）",
            "操作人",
            "来源地址",
            "操作",
            "对象",
            "结果",
            "说明",
            "依据",
            "检索条件",
            "请求编号",
        ];
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let e = &r.entry;
                vec![
                    r.id.to_string(),
                    e.at.beijing(),
                    e.actor.clone(),
                    e.client.clone(),
                    e.action.clone(),
                    e.object.clone(),
                    format!("{:?}", e.outcome).to_lowercase(),
                    e.detail.clone(),
                    e.basis.clone(),
                    e.search.clone(),
                    e.request_id.clone(),
                ]
            })
            .collect();
        let book = hedui_exchange::package::xlsx_bytes("审计日志", &header, &cells)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut entry = self.audit_entry(
            actor,
            "audit.export",
            "audit",
            AuditOutcome::Ok,
            format!("导出 {} 条（共 {total} 条）", rows.len()),
        );
        entry.search = describe(q);
        self.store.audit(&entry)?;
        Ok(book)
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

/// The viewer's conditions as the trail keeps them.
fn describe(q: &AuditQuery) -> String {
    let mut parts = Vec::new();
    for (name, v) in [("操作人", &q.actor), ("对象", &q.object), ("操作", &q.action)] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            parts.push(format!("{name}={v}"));
        }
    }
    if let Some(o) = &q.outcome {
        parts.push(format!("结果={o:?}"));
    }
    if let Some(f) = q.from {
        parts.push(format!("自 {f}"));
    }
    if let Some(t) = q.to {
        parts.push(format!("至 {t}"));
    }
    parts.push(format!("第 {}–{} 条", q.offset + 1, q.offset + q.limit));
    parts.join("；")
}
