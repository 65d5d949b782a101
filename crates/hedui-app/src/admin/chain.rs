//! The audit chain's keys, its signed checkpoints and their export off the database, and
//! `verify` (GB/T 39786-2021 level 3: the integrity of behaviour logs by HMAC-SM3, and their
//! non-repudiation by SM2).
//!
//! Every audit row is chained as the store writes it (see `hedui_store::chain`). A checkpoint is
//! the chain's head (seq and link), the rows held and the first seq held, signed with the node's
//! SM2 key. It is kept in the database for the viewer and exported where the database's users
//! cannot reach: appended to a file (one JSON object a line), and sent to syslog when configured.
//! `verify` trusts only the exported copies it is given.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use hedui_crypto::{KeyProvider, encode_hex};
use hedui_store::AuditOutcome;
use hedui_store::chain::{AuditMac, CHAINS, Checkpoint};

use super::verify::{AuditVerification, Finding, Verifier};
use crate::{Action, App, AppError, AppResult, Caller, Object};

/// How many rows `verify` reads at a time.
const PAGE: i64 = 5000;

/// The chain's MAC: HMAC-SM3 under a key the key provider derives for the audit chain.
pub struct ChainKeys {
    keys: Arc<dyn KeyProvider>,
}

impl ChainKeys {
    pub fn new(keys: Arc<dyn KeyProvider>) -> ChainKeys {
        ChainKeys { keys }
    }
}

impl AuditMac for ChainKeys {
    fn epoch(&self) -> i64 {
        BorrowedKeys(self.keys.as_ref()).epoch()
    }
    fn mac(&self, epoch: i64, data: &[u8]) -> Option<[u8; 32]> {
        BorrowedKeys(self.keys.as_ref()).mac(epoch, data)
    }
    fn plain(&self, column: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        BorrowedKeys(self.keys.as_ref()).plain(column, sealed)
    }
}

/// The same MAC over borrowed keys. Rows are written under the key provider's current epoch;
/// rows of an earlier epoch are checked with that epoch's index key, which a rotation keeps.
pub struct BorrowedKeys<'a>(pub &'a dyn KeyProvider);

impl AuditMac for BorrowedKeys<'_> {
    fn epoch(&self) -> i64 {
        i64::from(self.0.epoch())
    }
    fn mac(&self, epoch: i64, data: &[u8]) -> Option<[u8; 32]> {
        let epoch = u8::try_from(epoch).ok()?;
        self.0.blind_index_in(epoch, b"audit-chain", data)
    }
    fn plain(&self, column: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let place = match column {
            "search_enc" => hedui_identity::place::audit_search(),
            _ => hedui_identity::place::audit_note(),
        };
        self.0.open(&place, sealed).ok()
    }
}

/// Where checkpoints are exported.
#[derive(Clone, Debug, Default)]
pub struct CheckpointExport {
    /// A file the checkpoints are appended to (a mounted remote path, a write-once volume).
    pub file: Option<PathBuf>,
    /// Also send each checkpoint to the local syslog (`/dev/log`), for a log collector.
    pub syslog: bool,
}

impl App {
    /// Signs a checkpoint of every chain as it stands, keeps it and exports it. `kind` says why:
    /// `interval`, `manual`, `purge` or `restore`.
    pub fn checkpoint(&self, kind: &str) -> AppResult<Vec<Checkpoint>> {
        CHAINS.iter().map(|c| self.checkpoint_chain(c, kind)).collect()
    }

    /// Signs, keeps and exports a checkpoint of one chain.
    pub fn checkpoint_chain(&self, chain: &str, kind: &str) -> AppResult<Checkpoint> {
        let head = self.store.audit_head(chain)?;
        self.signed_checkpoint(Checkpoint {
            chain: chain.into(),
            seq: head.seq,
            link: head.link.as_deref().map(encode_hex).unwrap_or_default(),
            rows_held: head.rows_held,
            first_seq: head.first_seq,
            at: self.now(),
            kind: kind.into(),
            key_epoch: i64::from(self.identity.keys().epoch()),
            signer: String::new(),
            public_key: String::new(),
            signature: String::new(),
        })
    }

    /// Signs `cp` with the node's SM2 key (its signer fields filled in), keeps it and exports
    /// it; an export that fails is an error, so that nothing relies on a checkpoint not exported.
    pub(crate) fn signed_checkpoint(&self, mut cp: Checkpoint) -> AppResult<Checkpoint> {
        cp.signer = self.signer.signer().into();
        cp.public_key = self.signer.public().sign;
        cp.signature = self.signer.sign_statement(&cp.statement()).map_err(AppError::Internal)?;
        self.store.put_checkpoint(&cp)?;
        self.export_checkpoint(&cp)?;
        Ok(cp)
    }

    /// A checkpoint of each chain that rows were added to since its last one (the periodic task
    /// calls this).
    pub fn checkpoint_if_changed(&self) -> AppResult<Vec<Checkpoint>> {
        let mut out = Vec::new();
        for chain in CHAINS {
            let head = self.store.audit_head(chain)?;
            if self.store.last_checkpoint(chain)?.is_none_or(|c| c.seq != head.seq) {
                out.push(self.checkpoint_chain(chain, "interval")?);
            }
        }
        Ok(out)
    }

