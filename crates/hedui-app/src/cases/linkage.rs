//! 人工关联: a department row whose ID number did not resolve waits for a person. A 核对员 of the
//! region sees each such row next to a member of a household in the region with the same name
//! (matched by blind index, never in clear), with the fields needed to decide: the row's values
//! (long numbers masked), the number as the department wrote it and the member's, both masked,
//! and how the two differ. Confirmed, the row becomes the member's and counts as a fact from then
//! on; rejected, the pair is not offered again. Every list and decision is audited.

use hedui_core::{Date, HouseholdId, PersonId, RecordId};
use hedui_identity::place;
use hedui_store::AuditOutcome;
use hedui_store::intake::{LinkCandidate, LinkDecision, LinkFilter};

use super::mask_declared_id;
use crate::{Action, App, AppError, AppResult, Caller, Object};

/// One unresolved row and the member it may be.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LinkRow {
    pub record: RecordId,
    pub source: String,
    pub as_of: Date,
    /// The row's columns and values, long numbers masked.
    pub fields: Vec<(String, String)>,
    pub raw_id_masked: String,
    pub household: HouseholdId,
    pub household_number: String,
    pub region_name: String,
    pub member_seq: u32,
    pub member_name: String,
    pub member_id_masked: String,
    pub relation: String,
    /// How the row's number differs from the member's.
    pub hint: String,
}

/// How `raw` (as the department wrote it) differs from `id` (the member's valid number).
pub fn id_hint(raw: &str, id: &str) -> String {
    let (a, b): (Vec<char>, Vec<char>) = (raw.trim().to_uppercase().chars().collect(), id.chars().collect());
    if a.len() == 15 && b.len() == 18 {
        let short: Vec<char> = b[..6].iter().chain(&b[8..17]).copied().collect();
        return match a == short {
            true => "旧 15 位号码，升位后与成员号码一致".into(),
            false => "旧 15 位号码，升位后与成员号码不一致".into(),
        };
    }
    if a.len() != b.len() {
        return format!("位数不同（{} 位，成员号码 {} 位）", a.len(), b.len());
    }
    let diff: Vec<usize> = (0..a.len()).filter(|i| a[*i] != b[*i]).collect();
    match diff.as_slice() {
        [] => "号码一致".into(),
        [i] => format!("第 {} 位不同", i + 1),
        [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] => format!("第 {}、{} 位颠倒", i + 1, j + 1),
        more => format!("{} 位不同", more.len()),
    }
}

/// A value shown to decide with: anything with eight or more digits is masked like an ID number.
fn shown(value: &str) -> String {
    match value.chars().filter(char::is_ascii_digit).count() >= 8 {
        true => mask_declared_id(value),
        false => value.to_string(),
    }
}

impl App {
    /// The rows waiting for a person in the caller's region, one page of `size`, and how many.
    pub fn link_queue(&self, actor: &Caller, page: i64, size: i64) -> AppResult<(Vec<LinkRow>, i64)> {
        self.authorize(actor, Action::RecordLink, &Object::None)?;
        let scope = actor.region.trim_end_matches('0');
        let regions = if scope.is_empty() { Vec::new() } else { vec![scope.to_string()] };
        let size = size.clamp(1, 200);
        let f = LinkFilter { regions, record: None, limit: size, offset: (page.max(1) - 1) * size };
        let (candidates, total) = self.store.link_candidates(&f)?;
        let rows = candidates.iter().map(|c| self.link_row(c)).collect::<AppResult<Vec<_>>>()?;
        let detail = format!("待人工关联 {total} 条，本页 {} 条", rows.len());
        self.audit(actor, "record.link_list", "records:unresolved", AuditOutcome::Ok, detail)?;
        Ok((rows, total))
    }

