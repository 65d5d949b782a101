//! The audit trail's rows: what each records, and what the viewer asks for.

use hedui_core::{BlindIndex, Sealed, Timestamp};
use serde::{Deserialize, Serialize};

/// Whether an audited action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Ok,
    Denied,
    Error,
}

/// One audit row. `detail` names surrogate keys and numbers, never raw ID numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub outcome: AuditOutcome,
    pub detail: String,
    pub request_id: String,
    /// Where the request came from: the client's address, or `cli:<user>@<host>` for a command.
    #[serde(default)]
    pub client: String,
    /// What the action relied on: the commission and authorization letter, when it had one.
    #[serde(default)]
    pub basis: String,
    /// The conditions of a search or list, without personal data (those go below).
    #[serde(default)]
    pub search: String,
    /// A searched ID number or name: its blind index and a sealed copy, never in clear.
    #[serde(skip)]
    pub search_bidx: Option<BlindIndex>,
    #[serde(skip)]
    pub search_enc: Option<Sealed>,
    /// Free text a user wrote (an objection's reason, an end of a letter's reason), sealed; the
    /// detail says that there is one.
    #[serde(skip)]
    pub note_enc: Option<Sealed>,
}

impl Default for AuditEntry {
    fn default() -> AuditEntry {
        AuditEntry {
            at: Timestamp::from_unix(0),
            actor: String::new(),
            action: String::new(),
            object: String::new(),
            outcome: AuditOutcome::Ok,
            detail: String::new(),
            request_id: String::new(),
            client: String::new(),
            basis: String::new(),
            search: String::new(),
            search_bidx: None,
            search_enc: None,
            note_enc: None,
        }
    }
}

/// What the audit viewer asks for: every condition optional; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditQuery {
    /// The actor's login, exact.
    pub actor: Option<String>,
    /// The object, exact (`job:42`) or by prefix (`job:`).
    pub object: Option<String>,
    /// The action, exact (`report.read`) or by prefix (`report.`).
    pub action: Option<String>,
    pub outcome: Option<AuditOutcome>,
    /// From this instant (inclusive) to that (exclusive).
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

/// A stored audit row.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}
