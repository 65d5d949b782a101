//! Objections (异议) with their materials: the family's reason and the documents it brings
//! (PDF, JPEG or PNG, each checked like a letter's scan and stored sealed under the job), and
//! those documents read back only as downloads, audited.

use hedui_core::JobId;
use hedui_crypto::{encode_hex, sm3};
use hedui_identity::{period, place};
use hedui_store::AuditOutcome;
use hedui_store::intake::{AttachmentRow, NewAttachment};

use crate::cases::intake::{SCAN_LIMIT, scan_type};
use crate::{App, AppError, AppResult, Caller};

/// The most files one objection brings.
pub const FILES_LIMIT: usize = 5;

/// A file brought with an objection: its name and content.
#[derive(Clone, Debug)]
pub struct Material {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl App {
    /// Records an objection to an issued report with the family's reason and its materials. Every
    /// file is checked before anything is stored.
    pub fn object_with(
        &self,
        actor: &Caller,
        id: JobId,
        reason: &str,
        files: &[Material],
    ) -> AppResult<hedui_store::JobRow> {
        if files.len() > FILES_LIMIT {
            return Err(AppError::Invalid(format!("一次异议最多附 {FILES_LIMIT} 个材料文件")));
        }
        let mut checked = Vec::with_capacity(files.len());
        for f in files {
            if f.bytes.len() > SCAN_LIMIT {
                return Err(AppError::Invalid(format!("材料“{}”超过 {} MB", f.file_name, SCAN_LIMIT >> 20)));
            }
            let kind = scan_type(&f.bytes).map_err(|e| AppError::Invalid(format!("材料“{}”：{e}", f.file_name)))?;
            checked.push((f, kind));
        }
        let job = self.object(actor, id, reason)?;
        for (f, kind) in checked {
            let name = crate::cases::intake::safe_file_name(&f.file_name);
            let digest = encode_hex(&sm3(&f.bytes));
            let audit = self.audit_entry(
                actor,
                "job.objection_file",
                &format!("job:{id}"),
                AuditOutcome::Ok,
                format!("异议材料 {kind}，{} 字节，SM3 {digest}", f.bytes.len()),
            );
            // The number the file gets is the next one; it is sealed for the place it takes.
            let seq = self.store.objection_files(id, None)?.last().map_or(1, |r| r.seq + 1);
            let file = NewAttachment {
                content_type: kind.into(),
                file_name: name,
                size: f.bytes.len() as i64,
                content_sm3: digest,
                content_enc: self.identity.seal(&place::objection_file(id, seq), period(self.today()), &f.bytes)?,
            };
            let stored = self.store.put_objection_file(id, &file, self.now(), &audit)?;
            if stored != seq {
                return Err(AppError::Internal(format!("异议材料编号 {stored} 与封装时的 {seq} 不一致")));
            }
        }
        Ok(job)
    }

    /// A job's objection files (without content).
    pub fn objection_files(&self, id: JobId) -> AppResult<Vec<AttachmentRow>> {
        Ok(self.store.objection_files(id, None)?)
    }

    /// One objection file to download: its type and content, checked against its digest. Audited.
    pub fn objection_file(&self, actor: &Caller, id: JobId, seq: i64) -> AppResult<(String, Vec<u8>)> {
        let row = self.store.objection_files(id, Some(seq))?.pop();
        let Some(AttachmentRow { content_enc: Some(sealed), content_type, content_sm3, .. }) = row else {
            return Err(AppError::NotFound(format!("核对任务 {id} 没有第 {seq} 个异议材料")));
        };
        let bytes = self.identity.open(&place::objection_file(id, seq), &sealed)?;
        if encode_hex(&sm3(&bytes)) != content_sm3 {
            return Err(AppError::Internal(format!("核对任务 {id} 的异议材料 {seq} 与登记的摘要不符")));
        }
        self.audit(
            actor,
            "job.objection_file_read",
            &format!("job:{id}"),
            AuditOutcome::Ok,
            format!("异议材料 {seq}"),
        )?;
        Ok((content_type, bytes))
    }
}
