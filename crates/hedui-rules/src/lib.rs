//! Policy as data: dated parameters and rules per region, compiled and evaluated as of a date.
//!
//! A policy is a set of JSON documents, one per region (province `32`, city `3204`, county
//! `320412`). Each holds dated **parameters** (value, unit, effective dates, 文号), **rules**
//! (a variable defined by an expression, optionally under a condition and a priority) and
//! **programmes** (the tests a household must pass and the benefit it would get).
//!
//! Resolution for a region and a date walks the region chain from the province down; the most
//! specific document with an entry valid on that date wins (a county overrides its city, a city
//! its province). A programme is then compiled into bytecode over typed inputs
//! ([`inputs`]), checked for unknown names, types and cycles, and evaluated per household with
//! three-valued logic: a value a source did not supply is unknown, and a test that depends on it
//! stays open instead of passing or failing silently.
//!
//! Nothing here reads files or the clock: the caller passes documents and `as_of`.
// tidy: allow(long-file): policy documents, errors and resolution; they split with the rules crate in issue 10.

pub mod batch;
pub mod bytecode;
mod codegen;
pub mod compile;
pub mod expr;
pub mod inputs;
pub mod trace;
pub mod vm;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use hedui_core::Date;
use hedui_core::Fen;
use hedui_core::programme::Programme;

pub use bytecode::Program;
pub use compile::compile;
pub use inputs::{Entity, Inputs};
pub use trace::{Decision, TestOutcome, Trace};
pub use vm::{Frame, Verdict};

/// What a number means, for checking and for display.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Money in fen.
    Fen,
    /// A plain count.
    #[default]
    Count,
    Months,
    Years,
    /// Hundredths: 150 means 150 % (1.5 ×).
    Percent,
    /// Thousandths.
    Permille,
    /// Floor area in 0.01 m².
    Area,
    Bool,
    /// A code from a code list (sex, disability category …).
    Code,
    /// A word chosen from a fixed list (rounding mode, wording).
    Mode,
}

impl Unit {
    /// Formats a value of this unit for a clerk.
    pub fn show(self, v: i64) -> String {
        if v == inputs::UNKNOWN || v == inputs::FAILED {
            return "未知".into();
        }
        match self {
            Unit::Fen => format!("{} 元", Fen(v)),
            Unit::Count | Unit::Code | Unit::Mode => v.to_string(),
            Unit::Months => format!("{} 个月", v),
            Unit::Years => format!("{} 岁", v),
            Unit::Percent => format!("{}%", v),
            Unit::Permille => format!("{}‰", v),
            Unit::Area => {
                let sign = if v < 0 { "-" } else { "" };
                format!("{}{}.{:02} 平方米", sign, v.abs() / 100, v.abs() % 100)
            }
            Unit::Bool => if v != 0 { "是" } else { "否" }.into(),
        }
    }
}

/// A parameter's value: an integer in its unit, or a word (a mode).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Word(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{}", v),
            ParamValue::Word(w) => write!(f, "{}", w),
        }
    }
}

/// One dated value of a parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    pub key: String,
    pub value: ParamValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    /// Bounds a value must keep (checked when resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The document number (文号) it comes from.
    pub doc: String,
}

/// One definition of a variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique within the region chain; a more specific region replaces a rule by id.
    pub id: String,
    /// The variable it defines.
    pub var: String,
    #[serde(default)]
    pub entity: Entity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub expr: String,
    /// The rule applies only where this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Among rules for one variable that apply, the highest priority wins; two applying rules
    /// of the same priority are an error.
    #[serde(default)]
    pub priority: i32,
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    pub doc: String,
}

/// One test of a programme: a boolean variable that must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestDef {
    pub code: String,
    pub title: String,
    /// A boolean variable: the test passes when it is true.
    pub pass: String,
    /// A variable to show as the value found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// A variable to show as the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// The comparison, as the text says it (`<`, `≤`, `=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// More facts can only make this test fail (sums of balances, counts of things owned): a
    /// failure on the facts at hand stands even while other facts are missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub monotone: bool,
}

