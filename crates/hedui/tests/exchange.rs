//! Collecting from institutions over the online channel, against the simulator over real HTTP:
//! the normal case, slow, dead, flaky, malformed and unsigned sources, duplicate callbacks, and
//! an interrupted collection that resumes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hedui_app::App;
use hedui_core::JobId;
use hedui_core::means_test::{Outcome, SourceState};
use hedui_sim::Faults;
use hedui_store::Store;

const NODE: &str = "hedui-320400";

struct Setup {
    app: App,
    sim: hedui::exchange::RunningSimulator,
    jobs: Vec<(String, JobId)>,
}

/// A city's mirrors imported and its applications filed, with the online channel attached to a
/// simulator with `faults`.
fn setup(dir: &Path, store: Arc<dyn Store>, faults: Faults, collect_within: Duration) -> Setup {
    let mut app = common::app(store, None);
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, dir).unwrap();
    let apps = hedui::city::applications(dir).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
    let secret = hedui::exchange::node_secret(app.identity.keys(), NODE);
    let catalog = hedui::exchange::catalog(None, None).unwrap();
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
    hedui::exchange::attach(&mut app, catalog, secret, collect_within).unwrap();
    Setup { app, sim, jobs: filed.into_iter().map(|f| (f.number, f.job)).collect() }
}

fn run_all(s: &Setup) -> Vec<(String, hedui_app::report::Report)> {
    let ids: Vec<JobId> = s.jobs.iter().map(|(_, j)| *j).collect();
    let reports = s.app.run_jobs(&common::clerk(), &ids).unwrap();
    s.jobs.iter().map(|(n, _)| n.clone()).zip(reports.into_iter().map(|r| r.unwrap())).collect()
}

#[test]
fn online_collection_matches_the_ground_truth_and_asks_each_message_once() {
    let dir = common::city(60, 21);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    for store in common::stores("exchange") {
        let backend = store.backend();
        let s = setup(&dir, store.clone(), Faults::default(), Duration::from_secs(60));
        let reports = run_all(&s);
        let cmp = hedui::city::compare(&truth, &reports);
        println!("[{backend}] online\n{}", cmp.render());
        assert!(cmp.misses.is_empty(), "[{backend}] {:?}", cmp.misses);

        let stats = s.sim.sim.stats();
        let pboc = &stats["PBOC"];
        assert!(pboc.unique >= 1 && pboc.repeats == 0, "{pboc:?}");
        assert!(pboc.persons > pboc.unique, "requests carry the members of many families: {pboc:?}");
        assert!(stats.values().all(|x| x.repeats == 0 && x.faults == 0));
        // Banks are asked only about members the account service placed there.
        let bank_persons: u64 = stats.iter().filter(|(k, _)| k.starts_with('B')).map(|(_, v)| v.persons).sum();
        assert!(bank_persons < pboc.persons * 6, "{bank_persons} bank queries for {} members", pboc.persons);
        for (_, r) in &reports {
            assert!(r.sources.iter().any(|x| x.source == "PBOC"), "the account-information service is listed");
            assert!(!r.sources.iter().any(|x| matches!(x.state, SourceState::NotAnswered { .. })), "{:?}", r.sources);
        }
    }
}

