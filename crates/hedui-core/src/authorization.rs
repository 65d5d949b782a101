//! The authorization letter (授权书): one per household, signed by every member.
//!
//! "先授权、后核对": no department or bank is asked about a person unless an
//! active letter of that household covers the person and the data category.
//! A letter stays active while the family receives assistance; it is
//! terminated when the family is found ineligible and superseded when the
//! membership changes or the family applies again (domain.md §4.2).

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::household::{Capacity, Member};

/// Data categories a letter may authorize (the departments named on the form).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// 公安: household register, deaths, vehicles.
    Police,
    /// 人社: pensions, unemployment benefit, contributions.
    SocialSecurity,
    /// 住建/不动产.
    RealEstate,
    /// 市场监管.
    Business,
    /// 税务.
    Tax,
    /// 公积金.
    ProvidentFund,
    /// 残联.
    Disability,
    /// 民政: marriage, cremation, assistance rolls.
    CivilAffairs,
    /// 银行、证券、保险等金融机构.
    Financial,
    /// 医保/卫健.
    Medical,
    /// 教育.
    Education,
    /// 交通运输、农业农村: vessels and large farm machinery.
    Transport,
}

impl Scope {
    pub const ALL: [Scope; 12] = [
        Scope::Police,
        Scope::SocialSecurity,
        Scope::RealEstate,
        Scope::Business,
        Scope::Tax,
        Scope::ProvidentFund,
        Scope::Disability,
        Scope::CivilAffairs,
        Scope::Financial,
        Scope::Medical,
        Scope::Education,
        Scope::Transport,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            Scope::Police => "公安",
            Scope::SocialSecurity => "人社",
            Scope::RealEstate => "住建/不动产",
            Scope::Business => "市场监管",
            Scope::Tax => "税务",
            Scope::ProvidentFund => "公积金",
            Scope::Disability => "残联",
            Scope::CivilAffairs => "民政",
            Scope::Financial => "银行、证券、保险等金融机构",
            Scope::Medical => "医保/卫健",
            Scope::Education => "教育",
            Scope::Transport => "交通运输/农业农村",
        }
    }

    /// The code a form or a file names it by (its serialized name).
    pub fn code(self) -> &'static str {
        match self {
            Scope::Police => "police",
            Scope::SocialSecurity => "social_security",
            Scope::RealEstate => "real_estate",
            Scope::Business => "business",
            Scope::Tax => "tax",
            Scope::ProvidentFund => "provident_fund",
            Scope::Disability => "disability",
            Scope::CivilAffairs => "civil_affairs",
            Scope::Financial => "financial",
            Scope::Medical => "medical",
            Scope::Education => "education",
            Scope::Transport => "transport",
        }
    }
}

/// The state of a letter.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    Active,
    /// The family was found ineligible.
    Terminated,
    /// Membership changed or the family applied again; a newer letter replaces it.
    Superseded,
    /// The family (or the supporter) withdrew their consent (撤回授权): nothing more is queried.
    Withdrawn,
}

impl AuthorizationStatus {
    pub fn code(self) -> &'static str {
        match self {
            AuthorizationStatus::Active => "active",
            AuthorizationStatus::Terminated => "terminated",
            AuthorizationStatus::Superseded => "superseded",
            AuthorizationStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "terminated" => Some(Self::Terminated),
            "superseded" => Some(Self::Superseded),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            AuthorizationStatus::Active => "有效",
            AuthorizationStatus::Terminated => "已终止",
            AuthorizationStatus::Superseded => "已被替代",
            AuthorizationStatus::Withdrawn => "已撤回",
        }
    }
}

/// One signature on the letter: by the member, or by the guardian for a member without capacity.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signature {
    pub member_seq: u32,
    /// Member number of the guardian who signed, when the member could not.
    pub guardian_seq: Option<u32>,
    pub signed_on: Date,
}

/// A letter as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Authorization {
    /// The letter's number under the local numbering rule.
    pub number: String,
    pub signatures: Vec<Signature>,
    pub scopes: Vec<Scope>,
    pub signed_on: Date,
    pub status: AuthorizationStatus,
    pub status_reason: Option<String>,
}

