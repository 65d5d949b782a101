//! `hedui backup` and `hedui restore`: a SQLite node's database, copied while it runs and put back
//! under the same key, the restore marked in the audit chains; and `hedui key split|join`: the
//! master key in k-of-n shares for escrow.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use hedui_app::{Caller, SystemClock};
use hedui_crypto::KeyProvider;

use super::args::Cmd;
use super::settings::*;

/// Runs `backup` or `restore`.
pub(crate) fn run(cmd: Cmd) -> Result<()> {
    let (db, key) = node();
    if let Cmd::Key { cmd: super::args::KeyCmd::Join { out } } = &cmd {
        let mut shares = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut shares)?;
        let fp = hedui::keys::join(&shares, out)?;
        zeroize::Zeroize::zeroize(&mut shares);
        println!("已由份额恢复主密钥到 {}（指纹 {fp}）", out.display());
        return Ok(());
    }
    let actor = Caller::system("cli-backup").client(&super::data::operator());
    match cmd {
        Cmd::Key { cmd: super::args::KeyCmd::Split { shares, threshold, .. } } => {
            return split(&db, &key, shares, threshold, &actor);
        }
        Cmd::Key { cmd: super::args::KeyCmd::Rotate { pause_ms, .. } } => {
            return super::rotate::run(&db, &key, std::time::Duration::from_millis(pause_ms));
        }
        Cmd::Key { cmd: super::args::KeyCmd::Check { .. } } => return super::rotate::check(&db, &key),
        Cmd::Key { cmd: super::args::KeyCmd::Roll { .. } } => {
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let mut app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let public = app.roll_signing_key(&actor, hedui::REPORT_NODE)?;
            println!("新的签名公钥：{public}（原密钥已停用，仍可验证其签名）。运行中的节点在下次启动时启用它");
            return Ok(());
        }
        Cmd::Key { cmd: super::args::KeyCmd::Revoke { public_key, reason, .. } } => {
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let mut app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let n = app.revoke_signing_key(&actor, hedui::REPORT_NODE, &public_key, &reason)?;
            println!(
                "已吊销 {public_key}；{n} 份报告已由现用密钥重新签署。现用签名公钥：{}。请立即重启运行中的节点",
                app.signer.public().sign
            );
            return Ok(());
        }
        _ => {}
    }
    let path = sqlite_path(&db)?;
    match cmd {
        Cmd::Backup { out, .. } => {
            if out.exists() {
                bail!("备份文件 {} 已存在：请换一个文件名", out.display());
            }
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys.clone(), Vec::new(), Arc::new(SystemClock), &reference())?;
            let made = app.backup(&actor, &out)?;
            let heads: Vec<String> = made.iter().map(|c| format!("{} seq {}", c.chain, c.seq)).collect();
            println!(
                "已备份到 {}（主密钥指纹 {}；审计链 {}）。备份与主密钥须分开保管",
                out.display(),
                keys.fingerprint(),
                heads.join("，")
            );
            Ok(())
        }
        Cmd::Restore { from, replace, .. } => restore(&path, &from, &key, replace, &actor),
        other => bail!("not a command of this group: {other:?}"),
    }
}

fn sqlite_path(db: &str) -> Result<PathBuf> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        bail!("PostgreSQL 节点用 pg_basebackup 与 WAL 归档备份和恢复（见 README），hedui backup/restore 只用于 SQLite");
    }
    Ok(PathBuf::from(db.strip_prefix("sqlite:").unwrap_or(db)))
}

/// Restores `from` into `target`: a copy is checked against the key first, and only then takes
/// the database's place (the one it replaces is kept beside).
fn restore(target: &Path, from: &Path, key: &Path, replace: bool, actor: &Caller) -> Result<()> {
    if !from.exists() {
        bail!("备份文件 {} 不存在", from.display());
    }
    if target.exists() && !replace {
        bail!("数据库 {} 已存在：确认要用备份替换它时加 --replace（原库会保留在旁边）", target.display());
    }
    let (keys, from_where) = hedui::keys::load(key)?;
    let staging = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(from, &staging).with_context(|| format!("复制备份 {}", from.display()))?;
    let checked = (|| -> Result<()> {
        let store = hedui::open_store(&staging.display().to_string())?;
        let fp = store.meta(hedui_app::admin::upgrade::KEY_FINGERPRINT)?;
        match fp {
            Some(fp) if fp == keys.fingerprint() => Ok(()),
            Some(fp) => bail!(
                "备份 {} 是在指纹为 {fp} 的主密钥下做的，而{from_where}中的主密钥指纹为 {}：拒绝恢复",
                from.display(),
                keys.fingerprint()
            ),
            None => bail!("备份 {} 没有记录主密钥指纹：不是 hedui 节点的备份", from.display()),
        }
    })();
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    if target.exists() {
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let kept = PathBuf::from(format!("{}.replaced-{stamp}", target.display()));
        std::fs::rename(target, &kept).with_context(|| format!("保留原数据库为 {}", kept.display()))?;
        println!("原数据库已保留为 {}", kept.display());
    }
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", target.display()));
    }
    std::fs::rename(&staging, target).with_context(|| format!("放置恢复的数据库 {}", target.display()))?;
    let db = target.display().to_string();
    let (store, keys) = hedui::keys::open_node(&db, key)?;
    let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
    let name = from.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let made = app.mark_restored(actor, &name)?;
    let heads: Vec<String> = made.iter().map(|c| format!("{} seq {}", c.chain, c.seq)).collect();
    println!("已从 {} 恢复到 {db}；恢复已记入审计链（{}）", from.display(), heads.join("，"));
    Ok(())
}

/// `hedui key split`: the shares on standard output, the split audited on the node.
fn split(db: &str, key: &Path, shares: u8, threshold: u8, actor: &Caller) -> Result<()> {
    let lines = hedui::keys::split(key, threshold, shares)?;
    let (store, keys) = hedui::keys::open_node(db, key)?;
    let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
    let detail = format!("主密钥拆分为 {shares} 份，任意 {threshold} 份可恢复");
    app.audit(actor, "key.split", "master-key", hedui_store::AuditOutcome::Ok, detail)?;
    eprintln!("以下 {shares} 份各交给一位保管人，分开保存；任意 {threshold} 份可恢复主密钥：");
    for l in lines {
        println!("{l}");
    }
    Ok(())
}
