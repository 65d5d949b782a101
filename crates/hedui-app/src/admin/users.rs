//! Users, passwords and sessions.
//!
//! A password's verifier is argon2id over an HMAC-SM3 of the password under a key the key
//! provider derives (a pepper): a copy of the database alone cannot be searched for passwords.
//! Verifiers of earlier releases (argon2id alone) are upgraded at the next good login. Failed
//! logins in a row lock an account for a while; an unknown login fails through the same
//! verification as a known one. Session tokens are random; the store keeps only their SM3 digest,
//! so a copy of the database does not let anyone log in; a session ends when idle or at its
//! absolute limit.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use hedui_core::UserId;
use hedui_crypto::{encode_hex, sm3};
use hedui_store::{AuditOutcome, NewUser, UserRow};

use hedui_core::Timestamp;

use crate::{App, AppError, AppResult, Caller, Role};

/// Sessions last eight hours (one working day) at most.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// Lock-out and session limits (GB/T 22239-2019 level 3: login failure handling, session timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failed logins in a row that lock the account.
    pub max_failures: i64,
    /// How long a lock lasts.
    pub lock_seconds: i64,
    /// A session unused this long ends.
    pub idle_seconds: i64,
    /// A session ends this long after login, used or not.
    pub absolute_seconds: i64,
}

impl Default for LoginPolicy {
    fn default() -> LoginPolicy {
        LoginPolicy { max_failures: 5, lock_seconds: 30 * 60, idle_seconds: 30 * 60, absolute_seconds: SESSION_SECONDS }
    }
}

/// The prefix of a peppered verifier.
const PEPPERED: &str = "sm3p$";

/// A peppered verifier's key epoch and Argon2id string; `None` for a verifier of an earlier
/// release (not peppered).
fn split_verifier(verifier: &str) -> Option<(u8, &str)> {
    let rest = verifier.strip_prefix(PEPPERED)?;
    match rest.strip_prefix('e').and_then(|r| r.split_once('$')) {
        Some((epoch, h)) => epoch.parse().ok().map(|e| (e, h)),
        None => Some((1, rest)),
    }
}

/// A password older than this must be changed (GB/T 22239-2019 level 3: periodic change).
pub const PASSWORD_MAX_AGE_SECONDS: i64 = 90 * 24 * 3600;

/// A new password may not repeat any of this many last ones.
pub const PASSWORD_HISTORY: i64 = 5;

/// Minimum password length.
pub const MIN_PASSWORD: usize = 12;

/// The password rule: at least [`MIN_PASSWORD`] characters of at least three of the four classes
/// (lower case, upper case, digits, other characters).
pub fn check_password(password: &str) -> Result<(), String> {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < MIN_PASSWORD || classes.iter().filter(|c| **c).count() < 3 {
        return Err(format!("密码至少 {MIN_PASSWORD} 位，且包含小写字母、大写字母、数字、其他字符中的至少三类"));
    }
    Ok(())
}

/// An account to create: who, in which role, region and organization.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// Region code the user works in (its subtree); empty for the whole node.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub organization: String,
    /// A demo account: made only by hedui's demo, marked on every page.
    #[serde(skip)]
    pub demo: bool,
}

impl Account {
    pub fn new(login: &str, display_name: &str, role: Role, region: &str, organization: &str) -> Account {
        Account {
            login: login.into(),
            display_name: display_name.into(),
            role,
            region: region.into(),
            organization: organization.into(),
            demo: false,
        }
    }
}

/// A logged-in session: the token goes to the browser, never to the store. While `pending`, the
/// password was right and the second factor is still to come: the token opens nothing else.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub user: UserRow,
    pub pending: Option<super::factors::Pending>,
}

/// The CSRF token of a session: a digest of its token, so it needs no storage and dies with it.
pub fn csrf_token(session: &str) -> String {
    let mut input = b"hedui-csrf\0".to_vec();
    input.extend_from_slice(session.as_bytes());
    encode_hex(&sm3(&input))[..32].to_string()
}

fn argon2_hash(secret: &[u8]) -> AppResult<String> {
    Argon2::default()
        .hash_password(secret)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

fn argon2_verify(secret: &[u8], hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(secret, &h).is_ok())
}

/// 32 random bytes as hex: session tokens and login challenges.
pub(crate) fn random_hex() -> AppResult<String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(encode_hex(&raw))
}

