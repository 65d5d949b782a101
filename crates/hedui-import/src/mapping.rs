//! How each department's snapshot columns become a fact.
//!
//! Every mirror file starts with `身份证号,姓名`; a mapping file
//! (`data/mappings/*.json`) names the further columns each source must have
//! and how a row turns into the typed fields of a record. A new department's
//! format is configuration, not code.

use std::collections::BTreeMap;

use hedui_core::catalog::{Catalog, Category};
use hedui_core::{Date, Fen, Month};

/// What a row contributes besides identity and detail: an observation whose `key` is still the
/// plain value (it is hashed before it is stored).
pub type Mapped = hedui_core::fact::Observation;

/// Named access to one row.
pub struct Cols<'a> {
    pub headers: &'a [String],
    pub values: &'a [&'a str],
}

/// Months far in the future stand for "ongoing" benefit periods.
pub const OPEN_END: Month = Month { year: 9999, month: 12 };

impl Cols<'_> {
    pub fn get(&self, name: &str) -> &str {
        self.headers.iter().position(|h| h == name).and_then(|i| self.values.get(i)).map_or("", |v| v.trim())
    }
    fn date(&self, name: &str) -> Result<Date, String> {
        let v = self.get(name);
        Date::parse(v).map_err(|_| format!("“{name}”不是有效日期: {v:?}"))
    }
    fn opt_date(&self, name: &str) -> Result<Option<Date>, String> {
        if self.get(name).is_empty() { Ok(None) } else { self.date(name).map(Some) }
    }
    fn month(&self, name: &str) -> Result<Month, String> {
        let v = self.get(name);
        Month::parse(v).map_err(|_| format!("“{name}”不是有效月份: {v:?}"))
    }
    fn opt_month(&self, name: &str) -> Result<Option<Month>, String> {
        if self.get(name).is_empty() { Ok(None) } else { self.month(name).map(Some) }
    }
    fn money(&self, name: &str) -> Result<Fen, String> {
        let v = self.get(name);
        Fen::parse_yuan(v).map_err(|_| format!("“{name}”不是有效金额: {v:?}"))
    }
    fn required(&self, name: &str) -> Result<String, String> {
        let v = self.get(name);
        if v.is_empty() { Err(format!("“{name}”不能为空")) } else { Ok(v.to_string()) }
    }
}

fn period(c: &Cols<'_>, from: &str, to: &str) -> Result<(Month, Month), String> {
    let a = c.month(from)?;
    let b = c.opt_month(to)?.unwrap_or(OPEN_END);
    if b < a {
        return Err(format!("“{to}”早于“{from}”"));
    }
    Ok((a, b))
}

/// Where a record's data category comes from: fixed for the source, or looked up from a column
/// (人社's 待遇类型 says whether a payment is a pension or unemployment benefit).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum CategoryRule {
    Fixed { fixed: Category },
    Column { column: String, label: String, values: BTreeMap<String, Category> },
}

/// A coded field (`code`, `form`, `status`): fixed, or a column whose words a code list turns into
/// the catalog's codes. `"*"` in `codes` is the code of any other word; without it, a word the
/// list lacks rejects the row, naming the word.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum CodeRule {
    Fixed {
        fixed: String,
    },
    Column {
        column: String,
        #[serde(default)]
        required: bool,
        codes: BTreeMap<String, String>,
    },
}

impl CodeRule {
    fn code(&self, c: &Cols<'_>) -> Result<String, String> {
        match self {
            CodeRule::Fixed { fixed } => Ok(fixed.clone()),
            CodeRule::Column { column, required, codes } => {
                let v = if *required { c.required(column)? } else { c.get(column).to_string() };
                if v.is_empty() {
                    return Ok(String::new());
                }
                codes
                    .get(&v)
                    .or_else(|| codes.get("*"))
                    .cloned()
                    .ok_or_else(|| format!("“{column}”的取值“{v}”不在代码表中（请在字段映射配置中为它指定代码）"))
            }
        }
    }

    fn codes(&self) -> Vec<&str> {
        match self {
            CodeRule::Fixed { fixed } => vec![fixed.as_str()],
            CodeRule::Column { codes, .. } => codes.values().map(String::as_str).collect(),
        }
    }
}

/// A text field: a column (optionally required) or a fixed value.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum TextRule {
    Fixed {
        fixed: String,
    },
    Column {
        column: String,
        #[serde(default)]
        required: bool,
        /// `credit_code`: the value must be a valid 统一社会信用代码.
        #[serde(default)]
        check: Option<String>,
        /// Keys of one namespace (`credit_code`) are the same thing in every source that uses it,
        /// so facts from two departments about one business meet; without it a key is the
        /// source's own.
        #[serde(default)]
        namespace: Option<String>,
    },
}

/// A period of months: one month, or from–to (an empty end means ongoing).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum PeriodRule {
    Month { month: String },
    Range { from: String, to: String },
}

/// A date column.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRule {
    pub column: String,
    #[serde(default)]
    pub optional: bool,
}

