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
        AuditCmd::Checkpoint { restored, .. } => {
            let to = checkpoint_file().map_or("（未配置导出文件）".to_string(), |p| p.display().to_string());
            let made = match restored {
                true => {
                    let actor = Caller::system("cli-restore").client(&super::data::operator());
                    app.mark_restored(&actor, "数据库自身的恢复（如 PostgreSQL 按时间点恢复）")?
                }
                false => app.checkpoint("manual")?,
            };
            for cp in made {
                println!("检查点（{}）：seq {}，{} 行，{}", name(&cp.chain), cp.seq, cp.rows_held, cp.at);
            }
            println!("已导出到 {to}");
            Ok(true)
        }
        AuditCmd::Retention { .. } => {
            let schedule = schedule()?;
            let actor = super::operator::caller(&app, Action::RetentionRun, "cli-retention")?;
            for c in &schedule.classes {
                println!(
                    "{}（{}）：保留 {} 个月，下限 {} 个月；{}",
                    c.name, c.class, c.months, c.minimum_months, c.basis
                );
            }
            for p in app.retention_plan(&actor, &schedule)? {
                println!("{}：{} 之前的 {} 行已到期", name(&p.class), p.before, p.rows);
            }
            Ok(true)
        }
        AuditCmd::Purge { .. } => {
            let schedule = schedule()?;
            let actor = super::operator::caller(&app, Action::RetentionRun, "cli-retention")?;
            let purge_url = cfg().database.purge_url.clone().unwrap_or_else(|| db.clone());
            let purge = hedui::open_store(&purge_url).context("以清理角色连接数据库（database.purge_url）")?;
            for p in app.retention_run(&actor, &schedule, purge.as_ref())? {
                println!("{}：删除 {} 之前的 {} 行", name(&p.class), p.before, p.rows);
            }
            println!("清理检查点已导出；hedui audit verify 仍应通过");
            Ok(true)
        }
        AuditCmd::Verify { checkpoints, json, .. } => verify(&app, checkpoints, json),
    }
}

/// Only the configured default file may be missing; a file named on the command line must exist.
fn checkpoints_absent_ok(files: &[std::path::PathBuf], f: &std::path::Path) -> bool {
    files.len() == 1 && checkpoint_file() == Some(f)
}

/// A chain's name for people.
fn name(chain: &str) -> String {
    match chain {
        "security" => "安全日志链（security）".into(),
        "query" => "查询与提供记录链（query）".into(),
        other => format!("审计链 {other}"),
    }
}

/// The retention schedule of this node: `audit.retention_file`, or the built-in one.
fn schedule() -> Result<hedui_app::admin::retention::Retention> {
    match &cfg().audit.retention_file {
        None => Ok(hedui_app::admin::retention::Retention::builtin()),
        Some(f) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("读取保留期限配置 {}", f.display()))?;
            hedui_app::admin::retention::Retention::parse(&text).map_err(|e| anyhow::anyhow!("{}：{e}", f.display()))
        }
    }
}

/// `hedui audit verify`: the chains against the exported checkpoints; `Ok(false)` when anything
/// is wrong.
fn verify(app: &hedui_app::App, checkpoints: Vec<std::path::PathBuf>, json: bool) -> Result<bool> {
    let files = match checkpoints.is_empty() {
        true => checkpoint_file().map(|p| vec![p.to_path_buf()]).unwrap_or_default(),
        false => checkpoints,
    };
    let mut exported = Vec::new();
    for f in &files {
        match std::fs::read_to_string(f) {
            Ok(text) => exported
                .extend(read_checkpoints(&text).map_err(anyhow::Error::msg).with_context(|| f.display().to_string())?),
            // The configured file may not exist yet on a node that never made one.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && checkpoints_absent_ok(&files, f) => {}
            Err(e) => bail!("读取检查点文件 {}：{e}", f.display()),
        }
    }
    let actor = match super::operator::given() {
        true => super::operator::caller(app, Action::AuditRead, "cli-audit-verify")?,
        false => Caller::system("cli-audit-verify").client(&super::data::operator()),
    };
    let v = app.verify_audit(&actor, &exported)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(v.intact());
    }
    if v.before_chains > 0 {
        println!("链建立之前写入的 {} 行不受保护", v.before_chains);
    }
    for c in &v.chains {
        println!(
            "{}：共 {} 行，受链保护 {} 行（seq {}–{}），无密钥写入 {} 行",
            name(&c.chain),
            c.rows,
            c.chained,
            c.first_seq,
            c.last_seq,
            c.unprotected
        );
        match c.checkpoints {
            0 => println!("  检查点：未给出导出的检查点，无法发现末尾截断或持有密钥者的重写"),
            n => println!("  检查点：{n} 个，与数据库吻合 {} 个", c.checkpoints_matching),
        }
        if c.superseded_by_restore > 0 {
            println!(
                "  从备份恢复：恢复前导出、超出恢复点的检查点 {} 个（其后的记录随恢复而失去）",
                c.superseded_by_restore
            );
        }
        for f in &c.findings {
            println!("  {f}");
        }
    }
    match v.intact() {
        true => println!("完好：未发现篡改"),
        false => println!("发现 {} 处问题", v.findings().count()),
    }
    Ok(v.intact())
}
