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

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::date::{Date, Month};
use crate::fact::{Fact, FactKind};
use crate::ids::PersonId;
use crate::money::Fen;
use crate::policy::{Applied, DibaoParams};

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

/// Everything the means test needs about one household.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseInput {
    pub as_of: Date,
    pub members: Vec<MemberCase>,
    pub facts: Vec<Fact>,
    pub sources: Vec<SourceStatus>,
    pub mistyped: Vec<MistypedHit>,
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
    /// The comparison that must hold for 未超出, e.g. `<` or `≤`.
    pub rule: String,
    pub result: ItemResult,
    pub params: Vec<Applied>,
    pub evidence: Vec<Evidence>,
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
    Evidence { member_seq: seq, source: f.source.clone(), as_of: f.as_of, label: f.label.clone(), amount }
}

/// Runs the means test.
pub fn assess(case: &CaseInput, p: &DibaoParams) -> Assessment {
    let as_of = case.as_of;
    let seq_of: BTreeMap<PersonId, &MemberCase> =
        case.members.iter().filter_map(|m| m.person.map(|pid| (pid, m))).collect();
    let counted: BTreeSet<PersonId> = case.members.iter().filter(|m| m.counted).filter_map(|m| m.person).collect();
    let n = case.members.iter().filter(|m| m.counted).count() as i64;
    let standard = p.standard_fen();
    let months = p.income_months.value;
    let this_month = Month::of(as_of);
    let window = (this_month.plus(-(months as i32)), this_month.plus(-1));

    let mut missing: Vec<String> = Vec::new();
    for m in case.members.iter().filter(|m| m.person.is_none()) {
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
    let judge = |over: bool| {
        if over {
            ItemResult::Exceeds
        } else if incomplete {
            ItemResult::Incomplete
        } else {
            ItemResult::Within
        }
    };
    let counted_facts = || case.facts.iter().filter(|f| counted.contains(&f.person));
    let seq = |f: &Fact| seq_of.get(&f.person).map(|m| m.seq);

    // Income: per-month records inside the window, and monthly benefits times the overlapping months.
    let mut income_total = Fen::ZERO;
    // (member, source, kind) → (amount, months of records, latest as-of date).
    type IncomeKey = (Option<u32>, String, FactKind);
    let mut income_ev: BTreeMap<IncomeKey, (Fen, i64, Date)> = BTreeMap::new();
    for f in counted_facts() {
        let part = match (f.kind, f.period) {
            (FactKind::WageIncome | FactKind::BusinessIncome | FactKind::LabourIncome, Some(per)) => {
                let k = months_overlap(per, window);
                (k > 0).then_some((f.amount, k))
            }
            (FactKind::Pension | FactKind::Unemployment, Some(per)) => {
                let k = months_overlap(per, window);
                (k > 0).then_some((f.amount.times(k), k))
            }
            _ => None,
        };
        if let Some((amount, k)) = part {
            income_total += amount;
            let e = income_ev.entry((seq(f), f.source.clone(), f.kind)).or_insert((Fen::ZERO, 0, f.as_of));
            e.0 += amount;
            e.1 += k;
            e.2 = e.2.max(f.as_of);
        }
    }
    let income_limit = standard.times(n).times(months);
    let income_over = income_total >= income_limit;
    let mut items = vec![Item {
        code: "income".into(),
        title: format!("家庭收入（{} 至 {}，共 {} 个月）", window.0, window.1, months),
        found: format!("{} 元", income_total),
        found_fen: Some(income_total),
        threshold: format!("{} 元（低保标准 {} 元 × {} 人 × {} 个月）", income_limit, standard, n, months),
        threshold_fen: Some(income_limit),
        rule: "<".into(),
        result: judge(income_over),
        params: vec![p.standard.clone(), p.income_months.clone()],
        evidence: income_ev
            .into_iter()
            .map(|((s, source, kind), (amount, k, d))| Evidence {
                member_seq: s,
                source,
                as_of: d,
                label: format!("{}，{} 个月记录", kind.name_zh(), k),
                amount: Some(amount),
            })
            .collect(),
    }];

    // Financial assets: the latest balance or valuation of each account or product.
    let mut latest: BTreeMap<(String, String), &Fact> = BTreeMap::new();
    for f in counted_facts().filter(|f| matches!(f.kind, FactKind::Deposit | FactKind::FinancialProduct)) {
        let k = (f.source.clone(), f.key.clone());
        match latest.get(&k) {
            Some(prev) if prev.as_of >= f.as_of => {}
            _ => {
                latest.insert(k, f);
            }
        }
    }
    let assets_total: Fen = latest.values().map(|f| f.amount).sum();
    let asset_limit = standard.times(n).times(p.asset_months.value);
    let assets_over = assets_total > asset_limit;
    items.push(Item {
        code: "financial_assets".into(),
        title: "家庭金融资产（存款、理财、基金、债券、保险现金价值等）".into(),
        found: format!("{} 元", assets_total),
        found_fen: Some(assets_total),
        threshold: format!("{} 元（低保标准 {} 元 × {} 人 × {} 个月）", asset_limit, standard, n, p.asset_months.value),
        threshold_fen: Some(asset_limit),
        rule: "≤".into(),
        result: judge(assets_over),
        params: vec![p.standard.clone(), p.asset_months.clone()],
        evidence: latest.values().map(|f| evidence(f, seq(f), Some(f.amount))).collect(),
    });

    // Vehicles: a disability vehicle is exempt, and so is a single commercial vehicle (the sole means of living).
    let mut vehicles: BTreeMap<String, &Fact> = BTreeMap::new();
    for f in counted_facts().filter(|f| f.kind == FactKind::Vehicle && f.status != "注销") {
        vehicles.entry(f.key.clone()).or_insert(f);
    }
    let commercial = vehicles.values().filter(|f| f.category == "营运").count();
    let countable: Vec<&&Fact> = vehicles
        .values()
        .filter(|f| !(f.category == "残疾人专用" || (f.category == "营运" && commercial == 1)))
        .collect();
    let car_over = !countable.is_empty();
    items.push(Item {
        code: "vehicles".into(),
        title: "机动车（残疾人专用车、唯一营运车辆除外）".into(),
        found: format!("{} 辆（其中计入 {} 辆）", vehicles.len(), countable.len()),
        found_fen: None,
        threshold: "计入车辆 0 辆".into(),
        threshold_fen: None,
        rule: "=".into(),
        result: judge(car_over),
        params: vec![],
        evidence: vehicles.values().map(|f| evidence(f, seq(f), None)).collect(),
    });

    // Real estate: distinct titles, since co-owners each appear with the same title.
    let mut titles: BTreeMap<String, &Fact> = BTreeMap::new();
    for f in counted_facts().filter(|f| f.kind == FactKind::RealEstate && f.status != "注销") {
        titles.entry(f.key.clone()).or_insert(f);
    }
    let homes = titles.values().filter(|f| f.category == "住宅").count() as i64;
    let non_res = titles.values().filter(|f| f.category != "住宅").count();
    let max_homes = p.max_dwellings.value;
    let homes_over = homes > max_homes;
    items.push(Item {
        code: "real_estate".into(),
        title: "不动产（住宅套数；非住宅类不动产）".into(),
        found: format!("住宅 {} 套，非住宅 {} 处", homes, non_res),
        found_fen: None,
        threshold: format!("住宅不超过 {} 套，非住宅 0 处", max_homes),
        threshold_fen: None,
        rule: "≤".into(),
        result: judge(homes_over || non_res > 0),
        params: vec![p.max_dwellings.clone()],
        evidence: titles.values().map(|f| evidence(f, seq(f), None)).collect(),
    });

    // Businesses: an active entity in which a counted member is representative, operator or shareholder.
    let mut firms: BTreeMap<String, &Fact> = BTreeMap::new();
    for f in counted_facts().filter(|f| f.kind == FactKind::Business) {
        firms.entry(f.key.clone()).or_insert(f);
    }
    let active = firms
        .values()
        .filter(|f| f.status == "存续" && matches!(f.category.as_str(), "法定代表人" | "经营者" | "股东" | "投资人"))
        .count();
    items.push(Item {
        code: "business".into(),
        title: "市场主体（存续的企业、个体工商户等）".into(),
        found: format!("登记 {} 个，存续且担任法定代表人/经营者/股东 {} 个", firms.len(), active),
        found_fen: None,
        threshold: "0 个".into(),
        threshold_fen: None,
        rule: "=".into(),
        result: judge(active > 0),
        params: vec![],
        evidence: firms.values().map(|f| evidence(f, seq(f), None)).collect(),
    });

    let mut reasons = Vec::new();
    if income_over {
        reasons.push(ExceedReason::Income);
    }
    if assets_over {
        reasons.push(ExceedReason::Deposit);
    }
    if car_over {
        reasons.push(ExceedReason::Car);
    }
    if homes_over {
        reasons.push(ExceedReason::SecondHome);
    }
    if non_res > 0 {
        reasons.push(ExceedReason::NonResidential);
    }
    if active > 0 {
        reasons.push(ExceedReason::Business);
    }

    let anomalies = anomalies(case, p, &seq_of);
    let outcome = if !reasons.is_empty() {
        Outcome::Exceeds
    } else if incomplete || !anomalies.is_empty() {
        Outcome::Open
    } else {
        Outcome::NotExceeded
    };
    let conclusion = match outcome {
        Outcome::Exceeds => {
            let what: Vec<&str> = reasons.iter().map(|r| r.name_zh()).collect();
            let mut s = format!("超出：{}超出当地低保政策规定。", what.join("、"));
            if incomplete {
                s.push_str("另有数据未完整核对，见“未核对事项”。");
            }
            s
        }
        Outcome::NotExceeded => "未超出：家庭收入与财产状况均未超出当地低保政策规定。".to_string(),
        Outcome::Open => {
            let mut parts = Vec::new();
            if incomplete {
                parts.push(format!("{} 项数据未完整核对", missing.len()));
            }
            if !anomalies.is_empty() {
                parts.push(format!("发现 {} 个疑点", anomalies.len()));
            }
            format!("待核实：按已核对数据未发现超出项，但{}，暂不能作出“未超出”的结论。", parts.join("，"))
        }
    };
    let n_div = n.max(1);
    Assessment {
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
    }
}

fn anomalies(case: &CaseInput, p: &DibaoParams, seq_of: &BTreeMap<PersonId, &MemberCase>) -> Vec<Anomaly> {
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

    for m in case.members.iter().filter(|m| m.person.is_none()) {
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
