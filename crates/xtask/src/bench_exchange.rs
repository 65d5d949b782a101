//! `bench-exchange`: 10 000 households (about 26 000 members) verified against 40 online
//! sources served by the simulator in a separate process, each source with 50 ms latency and
//! 1 % errors, requests of up to 100 persons, signatures, encryption and persistence on.
//!
//! Prints the time to collect and to report, requests/s, the median and 99th-percentile
//! latency of a request as the client saw it, and the peak memory of hedui and of the
//! simulator. The anchor is the issue's: at most 60 s and 1 GiB on this 2-core machine.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use hedui_app::{Caller, SystemClock};
use hedui_core::catalog::Channel;
use hedui_core::{Date, JobId};
use hedui_crypto::SoftKeys;

const AS_OF: &str = "2026-11-27";
const SOURCES: usize = 40;
const TARGET_SECS: f64 = 45.0;
const TARGET_PEAK_MIB: f64 = 512.0;

#[derive(Debug)]
pub struct Options {
    households: u64,
    dir: PathBuf,
    latency_ms: u64,
    error_rate: f64,
}

impl Options {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options {
            households: 10_000,
            dir: PathBuf::from("target/bench-exchange"),
            latency_ms: 50,
            error_rate: 0.01,
        };
        while let Some(a) = args.next() {
            let mut value = || args.next().ok_or_else(|| anyhow!("{a} needs a value"));
            match a.as_str() {
                "--households" => o.households = value()?.parse()?,
                "--dir" => o.dir = PathBuf::from(value()?),
                "--latency-ms" => o.latency_ms = value()?.parse()?,
                "--error-rate" => o.error_rate = value()?.parse()?,
                other => bail!("unknown option {other}"),
            }
        }
        Ok(o)
    }
}

/// The demo catalog with 40 online sources: every source with an interface goes online, and the
/// first department mirrors are offered online too until there are 40.
fn bench_catalog() -> Result<String> {
    let mut v: serde_json::Value = serde_json::from_str(hedui::exchange::DEMO_CATALOG)?;
    let sources = v["sources"].as_array_mut().ok_or_else(|| anyhow!("catalog without sources"))?;
    let mut online = sources.iter().filter(|s| s["channel"] != "mirror").count();
    for s in sources.iter_mut() {
        if s["channel"] == "file" {
            s["channel"] = "online".into();
        }
    }
    for s in sources.iter_mut() {
        if online >= SOURCES {
            break;
        }
        if s["channel"] == "mirror" {
            s["channel"] = "online".into();
            s["endpoint"] = format!("/{}", s["code"].as_str().unwrap_or_default()).into();
            online += 1;
        }
    }
    hedui_sim::fill_catalog_keys(&serde_json::to_string(&v)?).map_err(|e| anyhow!(e))
}

struct Sim(Child);
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

