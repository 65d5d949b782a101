//! Collecting from institutions over the online channel, against the simulator over real HTTP:
//! the normal case, slow, dead, flaky, malformed and unsigned sources, duplicate callbacks, and
//! an interrupted collection that resumes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hedui_app::App;
use hedui_core::JobId;
use hedui_means::{Outcome, SourceState};
use hedui_sim::Faults;
use hedui_store::Store;

use common::NODE;

struct Setup {
    app: App,
    sim: hedui::exchange::RunningSimulator,
    jobs: Vec<(String, JobId)>,
}

/// A city's mirrors imported and its applications filed, with the online channel attached to a
/// simulator with `faults`.
fn setup(dir: &Path, store: Arc<dyn Store>, faults: Faults, collect_within: Duration) -> Setup {
    setup_with(dir, store, faults, collect_within, hedui::exchange::catalog(None, None).unwrap())
}

/// [`setup`] with a catalog of one's own.
fn setup_with(
    dir: &Path,
    store: Arc<dyn Store>,
    faults: Faults,
    collect_within: Duration,
    catalog: hedui_core::catalog::Catalog,
) -> Setup {
    let (app, sim, filed) = common::online(dir, store, faults, collect_within, catalog, &|_| {});
    Setup { app, sim, jobs: filed.into_iter().map(|f| (f.number, f.job)).collect() }
}

fn run_all(s: &Setup) -> Vec<(String, hedui_app::reports::Report)> {
    let ids: Vec<JobId> = s.jobs.iter().map(|(_, j)| *j).collect();
    let settle = |a: &App| hedui::exchange::settle_files(a, &common::clerk(), &s.sim.sim).map(|_| ());
    let issued = s.app.run_jobs_with(&common::clerk(), &ids, &settle).unwrap();
    // A bulk run keeps only a summary of each report; the reports themselves are read back from
    // the store, as a clerk would read them.
    s.jobs
        .iter()
        .map(|(n, _)| n.clone())
        .zip(issued.into_iter().map(|r| s.app.report(&common::clerk(), r.unwrap().job, None).unwrap()))
        .collect()
}

#[test]
fn with_every_institution_online_reports_are_made_while_the_collection_goes_on() {
    let dir = common::city(40, 26);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    let mut catalog = hedui::exchange::catalog(None, None).unwrap();
    for src in catalog.sources.iter_mut().filter(|s| s.channel == hedui_core::catalog::Channel::File) {
        src.channel = hedui_core::catalog::Channel::Online;
    }
    for store in common::stores("exchange_early") {
        let backend = store.backend();
        let s = setup_with(&dir, store, Faults::default(), Duration::from_secs(60), catalog.clone());
        let ids: Vec<JobId> = s.jobs.iter().map(|(_, j)| *j).collect();
        let (issued, stages) = s.app.run_jobs_staged(&common::clerk(), &ids, &|_| Ok(())).unwrap();
        assert!(stages.reported_while_collecting > 0, "[{backend}] no job was reported while collecting");
        assert_eq!(stages.reported_while_collecting, ids.len(), "[{backend}] nothing waited for a file package");
        let issued: Vec<(String, hedui_app::jobs::bulk::Issued)> =
            s.jobs.iter().map(|(n, _)| n.clone()).zip(issued.into_iter().map(|r| r.unwrap())).collect();
        let cmp = hedui::city::compare(&truth, &issued);
        assert!(cmp.misses.is_empty(), "[{backend}] {:?}", cmp.misses);
        // Every report was made after its job's last answer: no source is left 未反馈.
        for (_, i) in &issued {
            let r = s.app.report(&common::clerk(), i.job, None).unwrap();
            assert!(!r.sources.iter().any(|x| matches!(x.state, SourceState::NotAnswered { .. })), "{:?}", r.sources);
            assert!(s.app.store.job_queries(i.job).unwrap().iter().all(|q| q.state.is_answered()));
        }
    }
}