/// Why a letter cannot be recorded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    #[error("授权书编号不能为空")]
    EmptyNumber,
    #[error("第 {0} 号成员未在授权书上签字")]
    MemberNotSigned(u32),
    #[error("第 {0} 号成员没有完全民事行为能力，应由其监护人代为签字")]
    GuardianRequired(u32),
    #[error("第 {member} 号成员的签字人（第 {guardian} 号）不是其登记的监护人")]
    WrongGuardian { member: u32, guardian: u32 },
    #[error("授权书中的第 {0} 号成员不属于本户")]
    UnknownMember(u32),
    #[error("授权书签署日期 {signed} 晚于核对日期 {as_of}")]
    SignedInFuture { signed: Date, as_of: Date },
    #[error("本户没有有效的授权书，不能查询（先授权、后核对）")]
    NoActiveAuthorization,
    #[error("授权书 {number} 状态为“{status}”，不能用于查询")]
    NotActive { number: String, status: &'static str },
    #[error("授权书 {number} 未授权查询“{scope}”")]
    ScopeNotCovered { number: String, scope: &'static str },
    #[error("授权书 {number} 未覆盖第 {member} 号成员（成员变更后需重新签署授权书）")]
    MemberNotCovered { number: String, member: u32 },
}

impl Authorization {
    /// Checks that every member signed, personally or through the guardian registered for them.
    pub fn check_signatures(members: &[Member], signatures: &[Signature]) -> Result<(), AuthorizationError> {
        for s in signatures {
            if !members.iter().any(|m| m.seq == s.member_seq) {
                return Err(AuthorizationError::UnknownMember(s.member_seq));
            }
        }
        for m in members {
            let sig =
                signatures.iter().find(|s| s.member_seq == m.seq).ok_or(AuthorizationError::MemberNotSigned(m.seq))?;
            match (m.capacity, sig.guardian_seq) {
                (Capacity::Full, None) => {}
                (Capacity::Full, Some(_)) => {
                    // A member with full capacity signs personally; a proxy signature is not consent.
                    return Err(AuthorizationError::MemberNotSigned(m.seq));
                }
                (_, None) => return Err(AuthorizationError::GuardianRequired(m.seq)),
                (_, Some(g)) => {
                    if m.guardian_seq != Some(g) {
                        return Err(AuthorizationError::WrongGuardian { member: m.seq, guardian: g });
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks that this letter allows querying `scope` about the members `seqs` on `as_of`.
    pub fn check_query(&self, seqs: &[u32], scope: Scope, as_of: Date) -> Result<(), AuthorizationError> {
        if self.status != AuthorizationStatus::Active {
            return Err(AuthorizationError::NotActive { number: self.number.clone(), status: self.status.name_zh() });
        }
        if self.signed_on > as_of {
            return Err(AuthorizationError::SignedInFuture { signed: self.signed_on, as_of });
        }
        if !self.scopes.contains(&scope) {
            return Err(AuthorizationError::ScopeNotCovered { number: self.number.clone(), scope: scope.name_zh() });
        }
        for seq in seqs {
            if !self.signatures.iter().any(|s| s.member_seq == *seq) {
                return Err(AuthorizationError::MemberNotCovered { number: self.number.clone(), member: *seq });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::household::Relation;
    use crate::money::Fen;

    #[test]
    fn a_scopes_code_is_its_serialized_name() {
        for s in Scope::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
        }
    }

    fn member(seq: u32, capacity: Capacity, guardian: Option<u32>) -> Member {
        Member {
            seq,
            name: format!("成员{seq}"),
            declared_id: String::new(),
            relation: if seq == 1 { Relation::Applicant } else { Relation::Child },
            excluded: None,
            capacity,
            guardian_seq: guardian,
            declared_income: Fen::ZERO,
        }
    }

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::MIN)
    }

    #[test]
    fn every_member_signs_and_guardians_sign_for_minors() {
        let members = [member(1, Capacity::Full, None), member(2, Capacity::None, Some(1))];
        let d = day("2026-11-01");
        let own = |seq| Signature { member_seq: seq, guardian_seq: None, signed_on: d };
        let by_guardian = Signature { member_seq: 2, guardian_seq: Some(1), signed_on: d };
        assert_eq!(Authorization::check_signatures(&members, &[own(1), by_guardian.clone()]), Ok(()));
        assert_eq!(Authorization::check_signatures(&members, &[own(1)]), Err(AuthorizationError::MemberNotSigned(2)));
        assert_eq!(
            Authorization::check_signatures(&members, &[own(1), own(2)]),
            Err(AuthorizationError::GuardianRequired(2))
        );
        let wrong = Signature { guardian_seq: Some(3), ..by_guardian };
        assert_eq!(
            Authorization::check_signatures(&members, &[own(1), wrong]),
            Err(AuthorizationError::WrongGuardian { member: 2, guardian: 3 })
        );
    }

    #[test]
    fn queries_need_an_active_letter_covering_members_and_scope() {
        let d = day("2026-11-01");
        let mut a = Authorization {
            number: "SQ-1".into(),
            signatures: vec![Signature { member_seq: 1, guardian_seq: None, signed_on: d }],
            scopes: vec![Scope::Tax],
            signed_on: d,
            status: AuthorizationStatus::Active,
            status_reason: None,
        };
        assert_eq!(a.check_query(&[1], Scope::Tax, day("2026-11-27")), Ok(()));
        assert!(matches!(
            a.check_query(&[1, 2], Scope::Tax, day("2026-11-27")),
            Err(AuthorizationError::MemberNotCovered { member: 2, .. })
        ));
        assert!(matches!(
            a.check_query(&[1], Scope::Financial, day("2026-11-27")),
            Err(AuthorizationError::ScopeNotCovered { .. })
        ));
        assert!(matches!(
            a.check_query(&[1], Scope::Tax, day("2026-10-27")),
            Err(AuthorizationError::SignedInFuture { .. })
        ));
        a.status = AuthorizationStatus::Superseded;
        assert!(matches!(
            a.check_query(&[1], Scope::Tax, day("2026-11-27")),
            Err(AuthorizationError::NotActive { .. })
        ));
    }
}
