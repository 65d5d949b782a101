//! The node's signing key (reports' seals and files, audit checkpoints): generated at random at
//! the first start, never derived from the master key, its private half sealed under the master
//! key for its public half. Rolling it makes a new active key and retires the old one, which
//! still verifies what it signed. Revoking a key (it was exposed) makes it verify nothing: what it
//! had signed in the store is checked and signed again by the active key, and a checkpoint it
//! signed is no longer trusted. A running node takes a roll or a revocation at its next start.

use hedui_identity::{period, place};
use hedui_store::{AuditOutcome, NodeKeyRow};

use crate::reports::sign::ReportSigner;
use crate::{App, AppError, AppResult, Caller, Principal, Role};

/// The purpose of the node's signing key.
pub const PURPOSE: &str = "sign";

/// One of the node's signing keys, as `hedui key list` and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SigningKey {
    pub public_key: String,
    /// `active`, `retired` or `revoked`; `derived` for the key earlier releases derived from the
    /// master key (it still verifies what they signed).
    pub state: String,
    pub since: String,
    pub reason: String,
}

impl App {
    /// Makes the node's keys the signer: the active one (generated, and audited, when there is
    /// none), the retired ones and the key earlier releases derived; revoked ones refused.
    pub fn load_signing_keys(&mut self, node: &str) -> AppResult<()> {
        let mut rows = self.store.node_keys(PURPOSE)?;
        if !rows.iter().any(|k| k.state == "active") {
            self.add_signing_key(&Caller::system("node-key"), node, "首次启动时生成")?;
            rows = self.store.node_keys(PURPOSE)?;
        }
        let active = rows
            .iter()
            .find(|k| k.state == "active")
            .ok_or_else(|| AppError::Internal("节点没有现用的签名密钥".into()))?;
        let seed = zeroize::Zeroizing::new(
            self.identity.open(&place::node_key_secret(&active.public_key), active.secret_enc.as_bytes())?,
        );
        let mut accepted: Vec<String> =
            rows.iter().rev().filter(|k| k.state == "retired").map(|k| k.public_key.clone()).collect();
        accepted.push(ReportSigner::derive(self.identity.keys(), node).public().sign);
        let revoked = rows.iter().filter(|k| k.state == "revoked").map(|k| k.public_key.clone()).collect();
        self.signer = ReportSigner::from_seed(&seed, node, accepted, revoked);
        Ok(())
    }

    /// A new active signing key; the one that was is retired. Returns its public key.
    pub fn roll_signing_key(&mut self, actor: &Caller, node: &str) -> AppResult<String> {
        key_officer(actor)?;
        let public = self.add_signing_key(actor, node, "轮换")?;
        self.load_signing_keys(node)?;
        Ok(public)
    }

    /// Revokes the key `public_key` (a new active key replaces it when it was the active one),
    /// and signs again everything in the store it had signed. Returns the reports signed again.
    pub fn revoke_signing_key(
        &mut self,
        actor: &Caller,
        node: &str,
        public_key: &str,
        reason: &str,
    ) -> AppResult<usize> {
        key_officer(actor)?;
        if reason.trim().is_empty() {
            return Err(AppError::Invalid("请写明吊销原因".into()));
        }
        let rows = self.store.node_keys(PURPOSE)?;
        let key = rows
            .iter()
            .find(|k| k.public_key == public_key.trim())
            .ok_or_else(|| AppError::NotFound(format!("签名公钥 {public_key}")))?;
        if key.state == "revoked" {
            return Err(AppError::InvalidState("该签名密钥已吊销".into()));
        }
        if key.state == "active" {
            self.add_signing_key(actor, node, "替换被吊销的密钥")?;
        }
        let audit = self.audit_entry(
            actor,
            "key.revoke",
            "node-key",
            AuditOutcome::Ok,
            format!("{}：{}", short(&key.public_key), reason.trim()),
        );
        self.store.revoke_node_key(key.id, self.now(), reason.trim(), &audit)?;
        self.load_signing_keys(node)?;
        self.resign_reports_by(actor, &key.public_key)
    }

    /// Every signing key: the stored ones and the derived one.
    pub fn signing_keys(&self, node: &str) -> AppResult<Vec<SigningKey>> {
        let mut out: Vec<SigningKey> = self
            .store
            .node_keys(PURPOSE)?
            .into_iter()
            .map(|k| SigningKey {
                public_key: k.public_key,
                state: k.state,
                since: k.changed_at.unwrap_or(k.created_at).to_string(),
                reason: k.reason,
            })
            .collect();
        let derived = ReportSigner::derive(self.identity.keys(), node).public().sign;
        out.push(SigningKey {
            public_key: derived,
            state: "derived".into(),
            since: String::new(),
            reason: "早期版本由主密钥派生".into(),
        });
        Ok(out)
    }

    fn add_signing_key(&self, actor: &Caller, node: &str, why: &str) -> AppResult<String> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| AppError::Internal(e.to_string()))?;
        let public = ReportSigner::from_seed(seed.as_ref(), node, Vec::new(), Vec::new()).public().sign;
        let secret_enc = self.identity.seal(&place::node_key_secret(&public), period(self.today()), seed.as_ref())?;
        let row = NodeKeyRow {
            id: 0,
            purpose: PURPOSE.into(),
            public_key: public.clone(),
            secret_enc,
            state: "active".into(),
            created_at: self.now(),
            changed_at: None,
            reason: why.into(),
        };
        let action = if why.contains("首次") { "key.generate" } else { "key.roll" };
        let audit = self.audit_entry(actor, action, "node-key", AuditOutcome::Ok, format!("{why}：{}", short(&public)));
        self.store.add_node_key(&row, &audit)?;
        Ok(public)
    }
}

/// Key operations are hedui's own (the command line, holding the master key) or the 系统管理员's.
fn key_officer(actor: &Caller) -> AppResult<()> {
    match (&actor.principal, actor.role) {
        (Principal::System(_), _) | (_, Role::Admin) => Ok(()),
        _ => Err(AppError::Forbidden("签名密钥由系统管理员管理".into())),
    }
}

/// The start of a public key, for audit rows.
fn short(public_key: &str) -> String {
    public_key.chars().take(18).collect()
}
