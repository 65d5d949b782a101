//! Intake as the browser does it: the household list of the caller's region, the signed scan of
//! a letter (stored sealed, its type and content checked, read back only as a download), and the
//! correction of a member's or supporter's name or ID number (补正), audited with what changed.

use hedui_core::id_number::{self, IdNumber};
use hedui_core::programme::Programme;
use hedui_core::{AuthorizationId, HouseholdId};
use hedui_crypto::{encode_hex, sm3};
use hedui_identity::{period, place};
use hedui_store::intake::{HouseholdFilter, HouseholdSummary, LetterScanRow, MemberCorrection, NewLetterScan};
use hedui_store::{AuditOutcome, HouseholdRow};

use crate::cases::mask_declared_id;
use crate::cases::search::PersonSearch;
use crate::{Action, App, AppError, AppResult, Caller, Object};

/// The largest scan a letter may carry.
pub const SCAN_LIMIT: usize = 5 << 20;

/// A search of the household list.
#[derive(Clone, Debug, Default)]
pub struct HouseholdSearch {
    pub number: String,
    pub programme: Option<Programme>,
    /// A region code prefix inside the caller's region.
    pub region: String,
    pub person: PersonSearch,
    pub oldest_first: bool,
    /// 1-based.
    pub page: i64,
    pub size: i64,
}

/// What a member's correction changes: a new name, a new ID number, or both.
#[derive(Clone, Debug, Default)]
pub struct Correction {
    pub name: Option<String>,
    pub id_number: Option<String>,
    /// Why (the evidence seen: a 户口簿 page, a 身份证); kept sealed with the audit row.
    pub reason: String,
}

/// The content type a scan's own bytes show, if it is a whole PDF, JPEG or PNG.
pub fn scan_type(bytes: &[u8]) -> Result<&'static str, String> {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if bytes.starts_with(b"%PDF-") {
        if tail.windows(5).any(|w| w == b"%%EOF") {
            return Ok("application/pdf");
        }
        return Err("PDF 文件不完整（缺少文件结束标记），请重新扫描".into());
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if bytes.ends_with(&[0xFF, 0xD9]) || tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            return Ok("image/jpeg");
        }
        return Err("JPEG 图片不完整，请重新扫描".into());
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        if tail.windows(4).any(|w| w == b"IEND") {
            return Ok("image/png");
        }
        return Err("PNG 图片不完整，请重新扫描".into());
    }
    Err("扫描件只能是 PDF、JPEG 或 PNG 文件".into())
}

/// A file name as it is kept: no control characters, slashes or quotes, at most 100 characters.
pub fn safe_file_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control() && !"/\\\"".contains(*c)).take(100).collect()
}

impl App {
    /// The households the search selects in the caller's region, one page, and the total. Audited
    /// (a person searched for as a blind index and a sealed copy).
    pub fn households(&self, actor: &Caller, s: &HouseholdSearch) -> AppResult<(Vec<HouseholdSummary>, i64)> {
        self.authorize(actor, Action::HouseholdRead, &Object::None)?;
        let scope = actor.region.trim_end_matches('0');
        let wanted = s.region.trim();
        let region = if wanted.starts_with(scope) { wanted } else { scope };
        let found = self.person_households(&s.person)?;
        let size = s.size.clamp(1, 10_000);
        let f = HouseholdFilter {
            regions: if region.is_empty() { vec![] } else { vec![region.to_string()] },
            number_contains: Some(s.number.clone()),
            programme: s.programme,
            households: found.as_ref().map(|(hs, _, _)| hs.iter().copied().collect()),
            oldest_first: s.oldest_first,
            limit: size,
            offset: (s.page.max(1) - 1) * size,
        };
        let (rows, total) = self.store.households_list(&f)?;
        let mut entry =
            self.audit_entry(actor, "household.list", "households", AuditOutcome::Ok, format!("{} 户", rows.len()));
        entry.search = format!("区划={region}；户编号含={}", s.number.trim());
        if let Some((_, bidx, text)) = found {
            entry.search.push_str("；按姓名或身份证号检索（检索词已加密）");
            entry.search_bidx = Some(bidx);
            entry.search_enc =
                Some(self.identity.seal(&place::audit_search(), period(self.today()), text.as_bytes())?);
        }
        self.store.audit(&entry)?;
        Ok((rows, total))
    }

