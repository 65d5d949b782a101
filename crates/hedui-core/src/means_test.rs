//! The simple 低保 means test: household income and assets against the dated policy.
//!
//! "只核对、不认定": the outcome is 超出 / 未超出 / 待核实, a statement about
//! the data, never an eligibility decision. Both comparisons run on household
//! totals in integer fen: income over the averaging period is compared
//! strictly (低于 the standard × size × months) and financial assets
//! inclusively (不超过 standard × size × asset months). Per-capita figures are
//! computed for display only.
//!
//! A case with a source that did not answer or a member whose ID number did
//! not resolve is never reported as a plain 未超出: it stays open and says
//! what is missing.
// tidy: allow(long-file): facts to inputs, items, anomalies and the conclusion; they become pipeline stages in issue 10.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::date::{Date, Month};
use crate::fact::{Fact, FactKind};
use crate::ids::PersonId;
use crate::money::Fen;
use crate::policy::Applied;
use crate::rules::inputs::{self, FAILED, InputEvidence, UNKNOWN};
use crate::rules::{Decision, Entity, Inputs, Program, Resolved, RulesError, TestOutcome};

/// A member as the means test sees it.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
}

/// Whether a source answered for this case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SourceStatus {
    pub source: String,
    pub name: String,
    pub as_of: Option<Date>,
    #[serde(flatten)]
    pub state: SourceState,
}

/// A department record whose ID number is invalid but is one typo away from a member's.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MistypedHit {
    pub member_seq: u32,
    pub source: String,
    pub masked_id: String,
    pub record: i64,
}

/// What the application itself states and no department knows: a sudden expense, a disaster
/// loss, a single-person application, a member's care assessment, a choice of the orphan
/// guarantee … Values are integers in the input's unit (money in fen, booleans 0 or 1), by the
/// input's name (`crates/hedui-core/src/rules/inputs.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
            if !d.sources.is_empty() || DERIVED.contains(&name) {
                return Err(format!("“{}”（{name}）由部门数据或身份证号得出，不能申报", d.title));
            }
            let ok = match d.unit {
                crate::rules::Unit::Bool => v == 0 || v == 1,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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

/// The overall outcome.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub member_seq: Option<u32>,
    pub source: String,
    pub as_of: Date,
    pub label: String,
    pub amount: Option<Fen>,
    /// The stored record behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<i64>,
}

/// One checked item: what was found, the threshold, and the comparison.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
pub fn item_line(prog: &Program, t: &crate::rules::trace::TestResult) -> ItemLine {
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

/// A 疑点: something for the clerk to look into; not by itself over a limit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Anomaly {
    pub code: String,
    pub title: String,
    pub detail: String,
    pub member_seq: Option<u32>,
    pub evidence: Vec<Evidence>,
}

/// The means test's result for one household.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

fn months_overlap(a: (Month, Month), b: (Month, Month)) -> i64 {
    let from = a.0.max(b.0);
    let to = a.1.min(b.1);
    if to < from { 0 } else { i64::from(from.months_until(to)) + 1 }
}

fn evidence(f: &Fact, seq: Option<u32>, amount: Option<Fen>) -> Evidence {
    Evidence {
        member_seq: seq,
        source: f.source.clone(),
        as_of: f.as_of,
        label: f.label.clone(),
        amount,
        record: Some(f.record),
    }
}

/// What a source's silence means for the facts it supplies (the catalog declares it per source).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// The facts are unknown: tests that need them stay open (待核实).
    #[default]
    Unknown,
    /// The facts last received from the source stand, marked as such in the trace.
    LastKnown,
    /// A rule that needs the facts cannot be evaluated: the decision is an error.
    Fail,
}

/// How the means test treats a source it did not hear from.
pub trait SourcePolicy {
    fn on_missing(&self, source: &str) -> OnMissing;
    /// Whether the source is a financial institution (it supplies the `financial` inputs).
    fn is_financial(&self, source: &str) -> bool;
}

