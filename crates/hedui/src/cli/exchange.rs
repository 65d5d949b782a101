//! `hedui simulate`, `hedui exchange` and `hedui jobs`: the simulated institutions, file packages and bulk verification runs.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use hedui::city;
use hedui_app::{App, SystemClock};

use super::args::*;
use super::settings::*;

/// Runs `simulate`, `exchange …` or `jobs …`.
// tidy: allow(long-fn): five small commands of one group, each a few lines.
pub(crate) fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Simulate {
            city: city_dir,
            catalog,
            client_keys,
            client_id,
            listen,
            latency_ms,
            error_rate,
            timeout_rate,
            drip_rate,
            malformed_rate,
            unsigned_rate,
            bad_signature_rate,
            async_rate,
            duplicate_callbacks,
            dead,
            refresh_catalog,
        } => {
            if let Some(p) = refresh_catalog {
                let text = std::fs::read_to_string(&p).with_context(|| format!("读取 {}", p.display()))?;
                std::fs::write(&p, hedui_sim::fill_catalog_keys(&text).map_err(|e| anyhow::anyhow!(e))?)?;
                println!("已更新 {} 中的模拟机构公钥", p.display());
                return Ok(());
            }
            let (Some(city_dir), Some(keys_file)) = (city_dir, client_keys) else {
                bail!("请给出 --city 和 --client-keys")
            };
            let keys: hedui_core::catalog::NodeKeys = serde_json::from_str(
                &std::fs::read_to_string(&keys_file).with_context(|| format!("读取 {}", keys_file.display()))?,
            )?;
            let faults = hedui_sim::Faults {
                latency: std::time::Duration::from_millis(latency_ms),
                error_rate,
                timeout_rate,
                drip_rate,
                malformed_rate,
                unsigned_rate,
                bad_signature_rate,
                async_rate,
                duplicate_callbacks,
                dead: dead.into_iter().collect(),
                ..hedui_sim::Faults::default()
            };
            let catalog = hedui::exchange::catalog(catalog.as_deref(), None)?;
            let sim = Arc::new(hedui_sim::Simulator::new(catalog, city::banks(&city_dir)?, &client_id, keys, faults));
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(async {
                let listener =
                    tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("监听 {listen}"))?;
                println!("hedui-sim listening on http://{}", listener.local_addr()?);
                std::io::stdout().flush()?;
                axum::serve(listener, hedui_sim::router(sim)).await?;
                Ok(())
            })
        }
        Cmd::Exchange { cmd: ExchangeCmd::Export { out, .. } } => {
            let app = exchange_app()?;
            std::fs::create_dir_all(&out)?;
            let actor = super::operator::caller(&app, hedui_app::Action::ImportRun, "cli-exchange")?;
            for p in app.export_packages(&actor)? {
                let path = out.join(&p.file_name);
                std::fs::write(&path, &p.bytes).with_context(|| format!("写入 {}", path.display()))?;
                println!("{}\t{} 人\t{}", p.source, p.persons, path.display());
            }
            Ok(())
        }
        Cmd::Exchange { cmd: ExchangeCmd::Import { files, .. } } => {
            let app = exchange_app()?;
            let actor = super::operator::caller(&app, hedui_app::Action::ImportRun, "cli-exchange")?;
            let mut refused = 0;
            for f in &files {
                let bytes = std::fs::read(f).with_context(|| format!("读取 {}", f.display()))?;
                match app.import_package(&actor, &bytes) {
                    Ok(p) => println!("{}：{} 的答复 {} 人（有记录 {} 人）", f.display(), p.source, p.persons, p.found),
                    Err(e) => {
                        refused += 1;
                        eprintln!("{}：{e}", f.display());
                    }
                }
            }
            let completed = app.settle_waiting()?;
            if !completed.is_empty() {
                println!("{} 个等待数据源反馈的核对任务已完成", completed.len());
            }
            if refused > 0 {
                bail!("{refused} 个文件包被拒收");
            }
            Ok(())
        }
        Cmd::Exchange { cmd: ExchangeCmd::Keys { node: id, roll, .. } } => {
            let (db, key) = node();
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            if roll {
                let actor = hedui_app::Caller::system("cli-exchange").client(&super::data::operator());
                app.roll_exchange_key(&actor, &id)?;
                eprintln!("已生成新的交换密钥（原密钥停用）：请把下面的公钥交给各部门和金融机构，再重启节点");
            }
            println!("{}", serde_json::to_string_pretty(&app.exchange_secret(&id)?.public())?);
            Ok(())
        }
        Cmd::Jobs { cmd } => {
            let (args, resume) = match cmd {
                JobsCmd::Run(a) => (a, false),
                JobsCmd::Resume(a) => (a, true),
            };
            let _ = args;
            let app = exchange_app()?;
            let actor = super::operator::caller(&app, hedui_app::Action::JobRun, "cli-jobs")?;
            let t = Instant::now();
            let results = if resume {
                app.resume_jobs(&actor)?
            } else {
                let (submitted, _) = app.jobs(
                    &actor,
                    &hedui_store::JobFilter {
                        state: Some(hedui_core::job::JobState::Submitted),
                        limit: 1_000_000,
                        ..hedui_store::JobFilter::default()
                    },
                )?;
                let ids: Vec<hedui_core::JobId> = submitted.iter().rev().map(|j| j.id).collect();
                app.run_jobs(&actor, &ids)?
            };
            let ok = results.iter().filter(|r| r.is_ok()).count();
            for e in results.iter().filter_map(|r| r.as_ref().err()) {
                eprintln!("未完成：{e}");
            }
            println!("出具报告 {ok} 份，未完成 {} 个，用时 {:.1} 秒", results.len() - ok, t.elapsed().as_secs_f64());
            Ok(())
        }
        other => bail!("not a command of this group: {other:?}"),
    }
}

/// An app with the exchange attached, for the exchange and jobs commands.
fn exchange_app() -> Result<App> {
    let (db, key) = node();
    let ex = &cfg().exchange;
    let (store, keys) = hedui::keys::open_node(&db, &key)?;
    let mut app = hedui::build_app_from(store, keys.clone(), Vec::new(), Arc::new(SystemClock), &reference())?;
    let catalog = hedui::exchange::catalog(ex.catalog.as_deref(), ex.sources.as_deref())?;
    let secret = app.exchange_secret(&catalog.node.id)?;
    hedui::exchange::attach_tuned(&mut app, catalog, secret, ex.tuning())?;
    Ok(app)
}
