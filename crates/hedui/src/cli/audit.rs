//! `hedui audit verify` and `hedui audit checkpoint`: the audit chain from the command line.

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use hedui_app::admin::chain::read_checkpoints;
use hedui_app::{Action, Caller, SystemClock};

use super::args::AuditCmd;
use super::settings::*;

/// Runs an `audit` command; `Ok(false)` when `verify` found something wrong.
pub(crate) fn run(cmd: AuditCmd) -> Result<bool> {
    let (db, key) = node();
    let (store, keys) = hedui::keys::open_node(&db, &key)?;
    let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
    match cmd {
        AuditCmd::Checkpoint { .. } => {
            let cp = app.checkpoint("manual")?;
            let to = checkpoint_file().map_or("（未配置导出文件）".to_string(), |p| p.display().to_string());
            println!("检查点：seq {}，{} 行，{}；已导出到 {to}", cp.seq, cp.rows_held, cp.at);
            Ok(true)
        }
        AuditCmd::Verify { checkpoints, json, .. } => {
            let files = match checkpoints.is_empty() {
                true => checkpoint_file().map(|p| vec![p.to_path_buf()]).unwrap_or_default(),
                false => checkpoints,
            };
            let mut exported = Vec::new();
            for f in &files {
                match std::fs::read_to_string(f) {
                    Ok(text) => exported.extend(
                        read_checkpoints(&text).map_err(anyhow::Error::msg).with_context(|| f.display().to_string())?,
                    ),
                    // The configured file may not exist yet on a node that never made one.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && checkpoints_absent_ok(&files, f) => {}
                    Err(e) => bail!("读取检查点文件 {}：{e}", f.display()),
                }
            }
            let actor = match super::operator::given() {
                true => super::operator::caller(&app, Action::AuditRead, "cli-audit-verify")?,
                false => Caller::system("cli-audit-verify").client(&super::data::operator()),
            };
            let v = app.verify_audit(&actor, &exported)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "审计链：共 {} 行，受链保护 {} 行（seq {}–{}），未受保护 {} 行（链建立之前或无密钥时写入）",
                    v.rows, v.chained, v.first_seq, v.last_seq, v.unprotected
                );
                match v.checkpoints {
                    0 => println!("检查点：未给出导出的检查点，无法发现末尾截断或持有密钥者的重写"),
                    n => println!("检查点：{n} 个，与数据库吻合 {} 个", v.checkpoints_matching),
                }
                match v.intact() {
                    true => println!("完好：未发现篡改"),
                    false => {
                        println!("发现 {} 处问题：", v.findings.len());
                        for f in &v.findings {
                            println!("  {f}");
                        }
                    }
                }
            }
            Ok(v.intact())
        }
    }
}

/// Only the configured default file may be missing; a file named on the command line must exist.
fn checkpoints_absent_ok(files: &[std::path::PathBuf], f: &std::path::Path) -> bool {
    files.len() == 1 && checkpoint_file() == Some(f)
}
