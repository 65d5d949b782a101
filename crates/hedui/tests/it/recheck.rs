//! Objection and re-examination (异议、复核): late or corrected data give a new report version,
//! and every earlier version stays exactly as it was issued.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use hedui_app::AppError;
use hedui_core::job::JobState;
use hedui_means::{Outcome, SourceState};

#[test]
fn recheck_issues_a_new_version_and_keeps_the_old_one() {
    let dir = common::city(40, 43);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    for store in common::stores("recheck") {
        let app = common::app(store.clone(), Some(&dir));
        let actor = common::clerk();
        // 车管 has not sent its snapshot yet.
        hedui::city::import_mirrors_where(&app, &actor, &dir, &|s| s != "cheguan").unwrap();
        let apps = hedui::city::applications(&dir).unwrap();
        let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
        let car = truth.values().find(|t| t.reasons == "car").expect("a car household");
        let job = filed.iter().find(|f| f.number == car.number).unwrap().job;

        // No objection before a report exists, and no re-examination without an objection.
        assert!(matches!(app.object(&actor, job, "理由"), Err(AppError::InvalidState(_))));
        let v1 = app.run_job(&actor, job).unwrap();
        assert_eq!(v1.version, 1);
        assert_eq!(v1.assessment.outcome, Outcome::Open, "{}", v1.assessment.conclusion);
        let cheguan = v1.sources.iter().find(|s| s.source == "cheguan").unwrap();
        assert!(matches!(cheguan.state, SourceState::NotAnswered { .. }));
        let v1_read = serde_json::to_value(app.report(&actor, job, Some(1)).unwrap()).unwrap();
        let v1_row = store.reports(job).unwrap().remove(0);
        assert!(matches!(app.recheck(&actor, job), Err(AppError::InvalidState(_))));
        assert!(matches!(app.object(&actor, job, "  "), Err(AppError::Invalid(_))));

        // The snapshot arrives (dated the job's day); the family objects; the clerk re-examines.
        hedui::city::import_mirrors_where(&app, &actor, &dir, &|s| s == "cheguan").unwrap();
        let j = app.object(&actor, job, "家庭提出异议：车管数据未反馈，请复核").unwrap();
        assert_eq!(j.state, JobState::Objection);
        let v2 = app.recheck(&actor, job).unwrap();
        assert_eq!(v2.version, 2);
        assert!(v2.number.ends_with("-V2"), "{}", v2.number);
        assert_eq!(v2.assessment.outcome, Outcome::Exceeds, "{}", v2.assessment.conclusion);
        assert!(v2.assessment.reasons.iter().any(|r| r.code() == "car"));
        assert_eq!(app.job(job).unwrap().state, JobState::ReportIssued);
        // The 复核 records what changed against version 1.
        let history = store.audit_log(Some(&format!("job:{job}")), 100).unwrap();
        let changed = history.iter().find(|r| r.entry.action == "report.changes").expect("the changes recorded");
        assert!(changed.entry.detail.contains("第 2 版与第 1 版相比"), "{}", changed.entry.detail);
        assert!(changed.entry.detail.contains("核对结论：待核实 → 超出"), "{}", changed.entry.detail);
        assert!(
            changed.entry.detail.contains("车") || changed.entry.detail.contains("未反馈 →"),
            "{}",
            changed.entry.detail
        );
        // With every source in, declared and verified values stand side by side.
        let household = &v2.comparison[0];
        assert_eq!(household.verified, Some(v2.assessment.income_monthly));
        assert_eq!(household.difference, Some(v2.assessment.income_monthly - household.declared));
        assert!(
            v2.comparison.iter().filter(|c| c.member_seq.is_some()).all(|c| c.verified.is_some()),
            "{:?}",
            v2.comparison
        );

        // Version 1 is unchanged: the same stored bytes and the same report when read.
        let rows = store.reports(job).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].body_sm3, v1_row.body_sm3);
        assert_eq!(rows[0].body_enc, v1_row.body_enc);
        assert_eq!(serde_json::to_value(app.report(&actor, job, Some(1)).unwrap()).unwrap(), v1_read);
        assert_eq!(app.report(&actor, job, None).unwrap().version, 2, "the latest version is shown by default");
        // The audit trail names the objection and the re-examination.
        let audit = store.audit_log(Some(&format!("job:{job}")), 100).unwrap();
        // The family's reason is sealed in the trail, never in clear; the job's page opens it.
        assert!(audit.iter().all(|a| !a.entry.detail.contains("家庭提出异议")), "{audit:?}");
        let objection = audit.iter().find(|a| a.entry.detail.contains("异议（附言已加密保存）")).unwrap();
        assert!(app.open_note(&objection.entry).unwrap().unwrap().contains("家庭提出异议"));
        let history = app.job_history(&actor, job, 100).unwrap();
        assert!(history.iter().any(|a| a.entry.detail.contains("异议：家庭提出异议")), "{history:?}");
        assert!(audit.iter().any(|a| a.entry.detail.contains("复核")));
        // The pipeline acts under the job's commission, and its rows say so.
        let commission = store.job(job).unwrap().unwrap().commission_number;
        let completed: Vec<_> = audit.iter().filter(|a| a.entry.action == "report.complete").collect();
        assert_eq!(completed.len(), 2, "{audit:?}");
        for a in completed {
            assert_eq!(a.entry.basis, format!("委托 {commission}"), "{:?}", a.entry);
            assert_eq!(a.entry.actor, "clerk", "the user, not the commission, is the actor");
        }
    }
}
