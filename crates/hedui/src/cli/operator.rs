//! The operator of a command that changes or reads personal data: `--operator <login>` (or
//! `HEDUI_OPERATOR`), who authenticates as at the login page: the password, and the TOTP code
//! when they have a factor, read from standard input one a line (never from the command line).
//! The command then acts as that user, under the role table and region scope like any request,
//! and its audit rows name them. The operating-system user and host are kept beside the login.

use std::io::BufRead;
use std::sync::OnceLock;

use anyhow::{Result, anyhow, bail};

use hedui_app::admin::factors::Proof;
use hedui_app::{Action, App, Caller, Object};

static OPERATOR: OnceLock<Option<String>> = OnceLock::new();

/// Records the `--operator` flag (or `HEDUI_OPERATOR`) for this process.
pub(crate) fn set(flag: Option<String>) {
    let login = flag.or_else(|| std::env::var("HEDUI_OPERATOR").ok()).filter(|l| !l.trim().is_empty());
    let _ = OPERATOR.set(login);
}

/// Whether an operator was named (`--operator` or `HEDUI_OPERATOR`).
pub(crate) fn given() -> bool {
    OPERATOR.get().is_some_and(Option::is_some)
}

/// The operator's caller for `action`, authenticated now; refused, and audited, when the login,
/// the password or the factor is wrong or the role may not do `action`.
pub(crate) fn caller(app: &App, action: Action, request_id: &str) -> Result<Caller> {
    let Some(login) = OPERATOR.get().cloned().flatten() else {
        bail!(
            "此命令会读取或修改个人数据，须由操作员登录：请加 --operator <用户名>（或设置 HEDUI_OPERATOR），并从标准输入给出口令（有第二因子时下一行为动态口令）"
        )
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut next = || -> Result<String> {
        Ok(lines.next().transpose()?.map(|l| l.trim_end_matches('\r').to_string()).unwrap_or_default())
    };
    let password = zeroize::Zeroizing::new(next()?);
    let session = app.login(&login, &password, request_id).map_err(|e| anyhow!("操作员 {login} 登录失败：{e}"))?;
    let session = match session.pending {
        None => session,
        Some(_) => {
            let code = next()?;
            app.login_second(&session.token, &Proof::Code(code), request_id)
                .map_err(|e| anyhow!("操作员 {login} 的第二因子错误：{e}"))?
        }
    };
    let caller = app.session_caller(&session.token, request_id)?.client(&super::data::operator());
    app.authorize(&caller, action, &Object::None)?;
    Ok(caller)
}
