//! Administration: users and sessions, the database's key binding and upgrades, and reading the
//! audit log.

pub mod accounts;
mod audit;
mod backup;
pub mod caseload;
pub mod chain;
pub mod exchange_keys;
pub mod factors;
pub mod networks;
pub mod node_keys;
pub mod recode;
pub mod recovery;
pub mod retention;
pub mod rotate;
mod rotate_rows;
pub mod security;
pub mod transparency;
pub mod upgrade;
pub mod users;
pub mod verify;
