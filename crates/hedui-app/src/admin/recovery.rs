//! Recovering the 安全管理员 when the last one is locked out or lost. It takes the master key (the
//! command opens the node with it: the key file's holder, an operator of the machine) and a second
//! person, another of the three administrators, who confirms with their own password and second
//! factor. The recovered account is reset (or created), unlocked and enabled; the recovery is
//! audited naming both and raised as a security event.

use hedui_store::{AuditOutcome, NewUser, UserChange};

use super::factors::Proof;
use super::users::{Account, check_password};
use crate::{App, AppError, AppResult, Caller, Role};

/// Who confirms a recovery: another administrator, by password and (when enrolled) TOTP code.
#[derive(Debug, Clone)]
pub struct Witness {
    pub login: String,
    pub password: String,
    pub totp: Option<String>,
}

impl Drop for Witness {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

impl App {
    /// Recovers the 安全管理员 `login` (reset and unlocked, or created) with `password`, as the
    /// master key's holder `operator` (an operating-system user), confirmed by `witness`.
    pub fn recover_security(
        &self,
        operator: &str,
        witness: &Witness,
        login: &str,
        display_name: &str,
        password: &str,
        request_id: &str,
    ) -> AppResult<()> {
        check_password(password).map_err(AppError::Invalid)?;
        let actor = Caller::system(request_id);
        let object = format!("user:{login}");
        let refuse = |why: String| -> AppResult<()> {
            self.audit(&actor, "user.recover", &object, AuditOutcome::Denied, format!("操作人 {operator}：{why}"))?;
            Err(AppError::Forbidden(why))
        };
        // The witness proves who they are the way a login does (failures count toward their lock).
        let session = match self.login(&witness.login, &witness.password, request_id) {
            Ok(s) => s,
            Err(_) => return refuse(format!("见证人 {} 的口令或账户无效", witness.login)),
        };
        let session = match (&session.pending, &witness.totp) {
            (None, _) => session,
            (Some(_), Some(code)) => match self.login_second(&session.token, &Proof::Code(code.clone()), request_id) {
                Ok(s) => s,
                Err(_) => return refuse(format!("见证人 {} 的第二因子错误", witness.login)),
            },
            (Some(_), None) => return refuse(format!("见证人 {} 须同时提供第二因子", witness.login)),
        };
        self.logout(&session.token)?;
        let role = Role::parse(&session.user.role);
        if !matches!(role, Some(Role::Admin | Role::Auditor)) || session.user.login == login {
            return refuse(format!("见证人 {} 须是另一名系统管理员或审计管理员", witness.login));
        }
        let detail = format!("操作人 {operator}（持主密钥），见证人 {}", witness.login);
        let verifier = self.password_verifier(password)?;
        match self.store.user_by_login(login)? {
            Some(u) if u.role == Role::Security.code() => {
                let enable = UserChange { disabled: Some(false), ..Default::default() };
                let audit = self.audit_entry(&actor, "user.recover", &object, AuditOutcome::Ok, detail.clone());
                self.store.change_user(u.id, &enable, &audit)?;
                let audit = self.audit_entry(
                    &actor,
                    "user.recover",
                    &object,
                    AuditOutcome::Ok,
                    format!("{detail}：口令已重置、账户已解锁"),
                );
                self.store.set_password(u.id, &verifier, false, self.now(), &audit)?;
            }
            Some(_) => return refuse(format!("{login} 不是安全管理员账户")),
            None => {
                let account = Account::new(login, display_name, Role::Security, "", "");
                let u = NewUser {
                    login: account.login.clone(),
                    display_name: account.display_name.clone(),
                    role: Role::Security.code().into(),
                    region: String::new(),
                    organization: String::new(),
                    password_hash: verifier,
                    demo: false,
                    must_change: false,
                };
                let audit = self.audit_entry(
                    &actor,
                    "user.recover",
                    &object,
                    AuditOutcome::Ok,
                    format!("{detail}：新建安全管理员"),
                );
                self.store.create_user(&u, self.now(), &audit)?;
            }
        }
        Ok(())
    }
}