/// An amount column in yuan. Amounts cannot be negative (a wage, a pension, a balance, a
/// contribution base …) unless the mapping says the source can have them (`"negative": true`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyRule {
    pub column: String,
    #[serde(default)]
    pub negative: bool,
}

/// A quantity: a floor area in m² (kept in 0.01 m²), a whole count (从业人数), or a value
/// looked up from a column.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum QuantityRule {
    Area { area: String },
    Count { count: String },
    Lookup { column: String, label: String, values: BTreeMap<String, i64> },
}

/// A column that must parse even though its value is not kept.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum CheckRule {
    Date {
        date: String,
        #[serde(default)]
        optional: bool,
    },
    Money {
        money: String,
    },
}

/// One source's columns and how a row becomes a record.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub source: String,
    /// Columns the file must have besides 身份证号 and 姓名.
    pub columns: Vec<String>,
    pub category: CategoryRule,
    #[serde(default)]
    pub checks: Vec<CheckRule>,
    pub key: Option<TextRule>,
    pub period: Option<PeriodRule>,
    pub on: Option<DateRule>,
    pub amount: Option<MoneyRule>,
    pub quantity: Option<QuantityRule>,
    pub code: Option<CodeRule>,
    pub form: Option<CodeRule>,
    pub status: Option<CodeRule>,
    /// How a report describes a row: `{列名}` is the column's value, `{列名:tail4}` only its last
    /// four characters, `{@code}`, `{@form}`, `{@status}` the catalog's label of the row's code.
    /// Without it, the source's name and the label of the row's code or the category's name.
    #[serde(default)]
    pub label: Option<String>,
}

fn text(c: &Cols<'_>, rule: &Option<TextRule>) -> Result<String, String> {
    match rule {
        None => Ok(String::new()),
        Some(TextRule::Fixed { fixed }) => Ok(fixed.clone()),
        Some(TextRule::Column { column, required, check, .. }) => {
            let v = if *required { c.required(column)? } else { c.get(column).to_string() };
            if check.as_deref() == Some("credit_code") {
                hedui_core::CreditCode::parse(&v).map_err(|e| format!("统一社会信用代码无效: {e}"))?;
            }
            Ok(v)
        }
    }
}

impl Spec {
    /// Where the row's key is hashed: its namespace, or the source's own.
    pub fn key_space(&self) -> &str {
        match &self.key {
            Some(TextRule::Column { namespace: Some(ns), .. }) => ns,
            _ => &self.source,
        }
    }

    /// Maps one row, or says why it cannot be stored.
    pub fn map(&self, c: &Cols<'_>) -> Result<Mapped, String> {
        let category = match &self.category {
            CategoryRule::Fixed { fixed } => fixed.clone(),
            CategoryRule::Column { column, label, values } => {
                let v = c.get(column);
                values.get(v).ok_or_else(|| format!("未知的{label}: {v:?}"))?.clone()
            }
        };
        for check in &self.checks {
            match check {
                CheckRule::Date { date, optional: true } => {
                    c.opt_date(date)?;
                }
                CheckRule::Date { date, optional: false } => {
                    c.date(date)?;
                }
                CheckRule::Money { money } => {
                    c.money(money)?;
                }
            }
        }
        let key = text(c, &self.key)?;
        let period = match &self.period {
            None => None,
            Some(PeriodRule::Month { month }) => {
                let m = c.month(month)?;
                Some((m, m))
            }
            Some(PeriodRule::Range { from, to }) => Some(period(c, from, to)?),
        };
        let on = match &self.on {
            None => None,
            Some(DateRule { column, optional: true }) => c.opt_date(column)?,
            Some(DateRule { column, optional: false }) => Some(c.date(column)?),
        };
        let amount = match &self.amount {
            None => Fen::ZERO,
            Some(MoneyRule { column, negative }) => {
                let v = c.money(column)?;
                if v.0 < 0 && !negative {
                    return Err(format!(
                        "“{column}”不能为负数: {:?}（该来源的金额不会小于零，请核对原始数据）",
                        c.get(column)
                    ));
                }
                v
            }
        };
        let quantity = match &self.quantity {
            None => 0,
            Some(QuantityRule::Area { area }) => {
                let v = c.get(area);
                // Areas have two decimals, exactly like yuan, so the exact parser serves for 0.01 m².
                let a = Fen::parse_yuan(v).map_err(|_| format!("“{area}”不是有效面积: {v:?}"))?.0;
                if a < 0 {
                    return Err(format!("“{area}”不能为负数: {v:?}"));
                }
                a
            }
            Some(QuantityRule::Count { count }) => {
                let v = c.get(count);
                v.parse::<u32>().map_err(|_| format!("“{count}”不是有效的人数或件数: {v:?}"))?.into()
            }
            Some(QuantityRule::Lookup { column, label, values }) => {
                let v = c.get(column);
                *values.get(v).ok_or_else(|| format!("未知的{label}: {v:?}"))?
            }
        };
        let code = |r: &Option<CodeRule>| r.as_ref().map_or(Ok(String::new()), |r| r.code(c));
        Ok(Mapped {
            category,
            period,
            on,
            amount,
            quantity,
            code: code(&self.code)?,
            form: code(&self.form)?,
            status: code(&self.status)?,
            key,
        })
    }
}