/// A programme's tests and benefit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeDef {
    pub programme: Programme,
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    pub doc: String,
    pub tests: Vec<TestDef>,
    /// A money variable: the monthly amount, where the programme pays one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit: Option<String>,
    /// Further variables to show in the decision (e.g. the care standard).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub show: Vec<String>,
}

/// One region's policy document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Region code without trailing zeros: `32`, `3204`, `320412`.
    pub region: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    #[serde(default)]
    pub programmes: Vec<ProgrammeDef>,
}

/// A serde error in words a policy author can act on: unknown keys and wrong types named.
fn explain(e: &serde_json::Error) -> String {
    let m = e.to_string();
    let m = m.split(" at line ").next().unwrap_or(&m).to_string();
    if let Some(rest) = m.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
        return format!("未知的键 {field}（拼写错误？可用的键：{}）", expected.trim_start_matches(" one of ").trim());
    }
    if let Some(rest) = m.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("类型错误：这里应为 {expected}，实为 {found}");
    }
    if m.contains("untagged enum ParamValue") {
        return "类型错误：参数取值应为整数（以单位的最小单位计，如分）或文字".into();
    }
    if let Some(rest) = m.strip_prefix("missing field ") {
        return format!("缺少必需的键 {rest}");
    }
    m
}

/// Every way a policy can fail to load, resolve, compile or evaluate. None is silent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("政策文件 {file} 格式错误：{message}")]
    Format { file: String, message: String },
    #[error("政策文件 {file} 的地区代码 {region} 无效（应为 2、4、6、9 或 12 位数字）")]
    BadRegion { file: String, region: String },
    #[error("地区 {region} 有两份政策文件")]
    DuplicateRegion { region: String },
    #[error("地区 {region} 没有任何政策文件（省、市、县三级均无）")]
    NoPolicy { region: String },
    #[error("规则 {rule} 的{field}有语法错误：{message}")]
    Syntax { rule: String, field: &'static str, message: String },
    #[error("规则 {rule} 引用了未定义的名称“{name}”（不是参数、输入，也不是规则定义的变量）")]
    UnknownName { rule: String, name: String },
    #[error("名称“{name}”既是{a}又是{b}，无法确定规则引用的是哪一个")]
    Ambiguous { name: String, a: &'static str, b: &'static str },
    #[error("参数 {key} 在 {as_of} 不在有效期内（已有取值的有效期：{periods}），规则 {rule} 不能使用它")]
    OutOfValidity { key: String, as_of: Date, periods: String, rule: String },
    #[error("参数 {key} 在 {as_of} 有两个有效取值（{a} 与 {b}），生效期重叠")]
    ParamOverlap { key: String, as_of: Date, a: String, b: String },
    #[error("规则 {id} 在 {as_of} 有两个有效版本（{a} 与 {b}），生效期重叠")]
    RuleOverlap { id: String, as_of: Date, a: String, b: String },
    #[error("变量 {var} 在 {as_of} 没有有效的规则（{needed_by} 需要它）")]
    NoRule { var: String, as_of: Date, needed_by: String },
    #[error("循环定义：{}", path.join(" → "))]
    Cycle { path: Vec<String> },
    #[error("规则 {rule}：{message}")]
    Type { rule: String, message: String },
    #[error("规则 {a} 与规则 {b} 都定义 {var}、都适用于本户且优先级相同（{priority}），请在政策文件中声明优先级")]
    Conflict { var: String, a: String, b: String, priority: i32 },
    #[error("变量 {var} 的规则都不适用于本户（{rules}），政策没有给出答案")]
    NoneApplies { var: String, rules: String },
    #[error("规则 {rule} 需要的事实“{input}”没有来源提供（{note}），按该来源的失败策略不能继续")]
    MissingFact { rule: String, input: String, note: String },
    #[error("规则 {rule} 计算出错：{message}")]
    Arithmetic { rule: String, message: String },
    #[error("{programme} 在 {as_of} 没有有效的政策（地区 {region}）")]
    NoProgramme { programme: String, region: String, as_of: Date },
    #[error("参数 {key} 的取值 {value} 不合理：{why}")]
    BadValue { key: String, value: String, why: String },
}

