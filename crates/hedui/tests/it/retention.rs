//! A retention run deletes exactly what is past its period, each audit chain from its oldest end,
//! refuses anything younger, and leaves a signed purge checkpoint where the chain restarts, so that
//! `verify` still passes against every checkpoint exported before and after. On SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use hedui_app::admin::chain::read_checkpoints;
use hedui_app::admin::retention::Retention;
use hedui_app::{Caller, Clock, Role};
use hedui_store::{AuditOutcome, BatchStatus};

use crate::accounts::Tick;
use crate::common;

const MONTH: i64 = 31 * 86_400;
const CLASSES: [&str; 5] = ["security", "query", "reports", "answers", "mirror"];

#[test]
fn a_retention_run_deletes_what_is_due_and_the_chain_still_verifies() {
    for (i, store) in common::stores("retention").into_iter().enumerate() {
        let clock = Arc::new(Tick(AtomicI64::new(common::clock().unix_seconds())));
        let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[9; 32]).unwrap());
        let mut app = hedui::build_app(store.clone(), keys, Vec::new(), clock.clone(), None).unwrap();
        let export = common::temp_dir(&format!("retention_{i}")).join("checkpoints.jsonl");
        app.checkpoint_export.file = Some(export.clone());
        let system = Caller::system("t");
        let write = |n: i64| {
            for k in 0..n {
                app.audit(&system, "login", &format!("user:u{k}"), AuditOutcome::Ok, String::new()).unwrap();
                app.audit(&system, "report.read", &format!("job:{k}"), AuditOutcome::Ok, String::new()).unwrap();
            }
        };
        let chain_rows = |chain: &str| {
            store.audit_chain(0, 100_000).unwrap().into_iter().filter(|r| r.chain == chain).count() as i64
        };
        let verify = || {
            let exported = read_checkpoints(&std::fs::read_to_string(&export).unwrap()).unwrap();
            app.verify_audit(&system, &exported).unwrap()
        };
        write(5);
        app.checkpoint("manual").unwrap();
        let old_security = chain_rows("security");
        clock.0.fetch_add(4 * MONTH, Ordering::SeqCst);
        write(3);
        app.checkpoint("manual").unwrap();
        clock.0.fetch_add(3 * MONTH, Ordering::SeqCst);
        write(2);

        let auditor = Caller::user("aud", Role::Auditor, "", "t");
        let clerk = Caller::user("clerk", Role::Clerk, "", "t");
        let schedule = Retention::builtin();
        assert_eq!(app.retention_run(&clerk, &schedule, store.as_ref()).unwrap_err().code(), "forbidden");
        // Seven months on: the security rows of the first batch are due (6 months), nothing else.
        let plan = app.retention_plan(&auditor, &schedule).unwrap();
        let (security, query) = (&plan[0], &plan[1]);
        assert_eq!((security.class.as_str(), security.rows), ("security", old_security));
        assert_eq!((query.class.as_str(), query.rows), ("query", 0), "query records stay 3 years");
        let before = (chain_rows("security"), chain_rows("query"));
        let done = app.retention_run(&auditor, &schedule, store.as_ref()).unwrap();
        assert_eq!(done[0].rows, old_security);
        // Exactly the due rows went: the younger ones (and the run's own row) are there.
        // The run's rows: the chain's purge, then each class of case data.
        assert_eq!(chain_rows("security"), before.0 - old_security + 4, "the run is audited");
        assert_eq!(done.iter().map(|p| p.class.as_str()).collect::<Vec<_>>(), CLASSES);
        assert_eq!(chain_rows("query"), before.1);
        let oldest_left = store
            .audit_chain(0, 100_000)
            .unwrap()
            .into_iter()
            .filter(|r| r.chain == "security")
            .map(|r| r.entry.at)
            .min()
            .unwrap();
        assert!(oldest_left > done[0].before, "nothing younger than the cut-off was deleted");
        let v = verify();
        assert!(v.intact(), "{v:?}");
        assert_eq!(v.chain("security").unwrap().first_seq, old_security + 1, "the chain restarts after the purge");
        // A second run has nothing to do.
        assert_eq!(app.retention_run(&auditor, &schedule, store.as_ref()).unwrap()[0].rows, 0);

        // Three years on, the query records go too, all of them, and the trail still verifies.
        clock.0.fetch_add(37 * MONTH, Ordering::SeqCst);
        let done = app.retention_run(&auditor, &schedule, store.as_ref()).unwrap();
        assert_eq!(done[1].rows, before.1);
        assert_eq!(chain_rows("query"), 0);
        write(1);
        app.checkpoint("manual").unwrap();
        let v = verify();
        assert!(v.intact(), "{v:?}");
        assert!(v.chains.iter().all(|c| c.checkpoints_matching >= 1), "{v:?}");
    }
}

