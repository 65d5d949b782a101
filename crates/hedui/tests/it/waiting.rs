//! A job a clerk starts waits for its sources: online ones answer within the collection, the
//! file-exchange institutions days later through packages. It completes when the last answer is
//! imported (in the name of the clerk who started it), or when the clerk completes it with what
//! has come back, with a reason. A late source can be reminded (催办); one that is not late
//! cannot. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::time::Duration;

use hedui_app::admin::users::Account;
use hedui_app::{AppError, Caller, Role};
use hedui_core::catalog::Sla;
use hedui_core::job::JobState;
use hedui_means::SourceState;

use crate::common;

const PASSWORD: &str = "Waiting-for-answers-2026";

#[test]
fn a_started_job_waits_for_its_sources_and_completes_with_the_last_answer() {
    let city = common::city(4, 211);
    for store in common::stores("waiting") {
        let catalog = hedui::exchange::catalog(None, None).unwrap();
        // I03 answers within no time at all, so it is late at once; T01 keeps its 5 working days.
        let tune = |c: &mut hedui_core::catalog::Catalog| {
            c.sources.iter_mut().filter(|s| s.code == "I03").for_each(|s| s.sla = Sla::Hours(0));
        };
        let (app, sim, filed) =
            common::online(&city, store, hedui_sim::Faults::default(), Duration::from_secs(60), catalog, &tune);
        let system = Caller::system("t");
        app.create_user(&system, &Account::new("clerk", "核对员乙", Role::Clerk, "", ""), PASSWORD).unwrap();
        let clerk = common::clerk();
        let (first, second) = (filed[0].job, filed[1].job);

        // Started: dispatched, nothing answered yet.
        assert!(app.start_job(&clerk, first).unwrap().is_none(), "with an exchange the job waits");
        assert_eq!(app.job(first).unwrap().state, JobState::Dispatched);
        assert!(app.collect_and_settle(&clerk, first).unwrap().is_none(), "file institutions have not answered");
        assert_eq!(app.job(first).unwrap().state, JobState::PartiallyReturned, "部分反馈");
        let p = app.job_progress(&clerk, first).unwrap();
        let by = |code: &str| p.sources.iter().find(|s| s.source == code).unwrap().clone();
        assert_eq!((by("T01").state.as_str(), by("T01").open > 0), ("waiting", true), "{:?}", by("T01"));
        assert!(by("T01").deadline.is_some(), "an open source shows its deadline");
        assert_eq!(by("I03").state, "late");
        assert_eq!(by("PBOC").open, 0, "the online account index answered in the collection");
        assert!(matches!(by("PBOC").state.as_str(), "answered" | "no_record"), "{:?}", by("PBOC"));
        assert_eq!((p.late, p.open >= 2), (1, true), "{p:?}");
        assert_eq!(
            app.late_sources(&clerk, 20).unwrap().iter().map(|l| (l.job, l.source.clone())).collect::<Vec<_>>(),
            [(first, "I03".to_string())]
        );

        // 催办: only for the late one; each reminder is recorded and audited.
        let early = app.remind_source(&clerk, first, "T01");
        assert!(matches!(early, Err(AppError::InvalidState(_))), "T01 is not late: {early:?}");
        let stranger = app.remind_source(&clerk, first, "B01");
        assert!(matches!(stranger, Err(AppError::NotFound(_)) | Err(AppError::InvalidState(_))), "{stranger:?}");
        app.remind_source(&clerk, first, "I03").unwrap();
        app.remind_source(&clerk, first, "I03").unwrap();
        assert_eq!(
            app.job_progress(&clerk, first).unwrap().sources.iter().find(|s| s.source == "I03").unwrap().reminders,
            2
        );
        let log = app.store.audit_log(Some(&format!("job:{first}")), 200).unwrap();
        assert_eq!(log.iter().filter(|r| r.entry.action == "source.remind").count(), 2);
        assert!(log.iter().any(|r| r.entry.action == "job.start" && r.entry.actor == "clerk"));

        // Another job is completed with what came back, with a reason; none refused it silently.
        assert!(app.start_job(&clerk, second).unwrap().is_none());
        app.collect_and_settle(&clerk, second).unwrap();
        let no_reason = app.complete_partial(&clerk, second, "  ");
        assert!(matches!(no_reason, Err(AppError::Invalid(_))), "{no_reason:?}");
        let partial = app.complete_partial(&clerk, second, "已超过反馈时限，负责人同意").unwrap();
        let t01 = partial.sources.iter().find(|s| s.source == "T01").unwrap();
        assert!(matches!(t01.state, SourceState::NotAnswered { .. }), "{t01:?}");
        assert_eq!(app.job(second).unwrap().state, JobState::ReportIssued);
        let again = app.complete_partial(&clerk, second, "再来一次");
        assert!(matches!(again, Err(AppError::InvalidState(_))), "{again:?}");
        let log = app.store.audit_log(Some(&format!("job:{second}")), 200).unwrap();
        let row = log.iter().find(|r| r.entry.action == "job.partial").unwrap();
        assert!(row.entry.note_enc.is_some() && !row.entry.detail.contains("负责人"), "the reason is sealed");

        // The institutions answer through their packages: the first job completes by itself, in
        // the name of the clerk who started it.
        let actor = Caller::system("exchange");
        let exported = app.export_packages(&actor).unwrap();
        assert!(!exported.is_empty());
        for pkg in &exported {
            let answer = sim.sim.answer_package(&pkg.bytes).unwrap();
            let _ = app.import_package(&actor, &answer); // the second job's answers come late
        }
        assert_eq!(app.settle_waiting().unwrap(), [first]);
        assert_eq!(app.job(first).unwrap().state, JobState::ReportIssued);
        let report = app.report(&clerk, first, None).unwrap();
        assert_eq!(report.verifier, "clerk", "the 核对人 is who started it");
        let t01 = report.sources.iter().find(|s| s.source == "T01").unwrap();
        assert!(matches!(t01.state, SourceState::Answered | SourceState::NoRecord), "{t01:?}");
        assert!(app.job_progress(&clerk, first).unwrap().sources.iter().all(|s| s.open == 0));
        assert!(app.late_sources(&clerk, 20).unwrap().is_empty());
    }
}