/// A parameter as resolved for one region and date, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedParam {
    pub key: String,
    pub title: String,
    pub unit: Unit,
    pub value: ParamValue,
    pub from: Date,
    pub to: Option<Date>,
    pub doc: String,
    /// The region whose document supplied the value.
    pub region: String,
}

impl ResolvedParam {
    pub fn int(&self) -> Option<i64> {
        match self.value {
            ParamValue::Int(v) => Some(v),
            ParamValue::Word(_) => None,
        }
    }

    /// "低保标准 1,180.00 元（2025-07-01 起，文号 …，常州市）".
    pub fn describe(&self) -> String {
        let v = match &self.value {
            ParamValue::Int(v) => self.unit.show(*v),
            ParamValue::Word(w) => w.clone(),
        };
        let period = match self.to {
            Some(to) => format!("{} 至 {}", self.from, to),
            None => format!("{} 起", self.from),
        };
        format!("{} = {}（{}，{}，地区 {}）", self.title, v, period, self.doc, self.region)
    }
}

/// A rule as resolved: the definition and the region that supplied it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedRule {
    pub def: RuleDef,
    pub region: String,
}

/// Why a parameter has no value on the date (kept until a rule needs it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamGap {
    OutOfValidity { periods: String },
    Overlap { a: String, b: String },
}

/// A region's policy on one date: everything a compile needs.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub region: String,
    pub as_of: Date,
    /// The documents applied, from the province down: (region, name).
    pub chain: Vec<(String, String)>,
    pub params: BTreeMap<String, ResolvedParam>,
    pub gaps: BTreeMap<String, ParamGap>,
    /// Rules in force, by variable.
    pub rules: BTreeMap<String, Vec<ResolvedRule>>,
    /// Variables with rules in the files but none in force on the date.
    pub lapsed: BTreeMap<String, String>,
    pub programmes: BTreeMap<Programme, (ProgrammeDef, String)>,
}

impl Resolved {
    pub fn param(&self, key: &str) -> Option<&ResolvedParam> {
        self.params.get(key)
    }

    /// An integer parameter that must be in force.
    pub fn int(&self, key: &str, needed_by: &str) -> Result<(i64, &ResolvedParam), RulesError> {
        match (self.params.get(key), self.gaps.get(key)) {
            (Some(p), _) => match p.value {
                ParamValue::Int(v) => Ok((v, p)),
                ParamValue::Word(ref w) => {
                    Err(RulesError::BadValue { key: key.into(), value: w.clone(), why: "应为整数".into() })
                }
            },
            (None, Some(ParamGap::Overlap { a, b })) => {
                Err(RulesError::ParamOverlap { key: key.into(), as_of: self.as_of, a: a.clone(), b: b.clone() })
            }
            (None, Some(ParamGap::OutOfValidity { periods })) => Err(RulesError::OutOfValidity {
                key: key.into(),
                as_of: self.as_of,
                periods: periods.clone(),
                rule: needed_by.into(),
            }),
            (None, None) => Err(RulesError::UnknownName { rule: needed_by.into(), name: key.into() }),
        }
    }
}

/// All policy documents hedui knows, by region.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    docs: BTreeMap<String, PolicyDoc>,
}

/// Strips a region code to its significant prefix: `320000` → `32`, `320400` → `3204`.
pub fn region_prefix(code: &str) -> String {
    let mut s = code.to_string();
    if s.len() == 12 && s.ends_with("000") {
        s.truncate(9);
    }
    if s.len() == 9 && s.ends_with("000") {
        s.truncate(6);
    }
    if s.len() == 6 {
        while s.len() > 2 && s.ends_with("00") {
            s.truncate(s.len() - 2);
        }
    }
    s
}

fn in_force(from: Date, to: Option<Date>, on: Date) -> bool {
    from <= on && to.is_none_or(|t| on <= t)
}

fn period(from: Date, to: Option<Date>) -> String {
    match to {
        Some(t) => format!("{} 至 {}", from, t),
        None => format!("{} 起", from),
    }
}

