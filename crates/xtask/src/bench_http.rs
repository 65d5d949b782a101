//! `bench-http`: the web server under load, measured apart from the load. Prepares a SQLite node
//! with a generated city: every household's application filed and verified (10,000 jobs with
//! signed reports by default) and 1,000 users; starts the release `hedui serve` on it as a child
//! process; then, from this process:
//! 1. each page alone, one request at a time: the report page, its calculation (fetched when a
//!    clerk opens it), the job list (a page deep in the
//!    list, filtered, sorted), the household list, the user list, the audit viewer, the report as
//!    JSON: the server's CPU time per request (its process's user + system time, read from
//!    `/proc`, divided by the requests) and p50;
//! 2. an open-loop load at `--rps` for `--secs` (report pages, the job list and the JSON API,
//!    every read audited), each request sent at its scheduled time whether or not the earlier ones
//!    returned (latency counted from that time, so a stall is not hidden), at most `--inflight`
//!    at once: p50, p99, max, errors and the server's CPU per request.
//!
//! The goals (issue 14, a 2-vCPU machine): ≤ 1.5 ms of server CPU per report page, including its
//! audit row and signature check; p99 ≤ 20 ms at 500 requests/s for 10 minutes with no error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use hedui_app::{Caller, Role, SystemClock};
use hedui_crypto::ring::KeyRing;

const KEY: &str = "3333333333333333333333333333333333333333333333333333333333333333";
const PASSWORD: &str = "Bench-http-2026!";
/// The goals the figures are compared with.
const REPORT_CPU_GOAL_MS: f64 = 1.5;
const P99_GOAL_MS: f64 = 20.0;

pub struct Options {
    households: u64,
    users: usize,
    rps: u64,
    secs: u64,
    inflight: usize,
    each: usize,
}

impl Options {
    pub fn parse(args: impl Iterator<Item = String>) -> Result<Options> {
        let mut o = Options { households: 10_000, users: 1_000, rps: 500, secs: 60, inflight: 256, each: 2_000 };
        let mut args = args;
        while let Some(a) = args.next() {
            let mut n = || args.next().unwrap_or_default();
            match a.as_str() {
                "--households" => o.households = n().parse()?,
                "--users" => o.users = n().parse()?,
                "--rps" => o.rps = n().parse()?,
                "--secs" => o.secs = n().parse()?,
                "--inflight" => o.inflight = n().parse()?,
                "--each" => o.each = n().parse()?,
                other => bail!("unknown option {other}"),
            }
        }
        Ok(o)
    }
}

