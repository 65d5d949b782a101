//! Households and their authorization letters.

pub mod batch;
mod commissions;
pub mod delivery;
pub mod intake;
pub mod linkage;
pub mod search;
pub mod supporters;
pub mod workbench;

pub use commissions::CommissionInput;

use serde::{Deserialize, Serialize};

use hedui_core::authorization::{Authorization, AuthorizationStatus, Scope, Signature};
use hedui_core::household::{self, Capacity, ExclusionReason, Member, Relation};
use hedui_core::id_number::{self, IdNumber};
use hedui_core::name::mask_name;
use hedui_core::programme::Programme;
use hedui_core::region::{RegionCode, RegionStatus};
use hedui_core::{AuthorizationId, Date, Fen, HouseholdId};
use hedui_identity::{period, place};
use hedui_store::{AuditOutcome, AuthorizationRow, NewAuthorization, NewHousehold, NewMember, NewSupporter};

use crate::{App, AppError, AppResult, Caller};

/// A member as a business system submits it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberInput {
    pub seq: u32,
    pub name: String,
    /// The ID number as declared; an invalid one is kept and the member stays unresolved.
    pub id_number: String,
    pub relation: Relation,
    /// The reason the member is not counted; absent when counted.
    #[serde(default)]
    pub excluded: Option<ExclusionReason>,
    #[serde(default = "full")]
    pub capacity: Capacity,
    #[serde(default)]
    pub guardian_seq: Option<u32>,
    #[serde(default)]
    pub declared_income: Fen,
}

fn full() -> Capacity {
    Capacity::Full
}

/// A person with a duty of support who is not a member (赡养/抚养/扶养义务人).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupporterInput {
    pub name: String,
    pub id_number: String,
    /// 赡养, 抚养 or 扶养.
    pub duty: String,
}

/// A supporter as screens show it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupporterView {
    pub seq: u32,
    pub name: String,
    pub id_masked: String,
    pub duty: String,
    pub resolved: bool,
}

/// A household as a business system submits it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdInput {
    pub number: String,
    /// Where the household is registered: a county (6), township (9) or village (12) code.
    pub region: String,
    #[serde(default)]
    pub address: String,
    pub programme: Programme,
    pub applied_on: Date,
    #[serde(default)]
    pub declared_income: Fen,
    #[serde(default)]
    pub declared_assets: Fen,
    pub members: Vec<MemberInput>,
    /// Persons with a duty of support; never counted in the household size.
    #[serde(default)]
    pub supporters: Vec<SupporterInput>,
}

/// A member as screens show it (masked for the reader's role).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberView {
    pub seq: u32,
    pub name: String,
    pub id_masked: String,
    pub relation: Relation,
    pub relation_name: String,
    pub counted: bool,
    pub exclusion: Option<String>,
    pub capacity: Capacity,
    pub guardian_seq: Option<u32>,
    pub declared_income: Fen,
    pub resolved: bool,
    pub note: String,
}

/// A household as screens show it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: HouseholdId,
    pub number: String,
    pub region: String,
    pub region_name: String,
    pub address: String,
    pub programme: Programme,
    pub applied_on: Date,
    pub declared_income: Fen,
    pub declared_assets: Fen,
    pub members: Vec<MemberView>,
    pub supporters: Vec<SupporterView>,
    pub authorizations: Vec<AuthorizationRow>,
}

/// A letter as recorded by the clerk.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorizationInput {
    pub number: String,
    pub signed_on: Date,
    /// Data categories authorized; all of them when absent.
    #[serde(default)]
    pub scopes: Option<Vec<Scope>>,
    pub signatures: Vec<Signature>,
}

/// Masks an ID number as declared, valid or not: first 4 and last 4 characters shown.
pub fn mask_declared_id(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..4].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 8));
    s.extend(&chars[chars.len() - 4..]);
    s
}

impl App {
    /// The name of a region, or an error a clerk can act on when the data does not know it.
    pub fn known_region(&self, code: &str) -> AppResult<(RegionCode, String)> {
        let rc =
            RegionCode::parse(code).map_err(|e| AppError::Invalid(format!("户籍区划代码“{code}”格式错误：{e}")))?;
        match self.regions.lookup(&rc) {
            RegionStatus::Known { full_name, .. } => Ok((rc, full_name)),
            RegionStatus::Unknown => Err(AppError::UnknownRegion(format!(
                "户籍区划代码 {code} 在系统区划数据中不存在，请核对户籍地（家庭未保存，可修改后重新提交）"
            ))),
        }
    }

    /// The full name of a stored region code (a province or city also by its leading digits,
    /// `32`, `3204`), or 未知区划.
    pub fn region_name(&self, code: &str) -> String {
        let padded = if (2..6).contains(&code.len()) { format!("{code:0<6}") } else { code.to_string() };
        match self.regions.lookup_str(&padded) {
            RegionStatus::Known { full_name, .. } => full_name,
            RegionStatus::Unknown => "未知区划".into(),
        }
    }

