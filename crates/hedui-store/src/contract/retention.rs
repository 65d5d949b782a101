//! Contract checks of retention: reports, answers and superseded snapshots past their periods are
//! deleted, in an order that keeps every report still held reproducible, and nothing younger.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::commission::CommissionKind;
use hedui_core::fact::Observation;
use hedui_core::job::JobState;
use hedui_core::{Date, JobId, PersonId};
use hedui_means::Outcome;

use super::in_force::snapshot;
use super::{audit, commission, household, key, record, rep, ts};
use crate::retention::{Cutoffs, DataClass};
use crate::*;

const DAY: i64 = 86_400;

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// A job on `as_of`, created `days_ago`, with a bank's answer, and a report when `report`.
fn job(s: &dyn Store, h: HouseholdId, n: &str, as_of: &str, days_ago: i64, p: PersonId, report: bool) -> JobId {
    let at = ts(-days_ago * DAY);
    let c = NewCommission { as_of: day(as_of), ..commission(n, h, CommissionKind::Application) };
    let j = s.create_commission(&c, at, &audit("commission.create", n)).unwrap();
    s.insert_records(None, Some(j), &[record(Some(p), 9)]).unwrap();
    if report {
        let steps = [
            (JobState::Submitted, JobState::AuthorizationVerified),
            (JobState::AuthorizationVerified, JobState::Dispatched),
            (JobState::Dispatched, JobState::AllReturned),
            (JobState::AllReturned, JobState::Analysed),
        ];
        for (from, to) in steps {
            s.transition_job(j, from, to, None, at, &audit("t", n)).unwrap();
        }
        s.complete_report(j, JobState::Analysed, &rep(1, Outcome::Open, &[1], "sm3"), at, &audit("r", n)).unwrap();
    }
    j
}

pub fn retention_deletes_case_data_past_its_period(s: &dyn Store) {
    let p = s.resolve_persons(&[key(1)]).unwrap()[0];
    let r = |k: &str| {
        let base = record(Some(p), 0);
        NewRecord { obs: Observation { key: k.into(), ..base.obs.clone() }, ..base }
    };
    // Snapshots: full in January, March, June and October (in force now), incremental in April.
    let full = SnapshotMode::Full;
    let jan = snapshot(s, "tax_src", "2026-01-31", full, &[r("a"), r("a2")], true);
    let mar = snapshot(s, "tax_src", "2026-03-31", full, &[r("b")], true);
    snapshot(s, "tax_src", "2026-04-30", SnapshotMode::Incremental, &[r("c")], true);
    snapshot(s, "tax_src", "2026-06-30", full, &[r("d")], true);
    snapshot(s, "tax_src", "2026-10-31", full, &[r("e")], true);
    let h = s.create_household(&household("H1", "320402001"), ts(0), &audit("household.create", "H1")).unwrap();
    // An old report made on January's data; a younger one on March's and April's; a running job
    // on June's.
    let old = job(s, h, "C1", "2026-02-15", 300, p, true);
    let kept = job(s, h, "C2", "2026-05-10", 200, p, true);
    let running = job(s, h, "C3", "2026-08-01", 0, p, false);
    let cut = Cutoffs { reports: ts(-250 * DAY), answers: ts(-250 * DAY), mirror: ts(-10 * DAY) };
    let due = |class| s.data_due(class, &cut).unwrap();
    assert_eq!((due(DataClass::Reports), due(DataClass::Answers)), (1, 0), "the old report; its answers wait for it");
    assert_eq!(due(DataClass::Mirror), 0, "January's snapshot is kept while a report made on it is");

    assert_eq!(s.purge_data(DataClass::Reports, &cut, &audit("retention.purge", "reports")).unwrap(), 1);
    assert!(s.reports(old).unwrap().is_empty());
    assert_eq!(s.reports(kept).unwrap().len(), 1, "a younger report stays");
    assert_eq!(due(DataClass::Answers), 1);
    assert_eq!(s.purge_data(DataClass::Answers, &cut, &audit("retention.purge", "answers")).unwrap(), 1);
    assert!(s.job_records(old).unwrap().is_empty());
    assert_eq!((s.job_records(kept).unwrap().len(), s.job_records(running).unwrap().len()), (1, 1));
    assert_eq!(due(DataClass::Mirror), 2, "January's two rows, now that no report needs them");
    assert_eq!(s.purge_data(DataClass::Mirror, &cut, &audit("retention.purge", "mirror")).unwrap(), 2);

    let keys = |d: &str| -> Vec<String> {
        s.records_in_force(&[p], day(d)).unwrap().into_iter().map(|r| r.rec.key.clone()).collect()
    };
    assert!(keys("2026-02-15").is_empty(), "January's snapshot is gone");
    assert_eq!(keys("2026-05-10"), ["b", "c"], "what the kept report was made on is as it was");
    assert_eq!(keys("2026-08-01"), ["d"], "and the running job's");
    assert_eq!(keys("2026-11-27"), ["e"]);
    let batches = s.batches().unwrap();
    let status = |id| batches.iter().find(|b| b.id == id).unwrap().status;
    assert_eq!((status(jan), status(mar)), (BatchStatus::Purged, BatchStatus::Done), "the batch row stays, marked");
    for class in [DataClass::Reports, DataClass::Answers, DataClass::Mirror] {
        assert_eq!(due(class), 0, "{class:?}: a second run finds nothing");
    }
    let rows = s.audit_log(None, 100).unwrap();
    assert_eq!(rows.iter().filter(|r| r.entry.action == "retention.purge").count(), 3, "each purge audited");
}
