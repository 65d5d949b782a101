//! Households, their members and the persons with a duty of support.
//!
//! A member is either counted in the household size or excluded with a
//! reason (审核确认办法 Art. 7). Supporters (赡养/抚养/扶养义务人) are kept in
//! a separate list: their data may be checked, but they never count towards
//! the household size.

use serde::{Deserialize, Serialize};

use crate::money::Fen;

/// Relation of a member to the applicant (simplified GB/T 4761 groups).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Applicant,
    Spouse,
    Child,
    Parent,
    Grandchild,
    Grandparent,
    Sibling,
    ChildInLaw,
    Other,
}

impl Relation {
    pub fn parse_zh(s: &str) -> Option<Relation> {
        Some(match s.trim() {
            "本人" | "户主" | "申请人" => Relation::Applicant,
            "配偶" | "妻" | "夫" | "妻子" | "丈夫" => Relation::Spouse,
            "子女" | "子" | "女" | "儿子" | "女儿" => Relation::Child,
            "父母" | "父亲" | "母亲" => Relation::Parent,
            "孙子女" | "孙子" | "孙女" | "外孙子女" => Relation::Grandchild,
            "祖父母" | "外祖父母" => Relation::Grandparent,
            "兄弟姐妹" | "兄" | "弟" | "姐" | "妹" => Relation::Sibling,
            "儿媳" | "女婿" | "儿媳/女婿" => Relation::ChildInLaw,
            "其他" => Relation::Other,
            _ => return None,
        })
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Relation::Applicant => "本人",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
            Relation::Grandchild => "孙子女",
            Relation::Grandparent => "祖父母",
            Relation::Sibling => "兄弟姐妹",
            Relation::ChildInLaw => "儿媳/女婿",
            Relation::Other => "其他",
        }
    }
}

/// Why a member is not counted in the household size.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "note", rename_all = "snake_case")]
pub enum ExclusionReason {
    /// 服刑人员.
    Imprisoned,
    /// 强制隔离戒毒.
    CompulsoryRehab,
    /// 宣告失踪.
    DeclaredMissing,
    /// 宗教教职人员 living apart ≥ 3 years.
    Clergy,
    /// Another reason set by the province; the note says which.
    Other(String),
}

impl ExclusionReason {
    pub fn parse_zh(s: &str) -> ExclusionReason {
        match s.trim() {
            "服刑" | "服刑人员" => ExclusionReason::Imprisoned,
            "强制隔离戒毒" => ExclusionReason::CompulsoryRehab,
            "宣告失踪" => ExclusionReason::DeclaredMissing,
            "宗教教职人员" => ExclusionReason::Clergy,
            other => ExclusionReason::Other(other.to_string()),
        }
    }

    pub fn text_zh(&self) -> String {
        match self {
            ExclusionReason::Imprisoned => "服刑人员".into(),
            ExclusionReason::CompulsoryRehab => "强制隔离戒毒".into(),
            ExclusionReason::DeclaredMissing => "宣告失踪".into(),
            ExclusionReason::Clergy => "宗教教职人员".into(),
            ExclusionReason::Other(s) => s.clone(),
        }
    }
}

/// Legal capacity (民事行为能力). Without full capacity a guardian signs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    Full,
    Limited,
    None,
}

impl Capacity {
    pub fn parse_zh(s: &str) -> Option<Capacity> {
        match s.trim() {
            "完全" | "完全民事行为能力" | "" => Some(Capacity::Full),
            "限制" | "限制民事行为能力" => Some(Capacity::Limited),
            "无" | "无民事行为能力" => Some(Capacity::None),
            _ => None,
        }
    }
}

/// One member of a household as declared in the application.
///
/// The ID number is kept as declared (`declared_id`); whether it resolves to a
/// person is decided where data enters, not here.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    /// 1-based position in the household; 1 is the applicant.
    pub seq: u32,
    pub name: String,
    pub declared_id: String,
    pub relation: Relation,
    /// `None` when counted; the reason when excluded.
    pub excluded: Option<ExclusionReason>,
    pub capacity: Capacity,
    /// Member number of the guardian who signs for this member.
    pub guardian_seq: Option<u32>,
    pub declared_income: Fen,
}

impl Member {
    pub fn is_counted(&self) -> bool {
        self.excluded.is_none()
    }
}

/// A person with a legal duty of support who lives outside the household.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Supporter {
    pub name: String,
    pub declared_id: String,
    /// 赡养, 抚养 or 扶养.
    pub duty: String,
}

/// Problems with a household's composition, found before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HouseholdError {
    #[error("家庭至少需要一名成员")]
    NoMembers,
    #[error("成员序号 {0} 重复")]
    DuplicateSeq(u32),
    #[error("第 {0} 号成员没有完全民事行为能力，需要指定监护人")]
    GuardianMissing(u32),
    #[error("第 {member} 号成员的监护人序号 {guardian} 不是本户有完全民事行为能力的成员")]
    GuardianInvalid { member: u32, guardian: u32 },
    #[error("第 {0} 号成员姓名为空")]
    EmptyName(u32),
    #[error("家庭没有计入人口，无法计算人均收入")]
    NoCountedMembers,
}

/// Checks the structure of a household: sequence numbers, guardians, names.
pub fn check_members(members: &[Member]) -> Result<(), HouseholdError> {
    if members.is_empty() {
        return Err(HouseholdError::NoMembers);
    }
    let mut seen = std::collections::BTreeSet::new();
    for m in members {
        if !seen.insert(m.seq) {
            return Err(HouseholdError::DuplicateSeq(m.seq));
        }
        if m.name.trim().is_empty() {
            return Err(HouseholdError::EmptyName(m.seq));
        }
    }
    for m in members {
        if m.capacity != Capacity::Full {
            let g = m.guardian_seq.ok_or(HouseholdError::GuardianMissing(m.seq))?;
            let ok = members.iter().any(|o| o.seq == g && o.seq != m.seq && o.capacity == Capacity::Full);
            if !ok {
                return Err(HouseholdError::GuardianInvalid { member: m.seq, guardian: g });
            }
        }
    }
    if !members.iter().any(Member::is_counted) {
        return Err(HouseholdError::NoCountedMembers);
    }
    Ok(())
}

/// Counted household size.
pub fn counted_size(members: &[Member]) -> i64 {
    members.iter().filter(|m| m.is_counted()).count() as i64
}
