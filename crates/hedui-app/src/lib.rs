//! hedui's application services, shared by the web server and the CLI.
//!
//! [`App`] ties the pure core to the store, the key provider and the
//! connectors. Each service method takes the acting user and writes its audit
//! row; changes are audited in the same transaction as the change itself
//! (the store's methods take the audit entry). The clock is read here, once
//! per operation, through [`Clock`], and passed to the core as `as_of`.

pub mod access;
pub mod admin;
pub mod cases;
pub mod collect;
pub mod data;
pub mod error;
pub mod evidence;
pub mod jobs;
mod mirror;
/// What an import is given and tells as it runs, for the pages that start one.
pub use hedui_import::{DEFAULT_MIN_SHARE, ImportInput, Progress};
pub mod policy;
pub mod reports;

use std::sync::Arc;

use hedui_core::region::RegionTable;
use hedui_core::{Date, Timestamp};
use hedui_identity::Identity;
use hedui_store::{AuditEntry, AuditOutcome, Store};

pub use access::{Action, Object, Role};
pub use error::{AppError, AppResult, ERROR_CODES};

/// The time source. Tests use a fixed clock; nothing below the app reads time.
pub trait Clock: Send + Sync {
    /// Seconds since 1970-01-01 UTC.
    fn unix_seconds(&self) -> i64;
}

/// The machine clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_seconds(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

/// A clock stopped at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn unix_seconds(&self) -> i64 {
        self.0
    }
}

/// The calendar date (China Standard Time, UTC+8) of a unix time.
pub fn china_date(secs: i64) -> Date {
    Timestamp::from_unix(secs).china_date()
}

/// Who is asking: the user or the system part acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A logged-in user, by login.
    User(String),
    /// hedui itself: the command line, the exchange, a bulk run (the component's name).
    System(String),
}

/// Who is asking, passed to every service method: the principal, its role and region scope, and
/// the commission it acts under. Access is decided from this one value, and every audit row
/// names it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub role: Role,
    /// Region prefix the caller works in; empty for all.
    pub region: String,
    /// The organization the caller works for.
    pub organization: String,
    /// A demo account (published password).
    pub demo: bool,
    /// The password must be changed before anything else.
    pub must_change: bool,
    /// A second factor must be enrolled before anything else (the deployment requires one).
    pub must_enrol: bool,
    /// The commission the caller acts under, when it acts for one.
    pub commission: Option<String>,
    pub request_id: String,
    /// Where the request came from (the client's address, or the command line's user and host),
    /// recorded in every audit row.
    pub client: String,
}

impl Caller {
    /// hedui's own work (the command line, the exchange, jobs), as `component`; `request_id`
    /// names the run in the audit log.
    pub fn system(request_id: &str) -> Caller {
        Caller {
            principal: Principal::System(request_id.into()),
            role: Role::Admin,
            region: String::new(),
            organization: String::new(),
            demo: false,
            must_change: false,
            must_enrol: false,
            commission: None,
            request_id: request_id.into(),
            client: String::new(),
        }
    }

    /// A logged-in user.
    pub fn user(login: &str, role: Role, region: &str, request_id: &str) -> Caller {
        Caller {
            principal: Principal::User(login.into()),
            role,
            region: region.into(),
            organization: String::new(),
            demo: false,
            must_change: false,
            must_enrol: false,
            commission: None,
            request_id: request_id.into(),
            client: String::new(),
        }
    }

    /// The caller as coming from `client` (an address, or `cli:<user>@<host>`).
    pub fn client(mut self, client: &str) -> Caller {
        self.client = client.into();
        self
    }

    /// The caller as a member of `organization`.
    pub fn of(mut self, organization: &str) -> Caller {
        self.organization = organization.into();
        self
    }

    /// The caller as a demo account.
    pub fn demo(mut self, demo: bool) -> Caller {
        self.demo = demo;
        self
    }

    /// The caller acting under a commission.
    pub fn under(mut self, commission: &str) -> Caller {
        self.commission = Some(commission.into());
        self
    }

    /// The name audit rows give: the user's login, or `system`.
    pub fn name(&self) -> &str {
        match &self.principal {
            Principal::User(login) => login,
            Principal::System(_) => "system",
        }
    }

    /// Whether the caller's role changes cases at all (the services' own check; each route is
    /// decided by [`App::authorize`] first).
    pub fn require_change(&self) -> AppResult<()> {
        if matches!(self.principal, Principal::System(_)) || self.role.may_change_cases() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("角色“{}”不能修改案件数据", self.role.name_zh())))
        }
    }
}

