//! The catalog of sources as this node sees it, and the sources overview (health, counts).

use std::collections::BTreeMap;

use hedui_core::Date;
use hedui_core::catalog::Channel;

use super::*;
use crate::{App, AppResult};

/// One source as the sources page shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SourceOverview {
    pub code: String,
    pub name: String,
    pub institution: String,
    pub kind: String,
    pub department: String,
    pub channel: String,
    pub categories: Vec<String>,
    pub scope: String,
    pub sla: String,
    /// SM2 user ID, signature encoding, ciphertext order, SM4 mode (online and file sources).
    pub gm: Option<String>,
    /// Mirrors: the latest snapshot's date and how many batches have been imported.
    pub latest_snapshot: Option<Date>,
    pub batches: usize,
    /// Queries by state (queued, sent, found …) and their total still open.
    pub queries: BTreeMap<String, i64>,
    pub backlog: i64,
    /// Queries that ended without an answer (未反馈).
    pub unanswered: i64,
    pub requests: BTreeMap<String, i64>,
}

impl App {
    /// The catalog in use: the one registry of sources and data categories.
    pub fn catalog(&self) -> &hedui_core::catalog::Catalog {
        &self.catalog
    }

    /// Every source with its status and backlog.
    /// Any signed-in user may see it: it holds no personal data.
    pub fn source_overview(&self, actor: &crate::Caller) -> AppResult<Vec<SourceOverview>> {
        self.authorize(actor, crate::Action::SourceRead, &crate::Object::None)?;
        // Source health is an administrator's reading: audited like every other.
        self.audit(actor, "source.read", "sources", hedui_store::AuditOutcome::Ok, String::new())?;
        let catalog = self.catalog();
        let mut queries: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (source, state, n) in self.store.query_counts()? {
            queries.entry(source).or_default().insert(code_of(&state), n);
        }
        let mut requests: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (source, state, n) in self.store.request_counts()? {
            requests.entry(source).or_default().insert(code_of(&state), n);
        }
        let batches = self.store.batches()?;
        Ok(catalog
            .sources
            .iter()
            .map(|s| {
                let q = queries.remove(&s.code).unwrap_or_default();
                let open = |k: &str| q.get(k).copied().unwrap_or(0);
                let mine: Vec<_> = batches
                    .iter()
                    .filter(|b| b.source == s.code && b.status == hedui_store::BatchStatus::Done)
                    .collect();
                SourceOverview {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    institution: s.institution.clone(),
                    kind: s.kind.name_zh().into(),
                    department: s.department.clone(),
                    channel: s.channel.name_zh().into(),
                    categories: s.categories.iter().map(|c| catalog.category_name(c)).collect(),
                    scope: s.scope.name_zh().into(),
                    sla: s.sla.describe_zh(),
                    gm: (s.channel != Channel::Mirror).then(|| {
                        format!(
                            "用户标识 {}；签名 {}；密文 {}；SM4-{}",
                            s.gm.user_id,
                            match s.gm.signature {
                                hedui_core::catalog::SignatureEncoding::Der => "DER",
                                hedui_core::catalog::SignatureEncoding::Raw => "r‖s",
                            },
                            match s.gm.cipher_order {
                                hedui_core::catalog::CipherOrder::C1c3c2 => "C1C3C2",
                                hedui_core::catalog::CipherOrder::C1c2c3 => "C1C2C3",
                            },
                            match s.gm.sm4_mode {
                                hedui_core::catalog::Sm4Mode::Gcm => "GCM",
                                hedui_core::catalog::Sm4Mode::Cbc => "CBC+HMAC-SM3",
                            }
                        )
                    }),
                    latest_snapshot: mine.iter().map(|b| b.as_of).max(),
                    batches: mine.len(),
                    backlog: open("queued") + open("sent"),
                    unanswered: open("failed") + open("timed_out"),
                    queries: q,
                    requests: requests.remove(&s.code).unwrap_or_default(),
                }
            })
            .collect())
    }
}
