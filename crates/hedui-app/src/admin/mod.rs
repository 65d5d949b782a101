//! Administration: users and sessions, the database's key binding and upgrades, and reading the
//! audit log.

mod audit;
pub mod caseload;
pub mod recode;
pub mod upgrade;
pub mod users;
