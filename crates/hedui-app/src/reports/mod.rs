//! The verification report: what hedui found, item by item, and its conclusion.
//!
//! The report is stored sealed (SM4) and versioned: a re-examination adds a
//! version and never changes an earlier one. It holds names but never full ID
//! numbers; names are masked when a role may not see them.

pub mod changes;
pub mod eseal;
pub mod file;
pub mod issue;
pub mod labels;
pub mod org_seal;
mod read;
pub mod sign;

use serde::{Deserialize, Serialize};

use hedui_core::name::mask_name;
use hedui_core::{Date, Fen, JobId};
use hedui_means::{Assessment, SourceStatus};

/// The wording the report uses: 只核对、不认定.
pub const NOTICE: &str = "本报告依据委托和授权，对申请家庭的经济状况信息进行核对，只反映核对结果（超出/未超出/待核实），\
     不作救助资格认定；资格由业务主管部门审核确认。";

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpecialCheck {
    pub title: String,
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorizationInfo {
    pub number: String,
    pub signed_on: Date,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdInfo {
    pub number: String,
    pub region: String,
    pub region_name: String,
    pub address: String,
    pub declared_income: Fen,
    pub declared_assets: Fen,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupporterInfo {
    pub name: String,
    pub id_masked: String,
    pub duty: String,
}

/// One report version.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Declared against verified values, item by item.
    #[serde(default)]
    pub comparison: Vec<Comparison>,
    /// Who verified it (a login; `system` for the node's own runs) and their name: the
    /// completion signature covers them with the body.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verifier: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verifier_name: String,
    /// The stored signatures, when read from the store; never part of the signed body.
    #[serde(skip)]
    pub seal: Option<crate::reports::issue::Seal>,
}

/// One declared value beside what was verified.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Comparison {
    pub item: String,
    #[serde(default)]
    pub member_seq: Option<u32>,
    pub declared: Fen,
    /// `None` when the verified value is not known (a source did not answer).
    pub verified: Option<Fen>,
    /// Verified minus declared.
    pub difference: Option<Fen>,
}

/// Declared income (monthly, per member and for the household) and assets against the
/// verified figures: the member's income from the decision's trace, averaged over the period.
pub fn comparison(
    declared_income: Fen,
    declared_assets: Fen,
    members: &[(u32, Fen)],
    a: &Assessment,
) -> Vec<Comparison> {
    let months = (a.income_window.0.months_until(a.income_window.1) as i64 + 1).max(1);
    let row = |item: &str, member_seq: Option<u32>, declared: Fen, verified: Option<Fen>| Comparison {
        item: item.into(),
        member_seq,
        declared,
        verified,
        difference: verified.map(|v| v - declared),
    };
    let member_income = |seq: u32| -> Option<Fen> {
        let t = a.decision.as_ref()?.trace.as_ref()?;
        let s = t.steps.iter().find(|s| s.var == "m.income" && s.member_seq == Some(seq))?;
        s.value.map(|v| hedui_means::div_round(Fen(v), months))
    };
    let unknown_income = a
        .decision
        .as_ref()
        .is_some_and(|d| d.tests.iter().any(|t| t.code == "income" && t.outcome == hedui_rules::TestOutcome::Unknown));
    let mut out = vec![row("家庭月均收入", None, declared_income, (!unknown_income).then_some(a.income_monthly))];
    for (seq, declared) in members {
        out.push(row("成员月均收入", Some(*seq), *declared, member_income(*seq)));
    }
    let unknown_assets = a.items.iter().any(|i| i.code == "financial_assets" && i.found_fen.is_none());
    out.push(row("家庭金融资产", None, declared_assets, (!unknown_assets).then_some(a.assets_total)));
    out
}

/// One institution's share of the counted members' financial assets.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
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
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
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

    /// The report with the description of every fact whose source supplies sensitive data
    /// (`hidden(source)` names what it supplies) replaced by that name: amounts and results stay.
    pub fn masked_sensitive(mut self, hidden: &dyn Fn(&str) -> Option<String>) -> Report {
        let mask = |source: &str, label: &mut String| {
            if let Some(what) = hidden(source) {
                *label = format!("（{what}，敏感个人信息，已隐藏）");
            }
        };
        let a = &mut self.assessment;
        for e in a.items.iter_mut().flat_map(|i| i.evidence.iter_mut()) {
            mask(&e.source, &mut e.label);
        }
        for e in a.anomalies.iter_mut().flat_map(|x| x.evidence.iter_mut()) {
            mask(&e.source, &mut e.label);
        }
        let steps = a.decision.iter_mut().flat_map(|d| d.trace.iter_mut()).flat_map(|t| t.steps.iter_mut());
        for e in steps.flat_map(|s| s.inputs.iter_mut()).flat_map(|i| i.evidence.iter_mut()) {
            mask(&e.source, &mut e.label);
        }
        self
    }
}
