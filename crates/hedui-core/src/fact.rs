//! Facts: what a department or a bank said about one person, with its source and date.
//!
//! Every mirror row and every bank answer becomes one [`Fact`] once its ID
//! number has been resolved to a [`PersonId`]. The means test reads nothing
//! else, so every figure in a report can name the source and as-of date it
//! came from.

use serde::{Deserialize, Serialize};

use crate::catalog::Category;
use crate::date::{Date, Month};
use crate::ids::PersonId;
use crate::money::Fen;

/// What one row or answer says about one thing, whichever way it arrived: the shape a
/// department's row is mapped to, an institution's answer is read into, the store keeps, and the
/// means test reads (through [`Fact`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Observation {
    /// The data category it belongs to (`real_estate`, `tax_income`, `deposit` …), as the catalog
    /// defines it.
    pub category: Category,
    /// Income and benefit periods, inclusive months.
    pub period: Option<(Month, Month)>,
    /// The event date: registration, movement, death.
    pub on: Option<Date>,
    /// Monthly amount, income, balance, valuation or movement, by category.
    pub amount: Fen,
    /// Floor area in 0.01 m², or a count.
    pub quantity: i64,
    /// The code of its use, role or type in the category's `code` list (`residential`,
    /// `commercial`, `wage`, `operator` …): a mapping normalizes the source's words into it.
    pub code: String,
    /// The code of its form in the category's `form` list (`individual` for a 个体工商户).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub form: String,
    /// The code of its status in the category's `status` list (`active`, `cancelled` …).
    pub status: String,
    /// A stable key for counting distinct things (title number, plate, credit code, account),
    /// possibly a keyed hash.
    pub key: String,
}

impl Observation {
    /// An observation of `category` with nothing else said yet.
    pub fn of(category: Category) -> Observation {
        Observation {
            category,
            period: None,
            on: None,
            amount: Fen::ZERO,
            quantity: 0,
            code: String::new(),
            form: String::new(),
            status: String::new(),
            key: String::new(),
        }
    }

    /// Whether its status is one of `codes`.
    pub fn status_in(&self, codes: &[&str]) -> bool {
        codes.contains(&self.status.as_str())
    }
}

/// One fact about one resolved person: an observation, who it is about, where and when it was
/// said, and how the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fact {
    /// Source code, e.g. `shuiwu` or a bank code such as `B01`.
    pub source: String,
    #[serde(flatten)]
    pub obs: Observation,
    pub person: PersonId,
    /// The snapshot date of the mirror, or the query date of a bank answer.
    pub as_of: Date,
    /// Human-readable description for the report (already masked for the reader).
    pub label: String,
    /// The stored record this fact came from.
    pub record: crate::ids::RecordId,
}

/// A fact reads as its observation (`fact.category`, `fact.amount` …).
impl std::ops::Deref for Fact {
    type Target = Observation;
    fn deref(&self) -> &Observation {
        &self.obs
    }
}