#[test]
fn a_dead_and_a_slow_source_are_not_answered_and_keep_conclusions_open() {
    let dir = common::city(30, 22);
    let store = common::stores("exchange_dead").remove(0);
    let mut faults = Faults::default();
    faults.dead.insert("P01".into());
    faults.slow.insert("S01".into(), Duration::from_secs(30));
    let mut s = setup(&dir, store.clone(), faults, Duration::from_secs(20));
    // Short deadlines for the two bad sources, so the test does not wait long.
    if let Some(ex) = s.app.exchange.as_mut() {
        let mut c = ex.client.catalog().clone();
        for code in ["P01", "S01"] {
            let src = c.sources.iter_mut().find(|x| x.code == code).unwrap();
            src.request_timeout_ms = 300;
            src.max_attempts = 2;
        }
        let secret = hedui::exchange::node_secret(s.app.identity.keys(), NODE);
        hedui::exchange::attach(&mut s.app, c, secret, Duration::from_secs(20)).unwrap();
    }
    let reports = run_all(&s);
    for (_, r) in &reports {
        for code in ["P01", "S01"] {
            let st = r.sources.iter().find(|x| x.source == code).unwrap();
            assert!(
                matches!(&st.state, SourceState::NotAnswered { reason } if reason.contains("未收到应答")),
                "{st:?}"
            );
        }
        assert_ne!(r.assessment.outcome, Outcome::NotExceeded, "an unanswered source is never counted as zero");
        assert!(r.sources.iter().any(|x| x.source == "PBOC" && !matches!(x.state, SourceState::NotAnswered { .. })));
    }
    let failed: Vec<_> = reports
        .iter()
        .flat_map(|(_, r)| r.sources.iter().filter(|x| matches!(x.state, SourceState::NotAnswered { .. })))
        .map(|x| x.source.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(failed, vec!["P01".to_string(), "S01".to_string()], "only the two bad sources fail");
}

#[test]
fn flaky_malformed_and_unsigned_replies_are_retried_and_every_answer_is_stored_once() {
    let dir = common::city(30, 23);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    let store = common::stores("exchange_flaky").remove(0);
    let faults = Faults { error_rate: 0.15, malformed_rate: 0.1, unsigned_rate: 0.1, ..Faults::default() };
    let mut s = setup(&dir, store.clone(), faults, Duration::from_secs(60));
    // A third of the attempts fail; with 12 tries a request fails for good about once in 300 000.
    let mut c = s.app.exchange.as_ref().unwrap().client.catalog().clone();
    for src in c.sources.iter_mut() {
        src.max_attempts = 12;
    }
    let secret = hedui::exchange::node_secret(s.app.identity.keys(), NODE);
    hedui::exchange::attach(&mut s.app, c, secret, Duration::from_secs(60)).unwrap();
    let reports = run_all(&s);
    let cmp = hedui::city::compare(&truth, &reports);
    assert!(cmp.misses.is_empty(), "retries recover every answer: {:?}", cmp.misses);
    let stats = s.sim.sim.stats();
    let faults: u64 = stats.values().map(|x| x.faults).sum();
    let repeats: u64 = stats.values().map(|x| x.repeats).sum();
    assert!(faults > 0, "the simulator did misbehave");
    assert!(repeats > 0, "retries reused their message ids");
    // Every query of every job was answered once: no duplicate records from repeated answers.
    for (_, job) in &s.jobs {
        let qs = s.app.store.job_queries(*job).unwrap();
        assert!(qs.iter().all(|q| q.state.is_answered()), "{qs:?}");
    }
    let mut per_job: BTreeMap<JobId, usize> = BTreeMap::new();
    for (_, job) in &s.jobs {
        per_job.insert(*job, s.app.store.job_queries(*job).unwrap().len());
    }
    assert!(per_job.values().all(|n| *n > 0));
}

#[test]
fn asynchronous_answers_arriving_twice_are_stored_once() {
    let dir = common::city(20, 24);
    // The same city collected synchronously, for the record count to compare with.
    let sync = setup(&dir, common::stores("exchange_sync").remove(0), Faults::default(), Duration::from_secs(60));
    run_all(&sync);
    let expected = sync.app.store.count_records().unwrap();

    let store = common::stores("exchange_async").remove(0);
    let faults = Faults { async_rate: 1.0, duplicate_callbacks: true, ..Faults::default() };
    let mut s = setup(&dir, store.clone(), faults, Duration::from_secs(60));
    // hedui's callback endpoint, on a runtime of its own.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    s.app.callback_url = Some(format!("http://{}/callback", listener.local_addr().unwrap()));
    let app = Arc::new(s.app);
    let counts = Arc::new(std::sync::Mutex::new((0u32, 0u32)));
    let (a2, c2) = (app.clone(), counts.clone());
    let router = axum::Router::new().route(
        "/callback",
        axum::routing::post(move |axum::Json(env): axum::Json<hedui_exchange::Envelope>| {
            let (a, c) = (a2.clone(), c2.clone());
            async move {
                let new = tokio::task::spawn_blocking(move || a.exchange_callback(&env)).await.unwrap().unwrap();
                let mut g = c.lock().unwrap();
                if new { g.0 += 1 } else { g.1 += 1 }
            }
        }),
    );
    rt.spawn(async move { axum::serve(listener, router).await.unwrap() });

    let ids: Vec<JobId> = s.jobs.iter().map(|(_, j)| *j).collect();
    let reports = app.run_jobs(&common::clerk(), &ids).unwrap();
    for r in reports {
        let r = r.unwrap();
        assert!(!r.sources.iter().any(|x| matches!(x.state, SourceState::NotAnswered { .. })), "{:?}", r.sources);
    }
    // Let the last duplicate callbacks land, then compare.
    std::thread::sleep(Duration::from_millis(500));
    let (new, repeated) = *counts.lock().unwrap();
    let stats = s.sim.sim.stats();
    let callbacks: u64 = stats.values().map(|x| x.callbacks).sum();
    assert!(callbacks >= 2, "{stats:?}");
    assert!(repeated >= 1, "second callbacks arrived ({new} new, {repeated} repeated)");
    assert_eq!(app.store.count_records().unwrap(), expected, "every answer stored once");
    assert!(ids.iter().all(|j| app.store.job_queries(*j).unwrap().iter().all(|q| q.state.is_answered())));
}