    /// Decides whether row `record` is member `seq` of household `household`: the same person
    /// (`linked`) or not. Only a pair the caller's queue offers can be decided.
    pub fn decide_link(
        &self,
        actor: &Caller,
        record: RecordId,
        household: HouseholdId,
        seq: u32,
        linked: bool,
    ) -> AppResult<()> {
        self.authorize(actor, Action::RecordLink, &Object::Household(household))?;
        actor.require_change()?;
        let h = self.store.household(household)?.ok_or_else(|| AppError::NotFound(format!("家庭 {household}")))?;
        let f = LinkFilter { regions: vec![h.region.clone()], record: Some(record), limit: 1000, offset: 0 };
        let (candidates, _) = self.store.link_candidates(&f)?;
        let c = candidates
            .iter()
            .find(|c| c.household == household && c.member_seq == seq)
            .ok_or_else(|| AppError::NotFound(format!("没有待关联的记录 {record} 与户 {} 成员 {seq}", h.number)))?;
        let person: PersonId = c.person;
        let source = self.catalog.get(&c.record.rec.source).map_or(c.record.rec.source.clone(), |s| s.name.clone());
        let (action, what) =
            if linked { ("record.link", "确认为同一人") } else { ("record.link_reject", "不是同一人") };
        let detail = format!("{source} 记录 {record} 与户 {} 成员 {seq}：{what}", h.number);
        let audit = self.audit_entry(actor, action, &format!("household:{household}"), AuditOutcome::Ok, detail);
        let d = LinkDecision { record, person, linked, actor: actor.name().to_string(), created_at: self.now() };
        self.store.decide_link(&d, &audit)?;
        Ok(())
    }

    fn link_row(&self, c: &LinkCandidate) -> AppResult<LinkRow> {
        let r = &c.record;
        let owner = crate::record_owner(r)?;
        let plain = self.identity.open(&place::record_detail(owner, &r.rec), &r.rec.detail_enc)?;
        let columns = match r.batch {
            Some(b) => self.store.batch(b)?.map(|b| b.columns).unwrap_or_default(),
            None => Vec::new(),
        };
        let fields: Vec<(String, String)> = match serde_json::from_slice::<Vec<String>>(&plain) {
            Ok(values) if !columns.is_empty() => columns.into_iter().zip(values).collect(),
            _ => serde_json::from_slice(&plain).unwrap_or_default(),
        };
        let raw = match &r.rec.raw_id_enc {
            Some(enc) => self.identity.open_string(&place::record_raw_id(owner, &r.rec), enc)?,
            None => String::new(),
        };
        let h =
            self.store.household(c.household)?.ok_or_else(|| AppError::NotFound(format!("家庭 {}", c.household)))?;
        let m = h
            .members
            .iter()
            .find(|m| m.seq == c.member_seq)
            .ok_or_else(|| AppError::NotFound(format!("户 {} 成员 {}", h.number, c.member_seq)))?;
        let id = self.identity.open_string(&place::member_id(&h.number, m.seq), &m.id_enc)?;
        Ok(LinkRow {
            record: r.id,
            source: self.catalog.get(&r.rec.source).map_or(r.rec.source.clone(), |s| s.name.clone()),
            as_of: r.rec.as_of,
            fields: fields.into_iter().map(|(k, v)| (k, shown(&v))).collect(),
            raw_id_masked: mask_declared_id(&raw),
            household: c.household,
            household_number: c.household_number.clone(),
            region_name: self.region_name(&c.region),
            member_seq: m.seq,
            member_name: self.identity.open_string(&place::member_name(&h.number, m.seq), &m.name_enc)?,
            member_id_masked: mask_declared_id(&id),
            relation: m.relation.name_zh().into(),
            hint: id_hint(&raw, &id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::id_hint;

    #[test]
    fn hints_name_how_two_numbers_differ() {
        let id = "320481198001010015";
        assert_eq!(id_hint("320481198001010015", id), "号码一致");
        assert_eq!(id_hint("320481198001010016", id), "第 18 位不同");
        assert_eq!(id_hint("320481198010010015", id), "第 11、12 位颠倒");
        assert_eq!(id_hint("320481800101001", id), "旧 15 位号码，升位后与成员号码一致");
        assert_eq!(id_hint("320481800101002", id), "旧 15 位号码，升位后与成员号码不一致");
        assert_eq!(id_hint("32048119800101001", id), "位数不同（17 位，成员号码 18 位）");
        assert_eq!(id_hint("999481198001010099", id), "5 位不同");
    }
}