    fn household_row(&self, id: HouseholdId) -> AppResult<HouseholdRow> {
        self.store.household(id)?.ok_or_else(|| AppError::NotFound(format!("家庭 {id} 不存在")))
    }

    /// Stores the signed scan of one of the household's letters, sealed. The content must be a
    /// whole PDF, JPEG or PNG of at most [`SCAN_LIMIT`] bytes; a letter has one scan.
    pub fn attach_scan(
        &self,
        actor: &Caller,
        household: HouseholdId,
        letter: AuthorizationId,
        file_name: &str,
        bytes: &[u8],
    ) -> AppResult<()> {
        actor.require_change()?;
        let h = self.household_row(household)?;
        let a = self.store.authorizations(household)?.into_iter().find(|a| a.id == letter);
        let a = a.ok_or_else(|| AppError::NotFound(format!("授权书 {letter} 不属于家庭 {}", h.number)))?;
        if bytes.is_empty() {
            return Err(AppError::Invalid("没有选择扫描件，或文件为空".into()));
        }
        if bytes.len() > SCAN_LIMIT {
            return Err(AppError::Invalid(format!(
                "扫描件 {:.1} MB，超过上限 {} MB，请降低扫描分辨率后重新上传",
                bytes.len() as f64 / 1048576.0,
                SCAN_LIMIT >> 20
            )));
        }
        let content_type = scan_type(bytes).map_err(AppError::Invalid)?;
        let digest = encode_hex(&sm3(bytes));
        let name = safe_file_name(file_name);
        let scan = NewLetterScan {
            authorization: letter,
            content_type: content_type.into(),
            file_name: if name.trim().is_empty() { "scan".into() } else { name },
            size: bytes.len() as i64,
            content_sm3: digest.clone(),
            content_enc: self.identity.seal(&place::letter_scan(letter.0), period(self.today()), bytes)?,
        };
        let audit = self.audit_entry(
            actor,
            "authorization.scan",
            &format!("authorization:{}", a.number),
            AuditOutcome::Ok,
            format!("扫描件 {content_type}，{} 字节，SM3 {digest}", bytes.len()),
        );
        self.store.put_letter_scan(&scan, self.now(), &audit).map_err(|e| match e {
            hedui_store::StoreError::Conflict(_) => {
                AppError::InvalidState(format!("授权书 {} 已有扫描件；重新签署的授权书请另行登记", a.number))
            }
            e => e.into(),
        })
    }

    /// The scans of a household's letters (without content).
    pub fn letter_scans(&self, household: HouseholdId) -> AppResult<Vec<LetterScanRow>> {
        Ok(self.store.letter_scans(household)?)
    }

    /// A letter's scan to download: its type, file name and content, checked against its digest.
    /// Audited as a read.
    pub fn scan_file(
        &self,
        actor: &Caller,
        household: HouseholdId,
        letter: AuthorizationId,
    ) -> AppResult<(String, String, Vec<u8>)> {
        let a = self.store.authorizations(household)?.into_iter().find(|a| a.id == letter);
        let a = a.ok_or_else(|| AppError::NotFound(format!("授权书 {letter} 不属于家庭 {household}")))?;
        let scan = self.store.letter_scan(letter)?;
        let Some(LetterScanRow { content_enc: Some(sealed), content_type, file_name, content_sm3, .. }) = scan else {
            return Err(AppError::NotFound(format!("授权书 {} 没有扫描件", a.number)));
        };
        let bytes = self.identity.open(&place::letter_scan(letter.0), &sealed)?;
        if encode_hex(&sm3(&bytes)) != content_sm3 {
            return Err(AppError::Internal(format!("授权书 {} 的扫描件与登记的摘要不符", a.number)));
        }
        self.audit(
            actor,
            "authorization.scan_read",
            &format!("authorization:{}", a.number),
            AuditOutcome::Ok,
            String::new(),
        )?;
        Ok((content_type, file_name, bytes))
    }