// tidy: allow(long-fn): a benchmark's script, phase after phase with its printout.
pub fn run(o: &Options) -> Result<()> {
    println!("release build: {}", !cfg!(debug_assertions));
    let city = o.dir.join("city");
    let db = o.dir.join("hedui.db");
    for p in [&db, &o.dir.join("hedui.db-wal"), &o.dir.join("hedui.db-shm")] {
        let _ = std::fs::remove_file(p);
    }
    let _ = std::fs::remove_dir_all(&city);
    std::fs::create_dir_all(&o.dir)?;
    let as_of = Date::parse(AS_OF).map_err(|e| anyhow!("{e}"))?;

    // ---- preparation (not timed) ----
    let t = Instant::now();
    let regions = hedui_app::data::regions(None)?;
    let g = hedui::city::generate(&regions, &city, 7, o.households, as_of)?;
    let store = hedui::open_store(&db.display().to_string())?;
    let keys = Arc::new(SoftKeys::from_master(&[9; 32])?);
    let mut app = hedui::build_app(store, keys.clone(), Vec::new(), Arc::new(SystemClock), None)?;
    let actor = Caller::system("bench-exchange");
    hedui::city::import_mirrors(&app, &actor, &city)?;
    let apps = hedui::city::applications(&city)?;
    let filed = hedui::city::file_applications(&app, &actor, &apps, as_of, &|_| true)?;
    println!(
        "prepared {} households, {} persons, {} jobs in {:.1} s",
        g.households,
        g.persons,
        filed.len(),
        t.elapsed().as_secs_f64()
    );

    // ---- the simulator, in its own process ----
    let catalog_text = bench_catalog()?;
    let catalog_file = o.dir.join("catalog.json");
    std::fs::write(&catalog_file, &catalog_text)?;
    let catalog = hedui::exchange::catalog(Some(&catalog_file), None)?;
    let online = catalog.by_channel(Channel::Online).count();
    let secret = app.exchange_secret(&catalog.node.id)?;
    let keys_file = o.dir.join("hedui-keys.json");
    std::fs::write(&keys_file, serde_json::to_string(&secret.public())?)?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("sim-serve")
        .args(["--city", &city.display().to_string(), "--catalog", &catalog_file.display().to_string()])
        .args(["--client-keys", &keys_file.display().to_string()])
        .args(["--latency-ms", &o.latency_ms.to_string(), "--error-rate", &o.error_rate.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the simulator")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or_else(|| anyhow!("no simulator output"))?).read_line(&mut line)?;
    let sim = Sim(child);
    let base = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    println!(
        "simulator (pid {}): {online} online sources at {base}, latency {} ms, errors {:.1} %",
        sim.0.id(),
        o.latency_ms,
        o.error_rate * 100.0
    );
    let mut catalog = catalog;
    catalog.base_url = Some(base);
    hedui::exchange::attach(&mut app, catalog, secret, Duration::from_secs(600))?;

    // ---- timed: dispatch, collect, report ----
    let ids: Vec<JobId> = filed.iter().map(|f| f.job).collect();
    let t = Instant::now();
    let (results, stages) = app.run_jobs_staged(&actor, &ids, &|_| Ok(()))?;
    let total = t.elapsed().as_secs_f64();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let setup = app.exchange.as_ref().ok_or_else(|| anyhow!("no exchange"))?;
    let mut lat = setup.client.latencies();
    lat.sort_unstable();
    let requests: i64 = app.store.request_counts()?.iter().map(|(_, _, n)| n).sum();
    let queries: i64 = app.store.query_counts()?.iter().map(|(_, _, n)| n).sum();
    let unanswered: i64 =
        app.store.query_counts()?.iter().filter(|(_, s, _)| !s.is_answered()).map(|(_, _, n)| n).sum();
    let hedui_peak = peak_kib(std::process::id()) as f64 / 1024.0;
    let sim_peak = peak_kib(sim.0.id()) as f64 / 1024.0;
    drop(sim);

    println!("\n== summary ({} households, {} persons, {online} sources) ==", g.households, g.persons);
    println!("reports issued                 {ok} of {}", ids.len());
    println!("queries (person × source)      {queries}, not answered {unanswered}");
    println!("requests (≤ 100 persons each)  {requests}, attempts {}", lat.len());
    println!(
        "dispatch + collect + report    {total:.1} s (target <= {TARGET_SECS} s: {})",
        ok_mark(total <= TARGET_SECS)
    );
    println!(
        "  of which                     dispatch {:.1} s, collection {:.1} s, reports {:.1} s",
        stages.dispatch.as_secs_f64(),
        stages.collect.as_secs_f64(),
        stages.reports.as_secs_f64()
    );
    println!(
        "  reports made while collecting {} (their jobs had nothing left to collect)",
        stages.reported_while_collecting
    );
    println!("margin                         {:+.1} s against the target", TARGET_SECS - total);
    println!("requests/s                     {:.0}", requests as f64 / total);
    println!(
        "request latency                median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "peak memory                    hedui {hedui_peak:.0} MiB, simulator {sim_peak:.0} MiB (target <= {TARGET_PEAK_MIB} MiB: {})",
        ok_mark(hedui_peak <= TARGET_PEAK_MIB)
    );
    Ok(())
}

fn ok_mark(ok: bool) -> &'static str {
    if ok { "ok" } else { "NOT MET" }
}

/// The simulator process: `xtask sim-serve --city … --catalog … --client-keys … [--latency-ms N]
/// [--error-rate X]`. Prints its URL on the first line of stdout.
pub fn sim_serve(mut args: impl Iterator<Item = String>) -> Result<()> {
    let (mut city, mut catalog, mut keys, mut latency, mut errors) = (None, None, None, 0u64, 0.0f64);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{a} needs a value"));
        match a.as_str() {
            "--city" => city = Some(PathBuf::from(value()?)),
            "--catalog" => catalog = Some(PathBuf::from(value()?)),
            "--client-keys" => keys = Some(PathBuf::from(value()?)),
            "--latency-ms" => latency = value()?.parse()?,
            "--error-rate" => errors = value()?.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    let (Some(city), Some(keys)) = (city, keys) else { bail!("--city and --client-keys are required") };
    let client: hedui_core::catalog::NodeKeys = serde_json::from_str(&std::fs::read_to_string(&keys)?)?;
    let catalog = hedui::exchange::catalog(catalog.as_deref().map(Path::new), None)?;
    let faults = hedui_sim::Faults {
        latency: Duration::from_millis(latency),
        error_rate: errors,
        ..hedui_sim::Faults::default()
    };
    let node = catalog.node.id.clone();
    let sim = Arc::new(hedui_sim::Simulator::new(catalog, hedui::city::banks(&city)?, &node, client, faults));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("hedui-sim listening on http://{}", listener.local_addr()?);
        use std::io::Write;
        std::io::stdout().flush()?;
        axum::serve(listener, hedui_sim::router(sim)).await?;
        Ok(())
    })
}