#[test]
fn online_collection_matches_the_ground_truth_and_asks_each_message_once() {
    let dir = common::city(60, 21);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    for store in common::stores("exchange") {
        let backend = store.backend();
        let s = setup(&dir, store.clone(), Faults::default(), Duration::from_secs(60));
        let reports = run_all(&s);
        let cmp = hedui::city::compare(&truth, &common::issued(&reports));
        println!("[{backend}] online\n{}", cmp.render());
        assert!(cmp.misses.is_empty(), "[{backend}] {:?}", cmp.misses);

        // Holdings at securities firms, insurers, the trust company and payment institutions
        // are collected and counted like bank deposits.
        let held_at: std::collections::BTreeSet<char> = reports
            .iter()
            .flat_map(|(_, r)| r.financial.institutions.iter().filter_map(|i| i.source.chars().next()))
            .collect();
        println!("[{backend}] institutions holding assets: {held_at:?}");
        assert!(held_at.contains(&'B') && held_at.iter().any(|c| matches!(c, 'S' | 'I' | 'T' | 'P')), "{held_at:?}");

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
        let secret = s.app.exchange_secret(NODE).unwrap();
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
fn flaky_malformed_unsigned_and_forged_replies_are_refused_retried_and_stored_once() {
    let dir = common::city(30, 23);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    let store = common::stores("exchange_flaky").remove(0);
    // Every message fails four times, once each way, before its fifth attempt is answered;
    // then a tenth of the later attempts fail at random.
    let script = ["error", "malformed", "unsigned", "bad_signature"].map(String::from).to_vec();
    let faults = Faults { script, error_rate: 0.05, malformed_rate: 0.05, ..Faults::default() };
    let mut s = setup(&dir, store.clone(), faults, Duration::from_secs(120));
    let mut c = s.app.exchange.as_ref().unwrap().client.catalog().clone();
    for src in c.sources.iter_mut() {
        src.max_attempts = 12;
    }
    let secret = s.app.exchange_secret(NODE).unwrap();
    hedui::exchange::attach(&mut s.app, c, secret, Duration::from_secs(120)).unwrap();
    let reports = run_all(&s);
    let cmp = hedui::city::compare(&truth, &common::issued(&reports));
    assert!(cmp.misses.is_empty(), "retries recover every answer: {:?}", cmp.misses);
    // Had any bad reply been taken, its message would have stopped at that attempt.
    for (source, st) in s.sim.sim.stats() {
        assert!(st.faults >= 4 * st.unique, "{source}: {st:?}");
        assert!(st.repeats >= 4 * st.unique, "{source}: every message was sent again after each bad reply: {st:?}");
    }
    // Every query of every job was answered, once.
    for (_, job) in &s.jobs {
        let qs = s.app.store.job_queries(*job).unwrap();
        assert!(qs.iter().all(|q| q.state.is_answered()), "{qs:?}");
    }
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
    let settle = |a: &App| hedui::exchange::settle_files(a, &common::clerk(), &s.sim.sim).map(|_| ());
    let issued = app.run_jobs_with(&common::clerk(), &ids, &settle).unwrap();
    for r in issued {
        let r = app.report(&common::clerk(), r.unwrap().job, None).unwrap();
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

type Counts = (i64, Vec<(String, hedui_store::QueryState, i64)>, Vec<(String, hedui_store::RequestState, i64)>);

fn counts(store: &dyn Store) -> Counts {
    (store.count_records().unwrap(), store.query_counts().unwrap(), store.request_counts().unwrap())
}

#[test]
fn response_packages_that_are_tampered_truncated_stray_or_replayed_change_nothing() {
    let dir = common::city(10, 25);
    let store = common::stores("exchange_files").remove(0);
    let s = setup(&dir, store.clone(), Faults::default(), Duration::from_secs(60));
    let actor = common::clerk();
    // Collect online, and keep the exported request packages instead of settling them.
    let exported = std::sync::Mutex::new(Vec::new());
    let keep = |a: &App| {
        exported.lock().unwrap().extend(a.export_packages(&common::clerk())?);
        Ok(())
    };
    let ids: Vec<JobId> = s.jobs.iter().map(|(_, j)| *j).collect();
    let issued = s.app.run_jobs_with(&actor, &ids, &keep).unwrap();
    let exported = exported.into_inner().unwrap();
    assert!(exported.iter().any(|p| p.source == "T01"), "{:?}", exported.iter().map(|p| &p.source).collect::<Vec<_>>());
    // Until their packages come back, file-exchange institutions are 未反馈 and conclusions stay open.
    for r in issued {
        let r = s.app.report(&actor, r.unwrap().job, None).unwrap();
        let t01 = r.sources.iter().find(|x| x.source == "T01").unwrap();
        assert!(matches!(t01.state, SourceState::NotAnswered { .. }), "{t01:?}");
        assert_ne!(r.assessment.outcome, Outcome::NotExceeded);
    }
    assert!(s.app.export_packages(&actor).unwrap().is_empty(), "nothing is exported twice");

    let package = exported.iter().find(|p| p.source == "T01").unwrap();
    let answer = s.sim.sim.answer_package(&package.bytes).unwrap();
    let before = counts(store.as_ref());

    // 200 single-byte changes anywhere in the package.
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut bad = answer.clone();
        let at = (x % bad.len() as u64) as usize;
        bad[at] ^= 1 + (x >> 32) as u8 % 255;
        assert!(s.app.import_package(&actor, &bad).is_err(), "a change at byte {at} was accepted");
    }
    // Every truncation.
    for len in 0..answer.len() {
        assert!(s.app.import_package(&actor, &answer[..len]).is_err(), "a package cut at {len} was accepted");
    }
    assert_eq!(counts(store.as_ref()), before, "nothing from a refused package is stored");

    // A correctly signed answer about someone not asked is refused whole.
    let catalog = s.app.catalog().clone();
    let t01 = catalog.get("T01").unwrap();
    let (header, body) = hedui_exchange::package::open(
        &answer,
        &t01.keys.clone().unwrap(),
        &s.app.exchange_secret(NODE).unwrap(),
        NODE,
        &t01.gm,
    )
    .unwrap();
    let mut answers = hedui_exchange::package::read_answers(&body.file("answers.csv").unwrap()).unwrap();
    answers.push(hedui_exchange::PersonResult {
        ref_id: "999999".into(),
        status: hedui_exchange::PersonStatus::NoRecord,
        items: vec![],
    });
    let stray = hedui_exchange::package::PackageBody::new(
        body.manifest.clone(),
        hedui_exchange::package::answer_files(&answers),
    );
    let stray_bytes = hedui_exchange::package::seal(
        header.clone(),
        &stray,
        &hedui_sim::source_secret("T01"),
        &s.app.exchange_secret(NODE).unwrap().public(),
        &t01.gm,
    )
    .unwrap();
    let err = s.app.import_package(&actor, &stray_bytes).unwrap_err();
    assert!(err.to_string().contains("未查询人员"), "{err}");
    assert_eq!(counts(store.as_ref()), before);

    // The genuine package is taken once; its replay is refused.
    let got = s.app.import_package(&actor, &answer).unwrap();
    assert_eq!((got.source.as_str(), got.persons), ("T01", package.persons));
    let after = counts(store.as_ref());
    assert_ne!(after, before);
    let err = s.app.import_package(&actor, &answer).unwrap_err();
    assert!(err.to_string().contains("重放"), "{err}");
    assert_eq!(counts(store.as_ref()), after);
    // The batch shows its request answered.
    let req = store.request_by_message(&package.transaction_id).unwrap().unwrap();
    assert_eq!(req.state, hedui_store::RequestState::Answered);
    let audit = store.audit_log(None, 5).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.entry.action == "exchange.import" && a.entry.outcome == hedui_store::AuditOutcome::Error)
    );
}

#[test]
fn without_the_account_index_every_bank_is_asked_and_the_picture_is_complete() {
    let dir = common::city(20, 26);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    let store = common::stores("exchange_noindex").remove(0);
    let mut faults = Faults::default();
    faults.dead.insert("PBOC".into());
    let mut s = setup(&dir, store.clone(), faults, Duration::from_secs(60));
    let mut c = s.app.exchange.as_ref().unwrap().client.catalog().clone();
    let pboc = c.sources.iter_mut().find(|x| x.code == "PBOC").unwrap();
    (pboc.request_timeout_ms, pboc.max_attempts) = (300, 2);
    let secret = s.app.exchange_secret(NODE).unwrap();
    hedui::exchange::attach(&mut s.app, c, secret, Duration::from_secs(60)).unwrap();
    let reports = run_all(&s);
    let cmp = hedui::city::compare(&truth, &common::issued(&reports));
    assert!(cmp.misses.is_empty(), "every bank asked directly gives the same picture: {:?}", cmp.misses);
    for (_, r) in &reports {
        let st = r.sources.iter().find(|x| x.source == "PBOC").unwrap();
        assert!(matches!(&st.state, SourceState::Replaced { reason } if reason.contains("逐家")), "{st:?}");
    }
    // Every online bank was asked about every member with a resolved identity.
    let stats = s.sim.sim.stats();
    let persons = stats["S01"].persons;
    for code in ["B01", "B02", "B03", "B04", "B05", "B06"] {
        assert_eq!(stats[code].persons, persons, "{code}");
    }
}