    /// Corrects member `seq` (or supporter `seq`) of a household (补正): a new name, a new ID
    /// number, or both. The member is resolved again under the new number; the audit row says
    /// what changed (masked) and keeps the reason sealed.
    pub fn correct_member(
        &self,
        actor: &Caller,
        household: HouseholdId,
        seq: u32,
        supporter: bool,
        c: &Correction,
    ) -> AppResult<()> {
        actor.require_change()?;
        if c.reason.trim().is_empty() {
            return Err(AppError::Invalid("请填写补正依据（如户口簿、身份证）".into()));
        }
        let h = self.household_row(household)?;
        let who = if supporter { "义务人" } else { "成员" };
        let (name_place, id_place, old) = if supporter {
            let s = h.supporters.iter().find(|s| s.seq == seq);
            let s = s.ok_or_else(|| AppError::NotFound(format!("家庭 {} 没有第 {seq} 位义务人", h.number)))?;
            (place::supporter_name(&h.number, seq), place::supporter_id(&h.number, seq), (&s.name_enc, &s.id_enc))
        } else {
            let m = h.members.iter().find(|m| m.seq == seq);
            let m = m.ok_or_else(|| AppError::NotFound(format!("家庭 {} 没有第 {seq} 位成员", h.number)))?;
            (place::member_name(&h.number, seq), place::member_id(&h.number, seq), (&m.name_enc, &m.id_enc))
        };
        let old_name = self.identity.open_string(&name_place, old.0)?;
        let old_id = self.identity.open_string(&id_place, old.1)?;
        let name = c.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&old_name).to_string();
        let id = c.id_number.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&old_id).to_string();
        if name == old_name && id == old_id {
            return Err(AppError::Invalid("姓名和身份证号都没有变化".into()));
        }
        let month = period(self.today());
        let parsed = IdNumber::parse_with_table(&id, &self.regions);
        let person = match &parsed {
            Ok(p) => self.store.resolve_persons(&[self.identity.person_key(&p.id, month)?])?.first().copied(),
            Err(_) => None,
        };
        let correction = MemberCorrection {
            seq,
            supporter,
            person,
            name_enc: self.identity.seal(&name_place, month, name.as_bytes())?,
            name_bidx: self.identity.name_index(&name),
            id_enc: self.identity.seal(&id_place, month, id.as_bytes())?,
            id_note: id_number::note_codes(&parsed),
        };
        let mut changed = Vec::new();
        if name != old_name {
            changed.push("姓名".to_string());
        }
        if id != old_id {
            changed.push(format!("身份证号 {} → {}", mask_declared_id(&old_id), mask_declared_id(&id)));
        }
        let state = if person.is_some() { "已识别" } else { "未识别" };
        let audit = self.audit_entry(
            actor,
            "household.correct",
            &format!("household:{}", h.number),
            AuditOutcome::Ok,
            format!("第 {seq} 位{who}补正：{}；{state}", changed.join("，")),
        );
        let audit = self.with_note(audit, c.reason.trim())?;
        Ok(self.store.correct_member(household, &correction, &audit)?)
    }
}

#[cfg(test)]
mod tests {
    use super::scan_type;

    #[test]
    fn a_scan_is_a_whole_pdf_jpeg_or_png() {
        assert_eq!(scan_type(b"%PDF-1.4\n1 0 obj\n%%EOF\n"), Ok("application/pdf"));
        assert!(scan_type(b"%PDF-1.4\n1 0 obj\n").unwrap_err().contains("不完整"));
        assert_eq!(scan_type(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 0xFF, 0xD9]), Ok("image/jpeg"));
        let png = [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], b"....IEND\xAE\x42\x60\x82"].concat();
        assert_eq!(scan_type(&png), Ok("image/png"));
        assert!(scan_type(b"MZ\x90\x00 an executable").unwrap_err().contains("PDF、JPEG 或 PNG"));
        assert!(scan_type(b"<html><script>").is_err());
    }
}