/// The server process's CPU time so far (user + system), from `/proc/<pid>/stat`.
fn cpu(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name (which may hold spaces), from its closing parenthesis.
    let rest = &stat[stat.rfind(')').ok_or_else(|| anyhow!("/proc stat"))? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>()? + f[12].parse::<u64>()?;
    // /proc counts in USER_HZ, 100 on Linux.
    Ok(Duration::from_millis(ticks * 10))
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

struct Node {
    child: std::process::Child,
    base: String,
    token: String,
    admin_token: String,
    auditor_token: String,
    jobs: Vec<i64>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node with a city's jobs verified and `users` users, served by the release binary.
fn prepare(o: &Options, dir: &std::path::Path) -> Result<Node> {
    let exe = std::env::current_exe()?.with_file_name("hedui");
    if !exe.exists() {
        bail!("{} is missing: cargo build --release -p hedui first", exe.display());
    }
    let t = Instant::now();
    let city = dir.join("city");
    let regions = hedui_app::data::regions(None)?;
    let as_of = hedui_core::Date::parse("2026-11-27")?;
    hedui::city::generate(&regions, &city, 11, o.households, as_of)?;
    let key = dir.join("master.key");
    std::fs::write(&key, KeyRing::file_text(&[(1, KEY)]))?;
    let db = dir.join("hedui.db").display().to_string();
    let store = hedui::open_store(&db)?;
    let ring = Arc::new(KeyRing::parse(&KeyRing::file_text(&[(1, KEY)]))?);
    let app = hedui::build_app(store.clone(), ring, hedui::city::banks(&city)?, Arc::new(SystemClock), None)?;
    let system = Caller::system("bench-http");
    hedui::city::import_mirrors(&app, &system, &city)?;
    let apps = hedui::city::applications(&city)?;
    let filed = hedui::city::file_applications(&app, &system, &apps, as_of, &|_| true)?;
    let ids: Vec<hedui_core::JobId> = filed.iter().map(|f| f.job).collect();
    let done = app.run_jobs(&system, &ids)?;
    let jobs: Vec<i64> = ids.iter().zip(&done).filter(|(_, r)| r.is_ok()).map(|(j, _)| j.0).collect();
    let roles = [Role::Clerk, Role::Township, Role::Reviewer, Role::Viewer];
    let account = |login: &str, role| hedui_app::admin::users::Account::new(login, login, role, "", "");
    for i in 0..o.users {
        app.create_user(&system, &account(&format!("u{i:04}"), roles[i % 4]), PASSWORD)?;
    }
    for (login, role) in [("bench", Role::Clerk), ("sec", Role::Security), ("aud", Role::Auditor)] {
        app.create_user(&system, &account(login, role), PASSWORD)?;
    }
    let token = app.login("bench", PASSWORD, "bench")?.token;
    let admin_token = app.login("sec", PASSWORD, "bench")?.token;
    let auditor_token = app.login("aud", PASSWORD, "bench")?.token;
    drop(app);
    println!(
        "prepared {} jobs with reports and {} users in {:.1} s",
        jobs.len(),
        o.users + 3,
        t.elapsed().as_secs_f64()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = std::process::Command::new(&exe)
        .args(["serve", "--db", &db, "--key", &key.display().to_string()])
        .env("HEDUI_PORT", port.to_string())
        .env("HEDUI_REQUIRE_SECOND_FACTOR", "false")
        .env("HEDUI_AUDIT_CHECKPOINT_MINUTES", "600")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting hedui serve")?;
    Ok(Node { child, base: format!("http://127.0.0.1:{port}"), token, admin_token, auditor_token, jobs })
}

pub fn run(o: &Options) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("hedui-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let node = prepare(o, &dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = rt.block_on(drive(o, &node));
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn drive(o: &Options, node: &Node) -> Result<()> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(o.inflight).build()?;
    let started = Instant::now();
    while http.get(format!("{}/healthz", node.base)).send().await.is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("hedui serve did not answer within a minute");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = node.child.id();
    let pages = node.jobs.len().div_ceil(20).max(1);
    let job = |i: usize| node.jobs[i * 7919 % node.jobs.len()];
    type Path<'a> = Box<dyn Fn(usize) -> String + 'a>;
    let kinds: Vec<(&str, &str, Path<'_>)> = vec![
        ("report page", &node.token, Box::new(move |i| format!("/jobs/{}/report", job(i)))),
        ("report's calculation (opened)", &node.token, Box::new(move |i| format!("/jobs/{}/report/trace", job(i)))),
        ("report JSON (API)", &node.token, Box::new(move |i| format!("/api/v1/jobs/{}/report", job(i)))),
        ("job list", &node.token, Box::new(move |i| format!("/jobs?page={}", 1 + i * 31 % pages))),
        (
            "job list, filtered and sorted",
            &node.token,
            Box::new(|i| format!("/jobs?household=H00{}&sort=household_asc", i % 90 + 10)),
        ),
        ("household list", &node.token, Box::new(move |i| format!("/households?page={}", 1 + i * 17 % pages))),
        ("user list", &node.admin_token, Box::new(|i| format!("/users?page={}", 1 + i % 50))),
        ("audit viewer", &node.auditor_token, Box::new(|_| "/audit".to_string())),
    ];
    println!("\n1. each page alone, {} requests each, one at a time (server CPU from /proc/{pid}/stat):", o.each);
    println!("{:<32} {:>14} {:>10} {:>10}", "page", "CPU/request", "p50", "p99");
    for (name, token, path) in &kinds {
        let cpu0 = cpu(pid)?;
        let mut lat = Vec::with_capacity(o.each);
        for i in 0..o.each {
            let t = Instant::now();
            let r = request(&http, &node.base, &path(i), token).send().await?;
            if !r.status().is_success() {
                bail!("{name}: {} {}", path(i), r.status());
            }
            r.bytes().await?;
            lat.push(t.elapsed());
        }
        let per = (cpu(pid)? - cpu0).as_secs_f64() * 1000.0 / o.each as f64;
        lat.sort();
        let goal = if *name == "report page" {
            format!("  (goal ≤ {REPORT_CPU_GOAL_MS} ms: {:.2}×)", per / REPORT_CPU_GOAL_MS)
        } else {
            String::new()
        };
        println!("{name:<32} {per:>11.3} ms {:>7.2} ms {:>7.2} ms{goal}", pct(&lat, 0.5), pct(&lat, 0.99));
    }
    load(o, node, &http, pid).await
}

/// A GET as its user sends it: a page with the session cookie, as a browser does (so the page's
/// forms get their CSRF token on the way out), the API with the bearer token.
fn request(http: &reqwest::Client, base: &str, path: &str, token: &str) -> reqwest::RequestBuilder {
    let r = http.get(format!("{base}{path}"));
    if path.starts_with("/api/") {
        r.bearer_auth(token)
    } else {
        r.header(reqwest::header::COOKIE, format!("hedui_session={token}"))
    }
}

/// The open-loop load: report pages, the job list and the JSON API in the ratio 3 : 1 : 1.
async fn load(o: &Options, node: &Node, http: &reqwest::Client, pid: u32) -> Result<()> {
    println!(
        "\n2. open loop at {} requests/s for {} s (report pages 60 %, job list 20 %, JSON API 20 %):",
        o.rps, o.secs
    );
    let total = o.rps * o.secs;
    let errors = Arc::new(AtomicU64::new(0));
    let dropped = Arc::new(AtomicU64::new(0));
    let inflight = Arc::new(tokio::sync::Semaphore::new(o.inflight));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Duration>();
    let jobs = Arc::new(node.jobs.clone());
    let pages = node.jobs.len().div_ceil(20).max(1);
    let cpu0 = cpu(pid)?;
    let start = tokio::time::Instant::now();
    let interval = Duration::from_secs_f64(1.0 / o.rps as f64);
    for n in 0..total {
        let due = start + interval * n as u32;
        tokio::time::sleep_until(due).await;
        let Ok(permit) = inflight.clone().try_acquire_owned() else {
            dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let path = match n % 5 {
            0..=2 => format!("/jobs/{}/report", jobs[(n as usize * 7919) % jobs.len()]),
            3 => format!("/jobs?page={}", 1 + (n as usize * 31) % pages),
            _ => format!("/api/v1/jobs/{}/report", jobs[(n as usize * 104_729) % jobs.len()]),
        };
        let (http, base, token, tx, errors) =
            (http.clone(), node.base.clone(), node.token.clone(), tx.clone(), errors.clone());
        tokio::spawn(async move {
            let ok = match request(&http, &base, &path, &token).send().await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            };
            if !ok {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            let _ = tx.send(due.elapsed());
            drop(permit);
        });
    }
    drop(tx);
    let mut lat = Vec::with_capacity(total as usize);
    while let Some(d) = rx.recv().await {
        lat.push(d);
    }
    let wall = start.elapsed().as_secs_f64();
    let per = (cpu(pid)? - cpu0).as_secs_f64() * 1000.0 / lat.len().max(1) as f64;
    lat.sort();
    let (errors, dropped) = (errors.load(Ordering::Relaxed), dropped.load(Ordering::Relaxed));
    println!(
        "sent {} in {wall:.1} s ({:.0}/s); p50 {:.2} ms, p99 {:.2} ms (goal ≤ {P99_GOAL_MS} ms: {:.2}×), max {:.1} ms",
        lat.len(),
        lat.len() as f64 / wall,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 0.99) / P99_GOAL_MS,
        pct(&lat, 1.0)
    );
    println!(
        "errors {errors}, not sent (more than {} in flight) {dropped}; server CPU {per:.3} ms per request",
        o.inflight
    );
    Ok(())
}
