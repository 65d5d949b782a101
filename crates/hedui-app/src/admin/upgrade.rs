//! The database's key, and the one-time migration that binds every sealed value to its row.
//!
//! A database records the fingerprint of its master key the first time a key opens it; from then
//! on any other key is refused before anything is read or sealed. The first release sealed every
//! value of a column under one label and one key; the migration here opens each such value once
//! and seals it again for its own table, column and row under its period's key, and signs the
//! reports that release issued (marking them as signed by the migration). It works in chunks,
//! each in one transaction, and only touches values still in the old format, so an interrupted
//! run continues where it stopped.

use hedui_crypto::is_legacy;
use hedui_identity::period;
use hedui_identity::place::{self, Owner, legacy};
use hedui_store::{AuditOutcome, JobFilter, Reseal, SealedSlot, StoredRecord};

use crate::reports::Report;
use crate::reports::issue::{Seal, issued_statement};
use crate::{App, AppError, AppResult, Caller};

/// The `meta` key of the master key's fingerprint.
pub const KEY_FINGERPRINT: &str = "key_fingerprint";
/// The `meta` key of the format of sealed values; `2` once every value is bound to its row.
pub const SEALED_FORMAT: &str = "sealed_format";
const CHUNK: usize = 1000;

/// What the re-sealing changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Upgraded {
    pub values: usize,
    pub reports_signed: usize,
}

impl App {
    /// Checks that the master key is the database's, recording its fingerprint on first use. A
    /// key file that holds the database's key and a newer epoch beside it is accepted: a rotation
    /// to that epoch is pending (see [`App::pending_rotation`]).
    pub fn bind_key(&self) -> AppResult<()> {
        let keys = self.identity.keys();
        let fp = keys.fingerprint();
        match self.store.meta(KEY_FINGERPRINT)? {
            Some(expected) if expected == fp => Ok(()),
            Some(_) if self.pending_rotation()?.is_some() => Ok(()),
            Some(expected) => Err(AppError::WrongKey(format!(
                "数据库要求指纹为 {expected} 的主密钥，而给出的主密钥指纹为 {fp}：密钥不是这个数据库的"
            ))),
            None => {
                // A database of the first release keeps no fingerprint: the key must open its data.
                if let Some(p) = self.store.persons_page(0, 1)?.first() {
                    let opens = if is_legacy(&p.id_enc) {
                        keys.open_legacy(legacy::PERSON_ID, &p.id_enc).is_ok()
                    } else {
                        keys.open(&place::person_id(&p.bidx), &p.id_enc).is_ok()
                    };
                    if !opens {
                        return Err(AppError::WrongKey(format!(
                            "数据库中的数据不是用这把主密钥（指纹 {fp}）加密的，拒绝使用"
                        )));
                    }
                }
                let actor = Caller::system("key-bind");
                let audit =
                    self.audit_entry(&actor, "key.bind", "database", AuditOutcome::Ok, format!("主密钥指纹 {fp}"));
                self.store.set_meta(KEY_FINGERPRINT, &fp, &audit)?;
                Ok(())
            }
        }
    }

    /// The database's epoch when the key file holds it (its fingerprint matching) and a newer
    /// current epoch: a rotation the database has not recorded yet.
    pub fn pending_rotation(&self) -> AppResult<Option<u8>> {
        let keys = self.identity.keys();
        let recorded = self.recorded_epoch()?;
        let expected = self.store.meta(KEY_FINGERPRINT)?;
        Ok((keys.epoch() > recorded && expected.is_some() && keys.fingerprint_in(recorded) == expected)
            .then_some(recorded))
    }

    /// Starts a pending rotation (the key file holds a newer epoch than the database records).
    /// Returns the epoch it moves from.
    pub fn start_pending_rotation(&self) -> AppResult<Option<u8>> {
        let Some(from) = self.pending_rotation()? else { return Ok(None) };
        self.rotation_begin(from)?;
        Ok(Some(from))
    }

