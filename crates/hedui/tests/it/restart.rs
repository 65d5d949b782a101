//! A collection killed with SIGKILL in the middle resumes without losing or repeating an answer:
//! the real binary runs `jobs run` against `hedui simulate` (a separate process), is killed
//! once answers have started to arrive, and `jobs resume` finishes the work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hedui_core::job::JobState;
use hedui_store::{JobFilter, RequestState, Store};

const MASTER: &str = "5c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eaf1";
const NODE: &str = "hedui-320400";

fn hedui() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hedui"));
    c.env("HEDUI_MASTER_KEY", MASTER);
    c
}

/// A database with the city's mirrors imported and its applications filed.
fn prepare(dir: &std::path::Path, db: &std::path::Path) -> Arc<dyn Store> {
    let store = hedui::open_store(&db.display().to_string()).unwrap();
    let keys = Arc::new(hedui_crypto::SoftKeys::from_hex(MASTER).unwrap());
    let app = hedui::build_app(store.clone(), keys, Vec::new(), common::clock(), None).unwrap();
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, dir).unwrap();
    let apps = hedui::city::applications(dir).unwrap();
    hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
    let clerk = hedui_app::admin::users::Account::new("op", "核对员", hedui_app::Role::Clerk, "", "");
    app.create_user(&hedui_app::Caller::system("t"), &clerk, OPERATOR_PASSWORD).unwrap();
    store
}

const OPERATOR_PASSWORD: &str = "Operator-pass-2026";

/// `hedui jobs …` as the operator `op`, whose password is on its standard input.
fn jobs(args: &[&str]) -> Child {
    use std::io::Write;
    let mut child = hedui()
        .args(["--operator", "op", "jobs"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{OPERATOR_PASSWORD}\n").as_bytes()).unwrap();
    child
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stats(base: &str) -> BTreeMap<String, hedui_sim::SourceStats> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let text = rt.block_on(async { reqwest::get(format!("{base}/_sim/stats")).await.unwrap().text().await.unwrap() });
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_collection_killed_mid_run_resumes_without_losing_or_repeating_answers() {
    let dir = common::city(40, 31);
    let work = common::temp_dir("restart");
    let db = work.join("hedui.db");
    let store = prepare(&dir, &db);
    let baseline = store.count_records().unwrap();

    // hedui's published keys, for the simulator.
    let keys_file = work.join("hedui-keys.json");
    let out = hedui().args(["exchange", "keys", "--node", NODE, "--db", &db.display().to_string()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&keys_file, &out.stdout).unwrap();

    let mut sim = Killed(
        hedui()
            .args(["simulate", "--city", dir.to_str().unwrap(), "--client-keys", keys_file.to_str().unwrap()])
            .args(["--latency-ms", "150"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(sim.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let db_arg = db.display().to_string();
    let mut run = Killed(jobs(&["run", "--db", &db_arg, "--sources", &base]));
    // Kill it once some answers are stored and some are not.
    let started = Instant::now();
    loop {
        let answered: i64 = store
            .request_counts()
            .unwrap()
            .iter()
            .filter(|(_, s, _)| *s == RequestState::Answered)
            .map(|(_, _, n)| n)
            .sum();
        if answered >= 3 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no answers arrived");
        assert!(run.0.try_wait().unwrap().is_none(), "the run finished before it could be interrupted");
        std::thread::sleep(Duration::from_millis(20));
    }
    run.0.kill().unwrap();
    run.0.wait().unwrap();
    let open_online = |store: &dyn Store| {
        let catalog = hedui::exchange::catalog(None, None).unwrap();
        store
            .query_counts()
            .unwrap()
            .into_iter()
            .filter(|(src, st, _)| {
                !st.is_final() && catalog.get(src).is_some_and(|s| s.channel == hedui_core::catalog::Channel::Online)
            })
            .map(|(_, _, n)| n)
            .sum::<i64>()
    };
    assert!(open_online(store.as_ref()) > 0, "the kill left online queries open");
    let dispatched = JobFilter { state: Some(JobState::Dispatched), limit: 1000, ..JobFilter::default() };
    assert!(!store.jobs(&dispatched).unwrap().is_empty());

    let out = jobs(&["resume", "--db", &db_arg, "--sources", &base]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(open_online(store.as_ref()), 0, "every online query answered");
    assert!(store.jobs(&dispatched).unwrap().is_empty(), "every interrupted job got its report");
    let issued = JobFilter { state: Some(JobState::ReportIssued), limit: 1000, ..JobFilter::default() };
    assert_eq!(store.jobs(&issued).unwrap().len(), 40);

    // The simulator counted each message once, however often it was sent.
    // (File-exchange requests wait for their packages; they never went to the simulator's HTTP side.)
    let catalog = hedui::exchange::catalog(None, None).unwrap();
    let mut requests: BTreeMap<String, i64> = BTreeMap::new();
    for (source, state, n) in store.request_counts().unwrap() {
        if catalog.get(&source).is_some_and(|s| s.channel == hedui_core::catalog::Channel::File) {
            continue;
        }
        assert_eq!(state, RequestState::Answered, "{source}");
        *requests.entry(source).or_default() += n;
    }
    let st = stats(&base);
    for (source, n) in &requests {
        assert_eq!(st[source].unique as i64, *n, "{source}: {:?}", st[source]);
    }

    // No answer lost or stored twice: the same city collected without interruption stores the
    // same records.
    let reference_db = work.join("reference.db");
    let reference = prepare(&dir, &reference_db);
    let out =
        jobs(&["run", "--db", &reference_db.display().to_string(), "--sources", &base]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(reference.count_records().unwrap(), store.count_records().unwrap());
    assert!(store.count_records().unwrap() > baseline);
}
