//! The bodies carried inside envelopes.

use serde::{Deserialize, Serialize};

use hedui_core::catalog::Category;
use hedui_core::{Date, Fen};

/// One person asked about, under the family's letter and the commission it serves. `ref_id`
/// ties the answer to the question without repeating the ID number in the answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonQuery {
    pub ref_id: String,
    /// Normalized 18-character ID number.
    pub id_number: String,
    pub name: String,
    /// The family's authorization letter (授权书) number. Institutions refuse a query without it.
    pub authorization_no: String,
    /// The business department's commission (委托) number.
    pub commission_no: String,
}

/// A query about up to a source's batch size of persons, who may belong to different families
/// and commissions (as a DCI search request carries a list of criteria).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Balances are as of this date; movements end on it.
    pub query_date: Date,
    /// Months of movements wanted before the query date.
    pub lookback_months: u32,
    pub categories: Vec<Category>,
    pub persons: Vec<PersonQuery>,
    /// Where to send the answer when the source answers later (asynchronous mode).
    pub callback_url: Option<String>,
}

/// How a transaction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum ResponseStatus {
    /// The answer is complete (this message, or an earlier one with the same transaction).
    Completed,
    /// Accepted; the answer follows by callback (or a status query).
    Accepted,
    /// Refused as a whole, with the reason (no authorization number, unknown requester …).
    Refused(String),
    /// Not known to the source.
    Unknown,
}

/// What a source says about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum PersonStatus {
    Found,
    NoRecord,
    /// This person's query is refused (no letter or commission number, say); the others stand.
    Refused(String),
}

/// One thing a source holds about a person: an account, a holding, a movement, a title, a
/// vehicle, a benefit payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub category: Category,
    /// The item's own identifier: account number, product code, plate, title number.
    pub key: String,
    /// Its kind as the source names it (活期, 定期, 货币基金, 小型汽车 …).
    pub label: String,
    /// Balance, value or amount; outflows are negative.
    pub amount: Fen,
    /// Units, floor area in 0.01 m², or 0.
    pub quantity: i64,
    /// The date the amount refers to (query date for balances, valuation date, movement date).
    pub on: Option<Date>,
    /// Further fields, in the source's words.
    pub detail: Vec<(String, String)>,
}

/// The answer about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonResult {
    pub ref_id: String,
    pub status: PersonStatus,
    pub items: Vec<Item>,
}

/// The answer to a search (synchronous, by callback, or to a status query).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub status: ResponseStatus,
    pub results: Vec<PersonResult>,
}

/// Asks for the state of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequest {
    pub transaction_id: String,
}