/// A mapping file: every source's spec.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mappings {
    #[serde(default)]
    pub note: String,
    pub sources: Vec<Spec>,
}

/// The demo city's mappings, carried by the binary.
pub const MAPPINGS_3204: &str = include_str!("../../../data/mappings/3204.json");

impl Mappings {
    /// Parses and checks a mapping file.
    pub fn parse(json: &str) -> Result<Mappings, String> {
        let m: Mappings = serde_json::from_str(json).map_err(|e| format!("字段映射配置格式错误：{e}"))?;
        let mut seen = std::collections::BTreeSet::new();
        for s in &m.sources {
            if !seen.insert(s.source.as_str()) {
                return Err(format!("字段映射配置中数据来源“{}”重复", s.source));
            }
            // Every column a rule reads must be among the required columns.
            let mut used: Vec<&str> = Vec::new();
            if let CategoryRule::Column { column, .. } = &s.category {
                used.push(column);
            }
            for c in &s.checks {
                used.push(match c {
                    CheckRule::Date { date, .. } => date,
                    CheckRule::Money { money } => money,
                });
            }
            if let Some(TextRule::Column { column, .. }) = &s.key {
                used.push(column);
            }
            for t in [&s.code, &s.form, &s.status].into_iter().flatten() {
                if let CodeRule::Column { column, .. } = t {
                    used.push(column);
                }
            }
            used.extend(s.label.iter().flat_map(|l| hedui_core::label::fields(l)).filter(|f| !f.starts_with('@')));
            match &s.period {
                Some(PeriodRule::Month { month }) => used.push(month),
                Some(PeriodRule::Range { from, to }) => used.extend([from.as_str(), to.as_str()]),
                None => {}
            }
            if let Some(d) = &s.on {
                used.push(&d.column);
            }
            if let Some(a) = &s.amount {
                used.push(&a.column);
            }
            match &s.quantity {
                Some(QuantityRule::Area { area }) => used.push(area),
                Some(QuantityRule::Count { count }) => used.push(count),
                Some(QuantityRule::Lookup { column, .. }) => used.push(column),
                None => {}
            }
            if let Some(u) = used.iter().find(|u| !s.columns.iter().any(|c| c == *u)) {
                return Err(format!("数据来源“{}”的规则使用了未列出的列“{u}”", s.source));
            }
        }
        Ok(m)
    }

    /// The embedded mappings (checked by a test, so this cannot fail in a release).
    pub fn builtin() -> &'static Mappings {
        static M: std::sync::OnceLock<Mappings> = std::sync::OnceLock::new();
        M.get_or_init(|| {
            Mappings::parse(MAPPINGS_3204).unwrap_or(Mappings { note: String::new(), sources: Vec::new() })
        })
    }

    /// Checks the mappings against a catalog: for every source of the catalog it maps, every
    /// category it maps to is one the source supplies, and every code it writes is in the
    /// category's code list. (A mapping of a source the catalog lacks is never used: an import
    /// names a source of the catalog.)
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        for s in &self.sources {
            let Some(src) = catalog.get(&s.source) else { continue };
            let cats: Vec<&Category> = match &s.category {
                CategoryRule::Fixed { fixed } => vec![fixed],
                CategoryRule::Column { values, .. } => values.values().collect(),
            };
            for cat in cats {
                if !src.supplies(cat) {
                    return Err(format!("数据来源“{}”映射到的数据类别“{cat}”不在目录为它列出的类别中", s.source));
                }
                let def = catalog.category(cat);
                for (field, rule) in [("code", &s.code), ("form", &s.form), ("status", &s.status)] {
                    let Some(rule) = rule else { continue };
                    let list = def.and_then(|d| d.codes.get(field));
                    for code in rule.codes() {
                        if !list.is_some_and(|l| l.contains_key(code)) {
                            return Err(format!(
                                "数据来源“{}”的 {field} 代码“{code}”不在数据类别“{cat}”的代码表中",
                                s.source
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub fn spec(&self, source: &str) -> Option<&Spec> {
        self.sources.iter().find(|s| s.source == source)
    }

    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|s| s.source.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_mappings_parse_and_cover_the_thirteen_mirrors() {
        let m = Mappings::parse(MAPPINGS_3204).unwrap();
        assert_eq!(m.sources.len(), 13);
        assert_eq!(Mappings::builtin().sources.len(), 13);
    }

    #[test]
    fn a_rule_reading_an_unlisted_column_is_refused() {
        let bad =
            r#"{"sources":[{"source":"x","columns":["a"],"category":{"fixed":"vehicle"},"amount":{"column":"b"}}]}"#;
        assert!(Mappings::parse(bad).unwrap_err().contains("未列出的列“b”"));
        let dup = r#"{"sources":[{"source":"x","columns":[],"category":{"fixed":"vehicle"}},{"source":"x","columns":[],"category":{"fixed":"vehicle"}}]}"#;
        assert!(Mappings::parse(dup).unwrap_err().contains("重复"));
    }
}
