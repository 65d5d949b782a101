//! The pure domain core of hedui.
//!
//! Everything here is data and computation: identifiers, money, dates, the
//! household and its authorizations, commissions, the verification job's state
//! machine and the facts sources give. The rules language is `hedui-rules`; the means test is
//! `hedui-means`. Nothing in this crate performs I/O or reads the
//! clock; callers pass `as_of` dates in.

pub mod authorization;
pub mod calendar;
pub mod catalog;
pub mod category;
pub mod codes;
pub mod commission;
pub mod credit_code;
pub mod date;
pub mod fact;
pub mod household;
pub mod id_number;
pub mod ids;
pub mod job;
pub mod label;
pub mod money;
pub mod name;
pub mod policy;
pub mod programme;
pub mod region;
mod schema;
pub mod sealed;
pub mod timestamp;

pub use calendar::{CalendarDay, CalendarError, DayKind, WorkCalendar};
pub use credit_code::{CreditCode, CreditCodeError};
pub use date::{Date, Month};
pub use id_number::{IdError, IdKind, IdNote, IdNumber, Sex};
pub use ids::{
    AuthorizationId, BatchId, CommissionId, HouseholdId, JobId, PersonId, QueryId, RecordId, ReportId, RequestId,
    UserId,
};
pub use money::Fen;
pub use region::{RegionCode, RegionCodeError, RegionDataError, RegionLevel, RegionStatus, RegionTable, TownshipKind};
pub use sealed::{BlindIndex, Sealed};
pub use timestamp::Timestamp;
