//! `hedui migrate` and `hedui init`: a deployment's database and master key.

use std::sync::Arc;

use anyhow::{Result, bail};

use hedui_app::SystemClock;

use super::args::*;
use super::settings::*;

/// Runs `migrate` or `init`.
pub(crate) fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Migrate { key, .. } => {
            let db = cfg().database.url.clone();
            match key {
                Some(key) => {
                    let (store, keys) = hedui::keys::open_node(&db, &key)?;
                    hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
                    println!("数据库已是最新版本，密文均已绑定到所在行");
                }
                None => {
                    hedui::open_store(&db)?;
                    println!("数据库结构已是最新版本（给出 --key 可同时完成密文迁移）");
                }
            }
            Ok(())
        }
        Cmd::Init { .. } => {
            let (db, key) = node();
            let store = hedui::open_store(&db)?;
            if let Some(fp) = store.meta(hedui_app::admin::upgrade::KEY_FINGERPRINT)? {
                bail!("数据库 {db} 已初始化（主密钥指纹 {fp}）：hedui init 不会为它另建主密钥");
            }
            let keys = Arc::new(hedui::keys::create(&key)?);
            let fp = hedui_crypto::KeyProvider::fingerprint(keys.as_ref());
            hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            println!("已生成主密钥 {}（指纹 {fp}，请妥善备份），数据库 {db} 已初始化", key.display());
            Ok(())
        }
        Cmd::User { cmd: UserCmd::Bootstrap { login, name, .. } } => {
            let (db, key) = node();
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = zeroize::Zeroizing::new(password.trim_end_matches(['\r', '\n']).to_string());
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let id = app.bootstrap(&login, &name, &password, "cli-bootstrap")?;
            println!("已创建首个安全管理员 {login}（用户 {id}）：此后由安全管理员在系统中管理用户");
            Ok(())
        }
        Cmd::User { cmd: UserCmd::Recover { login, name, witness, .. } } => {
            let (db, key) = node();
            let mut lines = std::io::stdin().lines();
            let mut next = || lines.next().transpose().map(|l| l.map(|l| l.trim_end_matches('\r').to_string()));
            let password = zeroize::Zeroizing::new(next()?.unwrap_or_default());
            let witness_password = next()?.unwrap_or_default();
            let totp = next()?.filter(|c| !c.trim().is_empty());
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let witness = hedui_app::admin::recovery::Witness { login: witness, password: witness_password, totp };
            let operator = super::data::operator();
            app.recover_security(&operator, &witness, &login, &name, &password, "cli-recover")?;
            println!("已恢复安全管理员 {login}：口令已重置、账户已解锁并启用；此次恢复已记入审计日志并列为安全事件");
            Ok(())
        }
        other => bail!("not a command of this group: {other:?}"),
    }
}
