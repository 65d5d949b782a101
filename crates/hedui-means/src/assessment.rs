//! What the means test gives back: the outcome, its items with their evidence, the reasons a
//! household exceeds, and the 疑点.

use serde::{Deserialize, Serialize};

use hedui_core::date::{Date, Month};
use hedui_core::money::Fen;
use hedui_core::policy::Applied;
use hedui_rules::inputs::{self};
use hedui_rules::{Decision, Program, TestOutcome};

/// The overall outcome.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 超出: at least one limit is exceeded.
    Exceeds,
    /// 未超出: every limit holds, every source answered, every member resolved, no 疑点.
    NotExceeded,
    /// 待核实: nothing exceeded, but data is missing or there are 疑点.
    Open,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Exceeds => "exceeds",
            Outcome::NotExceeded => "not_exceeded",
            Outcome::Open => "open",
        }
    }
    pub fn from_code(s: &str) -> Option<Outcome> {
        [Outcome::Exceeds, Outcome::NotExceeded, Outcome::Open].into_iter().find(|o| o.code() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            Outcome::Exceeds => "超出",
            Outcome::NotExceeded => "未超出",
            Outcome::Open => "待核实",
        }
    }

    /// The word under the policy's wording: 超出/未超出 (`exceeds`) or 不符合/符合 (`eligibility`).
    pub fn word(self, wording: Option<&str>) -> &'static str {
        match (self, wording) {
            (Outcome::Exceeds, Some("eligibility")) => "不符合",
            (Outcome::NotExceeded, Some("eligibility")) => "符合",
            _ => self.name_zh(),
        }
    }
}

/// Why a household exceeds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceedReason {
    Income,
    Deposit,
    Car,
    SecondHome,
    NonResidential,
    Business,
}

impl ExceedReason {
    pub fn code(self) -> &'static str {
        match self {
            ExceedReason::Income => "income",
            ExceedReason::Deposit => "deposit",
            ExceedReason::Car => "car",
            ExceedReason::SecondHome => "second_home",
            ExceedReason::NonResidential => "non_residential",
            ExceedReason::Business => "business",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            ExceedReason::Income => "家庭收入",
            ExceedReason::Deposit => "金融资产",
            ExceedReason::Car => "机动车",
            ExceedReason::SecondHome => "住房套数",
            ExceedReason::NonResidential => "非住宅类不动产",
            ExceedReason::Business => "市场主体",
        }
    }
}

/// The result of one item.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    Within,
    Exceeds,
    /// Within on the data at hand, but data is missing.
    Incomplete,
}

impl ItemResult {
    pub fn name_zh(self) -> &'static str {
        match self {
            ItemResult::Within => "未超出",
            ItemResult::Exceeds => "超出",
            ItemResult::Incomplete => "待核实",
        }
    }
}

/// One fact cited as evidence: source, as-of date and value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub member_seq: Option<u32>,
    pub source: String,
    pub as_of: Date,
    pub label: String,
    pub amount: Option<Fen>,
    /// The stored record behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<hedui_core::RecordId>,
}

/// One checked item: what was found, the threshold, and the comparison.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Item {
    pub code: String,
    pub title: String,
    pub found: String,
    pub found_fen: Option<Fen>,
    pub threshold: String,
    pub threshold_fen: Option<Fen>,
    /// The comparison that must hold for 未超出, e.g. `<` or `≤`; empty where the verdict does
    /// not follow from that comparison of the numbers shown (then `basis` says what it follows
    /// from; see [`item_line`]).
    pub rule: String,
    /// Where the verdict does not follow from that comparison alone (an exception, a further
    /// condition), the rule it follows from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    pub result: ItemResult,
    pub params: Vec<Applied>,
    pub evidence: Vec<Evidence>,
}

/// What an item line states: the relation between the value found and the limit, and the rule
/// the verdict follows from when that relation alone does not give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemLine {
    pub rule: String,
    pub basis: Option<String>,
}

/// Whether `found rule limit` holds; `=` means nothing may be counted (`found == 0`). `None`
/// for a rule that is not a comparison.
pub fn relation_holds(found: i64, rule: &str, limit: Option<i64>) -> Option<bool> {
    let l = limit.unwrap_or(0);
    match rule {
        "<" => limit.map(|_| found < l),
        "≤" => limit.map(|_| found <= l),
        "≥" => limit.map(|_| found >= l),
        ">" => limit.map(|_| found > l),
        "=" => Some(found == l),
        _ => None,
    }
}

