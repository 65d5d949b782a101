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

mod assess;
mod assessment;
mod case;
mod inputs;

pub use assess::{AnomalyParams, assess};
pub use assessment::*;
pub use case::*;
/// The policy engine's decision an assessment carries (readers of a report name its type).
pub use hedui_rules::Decision;
pub use inputs::{build_inputs, is_deposit, is_holding};
