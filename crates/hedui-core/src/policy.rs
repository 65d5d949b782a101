//! A simple dated 低保 policy: parameters with effective dates and the document they come from.
//!
//! Policy is data. A city's parameters live in a JSON file with one entry per
//! parameter and period; evaluation always happens as of a date, and a
//! parameter that has no entry valid on that date is an error, never a
//! silent default. (A full rules engine replaces this module later; the
//! dated-parameter model stays.)

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::money::Fen;

/// One dated value of one parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamEntry {
    pub key: String,
    pub value: i64,
    /// First day the value applies.
    pub from: Date,
    /// Last day the value applies; `None` while in force.
    #[serde(default)]
    pub to: Option<Date>,
    /// The document number (文号) the value comes from.
    pub doc: String,
}

/// A region's policy file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyFile {
    /// Region code the file applies to (e.g. `3204`).
    pub region: String,
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
    pub parameters: Vec<ParamEntry>,
}

/// Why a policy could not be read or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("政策文件格式错误: {0}")]
    Format(String),
    #[error("政策参数 {key} 在 {as_of} 没有有效取值（请检查政策文件的生效日期）")]
    NoValue { key: String, as_of: Date },
    #[error("政策参数 {key} 在 {as_of} 有两个有效取值（{a} 与 {b}），生效期重叠")]
    Overlap { key: String, as_of: Date, a: String, b: String },
    #[error("政策参数 {key} 的取值 {value} 不合理: {why}")]
    BadValue { key: String, value: i64, why: &'static str },
}

/// A parameter value as applied, with where it came from (for the report's trace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub key: String,
    pub value: i64,
    pub from: Date,
    pub to: Option<Date>,
    pub doc: String,
    /// The parameter's name and its value in its unit, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// The parameters of the simple 低保 means test on one date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DibaoParams {
    pub as_of: Date,
    /// 低保标准, fen per person per month.
    pub standard: Applied,
    /// Months of income averaged (the months before the month of the check).
    pub income_months: Applied,
    /// Financial assets may not exceed standard × household size × this many months.
    pub asset_months: Applied,
    /// Residential properties allowed.
    pub max_dwellings: Applied,
    /// A single outflow of at least this much (fen) is a 疑点.
    pub large_outflow: Applied,
    /// Window for large outflows, in months before the check.
    pub outflow_window_months: Applied,
}

impl DibaoParams {
    pub fn standard_fen(&self) -> Fen {
        Fen(self.standard.value)
    }
}

pub const K_STANDARD: &str = "dibao.standard_fen";
pub const K_INCOME_MONTHS: &str = "income.months";
pub const K_ASSET_MONTHS: &str = "assets.financial_months";
pub const K_MAX_DWELLINGS: &str = "assets.max_dwellings";
pub const K_LARGE_OUTFLOW: &str = "anomaly.large_outflow_fen";
pub const K_OUTFLOW_WINDOW: &str = "anomaly.outflow_window_months";

impl PolicyFile {
    pub fn from_json(text: &str) -> Result<PolicyFile, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError::Format(e.to_string()))
    }

    /// The single entry of `key` in force on `as_of`.
    pub fn value_at(&self, key: &str, as_of: Date) -> Result<Applied, PolicyError> {
        let mut found: Option<&ParamEntry> = None;
        for e in self.parameters.iter().filter(|e| e.key == key) {
            if e.from <= as_of && e.to.is_none_or(|t| as_of <= t) {
                if let Some(prev) = found {
                    return Err(PolicyError::Overlap {
                        key: key.to_string(),
                        as_of,
                        a: prev.doc.clone(),
                        b: e.doc.clone(),
                    });
                }
                found = Some(e);
            }
        }
        let e = found.ok_or_else(|| PolicyError::NoValue { key: key.to_string(), as_of })?;
        Ok(Applied {
            key: e.key.clone(),
            value: e.value,
            from: e.from,
            to: e.to,
            doc: e.doc.clone(),
            title: String::new(),
            text: String::new(),
        })
    }

    /// All parameters of the simple 低保 test on `as_of`.
    pub fn dibao_at(&self, as_of: Date) -> Result<DibaoParams, PolicyError> {
        let positive = |a: Applied| -> Result<Applied, PolicyError> {
            if a.value <= 0 {
                return Err(PolicyError::BadValue { key: a.key, value: a.value, why: "必须大于 0" });
            }
            Ok(a)
        };
        let months = |a: Applied| -> Result<Applied, PolicyError> {
            if !(1..=120).contains(&a.value) {
                return Err(PolicyError::BadValue { key: a.key, value: a.value, why: "月数应在 1 到 120 之间" });
            }
            Ok(a)
        };
        Ok(DibaoParams {
            as_of,
            standard: positive(self.value_at(K_STANDARD, as_of)?)?,
            income_months: months(self.value_at(K_INCOME_MONTHS, as_of)?)?,
            asset_months: months(self.value_at(K_ASSET_MONTHS, as_of)?)?,
            max_dwellings: self.value_at(K_MAX_DWELLINGS, as_of)?,
            large_outflow: positive(self.value_at(K_LARGE_OUTFLOW, as_of)?)?,
            outflow_window_months: months(self.value_at(K_OUTFLOW_WINDOW, as_of)?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"region":"3204","name":"t","parameters":[
      {"key":"dibao.standard_fen","value":100000,"from":"2024-07-01","to":"2025-06-30","doc":"A"},
      {"key":"dibao.standard_fen","value":110000,"from":"2025-07-01","doc":"B"},
      {"key":"income.months","value":12,"from":"2020-01-01","doc":"C"},
      {"key":"assets.financial_months","value":24,"from":"2020-01-01","doc":"C"},
      {"key":"assets.max_dwellings","value":1,"from":"2020-01-01","doc":"C"},
      {"key":"anomaly.large_outflow_fen","value":5000000,"from":"2020-01-01","doc":"C"},
      {"key":"anomaly.outflow_window_months","value":6,"from":"2020-01-01","doc":"C"}
    ]}"#;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::MIN)
    }

    #[test]
    fn values_follow_their_effective_dates() {
        let p = PolicyFile::from_json(FILE).map_err(|e| e.to_string());
        let p = p.as_ref().map_err(Clone::clone);
        let Ok(p) = p else { panic!("policy parses") };
        let v = |d| p.value_at(K_STANDARD, day(d)).map(|a| (a.value, a.doc));
        assert_eq!(v("2025-06-30"), Ok((100000, "A".into())));
        assert_eq!(v("2025-07-01"), Ok((110000, "B".into())));
        assert_eq!(v("2024-06-30"), Err(PolicyError::NoValue { key: K_STANDARD.into(), as_of: day("2024-06-30") }));
        assert!(p.dibao_at(day("2026-11-27")).is_ok());
    }

    #[test]
    fn overlapping_periods_are_an_error() {
        let mut p = PolicyFile::from_json(FILE).unwrap_or_else(|_| panic!("policy parses"));
        p.parameters.push(ParamEntry {
            key: K_STANDARD.into(),
            value: 1,
            from: day("2026-01-01"),
            to: None,
            doc: "D".into(),
        });
        assert!(matches!(p.value_at(K_STANDARD, day("2026-02-01")), Err(PolicyError::Overlap { .. })));
    }
}
