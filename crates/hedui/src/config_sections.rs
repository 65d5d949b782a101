//! Sections of the configuration: `[audit]` and `[reports]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where the audit chain's signed checkpoints go, and how often one is made.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditConfig {
    /// The file checkpoints are appended to. Put it where the database's users cannot write (a
    /// remote mount, a write-once volume). When absent, a SQLite node writes
    /// `<database>.checkpoints.jsonl` beside its database, and a PostgreSQL node exports none
    /// (and says so).
    pub checkpoint_file: Option<PathBuf>,
    /// Also send each checkpoint to the local syslog (`/dev/log`).
    pub checkpoint_syslog: bool,
    /// `hedui serve` makes a checkpoint this often when rows were added.
    pub checkpoint_minutes: u64,
    /// The retention schedule (JSON, like `data/retention.json`); the built-in one when absent.
    pub retention_file: Option<PathBuf>,
}

impl AuditConfig {
    /// The checkpoint file for a node whose database is `db_url`.
    pub fn checkpoint_file_for(&self, db_url: &str) -> Option<PathBuf> {
        match &self.checkpoint_file {
            Some(f) => Some(f.clone()),
            None if db_url.starts_with("postgres://") || db_url.starts_with("postgresql://") => None,
            None => Some(PathBuf::from(format!("{db_url}.checkpoints.jsonl"))),
        }
    }
}

/// How reports are issued.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReportsConfig {
    /// A report a 核对员 verified waits for an 审核员 (not its verifier) to approve and issue
    /// it with their own SM2 signature; `false` issues it at once.
    pub review: bool,
    /// The organization that issues reports (出具单位), named in their signature and seal.
    pub organization: String,
}

impl Default for ReportsConfig {
    fn default() -> ReportsConfig {
        ReportsConfig { review: true, organization: crate::DEFAULT_ORGANIZATION.into() }
    }
}
