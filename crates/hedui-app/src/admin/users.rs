//! Users, passwords (argon2id) and sessions.
//!
//! Session tokens are random; the store keeps only their SM3 digest, so a
//! copy of the database does not let anyone log in.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use hedui_core::UserId;
use hedui_crypto::{encode_hex, sm3};
use hedui_store::{AuditOutcome, NewUser, UserRow};

use hedui_core::Timestamp;

use crate::{App, AppError, AppResult, Caller, Role};

/// Sessions last eight hours (one working day).
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// Minimum password length.
pub const MIN_PASSWORD: usize = 8;

/// A logged-in session: the token goes to the browser, never to the store.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub user: UserRow,
}

/// The CSRF token of a session: a digest of its token, so it needs no storage and dies with it.
pub fn csrf_token(session: &str) -> String {
    let mut input = b"hedui-csrf\0".to_vec();
    input.extend_from_slice(session.as_bytes());
    encode_hex(&sm3(&input))[..32].to_string()
}

fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

impl App {
    /// Creates a user (administrators only).
    pub fn create_user(
        &self,
        actor: &Caller,
        login: &str,
        display_name: &str,
        role: Role,
        region: &str,
        password: &str,
    ) -> AppResult<UserId> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden("只有系统管理员可以创建用户".into()));
        }
        if login.trim().is_empty() || !login.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            return Err(AppError::Invalid("用户名只能由字母、数字、下划线和点组成".into()));
        }
        if password.chars().count() < MIN_PASSWORD {
            return Err(AppError::Invalid(format!("密码至少 {MIN_PASSWORD} 位")));
        }
        let u = NewUser {
            login: login.trim().into(),
            display_name: display_name.into(),
            role: role.code().into(),
            region: region.into(),
            password_hash: hash_password(password)?,
        };
        let audit =
            self.audit_entry(actor, "user.create", &format!("user:{}", u.login), AuditOutcome::Ok, role.code().into());
        Ok(self.store.create_user(&u, self.now(), &audit)?)
    }

    /// Checks a password and opens a session. Failures are audited and look the same whatever failed.
    pub fn login(&self, login: &str, password: &str, request_id: &str) -> AppResult<Session> {
        let user = self.store.user_by_login(login)?;
        let ok = user.as_ref().is_some_and(|u| verify_password(password, &u.password_hash));
        let actor = Caller::user(login, Role::Viewer, "", request_id);
        let Some(user) = user.filter(|_| ok) else {
            self.audit(&actor, "login", &format!("user:{login}"), AuditOutcome::Denied, "用户名或密码错误".into())?;
            return Err(AppError::Unauthenticated);
        };
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| AppError::Internal(e.to_string()))?;
        let token = encode_hex(&raw);
        let now = self.clock.unix_seconds();
        self.store.create_session(
            &encode_hex(&sm3(token.as_bytes())),
            user.id,
            Timestamp::from_unix(now),
            Timestamp::from_unix(now + SESSION_SECONDS),
        )?;
        self.audit(&actor, "login", &format!("user:{login}"), AuditOutcome::Ok, String::new())?;
        Ok(Session { token, user })
    }

    /// The actor behind a session token, if the session is valid.
    pub fn session_caller(&self, token: &str, request_id: &str) -> AppResult<Caller> {
        let uid = self
            .store
            .session_user(&encode_hex(&sm3(token.as_bytes())), self.now())?
            .ok_or(AppError::Unauthenticated)?;
        let u = self.store.user(uid)?.ok_or(AppError::Unauthenticated)?;
        Ok(Caller::user(&u.login, Role::parse(&u.role).unwrap_or(Role::Viewer), &u.region, request_id))
    }

    pub fn logout(&self, token: &str) -> AppResult<()> {
        Ok(self.store.delete_session(&encode_hex(&sm3(token.as_bytes())))?)
    }
}
