//! What the means test is given: the members, the facts sources gave, the state of every source
//! and what the family declared, and how the catalog says a silent source is treated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use hedui_core::date::Date;
use hedui_core::fact::Fact;
use hedui_core::ids::PersonId;
use hedui_core::money::Fen;
use hedui_rules::Entity;
use hedui_rules::inputs::{self};

/// A member as the means test sees it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberCase {
    pub seq: u32,
    pub name: String,
    pub counted: bool,
    pub declared_income: Fen,
    /// `None` when the declared ID number did not resolve to a person.
    pub person: Option<PersonId>,
    /// Why the member is unresolved (e.g. the ID number's check character is wrong).
    pub unresolved_reason: Option<String>,
    /// Birth date and sex from the ID number (unknown for an unresolved number).
    #[serde(default)]
    pub birth: Option<Date>,
    /// 1 male, 2 female, 0 unknown.
    #[serde(default)]
    pub sex: u8,
    /// A person with a duty of support (赡养、抚养、扶养义务人), not a member of the household:
    /// never counted, and read for the obligors' capacity tests of 特困.
    #[serde(default)]
    pub supporter: bool,
    /// For a supporter: the data categories their own letter covers (none without one). Inputs
    /// read from other categories stay unknown. `None` for members, whom the household's letter
    /// covers whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized: Option<Vec<String>>,
}

/// Whether a source answered for this case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SourceState {
    Answered,
    NoRecord,
    NotAnswered {
        reason: String,
    },
    /// Did not answer, but what it would have told was asked of others directly (the account
    /// index, when every bank was asked instead): nothing is missing.
    Replaced {
        reason: String,
    },
}

/// One source's status for the case.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceStatus {
    pub source: String,
    pub name: String,
    pub as_of: Option<Date>,
    #[serde(flatten)]
    pub state: SourceState,
}

/// A department record whose ID number is invalid but is one typo away from a member's.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MistypedHit {
    pub member_seq: u32,
    pub source: String,
    pub masked_id: String,
    pub record: hedui_core::RecordId,
}

/// What the application itself states and no department knows: a sudden expense, a disaster
/// loss, a single-person application, a member's care assessment, a choice of the orphan
/// guarantee … Values are integers in the input's unit (money in fen, booleans 0 or 1), by the
/// input's name (`crates/hedui-rules/src/inputs.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Declared {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub household: BTreeMap<String, i64>,
    /// By member sequence number.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub members: BTreeMap<u32, BTreeMap<String, i64>>,
}

/// Inputs hedui derives itself, never taken from a declaration.
const DERIVED: [&str; 6] = ["counted", "age", "sex", "declared_income", "is_supporter", "applicant"];

impl Declared {
    pub fn is_empty(&self) -> bool {
        self.household.is_empty() && self.members.values().all(BTreeMap::is_empty)
    }

    /// Refuses names that are not declarable and values outside their unit.
    pub fn check(&self, member_seqs: &[u32]) -> Result<(), String> {
        let one = |name: &str, v: i64, entity: Entity| -> Result<(), String> {
            let Some((e, _, d)) = inputs::input(name) else {
                return Err(format!("“{name}”不是可申报的项目"));
            };
            if e != entity {
                return Err(format!("“{}”（{name}）是{}层面的项目", d.title, e.name_zh()));
            }
            if !d.categories.is_empty() || DERIVED.contains(&name) {
                return Err(format!("“{}”（{name}）由部门数据或身份证号得出，不能申报", d.title));
            }
            let ok = match d.unit {
                hedui_rules::Unit::Bool => v == 0 || v == 1,
                _ if name == "adl_unable" => (0..=6).contains(&v),
                _ => v >= 0,
            };
            if !ok {
                return Err(format!("“{}”（{name}）的值 {v} 不合理", d.title));
            }
            Ok(())
        };
        for (k, v) in &self.household {
            one(k, *v, Entity::Household)?;
        }
        for (seq, m) in &self.members {
            if !member_seqs.contains(seq) {
                return Err(format!("家庭中没有第 {seq} 号成员"));
            }
            for (k, v) in m {
                one(k, *v, Entity::Member)?;
            }
        }
        Ok(())
    }
}

/// Everything the means test needs about one household.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    pub as_of: Date,
    pub members: Vec<MemberCase>,
    pub facts: Vec<Fact>,
    pub sources: Vec<SourceStatus>,
    pub mistyped: Vec<MistypedHit>,
    /// What the application states.
    #[serde(default)]
    pub declared: Declared,
}

pub use hedui_core::catalog::OnMissing;

/// How the means test treats a source it did not hear from: the catalog's word on it.
pub trait SourcePolicy {
    fn on_missing(&self, source: &str) -> OnMissing;
    /// The data categories the source supplies, or `None` for a source the catalog does not know
    /// (its silence then leaves every input read from a category unknown).
    fn supplies(&self, source: &str) -> Option<&[hedui_core::catalog::Category]>;
}

/// The catalog says, per source, what its silence means and which categories it supplies.
impl SourcePolicy for hedui_core::catalog::Catalog {
    fn on_missing(&self, source: &str) -> OnMissing {
        self.get(source).map(|s| s.on_missing).unwrap_or_default()
    }
    fn supplies(&self, source: &str) -> Option<&[hedui_core::catalog::Category]> {
        self.get(source).map(|s| s.categories.as_slice())
    }
}

/// Whether an input read from `categories` depends on a source supplying `supplied`.
pub(crate) fn depends_on(categories: &[&str], supplied: Option<&[hedui_core::catalog::Category]>) -> bool {
    match supplied {
        Some(cs) => categories.iter().any(|c| cs.iter().any(|s| s.code() == *c)),
        None => !categories.is_empty(),
    }
}