    /// Records a household. Members whose ID number is invalid are kept, unresolved, with the reason.
    pub fn create_household(&self, actor: &Caller, input: &HouseholdInput) -> AppResult<HouseholdId> {
        if input.number.trim().is_empty() {
            return Err(AppError::Invalid("户编号不能为空".into()));
        }
        let (region, _) = self.known_region(&input.region)?;
        self.authorize(actor, crate::Action::HouseholdCreate, &crate::Object::Region(region.as_str().to_string()))?;
        let members: Vec<Member> = input
            .members
            .iter()
            .map(|m| Member {
                seq: m.seq,
                name: m.name.trim().to_string(),
                declared_id: m.id_number.trim().to_string(),
                relation: m.relation,
                excluded: m.excluded.clone(),
                capacity: m.capacity,
                guardian_seq: m.guardian_seq,
                declared_income: m.declared_income,
            })
            .collect();
        household::check_members(&members).map_err(|e| AppError::Invalid(e.to_string()))?;

        let number = input.number.trim();
        // Values sealed today fall in this month's key period.
        let month = period(self.today());
        let mut stored = Vec::with_capacity(members.len());
        for m in &members {
            let parsed = IdNumber::parse_with_table(&m.declared_id, &self.regions);
            let (person, note) = match parsed {
                Ok(p) => {
                    let key = self.identity.person_key(&p.id, period(self.today()))?;
                    (self.store.resolve_persons(&[key])?.first().copied(), id_number::note_codes(&Ok(p.clone())))
                }
                Err(e) => (None, id_number::note_codes(&Err(e.clone()))),
            };
            stored.push(NewMember {
                seq: m.seq,
                person,
                name_enc: self.identity.seal(&place::member_name(number, m.seq), month, m.name.as_bytes())?,
                name_bidx: self.identity.name_index(&m.name),
                id_enc: self.identity.seal(&place::member_id(number, m.seq), month, m.declared_id.as_bytes())?,
                id_note: note,
                relation: m.relation,
                excluded: m.excluded.clone(),
                capacity: m.capacity,
                guardian_seq: m.guardian_seq,
                declared_income: m.declared_income,
            });
        }
        let mut supporters = Vec::with_capacity(input.supporters.len());
        for (i, sp) in input.supporters.iter().enumerate() {
            let seq = i as u32 + 1;
            if sp.name.trim().is_empty() {
                return Err(AppError::Invalid(format!("第 {} 位义务人姓名为空", i + 1)));
            }
            let parsed = IdNumber::parse(sp.id_number.trim());
            let note = id_number::note_codes(&parsed);
            let person = match parsed {
                Ok(p) => self.store.resolve_persons(&[self.identity.person_key(&p.id, month)?])?.first().copied(),
                Err(_) => None,
            };
            supporters.push(NewSupporter {
                seq,
                person,
                name_enc: self.identity.seal(&place::supporter_name(number, seq), month, sp.name.trim().as_bytes())?,
                name_bidx: self.identity.name_index(&sp.name),
                id_enc: self.identity.seal(&place::supporter_id(number, seq), month, sp.id_number.trim().as_bytes())?,
                id_note: note,
                duty: sp.duty.trim().to_string(),
            });
        }
        let unresolved = stored.iter().filter(|m| m.person.is_none()).count();
        let h = NewHousehold {
            number: number.to_string(),
            region: region.as_str().to_string(),
            address_enc: self.identity.seal(&place::household_address(number), month, input.address.as_bytes())?,
            programme: input.programme,
            applied_on: input.applied_on,
            declared_income: input.declared_income,
            declared_assets: input.declared_assets,
            members: stored,
            supporters,
        };
        let audit = self.audit_entry(
            actor,
            "household.create",
            &format!("household:{}", h.number),
            AuditOutcome::Ok,
            format!("{} 名成员，{} 名身份证号无效未识别", h.members.len(), unresolved),
        );
        Ok(self.store.create_household(&h, self.now(), &audit)?)
    }