/// A bound declared for `key` anywhere in the chain (the province usually declares it).
fn bound(chain: &[&PolicyDoc], key: &str, f: impl Fn(&ParamDef) -> Option<i64>) -> Option<i64> {
    chain.iter().flat_map(|d| d.parameters.iter()).filter(|p| p.key == key).find_map(f)
}

impl PolicySet {
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Adds one document, read from `file` (named in errors).
    pub fn add_json(&mut self, file: &str, text: &str) -> Result<(), RulesError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let doc: PolicyDoc = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            RulesError::Format {
                file: file.into(),
                message: format!("位置 {path}（第 {} 行第 {} 列）：{}", inner.line(), inner.column(), explain(&inner)),
            }
        })?;
        for p in &doc.parameters {
            if p.unit == Some(Unit::Bool) && !matches!(p.value, ParamValue::Int(0 | 1)) {
                return Err(RulesError::Format {
                    file: file.into(),
                    message: format!("参数 {} 的单位是 bool，取值只能是 0（否）或 1（是），而不是 {}", p.key, p.value),
                });
            }
        }
        self.add(file, doc)
    }

    pub fn add(&mut self, file: &str, mut doc: PolicyDoc) -> Result<(), RulesError> {
        let region = region_prefix(&doc.region);
        if !matches!(region.len(), 2 | 4 | 6 | 9 | 12) || !region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RulesError::BadRegion { file: file.into(), region: doc.region });
        }
        // Syntax is checked at load, so a bad file is refused before it is ever used.
        for r in &doc.rules {
            for (field, src) in [("表达式", Some(&r.expr)), ("适用条件", r.when.as_ref())] {
                if let Some(src) = src {
                    expr::parse(src).map_err(|e| RulesError::Syntax {
                        rule: r.id.clone(),
                        field,
                        message: e.to_string(),
                    })?;
                }
            }
        }
        if self.docs.contains_key(&region) {
            return Err(RulesError::DuplicateRegion { region });
        }
        doc.region = region.clone();
        self.docs.insert(region, doc);
        Ok(())
    }

    pub fn docs(&self) -> impl Iterator<Item = &PolicyDoc> {
        self.docs.values()
    }

    pub fn doc(&self, region: &str) -> Option<&PolicyDoc> {
        self.docs.get(&region_prefix(region))
    }

    /// The documents that apply to `region`, from the province down.
    pub fn chain(&self, region: &str) -> Vec<&PolicyDoc> {
        let code = region_prefix(region);
        [2usize, 4, 6, 9, 12]
            .into_iter()
            .filter(|&n| n <= code.len())
            .filter_map(|n| self.docs.get(&code[..n]))
            .collect()
    }

    /// Resolves the policy of `region` on `as_of`.
    // tidy: allow(long-fn): province → city → county resolution in one pass; it moves with the rules crate (issue 10).
    pub fn resolve(&self, region: &str, as_of: Date) -> Result<Resolved, RulesError> {
        let chain = self.chain(region);
        if chain.is_empty() {
            return Err(RulesError::NoPolicy { region: region.into() });
        }
        let mut titles: BTreeMap<&str, (&str, Unit)> = BTreeMap::new();
        for d in &chain {
            for p in &d.parameters {
                let unit = p.unit.unwrap_or(match p.value {
                    ParamValue::Word(_) => Unit::Mode,
                    ParamValue::Int(_) => Unit::Count,
                });
                let e = titles.entry(p.key.as_str()).or_insert((p.key.as_str(), unit));
                if let Some(t) = &p.title {
                    e.0 = t;
                }
                if p.unit.is_some() {
                    e.1 = unit;
                }
            }
        }
        let mut params = BTreeMap::new();
        let mut gaps = BTreeMap::new();
        let mut all_periods: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for d in &chain {
            for p in &d.parameters {
                all_periods.entry(&p.key).or_default().push(format!("{}（{}）", period(p.from, p.to), d.region));
            }
        }
        for (key, (title, unit)) in &titles {
            // The most specific document with a value in force wins.
            let mut chosen = None;
            for d in chain.iter().rev() {
                let live: Vec<&ParamDef> =
                    d.parameters.iter().filter(|p| p.key == *key && in_force(p.from, p.to, as_of)).collect();
                match live.as_slice() {
                    [] => continue,
                    [p] => {
                        if let ParamValue::Int(v) = p.value {
                            let lo = p.min.or_else(|| bound(&chain, key, |q| q.min));
                            let hi = p.max.or_else(|| bound(&chain, key, |q| q.max));
                            if lo.is_some_and(|lo| v < lo) || hi.is_some_and(|hi| v > hi) {
                                return Err(RulesError::BadValue {
                                    key: key.to_string(),
                                    value: v.to_string(),
                                    why: format!(
                                        "应在 {} 到 {} 之间（{}，地区 {}）",
                                        lo.map(|x| x.to_string()).unwrap_or_else(|| "−∞".into()),
                                        hi.map(|x| x.to_string()).unwrap_or_else(|| "∞".into()),
                                        p.doc,
                                        d.region
                                    ),
                                });
                            }
                        }
                        chosen = Some(ResolvedParam {
                            key: key.to_string(),
                            title: title.to_string(),
                            unit: *unit,
                            value: p.value.clone(),
                            from: p.from,
                            to: p.to,
                            doc: p.doc.clone(),
                            region: d.region.clone(),
                        });
                    }
                    [a, b, ..] => {
                        gaps.insert(key.to_string(), ParamGap::Overlap { a: a.doc.clone(), b: b.doc.clone() });
                    }
                }
                break;
            }
            match chosen {
                Some(p) => {
                    params.insert(key.to_string(), p);
                }
                None if !gaps.contains_key(*key) => {
                    let periods = all_periods.get(key).map(|v| v.join("；")).unwrap_or_default();
                    gaps.insert(key.to_string(), ParamGap::OutOfValidity { periods });
                }
                None => {}
            }
        }

        let mut by_id: BTreeMap<&str, Option<ResolvedRule>> = BTreeMap::new();
        let mut lapsed = BTreeMap::new();
        for d in &chain {
            let mut ids: Vec<&str> = d.rules.iter().map(|r| r.id.as_str()).collect();
            ids.dedup();
            for id in ids {
                let live: Vec<&RuleDef> =
                    d.rules.iter().filter(|r| r.id == id && in_force(r.from, r.to, as_of)).collect();
                match live.as_slice() {
                    // A more specific document without a version in force leaves the parent's.
                    [] => {
                        if let Some(r) = d.rules.iter().find(|r| r.id == id) {
                            lapsed.entry(r.var.clone()).or_insert_with(|| {
                                d.rules
                                    .iter()
                                    .filter(|r| r.id == id)
                                    .map(|r| format!("规则 {} {}", r.id, period(r.from, r.to)))
                                    .collect::<Vec<_>>()
                                    .join("；")
                            });
                        }
                        by_id.entry(id).or_insert(None);
                    }
                    [r] => {
                        by_id.insert(id, Some(ResolvedRule { def: (*r).clone(), region: d.region.clone() }));
                    }
                    [a, b, ..] => {
                        return Err(RulesError::RuleOverlap {
                            id: id.into(),
                            as_of,
                            a: format!("{}（{}）", a.doc, period(a.from, a.to)),
                            b: format!("{}（{}）", b.doc, period(b.from, b.to)),
                        });
                    }
                }
            }
        }
        let mut rules: BTreeMap<String, Vec<ResolvedRule>> = BTreeMap::new();
        for r in by_id.into_values().flatten() {
            rules.entry(r.def.var.clone()).or_default().push(r);
        }
        for v in rules.keys() {
            lapsed.remove(v);
        }

        let mut programmes = BTreeMap::new();
        for d in &chain {
            for p in d.programmes.iter().filter(|p| in_force(p.from, p.to, as_of)) {
                programmes.insert(p.programme, (p.clone(), d.region.clone()));
            }
        }
        Ok(Resolved {
            region: region_prefix(region),
            as_of,
            chain: chain.iter().map(|d| (d.region.clone(), d.name.clone())).collect(),
            params,
            gaps,
            rules,
            lapsed,
            programmes,
        })
    }
}

#[cfg(test)]
mod tests;