/// Every source follows `unknown`; financial institutions are recognised by the catalog's
/// codes (B…, S…, I…, T…, P…, and the 人民银行 account index).
pub struct DefaultSources;

impl SourcePolicy for DefaultSources {
    fn on_missing(&self, _: &str) -> OnMissing {
        OnMissing::Unknown
    }
    fn is_financial(&self, source: &str) -> bool {
        let b = source.as_bytes();
        source == "banks"
            || source.starts_with("pbc")
            || (b.len() == 3
                && matches!(b[0], b'B' | b'S' | b'I' | b'T' | b'P')
                && b[1..].iter().all(u8::is_ascii_digit))
    }
}

/// The parameters the anomaly checks use, as resolved for the case.
#[derive(Clone, Debug)]
pub struct AnomalyParams {
    pub large_outflow: Applied,
    pub outflow_window_months: Applied,
    pub income_months: Applied,
}

fn applied(p: &crate::rules::ResolvedParam) -> Applied {
    Applied {
        key: p.key.clone(),
        value: p.int().unwrap_or(0),
        from: p.from,
        to: p.to,
        doc: p.doc.clone(),
        title: p.title.clone(),
        text: p.int().map(|v| p.unit.show(v)).unwrap_or_default(),
    }
}

impl AnomalyParams {
    pub fn from_resolved(res: &Resolved) -> Result<AnomalyParams, RulesError> {
        let get = |k: &str| res.int(k, "疑点检查").map(|(_, p)| applied(p));
        Ok(AnomalyParams {
            large_outflow: get("anomaly.large_outflow_fen")?,
            outflow_window_months: get("anomaly.outflow_window_months")?,
            income_months: get("income.months")?,
        })
    }
}

fn disability_kind(category: &str) -> i64 {
    ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]
        .iter()
        .position(|k| category.contains(k))
        .map(|i| i as i64 + 1)
        .unwrap_or(7)
}

fn ev(f: &Fact, label: String, amount: Option<Fen>) -> InputEvidence {
    InputEvidence { source: f.source.clone(), as_of: f.as_of, label, amount, record: Some(f.record), member_seq: None }
}

