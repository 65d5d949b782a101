//! The verification report: what hedui found, item by item, and its conclusion.
//!
//! The report is stored sealed (SM4) and versioned: a re-examination adds a
//! version and never changes an earlier one. It holds names but never full ID
//! numbers; names are masked when a role may not see them.

use serde::{Deserialize, Serialize};

use hedui_core::means_test::{Assessment, SourceStatus};
use hedui_core::name::mask_name;
use hedui_core::{Date, Fen, JobId};

/// The wording the report uses: 只核对、不认定.
pub const NOTICE: &str = "本报告依据委托和授权，对申请家庭的经济状况信息进行核对，只反映核对结果（超出/未超出/待核实），\
     不作救助资格认定；资格由业务主管部门审核确认。";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommissionInfo {
    pub number: String,
    pub kind: String,
    pub kind_name: String,
    pub programme: String,
    pub programme_name: String,
    pub department: String,
    /// The commission's note, e.g. the substance of a complaint.
    #[serde(default)]
    pub note: Option<String>,
}

/// The part of a special check that its commissioning body reads first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpecialCheck {
    pub title: String,
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationInfo {
    pub number: String,
    pub signed_on: Date,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HouseholdInfo {
    pub number: String,
    pub region: String,
    pub region_name: String,
    pub address: String,
    pub declared_income: Fen,
    pub declared_assets: Fen,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberInfo {
    pub seq: u32,
    pub name: String,
    pub id_masked: String,
    pub relation: String,
    pub counted: bool,
    pub exclusion: Option<String>,
    pub resolved: bool,
    pub note: String,
}

/// A person with a duty of support, listed apart from the members.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SupporterInfo {
    pub name: String,
    pub id_masked: String,
    pub duty: String,
}

/// One report version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub number: String,
    pub job: JobId,
    pub version: i64,
    pub issued_at: String,
    pub as_of: Date,
    pub commission: CommissionInfo,
    pub authorization: AuthorizationInfo,
    pub household: HouseholdInfo,
    pub members: Vec<MemberInfo>,
    #[serde(default)]
    pub supporters: Vec<SupporterInfo>,
    pub sources: Vec<SourceStatus>,
    /// Financial assets per institution and in total, as of the query date.
    #[serde(default)]
    pub financial: FinancialSummary,
    pub assessment: Assessment,
    /// Findings of a special check (信访举报核查, 死亡减员).
    #[serde(default)]
    pub special: Option<SpecialCheck>,
    pub policy_name: String,
    pub notice: String,
}

/// One institution's share of the counted members' financial assets.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstitutionTotal {
    pub source: String,
    pub name: String,
    /// Account balances on the query date.
    pub deposits: Fen,
    /// Products, funds, bonds, stocks, insurance cash values, trusts, at their valuation.
    pub holdings: Fen,
    pub total: Fen,
}

/// The counted members' financial assets, institution by institution, as of one date.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FinancialSummary {
    pub as_of: Option<Date>,
    pub institutions: Vec<InstitutionTotal>,
    pub total: Fen,
}

impl Report {
    /// The report as a reader without the right to see names gets it.
    pub fn masked_names(mut self) -> Report {
        for m in &mut self.members {
            m.name = mask_name(&m.name);
        }
        for s in &mut self.supporters {
            s.name = mask_name(&s.name);
        }
        self.household.address = "***".into();
        self
    }
}
