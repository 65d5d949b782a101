//! `hedui generate`, `hedui import` and `hedui id check`: synthetic cities, department snapshots and identifiers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use hedui::city;
use hedui_app::SystemClock;

use super::args::*;
use super::settings::*;
use super::{Unix, parse_date};

/// Runs `generate`, `import` or `id check`.
// tidy: allow(long-fn): the import command reads its files, guards and reports in one place.
pub(crate) fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Generate { out, households, seed, as_of } => {
            let regions = hedui_app::data::regions(None)?;
            let as_of = match as_of {
                Some(s) => parse_date(&s)?,
                None => hedui_app::china_date(SystemClock.unix()).add_days(-1),
            };
            let t = Instant::now();
            let s = city::generate(&regions, &out, seed, households, as_of)?;
            let secs = t.elapsed().as_secs_f64();
            let rows: u64 = s.files.iter().map(|f| f.1).sum();
            println!(
                "生成城市 {}：{} 户，{} 人，{} 行，用时 {:.2} 秒（{:.0} 人/秒，{:.0} 行/秒）",
                out.display(),
                s.households,
                s.persons,
                rows,
                secs,
                s.persons as f64 / secs,
                rows as f64 / secs
            );
            for (f, n) in &s.files {
                println!("  {f}\t{n}");
            }
            Ok(())
        }
        Cmd::Import {
            city: city_dir,
            source,
            as_of,
            files,
            report,
            mappings,
            incremental,
            dry_run,
            confirm_shrink,
            min_share,
            ..
        } => {
            let (db, key) = node();
            // `--mappings` stands for `exchange.mappings` for this import: the rows' labels follow it.
            let refs = hedui::Reference { mappings: mappings.as_deref().or(reference().mappings), ..reference() };
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &refs)?;
            let mappings = app.mappings.as_ref().clone();
            let actor = super::operator::caller(&app, hedui_app::Action::ImportRun, "cli-import")?;
            let operator = operator();
            let summaries = if let Some(dir) = city_dir {
                city::import_mirrors(&app, &actor, &dir)?
            } else {
                let (Some(source), Some(as_of)) = (source, as_of) else {
                    bail!("请给出 --source 和 --as-of，或用 --city")
                };
                if files.is_empty() {
                    bail!("请给出要导入的文件");
                }
                let as_of = parse_date(&as_of)?;
                let mut out = Vec::new();
                for f in &files {
                    let bytes = std::fs::read(f).with_context(|| format!("读取 {}", f.display()))?;
                    let now = app.now();
                    let name = f.display().to_string();
                    let input = hedui_import::ImportInput {
                        source: &source,
                        file_name: &name,
                        as_of,
                        bytes: &bytes,
                        now,
                        actor: actor.name(),
                        request_id: "cli-import",
                        mode: if incremental {
                            hedui_store::SnapshotMode::Incremental
                        } else {
                            hedui_store::SnapshotMode::Full
                        },
                        confirm_shrink: confirm_shrink.then_some(operator.as_str()),
                        min_share,
                        progress: None,
                    };
                    if dry_run {
                        print_dry_run(&app.dry_run_import(&actor, &mappings, &input)?);
                        continue;
                    }
                    let s = app.import_file(&actor, &mappings, &input)?;
                    if report && (s.stats.rejected > 0 || s.stats.unresolved > 0 || s.stats.duplicate > 0) {
                        let p = PathBuf::from(format!("{}.issues.csv", f.display()));
                        std::fs::write(&p, app.import_issues_csv(&actor, s.batch)?)?;
                        println!("问题清单：{}", p.display());
                    }
                    out.push(s);
                }
                out
            };
            for s in &summaries {
                print_import(s);
            }
            Ok(())
        }
        Cmd::Id { cmd: IdCmd::Check { file } } => {
            let regions = hedui_app::data::regions(None)?;
            let stdout = std::io::stdout();
            let (valid, invalid) = match file {
                Some(f) => hedui::idcheck::run(
                    std::io::BufReader::new(std::fs::File::open(&f).with_context(|| format!("读取 {}", f.display()))?),
                    stdout.lock(),
                    &regions,
                )?,
                None => hedui::idcheck::run(std::io::stdin().lock(), stdout.lock(), &regions)?,
            };
            eprintln!("有效 {valid} 条，无效 {invalid} 条");
            Ok(())
        }
        other => bail!("not a command of this group: {other:?}"),
    }
}

/// Who runs a command-line import, until command-line operators log in: the operating-system
/// user and host.
pub(crate) fn operator() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into());
    format!("os:{user}@{host}")
}

fn print_dry_run(d: &hedui_import::DryRun) {
    let st = &d.stats;
    println!(
        "{}（{}）：试运行，未保存任何数据。共 {} 行，可接收 {}，重复 {}，拒收 {}，未识别 {}",
        d.source,
        d.as_of,
        st.total,
        st.total - st.rejected - st.duplicate,
        st.duplicate,
        st.rejected,
        st.unresolved
    );
    match d.compared_with {
        Some((batch, as_of)) => println!(
            "  与上一次全量快照（{as_of}，批次 {batch}）相比：新增 {}，消失 {}，变化 {}，未变 {}",
            d.new, d.gone, d.changed, d.unchanged
        ),
        None => println!("  该来源此前没有全量快照：{} 行均为新增", d.new),
    }
    if let Some(why) = &d.refused {
        println!("  注意：正式导入将被拒绝（{why}），需加 --confirm-shrink 确认");
    }
}

fn print_import(s: &hedui_import::ImportSummary) {
    let st = &s.stats;
    if s.already_imported {
        println!("{}（{}）：已导入过，未作更改（批次 {}）", s.source, s.as_of, s.batch);
    } else {
        println!(
            "{}（{}）：共 {} 行，接收 {}，重复 {}，拒收 {}，未识别 {}（批次 {}）",
            s.source, s.as_of, st.total, st.accepted, st.duplicate, st.rejected, st.unresolved, s.batch
        );
    }
}