/// Turns a case's facts into the rules' inputs: income over the averaging window, balances on
/// the query date, vehicles, homes and businesses counted once, and the failure policy of every
/// source that did not answer. Also returns the inputs on the facts at hand (what did not
/// answer counted as nothing found), for display and for monotone tests.
// tidy: allow(long-fn): one input per fact kind, in the order the policy documents name them; split with means_test (issue 10).
pub fn build_inputs(case: &CaseInput, months: i64, sources: &dyn SourcePolicy) -> (Inputs, Inputs) {
    let as_of = case.as_of;
    let this_month = Month::of(as_of);
    let window = (this_month.plus(-(months as i32)), this_month.plus(-1));
    let n = case.members.len();
    let mut inp = Inputs::new(n);
    inp.seqs = case.members.iter().map(|m| m.seq).collect();
    let index: BTreeMap<PersonId, usize> =
        case.members.iter().enumerate().filter_map(|(k, m)| m.person.map(|p| (p, k))).collect();
    let slot = |name: &str| inputs::member_slot(name).unwrap_or(0);
    let hslot = |name: &str| inputs::household_slot(name).unwrap_or(0);
    let push_ev = |inp: &mut Inputs, k: usize, name: &str, e: InputEvidence| {
        inp.evidence.push((Some(k), Entity::Member, slot(name), e));
    };

    for (k, m) in case.members.iter().enumerate() {
        inp.set_m(k, "counted", i64::from(m.counted && !m.supporter));
        inp.set_m(k, "is_supporter", i64::from(m.supporter));
        inp.set_m(k, "declared_income", m.declared_income.0);
        inp.set_m(k, "applicant", i64::from(m.seq == 1));
        match m.birth {
            Some(b) => inp.set_m(k, "age", i64::from(b.age_on(as_of))),
            None => inp.set_m(k, "age", UNKNOWN),
        }
        inp.set_m(k, "sex", i64::from(m.sex));
    }

    // Per member: income in the window, balances, disability, rolls.
    let mut latest_asset: BTreeMap<(String, String), &Fact> = BTreeMap::new();
    let mut vehicles: BTreeMap<String, &Fact> = BTreeMap::new();
    let mut titles: BTreeMap<String, &Fact> = BTreeMap::new();
    let mut firms: BTreeMap<String, &Fact> = BTreeMap::new();
    for f in &case.facts {
        let Some(&k) = index.get(&f.person) else { continue };
        match (f.kind, f.period) {
            (FactKind::WageIncome | FactKind::LabourIncome | FactKind::BusinessIncome, Some(per))
                if months_overlap(per, window) > 0 =>
            {
                let name = if f.kind == FactKind::BusinessIncome { "business_income" } else { "wage_income" };
                inp.add_m(k, name, f.amount.0);
                inp.set_m(k, "employed", 1);
                push_ev(&mut inp, k, name, ev(f, format!("{} {}", f.kind.name_zh(), per.0), Some(f.amount)));
            }
            (FactKind::Pension | FactKind::Unemployment, Some(per)) => {
                let mo = months_overlap(per, window);
                if mo > 0 {
                    let name = if f.kind == FactKind::Pension { "pension_income" } else { "unemployment_income" };
                    let amount = f.amount.times(mo);
                    inp.add_m(k, name, amount.0);
                    push_ev(
                        &mut inp,
                        k,
                        name,
                        ev(f, format!("{} 每月 {} 元 × {} 个月", f.kind.name_zh(), f.amount, mo), Some(amount)),
                    );
                }
            }
            (FactKind::Deposit | FactKind::FinancialProduct, _) => {
                let key = (f.source.clone(), f.key.clone());
                match latest_asset.get(&key) {
                    Some(prev) if prev.as_of >= f.as_of => {}
                    _ => {
                        latest_asset.insert(key, f);
                    }
                }
            }
            (FactKind::Vehicle, _) if f.status != "注销" => {
                vehicles.entry(f.key.clone()).or_insert(f);
            }
            (FactKind::RealEstate, _) if f.status != "注销" => {
                titles.entry(f.key.clone()).or_insert(f);
            }
            (FactKind::Business, _) => {
                firms.entry(f.key.clone()).or_insert(f);
            }
            (FactKind::Disability, _) => {
                inp.set_m(k, "disability_grade", f.quantity);
                inp.set_m(k, "disability_kind", disability_kind(&f.category));
                push_ev(&mut inp, k, "disability_grade", ev(f, format!("{} {} 级", f.category, f.quantity), None));
            }
            (FactKind::Assistance, per) => {
                let current = per.is_none_or(|(a, b)| a <= this_month && this_month <= b);
                if current {
                    if f.category.contains("特困") {
                        inp.set_m(k, "on_tekun", 1);
                    } else if f.category.contains("低保") && !f.category.contains("边缘") {
                        inp.set_m(k, "member_on_dibao", 1);
                        inp.set_h("on_dibao", 1);
                        let cur = inp.h[hslot("current_benefit")];
                        inp.set_h("current_benefit", cur.max(f.amount.0));
                        inp.evidence.push((
                            None,
                            Entity::Household,
                            hslot("on_dibao"),
                            ev(f, f.label.clone(), Some(f.amount)),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    for f in latest_asset.values() {
        let Some(&k) = index.get(&f.person) else { continue };
        let name = if f.kind == FactKind::Deposit { "deposits" } else { "investments" };
        inp.add_m(k, name, f.amount.0);
        push_ev(&mut inp, k, name, ev(f, f.label.clone(), Some(f.amount)));
    }
    let seq_of_person: BTreeMap<PersonId, u32> =
        case.members.iter().filter_map(|m| m.person.map(|p| (p, m.seq))).collect();
    let hev = |inp: &mut Inputs, name: &str, f: &Fact| {
        let e = InputEvidence { member_seq: seq_of_person.get(&f.person).copied(), ..ev(f, f.label.clone(), None) };
        inp.evidence.push((None, Entity::Household, hslot(name), e));
    };
    // Only facts about counted members make the household's property.
    let counted: BTreeSet<PersonId> = case.members.iter().filter(|m| m.counted).filter_map(|m| m.person).collect();
    let mut h = [0i64; 9];
    for f in vehicles.values().filter(|f| counted.contains(&f.person)) {
        h[0] += 1;
        h[1] += i64::from(f.category == "残疾人专用");
        h[2] += i64::from(f.category == "营运");
        hev(&mut inp, "vehicles", f);
    }
    for f in titles.values().filter(|f| counted.contains(&f.person)) {
        if f.category == "住宅" {
            h[3] += 1;
            h[4] += f.quantity;
            hev(&mut inp, "homes", f);
        } else {
            h[5] += 1;
            hev(&mut inp, "non_residential", f);
        }
    }
    for f in firms.values().filter(|f| counted.contains(&f.person)) {
        let role = matches!(f.category.as_str(), "法定代表人" | "经营者" | "股东" | "投资人");
        if f.status == "存续" && role {
            h[6] += 1;
            h[7] += i64::from(f.key.starts_with("92"));
            hev(&mut inp, "businesses", f);
        }
    }
    for (name, v) in [
        ("vehicles", h[0]),
        ("vehicles_disability", h[1]),
        ("vehicles_commercial", h[2]),
        ("homes", h[3]),
        ("home_area", h[4]),
        ("non_residential", h[5]),
        ("businesses", h[6]),
        ("businesses_individual", h[7]),
    ] {
        inp.set_h(name, v);
    }

    // Obligors' own finances are checked only with their own authorization, which this case
    // does not carry: what the sources would say of them is unknown, and the trace says why.
    for (k, m) in case.members.iter().enumerate().filter(|(_, m)| m.supporter) {
        for (i, d) in inputs::MEMBER_INPUTS.iter().enumerate().filter(|(_, d)| !d.sources.is_empty()) {
            inp.m[k * inputs::MEMBER_INPUTS.len() + i] = UNKNOWN;
            let why = format!("义务人 {} 的{}须经其本人授权后核对，本次未核对", m.name, d.title);
            inp.notes.push((Some(k), Entity::Member, i, why));
        }
    }
    // What only the application can say: as declared in the commission; where a programme needs
    // it and the commission does not say, unknown, not zero, so the test stays open.
    let said = |label: &str| InputEvidence {
        source: "申请材料".into(),
        as_of,
        label: label.into(),
        amount: None,
        record: None,
        member_seq: None,
    };
    for name in ["emergency_expense", "disaster_loss"] {
        match case.declared.household.get(name) {
            Some(v) => inp.set_h(name, *v),
            None => {
                inp.set_h(name, UNKNOWN);
                let why = "申请材料中未载明（委托未填写此项），请补充后重新核对".to_string();
                inp.notes.push((None, Entity::Household, hslot(name), why));
            }
        }
    }
    for (name, v) in &case.declared.household {
        inp.set_h(name, *v);
        inp.evidence.push((None, Entity::Household, hslot(name), said("委托中申报")));
    }
    for (k, m) in case.members.iter().enumerate() {
        let mine = case.declared.members.get(&m.seq);
        if mine.is_none_or(|d| !d.contains_key("adl_unable")) {
            inp.set_m(k, "adl_unable", UNKNOWN);
            inp.notes.push((
                Some(k),
                Entity::Member,
                slot("adl_unable"),
                "未作生活自理能力评估（委托未填写此项）".into(),
            ));
        }
        for (name, v) in mine.into_iter().flatten() {
            inp.set_m(k, name, *v);
            inp.evidence.push((Some(k), Entity::Member, slot(name), said("委托中申报")));
        }
    }
    let at_hand = inp.clone();
    // Members whose ID did not resolve: nothing is known of them.
    for (k, m) in case.members.iter().enumerate().filter(|(_, m)| m.person.is_none() && !m.supporter) {
        for d in inputs::MEMBER_INPUTS.iter().filter(|d| !d.sources.is_empty()) {
            inp.set_m(k, d.name, UNKNOWN);
        }
        let why = format!("第 {} 号成员身份证号未能识别，其数据未核对", m.seq);
        inp.notes.push((Some(k), Entity::Member, slot("wage_income"), why));
    }

    // Sources that did not answer: their inputs follow the source's failure policy.
    for s in &case.sources {
        let SourceState::NotAnswered { reason } = &s.state else { continue };
        let policy = sources.on_missing(&s.source);
        let group = if sources.is_financial(&s.source) { "financial" } else { s.source.as_str() };
        let has_facts = case.facts.iter().any(|f| f.source == s.source);
        let (value, note) = match policy {
            OnMissing::LastKnown if has_facts => {
                // The facts last received stand; the trace says so beside every value they fill.
                let note = format!("{}（{}）未反馈：{}；按其失败策略沿用上次反馈的数据", s.name, s.source, reason);
                for (i, _) in inputs::MEMBER_INPUTS.iter().enumerate().filter(|(_, d)| d.sources.contains(&group)) {
                    for k in 0..n {
                        inp.notes.push((Some(k), Entity::Member, i, note.clone()));
                    }
                }
                for (i, _) in inputs::HOUSEHOLD_INPUTS.iter().enumerate().filter(|(_, d)| d.sources.contains(&group)) {
                    inp.notes.push((None, Entity::Household, i, note.clone()));
                }
                continue;
            }
            OnMissing::Fail => (FAILED, format!("{}（{}）未反馈：{}；失败策略为“失败”", s.name, s.source, reason)),
            _ => (UNKNOWN, format!("{}（{}）未反馈：{}", s.name, s.source, reason)),
        };
        for (i, d) in inputs::MEMBER_INPUTS.iter().enumerate().filter(|(_, d)| d.sources.contains(&group)) {
            for k in 0..n {
                inp.m[k * inputs::MEMBER_INPUTS.len() + i] = value;
                inp.notes.push((Some(k), Entity::Member, i, note.clone()));
            }
            let _ = d;
        }
        for (i, _) in inputs::HOUSEHOLD_INPUTS.iter().enumerate().filter(|(_, d)| d.sources.contains(&group)) {
            inp.h[i] = value;
            inp.notes.push((None, Entity::Household, i, note.clone()));
        }
    }
    (inp, at_hand)
}

fn exceed_reason(code: &str) -> Option<ExceedReason> {
    Some(match code {
        "income" | "net_income" => ExceedReason::Income,
        "financial_assets" | "assets" => ExceedReason::Deposit,
        "vehicles" => ExceedReason::Car,
        "homes" => ExceedReason::SecondHome,
        "non_residential" => ExceedReason::NonResidential,
        "business" => ExceedReason::Business,
        _ => return None,
    })
}

/// Runs a programme's tests on a case: facts become inputs, the compiled policy decides each
/// test with its trace, and the 疑点 checks run beside it.
// tidy: allow(long-fn): the means test's one reading of a decision into items and reasons; split with means_test (issue 10).
pub fn assess(
    case: &CaseInput,
    prog: &Program,
    res: &Resolved,
    sources: &dyn SourcePolicy,
) -> Result<Assessment, RulesError> {
    let as_of = case.as_of;
    let anomaly_params = AnomalyParams::from_resolved(res)?;
    let months = anomaly_params.income_months.value;
    let (inp, zero) = build_inputs(case, months, sources);
    let decision = prog.decide(&inp, true)?;
    // On the facts at hand (missing ones as nothing found): a monotone test that already fails
    // stands, since the missing facts could only add to it.
    let any_unknown = decision.tests.iter().any(|t| t.outcome == TestOutcome::Unknown);
    let at_hand = if any_unknown { Some(prog.decide(&zero, false)?) } else { None };
    // Totals for display: on the facts at hand.
    let mut frame = crate::rules::Frame::default();
    prog.eval_into(&zero, &mut frame)?;
    let total = |name: &str| prog.var(name).map(|v| prog.value(&frame, v)).filter(|v| *v != UNKNOWN).unwrap_or(0);
    let income_total = Fen(total("income.total"));
    let assets_total = Fen(total("assets.financial"));
    let mut decision = decision;
    if let Some(z) = &at_hand {
        for ((t, zt), ct) in decision.tests.iter_mut().zip(&z.tests).zip(&prog.tests) {
            if ct.def.monotone && t.outcome == TestOutcome::Unknown && zt.outcome == TestOutcome::Fail {
                t.outcome = TestOutcome::Fail;
                t.word = TestOutcome::Fail.word(prog.wording.as_deref()).into();
                t.found = zt.found.clone();
            } else if t.outcome == TestOutcome::Unknown {
                // Say what the facts at hand add up to, and that it is not the whole picture.
                if let (Some(f), Some(z)) = (t.found.as_mut(), zt.found.as_ref())
                    && f.value.is_none()
                {
                    f.text = format!("未知（已核对部分 {}）", z.text);
                }
            }
        }
        if decision.tests.iter().any(|t| t.outcome == TestOutcome::Fail) {
            decision.outcome = TestOutcome::Fail;
            decision.word = TestOutcome::Fail.word(prog.wording.as_deref()).into();
        }
    }
    let this_month = Month::of(as_of);
    let window = (this_month.plus(-(months as i32)), this_month.plus(-1));

    let mut missing: Vec<String> = Vec::new();
    for m in case.members.iter().filter(|m| m.person.is_none() && !m.supporter) {
        missing.push(format!(
            "第 {} 号成员 {} 身份证号未能识别（{}），其数据未核对",
            m.seq,
            m.name,
            m.unresolved_reason.as_deref().unwrap_or("无效")
        ));
    }
    for s in &case.sources {
        if let SourceState::NotAnswered { reason } = &s.state {
            missing.push(format!("{}（{}）未反馈：{}", s.name, s.source, reason));
        }
    }
    let incomplete = !missing.is_empty();

    let trace = decision.trace.clone().unwrap_or_default();
    let mut items = Vec::new();
    let mut reasons = Vec::new();
    for (t, ct) in decision.tests.iter().zip(&prog.tests) {
        // Everything the test's value rests on: its rule, and the rules those used, down to facts.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> =
            [Some(ct.def.pass.clone()), ct.def.found.clone(), ct.def.limit.clone()].into_iter().flatten().collect();
        let mut params: Vec<Applied> = Vec::new();
        let mut evidence: Vec<Evidence> = Vec::new();
        while let Some(v) = todo.pop() {
            if !seen.insert(v.clone()) {
                continue;
            }
            for st in trace.steps.iter().filter(|s| s.var == v) {
                todo.extend(st.uses.iter().cloned());
                for p in &st.params {
                    if let crate::rules::ParamValue::Int(value) = p.value
                        && !params.iter().any(|q| q.key == p.key)
                    {
                        {
                            params.push(Applied {
                                key: p.key.clone(),
                                value,
                                from: p.from,
                                to: p.to,
                                doc: p.doc.clone(),
                                title: p.title.clone(),
                                text: p.text.clone(),
                            });
                        }
                    }
                }
                for i in &st.inputs {
                    for e in &i.evidence {
                        let e = Evidence {
                            member_seq: i.member_seq.or(e.member_seq),
                            source: e.source.clone(),
                            as_of: e.as_of,
                            label: e.label.clone(),
                            amount: e.amount,
                            record: e.record,
                        };
                        if !evidence.contains(&e) {
                            evidence.push(e);
                        }
                    }
                }
            }
        }
        let result = match t.outcome {
            TestOutcome::Fail => ItemResult::Exceeds,
            TestOutcome::Unknown => ItemResult::Incomplete,
            TestOutcome::Pass if incomplete => ItemResult::Incomplete,
            TestOutcome::Pass => ItemResult::Within,
        };
        if t.outcome == TestOutcome::Fail
            && let Some(r) = exceed_reason(&t.code)
        {
            reasons.push(r);
        }
        let line = item_line(prog, t);
        items.push(Item {
            code: t.code.clone(),
            title: if t.code.contains("income") {
                format!("{}（{} 至 {}，共 {} 个月）", t.title, window.0, window.1, months)
            } else {
                t.title.clone()
            },
            found: t.found.as_ref().map(|f| format!("{}：{}", f.title, f.text)).unwrap_or_else(|| t.word.clone()),
            found_fen: t.found.as_ref().filter(|f| f.unit == crate::rules::Unit::Fen).and_then(|f| f.value).map(Fen),
            threshold: t.limit.as_ref().map(|l| format!("{}：{}", l.title, l.text)).unwrap_or_default(),
            threshold_fen: t
                .limit
                .as_ref()
                .filter(|l| l.unit == crate::rules::Unit::Fen)
                .and_then(|l| l.value)
                .map(Fen),
            rule: line.rule,
            basis: line.basis,
            result,
            params,
            evidence,
        });
    }

    let seq_of: BTreeMap<PersonId, &MemberCase> =
        case.members.iter().filter_map(|m| m.person.map(|pid| (pid, m))).collect();
    let anomalies = anomalies(case, &anomaly_params, &seq_of);
    let outcome = match decision.outcome {
        TestOutcome::Fail => Outcome::Exceeds,
        _ if incomplete || !anomalies.is_empty() || decision.outcome == TestOutcome::Unknown => Outcome::Open,
        _ => Outcome::NotExceeded,
    };
    let wording = prog.wording.as_deref();
    let word = |o: TestOutcome| o.word(wording);
    let programme = prog.programme.name_zh();
    let conclusion = match outcome {
        Outcome::Exceeds => {
            let what: Vec<&str> =
                decision.tests.iter().filter(|t| t.outcome == TestOutcome::Fail).map(|t| t.title.as_str()).collect();
            let mut s = format!(
                "{}：{}{}当地{}政策规定。",
                word(TestOutcome::Fail),
                what.join("、"),
                if wording == Some("eligibility") { "不符合" } else { "超出" },
                programme
            );
            if incomplete {
                s.push_str("另有数据未完整核对，见“未核对事项”。");
            }
            s
        }
        Outcome::NotExceeded => format!(
            "{}：家庭收入与财产状况{}当地{}政策规定。",
            word(TestOutcome::Pass),
            if wording == Some("eligibility") { "符合" } else { "均未超出" },
            programme
        ),
        Outcome::Open => {
            let mut parts = Vec::new();
            if incomplete {
                parts.push(format!("{} 项数据未完整核对", missing.len()));
            }
            if decision.outcome == TestOutcome::Unknown && !incomplete {
                parts.push("部分核对项依赖的数据未知".to_string());
            }
            if !anomalies.is_empty() {
                parts.push(format!("发现 {} 个疑点", anomalies.len()));
            }
            format!(
                "待核实：按已核对数据未发现{}项，但{}，暂不能作出“{}”的结论。",
                if wording == Some("eligibility") { "不符合" } else { "超出" },
                parts.join("，"),
                word(TestOutcome::Pass)
            )
        }
    };
    let n = case.members.iter().filter(|m| m.counted).count() as i64;
    let n_div = n.max(1);
    Ok(Assessment {
        as_of,
        counted_size: n,
        income_window: window,
        income_total,
        income_monthly: div_round(income_total, months),
        income_per_capita: div_round(income_total, months * n_div),
        assets_total,
        assets_per_capita: div_round(assets_total, n_div),
        items,
        anomalies,
        missing,
        reasons,
        outcome,
        conclusion,
        decision: Some(decision),
        inputs: Some(inputs::InputsSnapshot::of(&inp)),
    })
}

fn anomalies(case: &CaseInput, p: &AnomalyParams, seq_of: &BTreeMap<PersonId, &MemberCase>) -> Vec<Anomaly> {
    let as_of = case.as_of;
    let seq = |f: &Fact| seq_of.get(&f.person).map(|m| m.seq);
    let mut out = Vec::new();

    let threshold = Fen(p.large_outflow.value);
    let since = as_of.add_months(-(p.outflow_window_months.value as i32));
    for f in case.facts.iter().filter(|f| f.kind == FactKind::Movement) {
        let in_window = f.on.is_some_and(|d| d > since && d <= as_of);
        if in_window && -f.amount >= threshold {
            out.push(Anomaly {
                code: "large_transfer".into(),
                title: "大额资金转出".into(),
                detail: format!(
                    "{} 一次转出 {} 元，不低于 {} 元（近 {} 个月，参数依据 {}）",
                    f.on.map(|d| d.to_string()).unwrap_or_default(),
                    -f.amount,
                    threshold,
                    p.outflow_window_months.value,
                    p.large_outflow.doc
                ),
                member_seq: seq(f),
                evidence: vec![evidence(f, seq(f), Some(f.amount))],
            });
        }
    }

    let window_start = Month::of(as_of).plus(-(p.income_months.value as i32));
    for f in case.facts.iter().filter(|f| f.kind == FactKind::ContributionBase) {
        let Some(m) = seq_of.get(&f.person) else { continue };
        let current = f.period.is_some_and(|(_, to)| to >= window_start);
        if current && f.amount > m.declared_income {
            out.push(Anomaly {
                code: "contribution_base".into(),
                title: "社保缴费基数高于申报收入".into(),
                detail: format!(
                    "第 {} 号成员 {} 的社保缴费基数 {} 元高于其申报月收入 {} 元（缴费基数不等于工资，仅作疑点）",
                    m.seq, m.name, f.amount, m.declared_income
                ),
                member_seq: Some(m.seq),
                evidence: vec![evidence(f, Some(m.seq), Some(f.amount))],
            });
        }
    }

    for h in &case.mistyped {
        let name = case.members.iter().find(|m| m.seq == h.member_seq).map(|m| m.name.as_str()).unwrap_or("");
        out.push(Anomaly {
            code: "mistyped_id".into(),
            title: "部门数据中身份证号疑似录入错误".into(),
            detail: format!(
                "{} 的一条记录姓名与第 {} 号成员 {} 相同，身份证号 {} 无效且与该成员号码仅差一处，请核实该记录是否属于本人",
                h.source, h.member_seq, name, h.masked_id
            ),
            member_seq: Some(h.member_seq),
            evidence: vec![],
        });
    }

    for m in case.members.iter().filter(|m| m.person.is_none() && !m.supporter) {
        out.push(Anomaly {
            code: "unresolved_member".into(),
            title: "成员身份证号无法识别".into(),
            detail: format!(
                "第 {} 号成员 {} 的身份证号无效（{}），请补正后重新核对",
                m.seq,
                m.name,
                m.unresolved_reason.as_deref().unwrap_or("无效")
            ),
            member_seq: Some(m.seq),
            evidence: vec![],
        });
    }

    let mut dead = BTreeSet::new();
    for f in case.facts.iter() {
        let died = f.kind == FactKind::Death || (f.kind == FactKind::Hukou && f.status == "死亡注销");
        if died && dead.insert(f.person) {
            out.push(Anomaly {
                code: "member_deceased".into(),
                title: "成员已死亡注销".into(),
                detail: format!("{} 显示该成员已死亡注销，请核实家庭人口", f.source),
                member_seq: seq(f),
                evidence: vec![evidence(f, seq(f), None)],
            });
        }
    }
    out
}
