//! `hedui key rotate`: the master key's rotation, from the key file's new epoch to the old key's
//! removal, resumable at every step.
//!
//! 1. A key file with one epoch gets a new one beside it (the file is replaced whole).
//! 2. Opening the node with both records the rotation (after a checkpoint of the audit chain).
//! 3. Every row is re-sealed under the new epoch, a chunk per transaction with its cursor.
//! 4. A last sweep, the old epoch's index key kept sealed under the new key, the epoch retired.
//! 5. The old key leaves the key file.
//!
//! Killed at any point, the same command continues from where it stopped.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use hedui_app::SystemClock;
use hedui_crypto::KeyProvider;

use super::settings::*;

/// Runs `hedui key rotate`.
pub(crate) fn run(db: &str, key: &Path, pause: std::time::Duration) -> Result<()> {
    let entries = hedui::keys::file_entries(key)?;
    let store = hedui::open_store(db)?;
    let recorded: u8 = store.meta(hedui_app::admin::rotate::KEY_EPOCH)?.and_then(|e| e.parse().ok()).unwrap_or(1);
    let rotating = store.key_epochs()?.iter().any(|k| k.state == "rotating");
    drop(store);
    if entries.len() == 1 && !rotating {
        if entries[0].0 != recorded {
            bail!("密钥文件中的纪元 {} 与数据库记录的纪元 {recorded} 不符", entries[0].0);
        }
        let to = hedui::keys::add_epoch(key)?;
        eprintln!("已在 {} 中加入纪元 {to} 的新主密钥（原密钥保留到轮换完成）", key.display());
    }
    let (store, keys) = hedui::keys::open_node(db, key)?;
    let app = hedui::build_app_from(store, keys.clone(), Vec::new(), Arc::new(SystemClock), &reference())?;
    // Audit rows' sealed text is written under the purge role (on SQLite, the same file).
    let purge_url = cfg().database.purge_url.clone().unwrap_or_else(|| db.to_string());
    let audit_store = hedui::open_store(&purge_url).context("以清理角色连接数据库（database.purge_url）")?;
    let audit_store = audit_store.as_ref();
    let actor = hedui_app::Caller::system("key-rotate").client(&super::data::operator());
    let started = Instant::now();
    if app.rotating_from()?.is_some() {
        eprintln!("正在把全部密文重新加密到纪元 {}；运行中的节点请重启以启用新密钥文件", keys.epoch());
        let mut last = String::new();
        let done = app.rotation_run(&actor, audit_store, &mut |table, rows| {
            let line = format!("\r  {} {rows} 行", table.spec().table);
            if line != last {
                let _ = write!(std::io::stderr(), "{line}          ");
                last = line;
            }
            std::thread::sleep(pause);
        })?;
        eprintln!();
        let finished = app.rotation_finish(&actor, audit_store)?;
        println!(
            "纪元 {} → {}：重新加密 {} 行（收尾复查 {} 行），用时 {:.1} 秒",
            done.from,
            done.to,
            done.total(),
            finished.total(),
            started.elapsed().as_secs_f64()
        );
    }
    let current = keys.epoch();
    if keys.epochs().len() > 1 {
        hedui::keys::keep_epochs(key, &[current])?;
        println!(
            "旧主密钥已从 {} 中移除；现用纪元 {current}，指纹 {}。请重启运行中的节点，并为新密钥重新制作份额（hedui key split）",
            key.display(),
            keys.fingerprint()
        );
    } else {
        println!("没有进行中的轮换；现用纪元 {current}，指纹 {}", keys.fingerprint());
    }
    Ok(())
}

/// Runs `hedui key check`.
pub(crate) fn check(db: &str, key: &Path) -> Result<()> {
    let (store, keys) = hedui::keys::open_node(db, key)?;
    let app = hedui::build_app_from(store, keys.clone(), Vec::new(), Arc::new(SystemClock), &reference())?;
    let census = app.sealed_census(keys.as_ref())?;
    for (epoch, n) in &census.opened {
        println!("纪元 {epoch}：{n} 个密文可以打开");
    }
    for f in &census.failed {
        println!("无法打开：{f}");
    }
    if census.failed_count > 0 {
        bail!("{} 个密文无法用这把主密钥打开", census.failed_count);
    }
    println!("全部密文均可用现用主密钥（纪元 {}，指纹 {}）打开", keys.epoch(), keys.fingerprint());
    Ok(())
}
