//! Contract checks of review before issue: a report waiting for an 审核员, issued with the
//! approval, or returned and verified again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::commission::CommissionKind;
use hedui_core::job::JobState;
use hedui_means::Outcome;

use super::{audit, commission, household, rep, ts};
use crate::*;

fn analysed(s: &dyn Store, n: &str) -> JobId {
    let h = s.create_household(&household(&format!("H-{n}"), "320402001"), ts(0), &audit("c", "h")).unwrap();
    let j =
        s.create_commission(&commission(&format!("WT-{n}"), h, CommissionKind::Application), ts(0), &audit("c", "j"));
    let j = j.unwrap();
    for (from, to) in [
        (JobState::Submitted, JobState::AuthorizationVerified),
        (JobState::AuthorizationVerified, JobState::Dispatched),
        (JobState::Dispatched, JobState::AllReturned),
        (JobState::AllReturned, JobState::Analysed),
    ] {
        s.transition_job(j, from, to, None, ts(0), &audit("t", "j")).unwrap();
    }
    j
}

pub fn reviewed_reports_wait_for_their_approval(s: &dyn Store) {
    let approval = Approval {
        verifier: "clerk".into(),
        verifier_name: "王核对".into(),
        reviewer: "rev".into(),
        reviewer_name: "李审核".into(),
        organization: "常州市居民家庭经济状况核对中心".into(),
        reviewer_key: "04ab".into(),
        reviewer_sig: "3045".into(),
    };
    let j = analysed(s, "R1");
    let waiting = NewReport { review: true, ..rep(1, Outcome::NotExceeded, &[1], "sm3-r") };
    let r1 = s.complete_report(j, JobState::Analysed, &waiting, ts(1), &audit("report.complete", "j")).unwrap();
    assert_eq!(s.job(j).unwrap().unwrap().state, JobState::Completed, "waits for review");
    assert!(s.unissued_reports().unwrap().is_empty(), "a report waiting for review is not issued at a restart");
    s.issue_report(r1, Outcome::NotExceeded, "i1", ts(2), Some(&approval), &audit("report.issue", "j")).unwrap();
    let job = s.job(j).unwrap().unwrap();
    assert_eq!((job.state, job.outcome), (JobState::ReportIssued, Some(Outcome::NotExceeded)));
    let row = s.reports(j).unwrap().remove(0);
    assert_eq!((row.state, row.approval.as_ref()), (ReportState::Issued, Some(&approval)));
    let again = s.issue_report(r1, Outcome::NotExceeded, "i1", ts(2), Some(&approval), &audit("report.issue", "j"));
    assert!(again.is_err(), "approved once only");

    // An approval issues only a report that waits: a job issued without review is left alone.
    let k = analysed(s, "R2");
    let r2 = s.complete_report(k, JobState::Analysed, &rep(1, Outcome::Open, &[2], "sm3-s"), ts(1), &audit("r", "k"));
    let r2 = r2.unwrap();
    let refused = s.issue_report(r2, Outcome::Open, "i2", ts(2), Some(&approval), &audit("report.issue", "k"));
    assert!(matches!(refused, Err(StoreError::StateChanged { .. })), "{refused:?}");
    let row = s.reports(k).unwrap().remove(0);
    assert_eq!((row.state, row.approval), (ReportState::Completed, None), "nothing of the refusal stays");
    assert_eq!(s.unissued_reports().unwrap(), [(r2, k)], "issued without review: issued at a restart");
    s.issue_report(r2, Outcome::Open, "i2", ts(2), None, &audit("report.issue", "k")).unwrap();

    // Returned: the version sent back is never issued; the next one is.
    let m = analysed(s, "R3");
    let v1 = NewReport { review: true, ..rep(1, Outcome::Exceeds, &[3], "sm3-t") };
    s.complete_report(m, JobState::Analysed, &v1, ts(1), &audit("report.complete", "m")).unwrap();
    for (from, to) in [
        (JobState::Completed, JobState::Returned),
        (JobState::Returned, JobState::Rechecking),
        (JobState::Rechecking, JobState::Dispatched),
        (JobState::Dispatched, JobState::AllReturned),
        (JobState::AllReturned, JobState::Analysed),
    ] {
        s.transition_job(m, from, to, None, ts(1), &audit("t", "m")).unwrap();
    }
    let v2 = rep(2, Outcome::NotExceeded, &[4], "sm3-u");
    let r3 = s.complete_report(m, JobState::Analysed, &v2, ts(3), &audit("report.complete", "m")).unwrap();
    assert_eq!(s.unissued_reports().unwrap(), [(r3, m)], "only the latest version, never the returned one");
}

