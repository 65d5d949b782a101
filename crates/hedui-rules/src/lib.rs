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

pub mod batch;
pub mod bytecode;
mod codegen;
pub mod compact;
pub mod compile;
pub mod expr;
pub mod inputs;
pub mod lazy;
mod resolve;
pub mod trace;
pub mod vm;

use std::fmt;

use serde::{Deserialize, Serialize};

use hedui_core::Date;
use hedui_core::Fen;
use hedui_core::programme::Programme;

pub use bytecode::Program;
pub use compile::compile;
pub use inputs::{Entity, Inputs};
pub use lazy::LazyTrace;
pub use resolve::{ParamGap, PolicySet, Resolved, ResolvedParam, ResolvedRule, region_prefix};
pub use trace::{Decision, TestOutcome, Trace};
pub use vm::{Frame, Verdict};

/// What a number means, for checking and for display.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Inputs read from data categories the built-in inputs do not read (a new department's
    /// data), for the rules of this region and those below it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<inputs::DeclaredInput>,
}

/// A serde error in words a policy author can act on: unknown keys and wrong types named.
pub(crate) fn explain(e: &serde_json::Error) -> String {
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

#[cfg(test)]
mod tests;