    /// Re-seals every value still in the first release's format for its own row, and signs the
    /// reports that release issued. Does nothing once done.
    // tidy: allow(long-fn): one pass over every sealed column of the first release, table by table.
    pub fn upgrade_sealed(&self) -> AppResult<Upgraded> {
        if self.store.meta(SEALED_FORMAT)?.as_deref() == Some("2") {
            return Ok(Upgraded::default());
        }
        let mut up = Upgraded::default();
        let mut pending: Vec<Reseal> = Vec::new();
        let keys = self.identity.keys();
        let month = period(self.today());

        let mut after = 0;
        loop {
            let page = self.store.persons_page(after, CHUNK as i64)?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for p in page.iter().filter(|p| is_legacy(&p.id_enc)) {
                let plain = keys.open_legacy(legacy::PERSON_ID, &p.id_enc)?;
                let v = self.identity.seal(&place::person_id(&p.bidx), month, &plain)?;
                pending.push(Reseal::Value(SealedSlot::PersonId(p.id), v));
            }
            self.flush(&mut pending, &mut up, false)?;
        }

        let mut after = 0;
        loop {
            let page = self.store.records_page(after, CHUNK as i64)?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for r in &page {
                self.reseal_record(r, &mut pending)?;
            }
            self.flush(&mut pending, &mut up, false)?;
        }

        let mut after = 0;
        loop {
            let page = self.store.issues_page(after, CHUNK as i64)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for i in page.iter().filter(|i| is_legacy(&i.issue.raw_enc)) {
                let plain = keys.open_legacy(legacy::ISSUE_RAW, &i.issue.raw_enc)?;
                let v = self.identity.seal(&place::issue_raw(i.batch, i.issue.line), month, &plain)?;
                pending.push(Reseal::Value(SealedSlot::IssueRaw(i.id), v));
            }
            self.flush(&mut pending, &mut up, false)?;
        }

        let mut after = 0;
        loop {
            let page = self.store.households_page(after, (CHUNK / 10) as i64)?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for h in &page {
                let mut again =
                    |label: &[u8], at: hedui_crypto::Place, old: &[u8], slot: SealedSlot| -> AppResult<()> {
                        if is_legacy(old) {
                            let plain = keys.open_legacy(label, old)?;
                            pending.push(Reseal::Value(slot, self.identity.seal(&at, month, &plain)?));
                        }
                        Ok(())
                    };
                again(
                    legacy::HOUSEHOLD_ADDRESS,
                    place::household_address(&h.number),
                    &h.address_enc,
                    SealedSlot::HouseholdAddress(h.id),
                )?;
                for m in &h.members {
                    let slot = SealedSlot::MemberName(h.id, m.seq);
                    again(legacy::MEMBER_NAME, place::member_name(&h.number, m.seq), &m.name_enc, slot)?;
                    let slot = SealedSlot::MemberId(h.id, m.seq);
                    again(legacy::MEMBER_ID, place::member_id(&h.number, m.seq), &m.id_enc, slot)?;
                }
                for s in &h.supporters {
                    let slot = SealedSlot::SupporterName(h.id, s.seq);
                    again(legacy::MEMBER_NAME, place::supporter_name(&h.number, s.seq), &s.name_enc, slot)?;
                    let slot = SealedSlot::SupporterId(h.id, s.seq);
                    again(legacy::MEMBER_ID, place::supporter_id(&h.number, s.seq), &s.id_enc, slot)?;
                }
                // The first release wrote notes that could hold digits of the number: they become codes.
                let notes = h
                    .members
                    .iter()
                    .map(|m| (false, m.seq, &m.id_enc))
                    .chain(h.supporters.iter().map(|s| (true, s.seq, &s.id_enc)));
                for (supporter, seq, enc) in notes {
                    if is_legacy(enc) {
                        let id = String::from_utf8(keys.open_legacy(legacy::MEMBER_ID, enc)?).unwrap_or_default();
                        let note = hedui_core::id_number::note_codes(
                            &hedui_core::id_number::IdNumber::parse_with_table(id.trim(), &self.regions),
                        );
                        pending.push(Reseal::IdNote { household: h.id, seq, supporter, note });
                    }
                }
            }
            self.flush(&mut pending, &mut up, false)?;
        }

        let jobs = self.store.jobs(&JobFilter { limit: i64::MAX, ..JobFilter::default() })?;
        for j in &jobs {
            for (old, label, at, slot) in [
                (
                    &j.note_enc,
                    legacy::COMMISSION_NOTE,
                    place::commission_note(&j.commission_number),
                    SealedSlot::CommissionNote(j.commission),
                ),
                (
                    &j.declared_enc,
                    legacy::COMMISSION_DECLARED,
                    place::commission_declared(&j.commission_number),
                    SealedSlot::CommissionDeclared(j.commission),
                ),
            ] {
                if let Some(old) = old.as_deref().filter(|o| is_legacy(o)) {
                    let plain = keys.open_legacy(label, old)?;
                    pending.push(Reseal::Value(slot, self.identity.seal(&at, month, &plain)?));
                }
            }
            for row in self.store.reports(j.id)? {
                if !is_legacy(&row.body_enc) {
                    continue;
                }
                let body = keys.open_legacy(legacy::REPORT_BODY, &row.body_enc)?;
                let sm3 = hedui_crypto::encode_hex(&hedui_crypto::sm3(&body));
                if sm3 != row.body_sm3 {
                    return Err(AppError::Tampered(format!(
                        "核对任务 {} 第 {} 版报告的正文与其 SM3 摘要不一致，迁移不为它签名",
                        row.job, row.version
                    )));
                }
                let r: Report = serde_json::from_slice(&body).map_err(|e| AppError::Internal(e.to_string()))?;
                if r.job != row.job || r.version != row.version || r.assessment.outcome != row.outcome {
                    return Err(AppError::Tampered(format!(
                        "核对任务 {} 第 {} 版报告的正文与其所在行不符，迁移不为它签名",
                        row.job, row.version
                    )));
                }
                let v = self.identity.seal(&place::report_body(row.job, row.version), period(r.as_of), &body)?;
                let mut seal = Seal::of(&r, sm3);
                seal.signed_in_migration = true;
                seal.issued_at = row.created_at.to_string();
                seal.completed_sig =
                    self.signer.sign_statement(seal.completed_statement().as_bytes()).map_err(AppError::Internal)?;
                seal.issued_sig =
                    self.signer.sign_statement(issued_statement(&seal).as_bytes()).map_err(AppError::Internal)?;
                pending.push(Reseal::Value(SealedSlot::ReportBody(row.id), v));
                pending.push(Reseal::ReportSigned {
                    report: row.id,
                    completed_sig: seal.completed_sig,
                    issued_sig: seal.issued_sig,
                    at: row.created_at,
                });
                up.reports_signed += 1;
            }
            self.flush(&mut pending, &mut up, false)?;
        }
        self.flush(&mut pending, &mut up, true)?;
        let actor = Caller::system("migration");
        let audit = self.audit_entry(
            &actor,
            "sealed.upgrade",
            "database",
            AuditOutcome::Ok,
            format!("密文已绑定到所在行：{} 个值重新加密，{} 份旧报告补签", up.values, up.reports_signed),
        );
        self.store.set_meta(SEALED_FORMAT, "2", &audit)?;
        Ok(up)
    }

