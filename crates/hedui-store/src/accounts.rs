//! Accounts: users, the changes the 安全管理员 makes, and the relatives staff record.

use serde::{Deserialize, Serialize};

use hedui_core::{BlindIndex, Sealed, Timestamp, UserId};

/// A user account.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub region: String,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub created_at: Timestamp,
    /// Failed logins in a row since the last success.
    pub failed_logins: i64,
    /// Locked against logins until then.
    pub locked_until: Option<Timestamp>,
    pub organization: String,
    pub demo: bool,
    /// Disabled by the 安全管理员: cannot log in.
    pub disabled: bool,
    /// Must change the password at the next login (first login, or after a reset).
    pub must_change: bool,
    /// When the password was last set (its age decides expiry); none for accounts of earlier releases.
    pub password_changed_at: Option<Timestamp>,
}

/// A change the 安全管理员 makes to an account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserChange {
    pub role: Option<String>,
    pub region: Option<String>,
    pub organization: Option<String>,
    pub disabled: Option<bool>,
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub region: String,
    /// The organization the user works for (a 业务部门 sees its own commissions only).
    pub organization: String,
    pub password_hash: String,
    /// A demo account (published password), marked as such on every page.
    pub demo: bool,
    /// Must change the password at the first login (an account someone else made).
    pub must_change: bool,
}

/// A close relative a member of staff records (近亲属备案): the blind index of their ID number,
/// which matches members, and the number sealed at its place.
#[derive(Clone, Debug)]
pub struct NewRelative {
    pub login: String,
    pub id_bidx: BlindIndex,
    pub id_enc: Sealed,
    pub relation: String,
}

/// A second factor of a user: a TOTP secret (sealed) or an SM2 public key.
#[derive(Clone, Debug)]
pub struct SecondFactor {
    pub user: UserId,
    /// `totp` or `sm2`.
    pub kind: String,
    pub secret_enc: Option<Sealed>,
    /// SEC1 public key, hex.
    pub public_key: Option<String>,
}

/// A login waiting for its second factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSession {
    pub user: UserId,
    /// The random challenge an SM2 factor signs.
    pub challenge: String,
}

/// An open session as the 安全管理员 sees it: the SM3 of its token (which logs nobody in) as its
/// id, whose it is and its times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: String,
    pub login: String,
    pub created_at: Timestamp,
    pub last_seen: Option<Timestamp>,
    pub expires_at: Timestamp,
    /// Waiting for its second factor.
    pub pending: bool,
}

/// One of the node's signing keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeKeyRow {
    pub id: i64,
    pub purpose: String,
    /// The public half (SEC1, hex).
    pub public_key: String,
    /// The private half, sealed under the master key for its public half.
    pub secret_enc: hedui_core::Sealed,
    /// `active`, `retired` or `revoked`.
    pub state: String,
    pub created_at: hedui_core::Timestamp,
    pub changed_at: Option<hedui_core::Timestamp>,
    pub reason: String,
}
