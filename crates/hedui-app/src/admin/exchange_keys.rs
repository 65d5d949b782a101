//! The node's exchange keys with departments and institutions (an SM2 key to sign requests and
//! one to open answers, both from one seed): generated at random, never derived from the master
//! key, the seed sealed under the master key for its public signing key. A node of an earlier
//! release, which had already exchanged with departments under the key it derived from its master
//! key, keeps that key as its first (the departments know it) until it is rolled. Rolling makes a
//! new key; the departments must be given its public keys (`hedui exchange keys`) before a running
//! node takes it at its next start.

use hedui_core::catalog::NodeKeys;
use hedui_exchange::NodeSecret;
use hedui_identity::{period, place};
use hedui_store::{AuditOutcome, JobFilter, NodeKeyRow};

use crate::{App, AppError, AppResult, Caller, Principal, Role};

/// The purpose of the node's exchange keys.
pub const EXCHANGE: &str = "exchange";

impl App {
    /// The node's active exchange key, made (and audited) at its first use.
    pub fn exchange_secret(&self, node: &str) -> AppResult<NodeSecret> {
        let rows = self.store.node_keys(EXCHANGE)?;
        let row = match rows.into_iter().find(|k| k.state == "active") {
            Some(r) => r,
            None => {
                // A node that has verified before exchanged under the derived key: keep it.
                let earlier = !self.store.jobs(&JobFilter { limit: 1, ..JobFilter::default() })?.is_empty();
                let (seed, why) = match earlier {
                    true => (
                        self.identity.keys().stable_index(b"exchange-node", node.as_bytes()),
                        "沿用早期版本由主密钥派生的交换密钥",
                    ),
                    false => (random_seed()?, "首次启动时生成"),
                };
                self.add_exchange_key(&Caller::system("node-key"), node, &seed, why)?;
                self.store
                    .node_keys(EXCHANGE)?
                    .into_iter()
                    .find(|k| k.state == "active")
                    .ok_or_else(|| AppError::Internal("节点没有现用的交换密钥".into()))?
            }
        };
        let seed = zeroize::Zeroizing::new(
            self.identity.open(&place::node_key_secret(&row.public_key), row.secret_enc.as_bytes())?,
        );
        Ok(NodeSecret::derive(&seed, node))
    }

    /// A new exchange key at random; the old one is retired. Returns the new public keys, for the
    /// departments and institutions.
    pub fn roll_exchange_key(&self, actor: &Caller, node: &str) -> AppResult<NodeKeys> {
        match (&actor.principal, actor.role) {
            (Principal::System(_), _) | (_, Role::Admin) => {}
            _ => return Err(AppError::Forbidden("交换密钥由系统管理员管理".into())),
        }
        self.exchange_secret(node)?;
        self.add_exchange_key(actor, node, &random_seed()?, "轮换")?;
        Ok(self.exchange_secret(node)?.public())
    }

    fn add_exchange_key(&self, actor: &Caller, node: &str, seed: &[u8; 32], why: &str) -> AppResult<()> {
        let public = NodeSecret::derive(seed, node).public().sign;
        let row = NodeKeyRow {
            id: 0,
            purpose: EXCHANGE.into(),
            public_key: public.clone(),
            secret_enc: self.identity.seal(&place::node_key_secret(&public), period(self.today()), seed)?,
            state: "active".into(),
            created_at: self.now(),
            changed_at: None,
            reason: why.into(),
        };
        let action = if why == "轮换" { "key.roll" } else { "key.generate" };
        let short: String = public.chars().take(18).collect();
        let audit =
            self.audit_entry(actor, action, "exchange-key", AuditOutcome::Ok, format!("交换密钥，{why}：{short}"));
        self.store.add_node_key(&row, &audit)?;
        Ok(())
    }
}

fn random_seed() -> AppResult<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(seed)
}
