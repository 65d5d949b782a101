//! The audit trail as a chain. Each row's MAC covers its place in the chain (seq), the key epoch
//! and its content; its link covers the previous row's link and its own MAC. The MAC itself is
//! computed by an [`AuditMac`] the application gives the store (HMAC-SM3 under a key from its key
//! provider); this module fixes what the MAC covers, byte for byte, so that the writer and
//! `hedui audit verify` agree.

use serde::{Deserialize, Serialize};

use crate::AuditEntry;

/// The chains, one per retention class: logins, refusals, accounts and the trail's own readings
/// (`security`), and every query, provision and change of case data (`query`).
pub const CHAINS: [&str; 2] = ["security", "query"];

/// The chain an action's row goes to.
pub fn chain_of(action: &str) -> &'static str {
    const SECURITY: [&str; 12] = [
        "login",
        "logout",
        "access.",
        "request.",
        "session.",
        "user.",
        "factor.",
        "audit.",
        "security.",
        "key.",
        "node.",
        "retention.",
    ];
    let security =
        SECURITY.iter().any(|p| action == p.trim_end_matches('.') || (p.ends_with('.') && action.starts_with(p)))
            || action.starts_with("sealed.")
            || action == "relative.add";
    if security { "security" } else { "query" }
}

/// The keyed MAC the chain is made with (HMAC-SM3 under the key of an epoch).
pub trait AuditMac: Send + Sync {
    /// The epoch new rows are written under.
    fn epoch(&self) -> i64;
    /// The MAC of `data` under the key of `epoch`; `None` for an epoch this node does not hold.
    fn mac(&self, epoch: i64, data: &[u8]) -> Option<[u8; 32]>;
    /// The text a row's sealed `column` (`search_enc`, `note_enc`) holds, which the MAC covers
    /// instead of the ciphertext (a rotation re-seals it); `None` when it does not open. By
    /// default the ciphertext itself.
    fn plain(&self, column: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let _ = column;
        Some(sealed.to_vec())
    }
}

/// An audit row as the chain holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainRow {
    pub id: i64,
    pub chain: String,
    /// The row's place in the chain; `None` for a row written before the chain began.
    pub seq: Option<i64>,
    pub key_epoch: Option<i64>,
    pub mac: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub entry: AuditEntry,
}

/// The chain's head as the database holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// The last seq (0 for an empty chain).
    pub seq: i64,
    pub link: Option<Vec<u8>>,
    pub rows_held: i64,
    /// The first seq held (0 for an empty chain).
    pub first_seq: i64,
}

/// The oldest stretch of a chain that a retention run may delete: every row through `through_seq`
/// is older than the cut-off (and no row after it is), `rows` of them, the last one's link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuePrefix {
    pub through_seq: i64,
    pub link: Option<Vec<u8>>,
    pub rows: i64,
}

/// A signed checkpoint of the chain: its head, the rows held and the first seq held, at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    /// The chain (`security` or `query`).
    pub chain: String,
    /// The last row's seq (0 for an empty chain).
    pub seq: i64,
    /// The last row's link (hex; empty for an empty chain).
    pub link: String,
    /// How many chained rows the database held.
    pub rows_held: i64,
    /// The first seq the database held (after a purge, where the chain restarts).
    pub first_seq: i64,
    pub at: crate::Timestamp,
    /// `interval`, `purge`, `restore` or `manual`.
    pub kind: String,
    pub key_epoch: i64,
    /// The signing node and its SM2 public key (hex).
    pub signer: String,
    pub public_key: String,
    /// The SM2 signature (DER, hex) over [`Checkpoint::statement`].
    pub signature: String,
}

impl Checkpoint {
    /// The bytes the signature covers: every field but the signature, in a fixed order.
    pub fn statement(&self) -> Vec<u8> {
        format!(
            "hedui-audit-checkpoint/1\nchain={}\nseq={}\nlink={}\nrows_held={}\nfirst_seq={}\nat={}\nkind={}\nkey_epoch={}\nsigner={}\npublic_key={}\n",
            self.chain,
            self.seq,
            self.link,
            self.rows_held,
            self.first_seq,
            self.at,
            self.kind,
            self.key_epoch,
            self.signer,
            self.public_key
        )
        .into_bytes()
    }
}

/// What a row's MAC covers: a domain tag, the chain, the seq, the key epoch and every field of
/// the entry, each length-prefixed so that no two different rows give the same bytes. Sealed text
/// is covered as `mac` opens it, so that a rotation may re-seal it; text that does not open is
/// covered as its ciphertext behind a different tag, which no honest row's MAC matches.
pub fn content(chain: &str, seq: i64, epoch: i64, e: &AuditEntry, mac: &dyn AuditMac) -> Vec<u8> {
    let mut out = b"hedui-audit-row/2".to_vec();
    out.extend_from_slice(&(chain.len() as u64).to_be_bytes());
    out.extend_from_slice(chain.as_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    let outcome = crate::sql::code(&e.outcome);
    let at = e.at.to_string();
    let texts =
        [&at, &e.actor, &e.action, &e.object, &outcome, &e.detail, &e.request_id, &e.client, &e.basis, &e.search];
    let bidx = e.search_bidx.map(|b| b.to_vec());
    let open = |column: &str, s: Option<&hedui_core::Sealed>| {
        s.map(|s| match mac.plain(column, s.as_bytes()) {
            Some(mut p) => {
                p.insert(0, b'p');
                p
            }
            None => [b"x".as_slice(), s.as_bytes()].concat(),
        })
    };
    let (search, note) = (open("search_enc", e.search_enc.as_ref()), open("note_enc", e.note_enc.as_ref()));
    let blobs = [bidx.as_deref(), search.as_deref(), note.as_deref()];
    for field in texts.iter().map(|t| Some(t.as_bytes())).chain(blobs) {
        match field {
            // An absent value and an empty one differ.
            None => out.push(0),
            Some(f) => {
                out.push(1);
                out.extend_from_slice(&(f.len() as u64).to_be_bytes());
                out.extend_from_slice(f);
            }
        }
    }
    out
}

/// What a row's link covers: the previous row's link (nothing for the first row of a chain) and
/// the row's MAC.
pub fn link_input(previous: Option<&[u8]>, mac: &[u8]) -> Vec<u8> {
    let mut out = b"hedui-audit-link/1".to_vec();
    match previous {
        Some(p) => {
            out.push(1);
            out.extend_from_slice(p);
        }
        None => out.push(0),
    }
    out.extend_from_slice(mac);
    out
}

#[cfg(test)]
mod tests {
    use super::chain_of;

    #[test]
    fn security_actions_go_to_the_security_chain() {
        for a in [
            "login",
            "access.deny",
            "request.refuse",
            "session.end",
            "user.create",
            "factor.enrol",
            "audit.read",
            "security.events",
            "key.bind",
            "sealed.reseal",
            "retention.purge",
            "key.rotate.chunk",
            "relative.add",
        ] {
            assert_eq!(chain_of(a), "security", "{a}");
        }
        for a in [
            "report.read",
            "report.download",
            "job.list",
            "household.read",
            "commission.create",
            "import.run",
            "exchange.answer",
            "policy.simulate",
            "authorization.end",
            "loginx",
        ] {
            assert_eq!(chain_of(a), "query", "{a}");
        }
    }
}
