//! Backup and restore marks. A backup is taken while the node runs (SQLite: a consistent copy;
//! PostgreSQL: its own base backups and WAL archive), after a signed checkpoint of every chain. A
//! restored database gets a signed `restore` checkpoint of each chain as restored, then an audited
//! row: `verify` then tells the rows lost since the backup (checkpoints exported before the restore
//! beyond its seq, superseded) from a truncation. Both are run from the command line by whoever
//! holds the master key.

use hedui_store::AuditOutcome;
use hedui_store::chain::Checkpoint;

use crate::{App, AppResult, Caller};

impl App {
    /// Copies this node's database into `to` (a SQLite file), after an audited row and a signed
    /// checkpoint of every chain, both of which the copy holds.
    pub fn backup(&self, actor: &Caller, to: &std::path::Path) -> AppResult<Vec<Checkpoint>> {
        let name = to.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.audit(actor, "node.backup", "database", AuditOutcome::Ok, format!("备份到 {name}"))?;
        let made = self.checkpoint("backup")?;
        self.store.backup_into(&to.display().to_string())?;
        Ok(made)
    }

    /// Marks this database as restored from the backup `from`: a signed `restore` checkpoint of
    /// every chain as it now stands, then an audited row and a checkpoint of that.
    pub fn mark_restored(&self, actor: &Caller, from: &str) -> AppResult<Vec<Checkpoint>> {
        let made = self.checkpoint("restore")?;
        self.audit(actor, "node.restore", "database", AuditOutcome::Ok, format!("从备份 {from} 恢复"))?;
        self.checkpoint("manual")?;
        Ok(made)
    }
}