/// The line of one test as a report shows it, checked against its verdict so that the two cannot
/// contradict each other. When the test's comparison of the numbers shown gives the verdict, the
/// line states that comparison. When it does not (the verdict rests on more than the comparison:
/// a second home allowed below an area, a property condition), the line states no comparison and
/// names the rule the verdict follows from, instead of "住宅 2 ≤ 1 未超出".
pub fn item_line(prog: &Program, t: &hedui_rules::trace::TestResult) -> ItemLine {
    let declared = t.rule.clone().unwrap_or_default();
    let found = t.found.as_ref().and_then(|f| f.value);
    let limit = t.limit.as_ref().and_then(|l| l.value);
    let passed = match t.outcome {
        TestOutcome::Pass => true,
        TestOutcome::Fail => false,
        TestOutcome::Unknown => return ItemLine { rule: declared, basis: None },
    };
    let Some(f) = found else { return ItemLine { rule: declared, basis: None } };
    let bound = if declared == "=" { Some(limit.unwrap_or(0)) } else { limit };
    match relation_holds(f, &declared, bound) {
        Some(holds) if holds != passed => {
            let ct = prog.tests.iter().find(|c| c.def.code == t.code);
            let basis = ct.map(|c| {
                let v = &prog.vars[c.pass];
                let exprs: Vec<&str> = v.rules.iter().map(|r| prog.rules[*r].expr.as_str()).collect();
                format!("本项结论依据“{}”（{} = {}），不只取决于数值与标准的比较", v.title, v.name, exprs.join("；"))
            });
            // No comparison is stated: the one the policy names would read against the verdict.
            ItemLine {
                rule: String::new(), basis: basis.or_else(|| Some("本项结论不只取决于数值与标准的比较".into()))
            }
        }
        _ => ItemLine { rule: declared, basis: None },
    }
}

/// What kind of 疑点 a check found.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A large transfer out of an account within the window before the application.
    LargeTransfer,
    /// A social-insurance contribution base above the declared income.
    ContributionBase,
    /// A source's row whose ID number is one typo away from a member's.
    MistypedId,
    /// A member whose ID number did not resolve to a person.
    UnresolvedMember,
    /// A member the 公安/民政 records show as deceased.
    MemberDeceased,
}

impl AnomalyKind {
    /// The code reports and ground truths use (the serde name).
    pub fn code(self) -> &'static str {
        match self {
            AnomalyKind::LargeTransfer => "large_transfer",
            AnomalyKind::ContributionBase => "contribution_base",
            AnomalyKind::MistypedId => "mistyped_id",
            AnomalyKind::UnresolvedMember => "unresolved_member",
            AnomalyKind::MemberDeceased => "member_deceased",
        }
    }
}

/// A 疑点: something for the clerk to look into; not by itself over a limit.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Anomaly {
    pub code: AnomalyKind,
    pub title: String,
    pub detail: String,
    pub member_seq: Option<u32>,
    pub evidence: Vec<Evidence>,
}

/// The means test's result for one household.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assessment {
    pub as_of: Date,
    pub counted_size: i64,
    pub income_window: (Month, Month),
    pub income_total: Fen,
    /// Display only: household income per month, rounded half up to the fen.
    pub income_monthly: Fen,
    /// Display only: per-capita monthly income, rounded half up to the fen.
    pub income_per_capita: Fen,
    pub assets_total: Fen,
    /// Display only.
    pub assets_per_capita: Fen,
    pub items: Vec<Item>,
    pub anomalies: Vec<Anomaly>,
    pub missing: Vec<String>,
    pub reasons: Vec<ExceedReason>,
    pub outcome: Outcome,
    pub conclusion: String,
    /// The policy engine's decision with its full trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The inputs the decision was made on (for policy simulation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<inputs::InputsSnapshot>,
}

/// Integer division rounded half away from zero, for display figures.
pub fn div_round(a: Fen, b: i64) -> Fen {
    if b == 0 {
        return Fen::ZERO;
    }
    let (q, r) = (a.0 / b, a.0 % b);
    if 2 * r.abs() >= b.abs() { Fen(q + a.0.signum() * b.signum()) } else { Fen(q) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anomaly_codes_are_their_serde_names() {
        for k in [
            AnomalyKind::LargeTransfer,
            AnomalyKind::ContributionBase,
            AnomalyKind::MistypedId,
            AnomalyKind::UnresolvedMember,
            AnomalyKind::MemberDeceased,
        ] {
            assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{}\"", k.code())));
        }
    }
}
