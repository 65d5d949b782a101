//! A parameter value as applied in a decision, with where it came from.
//!
//! Policy itself lives in [`crate::rules`]: dated parameters and rules per region, compiled per
//! programme. This is the small record a report keeps of each parameter an item used.

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// A parameter value as applied, with where it came from (for the report's trace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
