//! Shared set-up for hedui's integration tests: a generated city in a temporary directory and an app over a real store.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Each test binary uses part of this; tests stop at the first surprise.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use hedui_app::{App, Caller, FixedClock};
use hedui_core::Date;
use hedui_store::Store;

/// The date every test city is generated for.
pub fn as_of() -> Date {
    Date::parse("2026-11-27").unwrap()
}

/// 2026-11-28 10:00 China time, the day after `as_of`.
pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock((as_of().add_days(1).to_days()) * 86_400 + 2 * 3600))
}

/// A fresh temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d =
        std::env::temp_dir().join(format!("hedui-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A generated city of `households` households in a new directory.
pub fn city(households: u64, seed: u64) -> PathBuf {
    let dir = temp_dir("city");
    let regions = hedui_app::data::regions(None).unwrap();
    hedui::city::generate(&regions, &dir, seed, households, as_of()).unwrap();
    dir
}

/// The stores to run a shared test on: SQLite always, PostgreSQL when `HEDUI_TEST_PG_URL` is set.
pub fn stores(tag: &str) -> Vec<Arc<dyn Store>> {
    let dir = temp_dir(tag);
    let sqlite = hedui::open_store(&dir.join("hedui.db").display().to_string()).unwrap();
    let mut out = vec![sqlite];
    match hedui_store_postgres::test_url() {
        Some(url) => {
            static N: AtomicU32 = AtomicU32::new(0);
            let schema = format!("it_{tag}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
            let pg = hedui_store_postgres::open_scratch_schema(&url, &schema).unwrap();
            pg.migrate().unwrap();
            out.push(Arc::new(pg));
        }
        None => hedui_store_postgres::skip_notice(tag),
    }
    out
}

/// An app over `store` with the city's banks, a fixed clock and test keys.
pub fn app(store: Arc<dyn Store>, city: Option<&std::path::Path>) -> App {
    let banks = city.map(|c| hedui::city::banks(c).unwrap()).unwrap_or_default();
    hedui::build_app(store, Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap()), banks, clock(), None)
        .unwrap()
}

/// An app like [`app`] whose policy is read from `policy_dir` (and reloaded when it changes).
#[allow(dead_code)] // Not every test binary reads policy from disk.
pub fn app_with_policy(store: Arc<dyn Store>, city: &std::path::Path, policy_dir: &std::path::Path) -> App {
    let banks = hedui::city::banks(city).unwrap();
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    hedui::build_app(store, keys, banks, clock(), Some(policy_dir)).unwrap()
}

pub fn clerk() -> Caller {
    Caller::user("clerk", hedui_app::Role::Clerk, "", "test")
}

/// The text of a PDF by poppler's `pdftotext`, or `None` when it is not installed.
#[allow(dead_code)] // Not every test binary reads PDFs.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = temp_dir("pdftotext");
    let path = dir.join("in.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().ok()?;
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Says loudly that a check was skipped for want of `tool`; fails when `require_env` is set (CI).
#[allow(dead_code)]
pub fn skip_loudly(tool: &str, require_env: &str) {
    if std::env::var_os(require_env).is_some() {
        panic!("{tool} is required ({require_env} is set) but was not found");
    }
    eprintln!(
        "\n*** SKIPPED: {tool} is not installed; this check did not run. Install it (CI sets {require_env}=1). ***\n"
    );
}

/// What a bulk run keeps of each report, for comparing full reports with the ground truth.
pub fn issued(reports: &[(String, hedui_app::reports::Report)]) -> Vec<(String, hedui_app::jobs::bulk::Issued)> {
    reports.iter().map(|(n, r)| (n.clone(), hedui_app::jobs::bulk::Issued::of(r))).collect()
}

/// A copy of the demo policy in `dir/policy`, for a test to change.
#[allow(dead_code)] // Not every test binary changes the policy.
pub fn policy_copy(dir: &std::path::Path) -> PathBuf {
    let out = dir.join("policy");
    std::fs::create_dir_all(&out).unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/policy");
    for f in std::fs::read_dir(demo).unwrap().flatten() {
        std::fs::copy(f.path(), out.join(f.file_name())).unwrap();
    }
    out
}

/// Files an application commission for `household` under `programme`, checked as of `as_of`.
#[allow(dead_code)] // Not every test binary files its own commissions.
pub fn commission(
    app: &App,
    household: hedui_core::HouseholdId,
    programme: hedui_core::programme::Programme,
    as_of: Date,
) -> hedui_core::JobId {
    app.commission(
        &clerk(),
        &hedui_app::cases::CommissionInput {
            number: None,
            kind: hedui_core::commission::CommissionKind::Application,
            programme,
            household,
            department: None,
            note: None,
            as_of: Some(as_of),
            declared: Default::default(),
        },
    )
    .unwrap()
}

/// The node id the tests' exchange runs as.
#[allow(dead_code)]
pub const NODE: &str = "hedui-320400";

/// A city's mirrors imported and its applications filed, with the online channel attached to a
/// simulator with `faults` answering `catalog`'s sources (after `tune` has changed the node's
/// copy, say a source's deadline).
#[allow(dead_code)] // Only the tests of the online channel use it.
pub fn online(
    dir: &std::path::Path,
    store: Arc<dyn Store>,
    faults: hedui_sim::Faults,
    collect_within: std::time::Duration,
    catalog: hedui_core::catalog::Catalog,
    tune: &dyn Fn(&mut hedui_core::catalog::Catalog),
) -> (App, hedui::exchange::RunningSimulator, Vec<hedui::city::Filed>) {
    let mut app = app(store, None);
    let actor = clerk();
    hedui::city::import_mirrors(&app, &actor, dir).unwrap();
    let apps = hedui::city::applications(dir).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, as_of(), &|_| true).unwrap();
    let secret = app.exchange_secret(NODE).unwrap();
    let sim = hedui::exchange::start_simulator(
        catalog.clone(),
        hedui::city::banks(dir).unwrap(),
        NODE,
        secret.public(),
        faults,
    )
    .unwrap();
    let mut catalog = catalog;
    catalog.base_url = Some(sim.base_url.clone());
    tune(&mut catalog);
    hedui::exchange::attach(&mut app, catalog, secret, collect_within).unwrap();
    (app, sim, filed)
}

/// The `hedui` binary run with `args` and `stdin` on its standard input (a password), with no key
/// or database from the environment: its output.
pub fn hedui_with_stdin(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(args)
        .env_remove("HEDUI_MASTER_KEY")
        .env_remove("HEDUI_DATABASE_URL")
        .env("HEDUI_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}
