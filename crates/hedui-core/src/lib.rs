//! The pure domain core of hedui.
//!
//! Everything here is data and computation: identifiers, money, dates, the
//! household and its authorizations, commissions, the verification job's state
//! machine and the means test. Nothing in this crate performs I/O or reads the
//! clock; callers pass `as_of` dates in.

pub mod authorization;
pub mod commission;
pub mod date;
pub mod fact;
pub mod household;
pub mod id_number;
pub mod ids;
pub mod job;
pub mod means_test;
pub mod money;
pub mod policy;
pub mod programme;

pub use date::{Date, Month};
pub use ids::{AuthorizationId, BatchId, CommissionId, HouseholdId, JobId, PersonId, UserId};
pub use money::Fen;