pub fn receipts_follow_issued_reports(s: &dyn Store) {
    let receipt = |report: ReportId, job: JobId| crate::intake::Receipt {
        report,
        job,
        received_by: "dept".into(),
        organization: "溧阳市民政局".into(),
        received_on: super::day("2026-11-30"),
        decision: "approved".into(),
        decided_on: Some(super::day("2026-12-02")),
        created_at: ts(5),
    };
    let j = analysed(s, "D1");
    let r1 =
        s.complete_report(j, JobState::Analysed, &rep(1, Outcome::NotExceeded, &[1], "a"), ts(1), &audit("r", "j"));
    let r1 = r1.unwrap();
    let early = s.record_receipt(&receipt(r1, j), &audit("report.receipt", "j"));
    assert!(matches!(early, Err(StoreError::NotFound(_))), "no 回执 for a report not issued: {early:?}");
    s.issue_report(r1, Outcome::NotExceeded, "i", ts(2), None, &audit("report.issue", "j")).unwrap();
    let k = analysed(s, "D2");
    let r2 = s.complete_report(k, JobState::Analysed, &rep(1, Outcome::Exceeds, &[2], "b"), ts(1), &audit("r", "k"));
    s.issue_report(r2.unwrap(), Outcome::Exceeds, "i", ts(2), None, &audit("report.issue", "k")).unwrap();
    let ids = |receipted| {
        s.jobs(&JobFilter { receipted: Some(receipted), ..Default::default() })
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(false), [k, j], "issued, no 回执 yet");
    assert!(ids(true).is_empty());
    let wrong_job = s.record_receipt(&receipt(r1, k), &audit("report.receipt", "k"));
    assert!(matches!(wrong_job, Err(StoreError::NotFound(_))), "a report of another job: {wrong_job:?}");
    s.record_receipt(&receipt(r1, j), &audit("report.receipt", "j")).unwrap();
    assert!(matches!(s.record_receipt(&receipt(r1, j), &audit("report.receipt", "j")), Err(StoreError::Conflict(_))));
    assert_eq!(s.receipts(j).unwrap(), [receipt(r1, j)]);
    assert!(s.receipts(k).unwrap().is_empty());
    assert_eq!((ids(false), ids(true)), (vec![k], vec![j]));
    assert_eq!(s.count_jobs(&JobFilter { receipted: Some(false), ..Default::default() }).unwrap(), 1);
}

pub fn objection_files_are_numbered_per_job(s: &dyn Store) {
    let j = analysed(s, "O1");
    let k = analysed(s, "O2");
    let file = |n: u8| crate::intake::NewAttachment {
        content_type: "application/pdf".into(),
        file_name: format!("材料{n}.pdf"),
        size: 10 + i64::from(n),
        content_sm3: format!("{n:02}").repeat(32),
        content_enc: super::sd(vec![n; 12]),
    };
    assert_eq!(s.put_objection_file(j, &file(1), ts(1), &audit("job.objection_file", "j")).unwrap(), 1);
    assert_eq!(s.put_objection_file(j, &file(2), ts(2), &audit("job.objection_file", "j")).unwrap(), 2);
    assert_eq!(s.put_objection_file(k, &file(3), ts(3), &audit("job.objection_file", "k")).unwrap(), 1, "per job");
    let missing = s.put_objection_file(JobId(999), &file(4), ts(3), &audit("job.objection_file", "x"));
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
    let listed = s.objection_files(j, None).unwrap();
    assert_eq!(
        listed.iter().map(|f| (f.seq, f.size, f.content_enc.is_some())).collect::<Vec<_>>(),
        [(1, 11, false), (2, 12, false)]
    );
    assert_eq!(listed[1].file_name, "材料2.pdf");
    let one = s.objection_files(j, Some(2)).unwrap();
    assert_eq!((one.len(), one[0].content_enc.clone()), (1, Some(super::sd(vec![2; 12]))));
    assert!(s.objection_files(j, Some(9)).unwrap().is_empty());
}

pub fn reminders_are_kept_per_job(s: &dyn Store) {
    let j = analysed(s, "R1");
    let k = analysed(s, "R2");
    let reminder = |job: JobId, source: &str, at: i64| crate::intake::Reminder {
        job,
        source: source.into(),
        actor: "clerk".into(),
        note: "超过反馈时限".into(),
        created_at: ts(at),
    };
    assert!(s.reminders(j).unwrap().is_empty());
    s.add_reminder(&reminder(j, "src_file", 3), &audit("source.remind", "j")).unwrap();
    s.add_reminder(&reminder(k, "src_slow", 4), &audit("source.remind", "k")).unwrap();
    s.add_reminder(&reminder(j, "src_file", 5), &audit("source.remind", "j")).unwrap();
    assert_eq!(s.reminders(j).unwrap(), [reminder(j, "src_file", 3), reminder(j, "src_file", 5)]);
    assert_eq!(s.reminders(k).unwrap(), [reminder(k, "src_slow", 4)]);
    let before = s.audit_log(None, 1000).unwrap().len();
    let missing = s.add_reminder(&reminder(JobId(999), "src_file", 6), &audit("source.remind", "x"));
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    assert_eq!(s.audit_log(None, 1000).unwrap().len(), before, "nothing of a refused reminder is kept");
}