    fn export_checkpoint(&self, cp: &Checkpoint) -> AppResult<()> {
        let line = serde_json::to_string(cp).map_err(|e| AppError::Internal(e.to_string()))?;
        if let Some(path) = &self.checkpoint_export.file {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| AppError::Internal(format!("审计检查点文件 {}：{e}", path.display())))?;
            f.write_all(format!("{line}\n").as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| AppError::Internal(format!("写审计检查点文件 {}：{e}", path.display())))?;
        }
        if self.checkpoint_export.syslog {
            send_syslog(&line).map_err(|e| AppError::Internal(format!("审计检查点送 syslog：{e}")))?;
        }
        Ok(())
    }

    /// Checks every audit chain against `exported` checkpoints (read from their export, not
    /// from the database). For the 审计管理员 (or hedui itself); the check is audited.
    pub fn verify_audit(&self, actor: &Caller, exported: &[Checkpoint]) -> AppResult<AuditVerification> {
        self.authorize(actor, Action::AuditRead, &Object::None)?;
        let mac = BorrowedKeys(self.identity.keys());
        let mut bad: Vec<(String, Finding)> = Vec::new();
        let good: Vec<Checkpoint> = exported
            .iter()
            .filter(|c| match self.checkpoint_fault(c) {
                None => true,
                Some(reason) => {
                    bad.push((c.chain.clone(), Finding::BadCheckpoint { seq: c.seq, at: c.at.to_string(), reason }));
                    false
                }
            })
            .cloned()
            .collect();
        let own = |chain: &str| good.iter().filter(|c| c.chain == chain).cloned().collect::<Vec<_>>();
        let mut pending: std::collections::BTreeMap<String, Verifier<'_>> =
            CHAINS.iter().map(|c| (c.to_string(), Verifier::new(c, &mac, &own(c)))).collect();
        let (mut before_chains, mut after) = (0, 0);
        loop {
            let rows = self.store.audit_chain(after, PAGE)?;
            for r in &rows {
                if r.seq.is_none() {
                    before_chains += 1;
                    continue;
                }
                // A chain this release does not name is still checked, without checkpoints.
                pending.entry(r.chain.clone()).or_insert_with(|| Verifier::new(&r.chain, &mac, &[])).row(r);
            }
            match rows.last() {
                Some(r) if rows.len() as i64 == PAGE => after = r.id,
                _ => break,
            }
        }
        let mut out = AuditVerification { chains: Vec::new(), before_chains };
        for (name, v) in pending {
            let mut done = v.finish(&own(&name));
            for (_, f) in bad.iter().filter(|(c, _)| *c == name) {
                done.checkpoints += 1;
                done.findings.push(f.clone());
            }
            out.chains.push(done);
        }
        let findings = out.findings().count();
        let rows: i64 = out.chains.iter().map(|c| c.rows).sum::<i64>() + before_chains;
        let summary = format!("{rows} 行，{} 条链，发现 {findings} 处问题", out.chains.len());
        // A trail found altered is raised to the 安全管理员 (a security event).
        let outcome = if out.intact() { AuditOutcome::Ok } else { AuditOutcome::Error };
        self.audit(actor, "audit.verify", "audit", outcome, summary)?;
        Ok(out)
    }

    /// Checks the chains against the checkpoints exported to this node's file, or, when it has
    /// none, against the database's own copies; with the name of what it relied on.
    pub fn verify_audit_here(&self, actor: &Caller) -> AppResult<(AuditVerification, String)> {
        let (checkpoints, source) = match &self.checkpoint_export.file {
            Some(f) => {
                let text = match std::fs::read_to_string(f) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => return Err(AppError::Internal(format!("读取检查点文件 {}：{e}", f.display()))),
                };
                (read_checkpoints(&text).map_err(AppError::Invalid)?, format!("导出的检查点文件 {}", f.display()))
            }
            None => (
                self.store.checkpoints()?,
                "数据库中保存的检查点副本（未配置导出文件，不能证明末尾未被截断）".to_string(),
            ),
        };
        Ok((self.verify_audit(actor, &checkpoints)?, source))
    }

    /// Why a checkpoint cannot be trusted, if it cannot: not signed by this node's key, or a
    /// signature that does not hold.
    fn checkpoint_fault(&self, c: &Checkpoint) -> Option<String> {
        if self.signer.is_revoked(&c.public_key) {
            return Some("签名公钥已吊销".into());
        }
        if !self.signer.accepts(&c.public_key) {
            return Some("不是本节点的签名公钥".into());
        }
        let ok = crate::reports::sign::ReportSigner::verify_by(&c.public_key, &c.statement(), &c.signature);
        (!ok).then(|| "SM2 签名无效".into())
    }
}

/// Reads exported checkpoints: one JSON object a line; blank lines are skipped.
pub fn read_checkpoints(text: &str) -> Result<Vec<Checkpoint>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("第 {} 行：{e}", i + 1)))
        .collect()
}

/// Sends one line to the local syslog socket (RFC 3164, facility local0, severity info).
fn send_syslog(line: &str) -> std::io::Result<()> {
    let socket = std::os::unix::net::UnixDatagram::unbound()?;
    socket.send_to(format!("<134>hedui: audit-checkpoint {line}").as_bytes(), "/dev/log")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::read_checkpoints;

    #[test]
    fn a_broken_checkpoint_file_names_its_line() {
        assert!(read_checkpoints("\n\n").unwrap().is_empty(), "blank lines are skipped");
        let e = read_checkpoints("\n{\"chain\": \"query\"").unwrap_err();
        assert!(e.starts_with("第 2 行"), "{e}");
    }
}