    fn reseal_record(&self, r: &StoredRecord, pending: &mut Vec<Reseal>) -> AppResult<()> {
        let keys = self.identity.keys();
        let owner = match (r.batch, r.job) {
            (Some(b), _) => Owner::Batch(b),
            (None, Some(j)) => Owner::Job(j),
            (None, None) => return Err(AppError::Internal(format!("record {} has neither batch nor job", r.id))),
        };
        let p = period(r.rec.as_of);
        if is_legacy(&r.rec.detail_enc) {
            let plain = keys.open_legacy(legacy::RECORD_DETAIL, &r.rec.detail_enc)?;
            pending.push(Reseal::Value(
                SealedSlot::RecordDetail(r.id),
                self.identity.seal(&place::record_detail(owner, &r.rec), p, &plain)?,
            ));
        }
        if let Some(old) = r.rec.raw_id_enc.as_deref().filter(|o| is_legacy(o)) {
            let plain = keys.open_legacy(legacy::RECORD_RAW_ID, old)?;
            pending.push(Reseal::Value(
                SealedSlot::RecordRawId(r.id),
                self.identity.seal(&place::record_raw_id(owner, &r.rec), p, &plain)?,
            ));
        }
        Ok(())
    }

    /// Writes what is pending when a chunk is full (or `all`), in one transaction.
    fn flush(&self, pending: &mut Vec<Reseal>, up: &mut Upgraded, all: bool) -> AppResult<()> {
        if pending.is_empty() || (!all && pending.len() < CHUNK) {
            return Ok(());
        }
        let values = pending.iter().filter(|c| matches!(c, Reseal::Value(..))).count();
        let actor = Caller::system("migration");
        let audit = self.audit_entry(
            &actor,
            "sealed.reseal",
            "database",
            AuditOutcome::Ok,
            format!("{values} 个密文重新绑定到所在行"),
        );
        self.store.reseal(pending, &audit)?;
        up.values += values;
        pending.clear();
        Ok(())
    }
}