    /// A household for display, masked for the actor's role. Audited as a read of personal data.
    pub fn household_view(&self, actor: &Caller, id: HouseholdId) -> AppResult<HouseholdView> {
        let h = self.store.household(id)?.ok_or_else(|| AppError::NotFound(format!("家庭 {id} 不存在")))?;
        self.audit(actor, "household.read", &format!("household:{}", h.number), AuditOutcome::Ok, String::new())?;
        let region_name = self.region_name(&h.region);
        let mut members = Vec::new();
        for m in &h.members {
            let name = self.identity.open_string(&place::member_name(&h.number, m.seq), &m.name_enc)?;
            let id = self.identity.open_string(&place::member_id(&h.number, m.seq), &m.id_enc)?;
            members.push(MemberView {
                seq: m.seq,
                name: if actor.role.sees_names() { name } else { mask_name(&name) },
                id_masked: mask_declared_id(&id),
                relation: m.relation,
                relation_name: m.relation.name_zh().into(),
                counted: m.excluded.is_none(),
                exclusion: m.excluded.as_ref().map(ExclusionReason::text_zh),
                capacity: m.capacity,
                guardian_seq: m.guardian_seq,
                declared_income: m.declared_income,
                resolved: m.person.is_some(),
                note: id_number::describe_note_codes(&m.id_note),
            });
        }
        Ok(HouseholdView {
            id: h.id,
            number: h.number.clone(),
            region: h.region.clone(),
            region_name,
            address: if actor.role.sees_names() {
                self.identity.open_string(&place::household_address(&h.number), &h.address_enc)?
            } else {
                "***".into()
            },
            programme: h.programme,
            applied_on: h.applied_on,
            declared_income: h.declared_income,
            declared_assets: h.declared_assets,
            members,
            supporters: h
                .supporters
                .iter()
                .map(|sp| {
                    let name = self.identity.open_string(&place::supporter_name(&h.number, sp.seq), &sp.name_enc)?;
                    let id = self.identity.open_string(&place::supporter_id(&h.number, sp.seq), &sp.id_enc)?;
                    Ok(SupporterView {
                        seq: sp.seq,
                        name: if actor.role.sees_names() { name } else { mask_name(&name) },
                        id_masked: mask_declared_id(&id),
                        duty: sp.duty.clone(),
                        resolved: sp.person.is_some(),
                    })
                })
                .collect::<AppResult<Vec<_>>>()?,
            authorizations: self.store.authorizations(id)?,
        })
    }

    /// Records a signed letter. Every member must have signed, or their guardian for them.
    pub fn record_authorization(
        &self,
        actor: &Caller,
        household: HouseholdId,
        input: &AuthorizationInput,
    ) -> AppResult<AuthorizationId> {
        actor.require_change()?;
        let h =
            self.store.household(household)?.ok_or_else(|| AppError::NotFound(format!("家庭 {household} 不存在")))?;
        if input.number.trim().is_empty() {
            return Err(AppError::Invalid("授权书编号不能为空".into()));
        }
        if input.signed_on > self.today() {
            return Err(AppError::Invalid(format!("授权书签署日期 {} 晚于今天", input.signed_on)));
        }
        let members: Vec<Member> = h
            .members
            .iter()
            .map(|m| Member {
                seq: m.seq,
                name: String::new(),
                declared_id: String::new(),
                relation: m.relation,
                excluded: m.excluded.clone(),
                capacity: m.capacity,
                guardian_seq: m.guardian_seq,
                declared_income: m.declared_income,
            })
            .collect();
        Authorization::check_signatures(&members, &input.signatures).map_err(|e| AppError::Invalid(e.to_string()))?;
        let a = NewAuthorization {
            number: input.number.trim().to_string(),
            household,
            scopes: input.scopes.clone().unwrap_or_else(|| Scope::ALL.to_vec()),
            signatures: input.signatures.clone(),
            signed_on: input.signed_on,
            supporter: None,
        };
        let audit = self.audit_entry(
            actor,
            "authorization.record",
            &format!("household:{}", h.number),
            AuditOutcome::Ok,
            format!("授权书 {}，{} 人签署", a.number, a.signatures.len()),
        );
        Ok(self.store.create_authorization(&a, self.now(), &audit)?)
    }

    /// Ends a letter: `Terminated` when the family was found ineligible by the business department.
    pub fn end_authorization(
        &self,
        actor: &Caller,
        household: HouseholdId,
        id: AuthorizationId,
        status: AuthorizationStatus,
        reason: &str,
    ) -> AppResult<()> {
        actor.require_change()?;
        if status == AuthorizationStatus::Active {
            return Err(AppError::Invalid("只能终止或替代授权书".into()));
        }
        let current = self.store.authorizations(household)?.into_iter().find(|a| a.id == id);
        let Some(current) = current else {
            return Err(AppError::NotFound(format!("授权书 {id} 不属于家庭 {household}")));
        };
        if current.status != AuthorizationStatus::Active {
            return Err(AppError::InvalidState(format!(
                "授权书 {} 已是“{}”",
                current.number,
                current.status.name_zh()
            )));
        }
        let audit = self.audit_entry(
            actor,
            "authorization.end",
            &format!("authorization:{}", current.number),
            AuditOutcome::Ok,
            status.name_zh().to_string(),
        );
        let audit = self.with_note(audit, reason)?;
        Ok(self.store.set_authorization_status(id, status, Some(reason), &audit)?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn declared_ids_are_masked_whatever_their_length() {
        assert_eq!(super::mask_declared_id("360426199101010071"), "3604**********0071");
        assert_eq!(super::mask_declared_id("370802940221002"), "3708*******1002");
        assert_eq!(super::mask_declared_id("123"), "***");
    }
}