/// A verifier an unknown login is checked against, so that it fails in the time a known one does.
fn dummy_verifier() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| format!("{PEPPERED}{}", argon2_hash(b"hedui-no-such-user").unwrap_or_default()))
}

impl App {
    /// Creates a user (administrators only).
    /// Checks a user's region: empty (everywhere), or a code of the region table, a province or
    /// a city given by its leading digits (`32`, `3204`).
    pub(crate) fn check_scope(&self, region: &str) -> AppResult<()> {
        if region.is_empty() {
            return Ok(());
        }
        if !region.chars().all(|c| c.is_ascii_digit()) {
            return Err(AppError::Invalid("区划代码只能由数字组成".into()));
        }
        let padded = if region.len() < 6 { format!("{region:0<6}") } else { region.to_string() };
        match self.regions.lookup_str(&padded) {
            hedui_core::region::RegionStatus::Known { .. } => Ok(()),
            hedui_core::region::RegionStatus::Unknown => Err(AppError::Invalid(format!(
                "区划代码 {region} 在系统区划数据中不存在，请核对（用户未保存，可修改后重新提交）"
            ))),
        }
    }

    pub fn create_user(&self, actor: &Caller, account: &Account, password: &str) -> AppResult<UserId> {
        // The security administrator manages users; hedui itself creates the demo's accounts.
        let system = matches!(actor.principal, crate::Principal::System(_));
        let login = account.login.as_str();
        self.authorize(actor, crate::Action::UserManage, &crate::Object::None)?;
        self.check_scope(&account.region)?;
        if login.trim().is_empty() || !login.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return Err(AppError::Invalid("用户名只能由字母、数字、下划线和点组成".into()));
        }
        // The demo's accounts (made by hedui itself, marked as demo accounts) keep their short
        // published passwords; every other account follows the rule.
        if !system {
            check_password(password).map_err(AppError::Invalid)?;
        }
        let u = NewUser {
            login: login.trim().into(),
            display_name: account.display_name.clone(),
            role: account.role.code().into(),
            region: account.region.clone(),
            organization: account.organization.clone(),
            password_hash: self.password_verifier(password)?,
            demo: system && account.demo,
            // Someone else chose the password: the user changes it at the first login.
            must_change: !system,
        };
        let audit = self.audit_entry(
            actor,
            "user.create",
            &format!("user:{}", u.login),
            AuditOutcome::Ok,
            format!("{} {} {}", account.role.code(), account.region, account.organization),
        );
        Ok(self.store.create_user(&u, self.now(), &audit)?)
    }

    /// Creates the first user, a 安全管理员, while no user exists at all; refused afterwards.
    pub fn bootstrap(&self, login: &str, display_name: &str, password: &str, request_id: &str) -> AppResult<UserId> {
        if login.trim().is_empty() || !login.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return Err(AppError::Invalid("用户名只能由字母、数字、下划线和点组成".into()));
        }
        check_password(password).map_err(AppError::Invalid)?;
        let u = NewUser {
            login: login.trim().into(),
            display_name: display_name.into(),
            role: Role::Security.code().into(),
            region: String::new(),
            organization: String::new(),
            password_hash: self.password_verifier(password)?,
            demo: false,
            must_change: false,
        };
        let actor = Caller::system(request_id);
        let audit = self.audit_entry(
            &actor,
            "user.bootstrap",
            &format!("user:{}", u.login),
            AuditOutcome::Ok,
            "创建首个安全管理员".into(),
        );
        match self.store.create_first_user(&u, self.now(), &audit)? {
            Some(id) => Ok(id),
            None => {
                let why = "已有用户：首个安全管理员只能在没有任何用户时创建，之后由安全管理员管理用户".to_string();
                self.audit(&actor, "user.bootstrap", &format!("user:{}", u.login), AuditOutcome::Denied, why.clone())?;
                Err(AppError::InvalidState(why))
            }
        }
    }

    /// The HMAC-SM3 of a password under the pepper key of key epoch `epoch`, wiped when dropped;
    /// `None` for an epoch whose index key this node no longer holds.
    fn peppered(&self, password: &str, epoch: u8) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let mut mac = self.identity.keys().blind_index_in(epoch, b"password-pepper", password.as_bytes())?;
        let hex = zeroize::Zeroizing::new(encode_hex(&mac).into_bytes());
        zeroize::Zeroize::zeroize(&mut mac);
        Some(hex)
    }

    /// A verifier of `password` under the current key epoch: `sm3p$` and the Argon2id string of
    /// the peppered password, with `e<epoch>$` between them after the first epoch.
    pub(crate) fn password_verifier(&self, password: &str) -> AppResult<String> {
        let epoch = self.identity.keys().epoch();
        let peppered = self.peppered(password, epoch).ok_or_else(|| AppError::Internal("no pepper key".into()))?;
        let tag = if epoch == 1 { String::new() } else { format!("e{epoch}$") };
        Ok(format!("{PEPPERED}{tag}{}", argon2_hash(&peppered)?))
    }

    /// Whether `password` matches `verifier` (peppered under any epoch held, or of an earlier
    /// release).
    pub(crate) fn password_matches(&self, password: &str, verifier: &str) -> bool {
        match split_verifier(verifier) {
            Some((epoch, h)) => self.peppered(password, epoch).is_some_and(|p| argon2_verify(&p, h)),
            None => argon2_verify(password.as_bytes(), verifier),
        }
    }

    /// A new verifier for a correct `password` whose stored `verifier` is of an earlier release
    /// or key epoch: verifiers move to the current epoch at the next login.
    fn verifier_upgrade(&self, password: &str, verifier: &str) -> AppResult<Option<String>> {
        match split_verifier(verifier) {
            Some((epoch, _)) if epoch == self.identity.keys().epoch() => Ok(None),
            _ => self.password_verifier(password).map(Some),
        }
    }

    /// Checks a password and opens a session. Every failure is audited and answers the same
    /// whatever failed (unknown login, wrong password, locked account); an unknown login is
    /// verified against a dummy so that it takes as long. `policy.max_failures` failures in a row
    /// lock the account for `policy.lock_seconds`, a correct password included.
    pub fn login(&self, login: &str, password: &str, request_id: &str) -> AppResult<Session> {
        self.login_from(login, password, request_id, None)
    }

    /// [`App::login`] from the client address `from`: the three administrators log in only from
    /// the configured address ranges (when any are), an unknown address counting as outside.
    pub fn login_from(
        &self,
        login: &str,
        password: &str,
        request_id: &str,
        from: Option<std::net::IpAddr>,
    ) -> AppResult<Session> {
        let user = self.store.user_by_login(login)?;
        let ok = self.password_matches(password, user.as_ref().map_or(dummy_verifier(), |u| u.password_hash.as_str()));
        let client = from.map(|a| a.to_string()).unwrap_or_default();
        let actor = Caller::user(login, Role::Viewer, "", request_id).client(&client);
        let object = format!("user:{login}");
        let now = self.now();
        let policy = self.login_policy;
        let Some(user) = user else {
            self.audit(&actor, "login", &object, AuditOutcome::Denied, "用户名或密码错误".into())?;
            return Err(AppError::Unauthenticated);
        };
        if user.disabled {
            self.audit(&actor, "login", &object, AuditOutcome::Denied, "账户已停用".into())?;
            return Err(AppError::Unauthenticated);
        }
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            let why = format!("账户已锁定至 {until}（连续 {} 次登录失败）", user.failed_logins);
            self.audit(&actor, "login", &object, AuditOutcome::Denied, why)?;
            return Err(AppError::Unauthenticated);
        }
        if !ok {
            let failed = user.failed_logins + 1;
            let lock = (failed >= policy.max_failures)
                .then(|| Timestamp::from_unix(self.clock.unix_seconds() + policy.lock_seconds));
            let why = match lock {
                Some(until) => format!("密码错误，连续 {failed} 次，账户锁定至 {until}"),
                None => format!("密码错误（连续第 {failed} 次）"),
            };
            let audit = self.audit_entry(&actor, "login", &object, AuditOutcome::Denied, why);
            self.store.record_login(user.id, failed, lock, None, &audit)?;
            return Err(AppError::Unauthenticated);
        }
        let administrator = Role::parse(&user.role).is_some_and(Role::is_administrator);
        if administrator
            && !self.admin_networks.is_empty()
            && !from.is_some_and(|ip| self.admin_networks.iter().any(|n| n.contains(ip)))
        {
            let place = from.map_or("未知地址".to_string(), |ip| ip.to_string());
            let why = format!("管理员只能从配置的地址段登录，此次来自 {place}");
            self.audit(&actor, "login", &object, AuditOutcome::Denied, why.clone())?;
            return Err(AppError::Forbidden(why));
        }
        let token = random_hex()?;
        let secs = self.clock.unix_seconds();
        let factors = self.store.second_factors(user.id)?;
        if !factors.is_empty() {
            // The password was right; the session opens once the second factor is.
            let challenge = random_hex()?;
            self.store.create_pending_session(
                &encode_hex(&sm3(token.as_bytes())),
                user.id,
                Timestamp::from_unix(secs),
                Timestamp::from_unix(secs + super::factors::PENDING_SECONDS),
                &challenge,
            )?;
            let upgrade = self.verifier_upgrade(password, &user.password_hash)?;
            let audit = self.audit_entry(&actor, "login", &object, AuditOutcome::Ok, "口令正确，待验证第二因子".into());
            self.store.record_login(user.id, user.failed_logins, user.locked_until, upgrade.as_deref(), &audit)?;
            let methods = factors.into_iter().map(|f| f.kind).collect();
            return Ok(Session { token, user, pending: Some(super::factors::Pending { methods, challenge }) });
        }
        self.store.create_session(
            &encode_hex(&sm3(token.as_bytes())),
            user.id,
            Timestamp::from_unix(secs),
            Timestamp::from_unix(secs + policy.absolute_seconds),
        )?;
        let upgrade = self.verifier_upgrade(password, &user.password_hash)?;
        let audit = self.audit_entry(&actor, "login", &object, AuditOutcome::Ok, String::new());
        self.store.record_login(user.id, 0, None, upgrade.as_deref(), &audit)?;
        Ok(Session { token, user, pending: None })
    }

    /// The actor behind a session token, if the session has not expired or been idle too long
    /// (using it keeps it alive).
    pub fn session_caller(&self, token: &str, request_id: &str) -> AppResult<Caller> {
        let secs = self.clock.unix_seconds();
        let idle_since = Timestamp::from_unix(secs - self.login_policy.idle_seconds);
        let uid = self
            .store
            .session_user(&encode_hex(&sm3(token.as_bytes())), Timestamp::from_unix(secs), idle_since)?
            .ok_or(AppError::Unauthenticated)?;
        let u = self.store.user(uid)?.ok_or(AppError::Unauthenticated)?;
        if u.disabled {
            return Err(AppError::Unauthenticated);
        }
        let mut caller = Caller::user(&u.login, Role::parse(&u.role).unwrap_or(Role::Viewer), &u.region, request_id)
            .of(&u.organization)
            .demo(u.demo);
        caller.must_change = self.must_change_password(&u);
        caller.must_enrol = self.require_second_factor && !u.demo && self.store.second_factors(u.id)?.is_empty();
        Ok(caller)
    }

    /// Whether the user must change the password before anything else: at the first login of
    /// an account someone else made, after a reset, and once it is older than 90 days (accounts
    /// of earlier releases, which carry no date, and the demo's are not aged).
    pub fn must_change_password(&self, u: &UserRow) -> bool {
        let expired =
            u.password_changed_at.is_some_and(|at| self.clock.unix_seconds() - at.unix() > PASSWORD_MAX_AGE_SECONDS);
        !u.demo && (u.must_change || expired)
    }

    /// Records a close relative of the caller (近亲属备案): from then on the caller is kept off
    /// every case whose household has the relative as a member, and each refusal is audited.
    pub fn record_relative(&self, actor: &Caller, id_number: &str, relation: &str) -> AppResult<()> {
        let crate::Principal::User(login) = &actor.principal else {
            return Err(AppError::Invalid("近亲属由工作人员本人备案".into()));
        };
        let parsed = hedui_core::id_number::IdNumber::parse_with_table(id_number.trim(), &self.regions)
            .map_err(|e| AppError::Invalid(format!("近亲属的身份证号码无效：{e}")))?;
        if relation.trim().is_empty() {
            return Err(AppError::Invalid("请填写与近亲属的关系".into()));
        }
        let bidx = self.identity.id_index(&parsed.id);
        let place = hedui_identity::place::staff_relative_id(login, bidx.as_slice());
        let id_enc = self.identity.seal(&place, hedui_identity::period(self.today()), parsed.id.as_str().as_bytes())?;
        let r =
            hedui_store::NewRelative { login: login.clone(), id_bidx: bidx, id_enc, relation: relation.trim().into() };
        let audit =
            self.audit_entry(actor, "relative.add", &format!("user:{login}"), AuditOutcome::Ok, relation.trim().into());
        Ok(self.store.add_relative(&r, self.now(), &audit)?)
    }

    pub fn logout(&self, token: &str) -> AppResult<()> {
        Ok(self.store.delete_session(&encode_hex(&sm3(token.as_bytes())))?)
    }
}
