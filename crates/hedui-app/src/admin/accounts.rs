//! The 安全管理员's work on accounts (list, change role, region and organization, disable and
//! enable, lock and unlock, reset a password), and each user's own password change. Every change
//! is audited in the transaction that makes it; every refusal is audited by `authorize`.

use hedui_core::UserId;
use hedui_store::{AuditOutcome, UserChange, UserRow};

use super::users::{PASSWORD_HISTORY, check_password};
use crate::{Action, App, AppError, AppResult, Caller, Object, Principal, Role};

/// How long an administrator's lock lasts: until someone unlocks the account.
const LOCK_UNTIL_UNLOCKED_SECONDS: i64 = 100 * 365 * 24 * 3600;

/// What the 安全管理员 changes about an account.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountChange {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub organization: Option<String>,
}

impl App {
    fn managed_user(&self, actor: &Caller, id: UserId) -> AppResult<UserRow> {
        self.authorize(actor, Action::UserManage, &Object::None)?;
        self.store.user(id)?.ok_or_else(|| AppError::NotFound(format!("用户 {id}")))
    }

    /// Every account, for the 安全管理员; the reading is audited.
    pub fn users(&self, actor: &Caller) -> AppResult<Vec<UserRow>> {
        self.authorize(actor, Action::UserManage, &Object::None)?;
        let users = self.store.users()?;
        self.audit(actor, "user.list", "users", AuditOutcome::Ok, format!("{} 个账户", users.len()))?;
        Ok(users)
    }

    /// Changes an account's role, region or organization. An administrator does not change their
    /// own role (no one makes themselves another of the three administrators).
    pub fn change_user(&self, actor: &Caller, id: UserId, change: &AccountChange) -> AppResult<()> {
        let u = self.managed_user(actor, id)?;
        if change.role.is_some() && matches!(&actor.principal, Principal::User(l) if *l == u.login) {
            return Err(AppError::Forbidden("不能修改自己的角色".into()));
        }
        if let Some(r) = &change.region {
            self.check_scope(r)?;
        }
        let ch = UserChange {
            role: change.role.map(|r| r.code().to_string()),
            region: change.region.clone(),
            organization: change.organization.clone(),
            disabled: None,
        };
        let detail = format!(
            "{}{}{}",
            change.role.map(|r| format!("角色 {} → {}；", u.role, r.code())).unwrap_or_default(),
            change.region.as_ref().map(|r| format!("区划 {} → {r}；", u.region)).unwrap_or_default(),
            change.organization.as_ref().map(|o| format!("机构 {} → {o}", u.organization)).unwrap_or_default(),
        );
        let audit = self.audit_entry(actor, "user.change", &format!("user:{}", u.login), AuditOutcome::Ok, detail);
        Ok(self.store.change_user(id, &ch, &audit)?)
    }

    /// Disables (ending its sessions) or enables an account.
    pub fn set_user_disabled(&self, actor: &Caller, id: UserId, disabled: bool) -> AppResult<()> {
        let u = self.managed_user(actor, id)?;
        if disabled && matches!(&actor.principal, Principal::User(l) if *l == u.login) {
            return Err(AppError::Forbidden("不能停用自己的账户".into()));
        }
        let action = if disabled { "user.disable" } else { "user.enable" };
        let audit = self.audit_entry(actor, action, &format!("user:{}", u.login), AuditOutcome::Ok, String::new());
        let ch = UserChange { disabled: Some(disabled), ..Default::default() };
        Ok(self.store.change_user(id, &ch, &audit)?)
    }

    /// Locks an account until it is unlocked, or unlocks it (clearing its failed logins).
    pub fn set_user_locked(&self, actor: &Caller, id: UserId, locked: bool) -> AppResult<()> {
        let u = self.managed_user(actor, id)?;
        let until = locked.then(|| self.now().plus_seconds(LOCK_UNTIL_UNLOCKED_SECONDS));
        let action = if locked { "user.lock" } else { "user.unlock" };
        let audit = self.audit_entry(actor, action, &format!("user:{}", u.login), AuditOutcome::Ok, String::new());
        Ok(self.store.record_login(id, if locked { u.failed_logins } else { 0 }, until, None, &audit)?)
    }

    /// Sets a new password for an account, which its user must change at the next login.
    pub fn reset_password(&self, actor: &Caller, id: UserId, password: &str) -> AppResult<()> {
        let u = self.managed_user(actor, id)?;
        check_password(password).map_err(AppError::Invalid)?;
        let verifier = self.password_verifier(password)?;
        let audit =
            self.audit_entry(actor, "user.reset", &format!("user:{}", u.login), AuditOutcome::Ok, String::new());
        Ok(self.store.set_password(id, &verifier, true, self.now(), &audit)?)
    }

    /// Every open session, for the 安全管理员; the reading is audited.
    pub fn sessions(&self, actor: &Caller) -> AppResult<Vec<hedui_store::SessionInfo>> {
        self.authorize(actor, Action::UserManage, &Object::None)?;
        let open = self.store.sessions(self.now())?;
        self.audit(actor, "session.list", "sessions", AuditOutcome::Ok, format!("{} 个会话", open.len()))?;
        Ok(open)
    }

    /// Ends a session by its id (the SM3 of its token), as the 安全管理员.
    pub fn end_session(&self, actor: &Caller, id: &str) -> AppResult<()> {
        self.authorize(actor, Action::UserManage, &Object::None)?;
        let whose = self.store.sessions(self.now())?.into_iter().find(|s| s.id == id);
        let Some(whose) = whose else { return Err(AppError::NotFound(format!("会话 {id}"))) };
        let audit =
            self.audit_entry(actor, "session.end", &format!("user:{}", whose.login), AuditOutcome::Ok, String::new());
        self.store.end_session(id, &audit)?;
        Ok(())
    }

    /// The caller changes their own password: the old one is checked, the new one follows the
    /// rule and repeats none of the last [`PASSWORD_HISTORY`]. The user's sessions end; they log in
    /// again with the new password.
    pub fn change_own_password(&self, actor: &Caller, old: &str, new: &str) -> AppResult<()> {
        let Principal::User(login) = &actor.principal else {
            return Err(AppError::Invalid("只有登录用户可以修改自己的密码".into()));
        };
        let u = self.store.user_by_login(login)?.ok_or(AppError::Unauthenticated)?;
        let object = format!("user:{login}");
        if !self.password_matches(old, &u.password_hash) {
            self.audit(actor, "user.password", &object, AuditOutcome::Denied, "原密码错误".into())?;
            return Err(AppError::Invalid("原密码错误".into()));
        }
        check_password(new).map_err(AppError::Invalid)?;
        let history = self.store.password_history(u.id, PASSWORD_HISTORY)?;
        if std::iter::once(&u.password_hash).chain(&history).any(|h| self.password_matches(new, h)) {
            return Err(AppError::Invalid(format!("新密码不能与最近 {PASSWORD_HISTORY} 次使用过的密码相同")));
        }
        let verifier = self.password_verifier(new)?;
        let audit = self.audit_entry(actor, "user.password", &object, AuditOutcome::Ok, String::new());
        Ok(self.store.set_password(u.id, &verifier, false, self.now(), &audit)?)
    }
}
