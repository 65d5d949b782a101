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
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let id = app.bootstrap(&login, &name, &password, "cli-bootstrap")?;
            println!("已创建首个安全管理员 {login}（用户 {id}）：此后由安全管理员在系统中管理用户");
            Ok(())
        }
        other => bail!("not a command of this group: {other:?}"),
    }
}