/// The application: store, keys, reference data, connectors and clock.
pub struct App {
    pub store: Arc<dyn Store>,
    pub identity: Identity,
    pub regions: Arc<RegionTable>,
    pub policies: policy::Policies,
    /// Signs every report file (SM2).
    pub signer: reports::sign::ReportSigner,
    pub clock: Arc<dyn Clock>,
    /// The one registry of sources and data categories (the exchange's, when one is attached).
    pub catalog: Arc<hedui_core::catalog::Catalog>,
    /// How each department's snapshot columns become records, and how a report describes them.
    pub mappings: Arc<hedui_import::mapping::Mappings>,
    /// The institutions the node asks (online, or books read in process), when any are configured.
    pub exchange: Option<Arc<collect::ExchangeSetup>>,
    /// Where asynchronous sources send their answers (hedui's own callback URL).
    pub callback_url: Option<String>,
    /// Lock-out and session limits.
    pub login_policy: admin::users::LoginPolicy,
    /// When access is unusual enough to raise to the 安全管理员.
    pub alert_policy: admin::security::AlertPolicy,
    /// Where the three administrators may log in from; empty for anywhere.
    pub admin_networks: Vec<admin::networks::Network>,
    /// Every user must have a second factor: until one is enrolled, a session may only enrol it.
    pub require_second_factor: bool,
    /// A report a person verified waits for an 审核员's approval before it is issued.
    pub review: bool,
    /// The organization that issues reports (出具单位), named in their issue signature and seal.
    pub organization: String,
    /// The seal's picture and certificate, as the deployment installed them (none in the demo).
    pub seal: reports::org_seal::OrgSeal,
    /// Where the audit chain's signed checkpoints are exported.
    pub checkpoint_export: admin::chain::CheckpointExport,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .field("exchange", &self.exchange.is_some())
            .finish()
    }
}

impl App {
    pub fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.clock.unix_seconds())
    }

    pub fn today(&self) -> Date {
        china_date(self.clock.unix_seconds())
    }

    /// The entry with `note`, free text a user wrote, sealed into it (never kept in clear); the
    /// detail says a note is there.
    pub fn with_note(&self, mut entry: AuditEntry, note: &str) -> AppResult<AuditEntry> {
        let place = hedui_identity::place::audit_note();
        entry.note_enc = Some(self.identity.seal(&place, hedui_identity::period(self.today()), note.as_bytes())?);
        entry.detail.push_str("（附言已加密保存）");
        Ok(entry)
    }

    /// The note sealed into an audit row, opened (for those who may see the object).
    pub fn open_note(&self, entry: &AuditEntry) -> AppResult<Option<String>> {
        let Some(sealed) = &entry.note_enc else { return Ok(None) };
        let plain = self.identity.open(&hedui_identity::place::audit_note(), sealed.as_bytes())?;
        Ok(Some(String::from_utf8_lossy(&plain).into_owned()))
    }

    /// An audit entry for `actor` doing `action` on `object`.
    pub fn audit_entry(
        &self,
        actor: &Caller,
        action: &str,
        object: &str,
        outcome: AuditOutcome,
        detail: String,
    ) -> AuditEntry {
        AuditEntry {
            at: self.now(),
            actor: actor.name().to_string(),
            action: action.into(),
            object: object.into(),
            outcome,
            detail,
            request_id: actor.request_id.clone(),
            client: actor.client.clone(),
            // Work done under a commission names it, so the trail shows what it relied on.
            basis: actor.commission.as_ref().map(|c| format!("委托 {c}")).unwrap_or_default(),
            ..Default::default()
        }
    }

    /// Writes a stand-alone audit row (reads, refusals).
    pub fn audit(
        &self,
        actor: &Caller,
        action: &str,
        object: &str,
        outcome: AuditOutcome,
        detail: String,
    ) -> AppResult<()> {
        self.store.audit(&self.audit_entry(actor, action, object, outcome, detail))?;
        Ok(())
    }

    /// A parameter's integer value for `region` on `on`, if the policy has it.
    pub fn policy_int(&self, region: &str, on: Date, key: &str) -> Option<i64> {
        self.policies.resolve(region, on).ok().and_then(|r| r.param(key).and_then(|p| p.int()))
    }
}

/// The batch or the job a stored record belongs with: part of its sealed values' place.
pub(crate) fn record_owner(r: &hedui_store::StoredRecord) -> AppResult<hedui_identity::place::Owner> {
    use hedui_identity::place;
    match (r.batch, r.job) {
        (Some(b), _) => Ok(place::Owner::Batch(b)),
        (None, Some(j)) => Ok(place::Owner::Job(j)),
        (None, None) => Err(AppError::Internal(format!("record {} has neither batch nor job", r.id))),
    }
}
