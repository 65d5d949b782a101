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

/// The seal's picture and certificate a deployment installed (`reports.seal_picture`,
/// `reports.seal_certificate`), read and checked against the node's signing key; a missing or
/// wrong file stops the start with what to fix.
pub fn installed_seal(
    reports: &ReportsConfig,
    app: &hedui_app::App,
) -> anyhow::Result<hedui_app::reports::org_seal::OrgSeal> {
    use anyhow::Context;
    let read = |setting: &str, path: &Option<std::path::PathBuf>| -> anyhow::Result<Option<Vec<u8>>> {
        path.as_ref()
            .map(|p| std::fs::read(p).with_context(|| format!("{setting} 指定的文件 {} 无法读取", p.display())))
            .transpose()
    };
    let picture = read("reports.seal_picture", &reports.seal_picture)?;
    let certificate = read("reports.seal_certificate", &reports.seal_certificate)?;
    let key = hedui_crypto::decode_hex(&app.signer.public().sign).context("节点签名公钥格式错误")?;
    hedui_app::reports::org_seal::OrgSeal::new(picture, certificate, &key)
        .map_err(|e| anyhow::anyhow!("电子印章配置（reports.seal_picture / reports.seal_certificate）：{e}"))
}

/// How reports are issued.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReportsConfig {
    /// A report a 核对员 verified waits for an 审核员 (not its verifier) to approve and issue
    /// it with their own SM2 signature; `false` issues it at once.
    pub review: bool,
    /// The organization that issues reports (出具单位), named in their signature and seal.
    pub organization: String,
    /// The seal's picture as the seal authority issued it (PNG, JPEG or GIF, at most 512 KB),
    /// in place of the drawn one.
    pub seal_picture: Option<std::path::PathBuf>,
    /// The X.509 certificate (PEM or DER) a CA issued for the node's signing key, carried in the
    /// seal in place of the bare key; it must hold the node's key (`hedui report key`).
    pub seal_certificate: Option<std::path::PathBuf>,
}

impl Default for ReportsConfig {
    fn default() -> ReportsConfig {
        ReportsConfig {
            review: true,
            organization: crate::DEFAULT_ORGANIZATION.into(),
            seal_picture: None,
            seal_certificate: None,
        }
    }
}
