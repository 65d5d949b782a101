//! Contract checks of the trait methods no story elsewhere reaches: requests created together,
//! the audit log read back, import issues paged, and the caseload; and the test that every method of `Store`
//! is called by some check.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::commission::CommissionKind;
use hedui_core::job::JobState;
use hedui_core::{HouseholdId, JobId};
use hedui_means::Outcome;

use super::{audit, commission, day, household, key, rep, request, sd, ts};
use crate::*;

pub fn requests_are_created_together(s: &dyn Store) {
    let p = s.resolve_persons(&[key(61)]).unwrap()[0];
    let h = s.create_household(&household("H-RQ", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let j = s.create_commission(&commission("WT-RQ", h, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    let q = |source: &str| NewQuery {
        job: j,
        source: source.into(),
        member_seq: 1,
        person: p,
        query_date: day("2026-11-27"),
    };
    s.enqueue_queries(&[q("bank_a"), q("bank_b"), q("bank_c")], ts(1)).unwrap();
    let queued = s.queued_queries(10).unwrap();
    let of = |src: &str| queued.iter().filter(|x| x.source == src).map(|x| x.id).collect::<Vec<_>>();
    let req = request;
    // One request carrying another source's query spoils the whole batch: nothing is created.
    let bad = [(req("bank_a", "a1"), of("bank_a")), (req("bank_b", "a2"), of("bank_c"))];
    assert!(s.create_requests(&bad, ts(1)).is_err());
    assert!(s.request_by_message("a1").unwrap().is_none(), "the good request of a failed batch is not kept");
    assert_eq!(s.queued_queries(10).unwrap().len(), 3, "and its queries stay queued");

    let good = [(req("bank_a", "g1"), of("bank_a")), (req("bank_b", "g2"), of("bank_b"))];
    let ids = s.create_requests(&good, ts(1)).unwrap();
    assert_eq!(ids.len(), 2, "one id per request, in order");
    assert_eq!(s.request(ids[0]).unwrap().unwrap().message_id, "g1");
    assert_eq!(s.request(ids[1]).unwrap().unwrap().source, "bank_b");
    assert_eq!(s.request_queries(ids[1]).unwrap().iter().map(|x| x.id).collect::<Vec<_>>(), of("bank_b"));
    let left = s.queued_queries(10).unwrap();
    assert_eq!((left.len(), left[0].source.as_str()), (1, "bank_c"), "only the query no request took is queued");
    assert!(s.create_requests(&[], ts(1)).unwrap().is_empty());
}

pub fn audit_rows_read_back(s: &dyn Store) {
    let entry = |action: &str, object: &str, outcome: AuditOutcome, detail: &str| AuditEntry {
        outcome,
        detail: detail.into(),
        ..audit(action, object)
    };
    s.audit(&entry("report.view", "job:1", AuditOutcome::Ok, "v1")).unwrap();
    s.audit(&entry("report.view", "job:2", AuditOutcome::Denied, "越权")).unwrap();
    s.audit(&entry("report.download", "job:1", AuditOutcome::Error, "pdf")).unwrap();
    let all = s.audit_log(None, 10).unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(all[0].entry.action, "report.download");
    assert!(matches!(all[0].entry.outcome, AuditOutcome::Error));
    let job1 = s.audit_log(Some("job:1"), 10).unwrap();
    assert_eq!(job1.iter().map(|r| r.entry.detail.as_str()).collect::<Vec<_>>(), ["pdf", "v1"]);
    let denied = &s.audit_log(Some("job:2"), 10).unwrap()[0].entry;
    assert!(matches!(denied.outcome, AuditOutcome::Denied));
    assert_eq!(
        (denied.actor.as_str(), denied.detail.as_str(), denied.request_id.as_str()),
        ("tester", "越权", "req-1")
    );
    assert_eq!(s.audit_log(None, 1).unwrap().len(), 1, "the limit holds");
    assert!(s.audit_log(Some("job:3"), 10).unwrap().is_empty());
    // The viewer's search: conditions combined, newest first, paged, with the total.
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery { limit: 10, ..Default::default() };
        f(&mut q);
        let (rows, total) = s.audit_search(&q).unwrap();
        (rows.iter().map(|r| r.entry.detail.clone()).collect::<Vec<_>>(), total)
    };
    assert_eq!(q(|_| {}).1, 3);
    assert_eq!(q(|q| q.object = Some("job:1".into())), (vec!["pdf".to_string(), "v1".to_string()], 2));
    assert_eq!(q(|q| q.object = Some("job:".into())).1, 3, "a prefix");
    assert_eq!(q(|q| q.object = Some("job%".into())).1, 0, "wildcards are data");
    assert_eq!(q(|q| q.action = Some("report.".into())).1, 3);
    assert_eq!(q(|q| q.outcome = Some(AuditOutcome::Denied)), (vec!["越权".to_string()], 1));
    assert_eq!(q(|q| q.actor = Some("nobody".into())).1, 0);
    assert_eq!(q(|q| q.from = Some(ts(3600))).1, 0);
    assert_eq!(q(|q| q.to = Some(ts(3600))).1, 3);
    assert_eq!(
        q(|q| {
            q.limit = 1;
            q.offset = 1
        }),
        (vec!["越权".to_string()], 3),
        "a page, and the total"
    );
    // The rows about any of several objects, oldest first.
    let about = s.audit_about(&["job:2".into(), "job:1".into(), "job:9".into()], 10).unwrap();
    assert_eq!(about.iter().map(|r| r.entry.detail.as_str()).collect::<Vec<_>>(), ["v1", "越权", "pdf"]);
    assert_eq!(s.audit_about(&["job:1".into()], 1).unwrap().len(), 1, "the limit holds");
    // A window of time, oldest first: [from, to).
    s.audit(&AuditEntry { at: ts(7200), ..entry("report.read", "job:4", AuditOutcome::Ok, "later") }).unwrap();
    let early = s.audit_between(ts(0), ts(3600), 10).unwrap();
    assert_eq!(early.iter().map(|r| r.entry.detail.as_str()).collect::<Vec<_>>(), ["v1", "越权", "pdf"]);
    let late = s.audit_between(ts(3600), ts(7201), 10).unwrap();
    assert_eq!(late.iter().map(|r| r.entry.detail.as_str()).collect::<Vec<_>>(), ["later"]);
    assert!(s.audit_between(ts(7200), ts(7200), 10).unwrap().is_empty(), "the end is open");
    assert_eq!(s.audit_between(ts(0), ts(9000), 2).unwrap().len(), 2, "the limit holds");
}

pub fn issues_page_in_order(s: &dyn Store) {
    let nb = NewBatch {
        source: "gongan".into(),
        file_name: "f-is.csv".into(),
        file_sm3: "sm3-is".into(),
        as_of: day("2026-11-27"),
        columns: vec!["身份证号".into()],
        started_at: ts(0),
        mode: SnapshotMode::Full,
    };
    let BatchStart::New(b) = s.begin_import(&nb, &audit("i", "b")).unwrap() else { panic!("a new batch") };
    let issue = |line: i64, severity: IssueSeverity| ImportIssue {
        line,
        severity,
        reason: format!("第 {line} 行"),
        raw_enc: sd(vec![line as u8; 4]),
    };
    s.insert_issues(b, &[issue(3, IssueSeverity::Rejected), issue(5, IssueSeverity::Warning)]).unwrap();
    s.import_rows(b, &[], &[], &[issue(8, IssueSeverity::Rejected)]).unwrap();
    let first = s.issues_page(0, 2).unwrap();
    assert_eq!(first.iter().map(|r| r.issue.line).collect::<Vec<_>>(), [3, 5]);
    assert!(first.iter().all(|r| r.batch == b));
    let rest = s.issues_page(first[1].id, 10).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!((rest[0].issue.line, rest[0].issue.raw_enc.clone()), (8, sd(vec![8; 4])));
    assert!(matches!(rest[0].issue.severity, IssueSeverity::Rejected));
    assert!(s.issues_page(rest[0].id, 10).unwrap().is_empty());
}

/// A job of household `h` taken to `Analysed`, ready for its report.
fn analysed(s: &dyn Store, number: &str, h: HouseholdId) -> JobId {
    let j = s.create_commission(&commission(number, h, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    let mut from = JobState::Submitted;
    for to in [JobState::AuthorizationVerified, JobState::Dispatched, JobState::AllReturned, JobState::Analysed] {
        s.transition_job(j, from, to, None, ts(0), &audit("t", "j")).unwrap();
        from = to;
    }
    j
}

pub fn caseload_keeps_the_latest(s: &dyn Store) {
    let entry = |as_of: &str, b: u8| CaseloadEntry {
        household_number: "H-CL".into(),
        region: "320412001".into(),
        programme: "dibao".into(),
        as_of: day(as_of),
        inputs_enc: sd(vec![b; 5]),
    };
    let h = s.create_household(&household("H-CL", "320412001"), ts(0), &audit("c", "h")).unwrap();
    let other = s.create_household(&household("H-CM", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let j1 = analysed(s, "WT-CL1", h);
    let report = NewReport { caseload: Some(entry("2026-10-01", 1)), ..rep(1, Outcome::Open, &[1], "a") };
    s.complete_report(j1, JobState::Analysed, &report, ts(0), &audit("r", "j")).unwrap();
    let page = s.caseload_page(HouseholdId(0), 10).unwrap();
    assert_eq!(page, [CaseloadRow { household: h, job: j1, version: 1, entry: entry("2026-10-01", 1) }]);
    // A report checked as of an earlier date does not replace the household's latest.
    let j2 = analysed(s, "WT-CL2", h);
    let older = NewReport { caseload: Some(entry("2026-09-01", 2)), ..rep(1, Outcome::Open, &[2], "b") };
    s.complete_report(j2, JobState::Analysed, &older, ts(0), &audit("r", "j")).unwrap();
    assert_eq!(s.caseload_page(HouseholdId(0), 10).unwrap()[0].job, j1);
    // A report without inputs leaves the caseload as it was; a later one replaces it.
    let j3 = analysed(s, "WT-CL3", h);
    s.complete_report(j3, JobState::Analysed, &rep(1, Outcome::Open, &[3], "c"), ts(0), &audit("r", "j")).unwrap();
    assert_eq!(s.caseload_page(HouseholdId(0), 10).unwrap()[0].job, j1);
    let later = CaseloadRow { household: h, job: j3, version: 1, entry: entry("2026-11-01", 3) };
    let stale = CaseloadRow { household: h, job: j2, version: 1, entry: entry("2026-09-01", 9) };
    let fresh = CaseloadRow { household: other, job: j2, version: 1, entry: entry("2026-09-01", 4) };
    s.put_caseload(&[later.clone(), stale, fresh.clone()], &audit("caseload.backfill", "caseload")).unwrap();
    assert_eq!(s.caseload_page(HouseholdId(0), 10).unwrap(), [later.clone(), fresh.clone()]);
    assert_eq!(s.caseload_page(h, 10).unwrap(), [fresh], "paged after a household");
    assert_eq!(s.caseload_page(HouseholdId(0), 1).unwrap(), [later]);
    assert_eq!(s.audit_log(Some("caseload"), 5).unwrap().len(), 1, "the backfill is audited");
}

#[cfg(test)]
mod tests {
    /// Every method of the `Store` trait is called by at least one contract check, so no method
    /// can behave differently on one backend unnoticed.
    #[test]
    fn every_store_method_has_a_contract_check() {
        let lib = include_str!("../lib.rs");
        let start = lib.find("pub trait Store").expect("the trait");
        let end = start + lib[start..].find("\n}\n").expect("its end");
        let checks = [
            include_str!("mod.rs"),
            include_str!("chain.rs"),
            include_str!("keys.rs"),
            include_str!("exchange.rs"),
            include_str!("in_force.rs"),
            include_str!("intake.rs"),
            include_str!("jobs.rs"),
            include_str!("retention.rs"),
            include_str!("review.rs"),
            include_str!("rest.rs"),
            include_str!("users.rs"),
        ]
        .concat();
        let methods: Vec<&str> = lib[start..end]
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("fn "))
            .map(|l| l.split(['(', '<']).next().unwrap_or(l))
            .collect();
        assert!(methods.len() > 50, "the trait was read: {methods:?}");
        let unchecked: Vec<&&str> = methods.iter().filter(|m| !checks.contains(&format!(".{m}("))).collect();
        assert!(unchecked.is_empty(), "Store methods no contract check calls: {unchecked:?}");
    }
}