#[test]
fn a_schedule_below_the_law_or_shorter_than_the_reports_is_refused() {
    let json = include_str!("../../../../data/retention.json");
    assert!(Retention::parse(json).is_ok());
    let lower = json.replacen("\"months\": 6,", "\"months\": 3,", 1);
    assert!(Retention::parse(&lower).unwrap_err().contains("低于下限"));
    let floor = lower.replacen("\"minimum_months\": 6,", "\"minimum_months\": 1,", 1);
    assert!(Retention::parse(&floor).unwrap_err().contains("不得短于 6 个月"), "the law's floor holds");
    let mirror = json.replacen(
        "\"months\": 60,\n      \"minimum_months\": 36,\n      \"basis\": \"不短于核对报告",
        "\"months\": 40,\n      \"minimum_months\": 36,\n      \"basis\": \"不短于核对报告",
        1,
    );
    assert_ne!(mirror, json);
    assert!(Retention::parse(&mirror).unwrap_err().contains("无法复现"));
    let unknown = json.replacen("\"class\": \"mirror\"", "\"class\": \"mirrors\"", 1);
    assert!(Retention::parse(&unknown).unwrap_err().contains("未知"));
}

/// Case data: within their period nothing goes and every report reads; past it, reports go, then
/// the answers and the replaced snapshots only they needed, while the snapshots in force stay and
/// the trail still verifies. On SQLite and PostgreSQL.
#[test]
fn a_retention_run_deletes_case_data_past_its_period_and_nothing_a_report_needs() {
    let first = common::city(3, 71);
    let regions = hedui_app::data::regions(None).unwrap();
    let later = common::temp_dir("retention_city_later");
    let later_date = hedui_core::Date::parse("2026-12-20").unwrap();
    hedui::city::generate(&regions, &later, 71, 3, later_date).unwrap();
    for (i, store) in common::stores("retention_data").into_iter().enumerate() {
        let clock = Arc::new(Tick(AtomicI64::new(common::clock().unix_seconds())));
        let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[9; 32]).unwrap());
        let banks = hedui::city::banks(&first).unwrap();
        let mut app = hedui::build_app(store.clone(), keys, banks, clock.clone(), None).unwrap();
        let export = common::temp_dir(&format!("retention_data_{i}")).join("checkpoints.jsonl");
        app.checkpoint_export.file = Some(export.clone());
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &first).unwrap();
        let apps = hedui::city::applications(&first).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        for f in &filed {
            app.run_job(&system, f.job).unwrap();
        }
        let reports = filed.len() as i64;
        let answers: usize = filed.iter().map(|f| store.job_records(f.job).unwrap().len()).sum();
        assert!(answers > 0, "the banks answered");
        // A month later every department sends a new full snapshot.
        clock.0.fetch_add(MONTH, Ordering::SeqCst);
        hedui::city::import_mirrors(&app, &system, &later).unwrap();
        let first_rows = store.batches().unwrap().iter().filter(|b| b.as_of == common::as_of()).count();
        assert!(first_rows > 0);

        let auditor = Caller::user("aud", Role::Auditor, "", "t");
        let schedule = Retention::builtin();
        let run = |app: &hedui_app::App| app.retention_run(&auditor, &schedule, store.as_ref()).unwrap();
        let rows = |done: &[hedui_app::admin::retention::Purged], class: &str| {
            done.iter().find(|p| p.class == class).unwrap().rows
        };
        // Within the reports' 60 months nothing of the case data goes.
        clock.0.fetch_add(58 * MONTH, Ordering::SeqCst);
        let done = run(&app);
        assert_eq!((rows(&done, "reports"), rows(&done, "answers"), rows(&done, "mirror")), (0, 0, 0));
        app.report(&system, filed[0].job, None).unwrap();
        // Past it: the reports, then their answers and the snapshots replaced since.
        let persons: Vec<_> = store.persons_page(0, 100_000).unwrap().iter().map(|p| p.id).collect();
        let in_force =
            || -> Vec<i64> { store.records_in_force(&persons, later_date).unwrap().iter().map(|r| r.id.0).collect() };
        let now_in_force = in_force();
        assert!(!now_in_force.is_empty());
        clock.0.fetch_add(3 * MONTH, Ordering::SeqCst);
        let plan = app.retention_plan(&auditor, &schedule).unwrap();
        assert_eq!(rows(&plan, "reports"), reports);
        let done = run(&app);
        assert_eq!(rows(&done, "reports"), reports);
        assert_eq!(rows(&done, "answers"), answers as i64);
        assert!(rows(&done, "mirror") > 0, "{done:?}");
        let e = app.report(&system, filed[0].job, None).unwrap_err();
        assert!(e.to_string().contains("超过保留期限"), "{e}");
        assert!(filed.iter().all(|f| store.job_records(f.job).unwrap().is_empty()));
        let batches = store.batches().unwrap();
        // A first snapshot went where a later one replaced it (a department whose file did not
        // change sent nothing new: its first snapshot is still in force, and stays).
        let replaced = |source: &str| batches.iter().any(|b| b.source == source && b.as_of == later_date);
        for b in batches.iter().filter(|b| b.as_of == common::as_of()) {
            let expected = if replaced(&b.source) { BatchStatus::Purged } else { BatchStatus::Done };
            assert_eq!(b.status, expected, "{}", b.source);
        }
        assert!(batches.iter().any(|b| b.status == BatchStatus::Purged));
        assert!(batches.iter().filter(|b| b.as_of == later_date).all(|b| b.status == BatchStatus::Done));
        // What is in force now is untouched.
        assert_eq!(in_force(), now_in_force);
        let exported = read_checkpoints(&std::fs::read_to_string(&export).unwrap()).unwrap();
        let v = app.verify_audit(&system, &exported).unwrap();
        assert!(v.intact(), "{v:?}");
        app.checkpoint_export.file = None;
    }
}
