//! Contract checks of the job list: its filters, its search and its orders.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::Date;
use hedui_core::commission::CommissionKind;
use hedui_core::job::JobState;

use super::{audit, bx, commission, household, ts};
use crate::*;

pub fn job_lists_filter(s: &dyn Store) {
    let h1 = s.create_household(&household("H6", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let h2 = s.create_household(&household("H7", "320411100"), ts(0), &audit("c", "h")).unwrap();
    s.create_commission(&commission("WT-6", h1, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    let j2 =
        s.create_commission(&commission("WT-7", h2, CommissionKind::ComplaintCheck), ts(0), &audit("c", "j")).unwrap();
    s.transition_job(j2, JobState::Submitted, JobState::Refused, None, ts(0), &audit("t", "j")).unwrap();
    let all = JobFilter::default();
    assert_eq!(s.jobs(&all).unwrap().len(), 2);
    assert_eq!(s.jobs(&all).unwrap()[0].id, j2, "newest first");
    let by_region = JobFilter { region_prefix: Some("320411".into()), ..Default::default() };
    assert_eq!(s.jobs(&by_region).unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), vec![j2]);
    let by_state = JobFilter { state: Some(JobState::Submitted), ..Default::default() };
    assert_eq!(s.count_jobs(&by_state).unwrap(), 1);
    let by_kind = JobFilter { kind: Some(CommissionKind::ComplaintCheck), ..Default::default() };
    assert_eq!(s.count_jobs(&by_kind).unwrap(), 1);
    let by_number = JobFilter { household_number: Some("H6".into()), ..Default::default() };
    assert_eq!(s.jobs(&by_number).unwrap()[0].household_number, "H6");
    let by_department = JobFilter { department: Some("溧阳民政".into()), ..Default::default() };
    assert_eq!(s.count_jobs(&by_department).unwrap(), 0, "no commission of that department");
    let by_department = JobFilter { department: Some("民政".into()), ..Default::default() };
    assert_eq!(s.count_jobs(&by_department).unwrap(), 2);
    let paged = JobFilter { limit: 1, offset: 1, ..Default::default() };
    assert_eq!(s.jobs(&paged).unwrap().len(), 1);
    // The list's search: a part of a household or commission number (wildcards taken literally),
    // a date range, a set of households, and an order.
    let q = |f: JobFilter| s.jobs(&f).unwrap().iter().map(|j| j.id).collect::<Vec<_>>();
    let j1 = s.jobs(&all).unwrap()[1].id;
    assert_eq!(q(JobFilter { household_contains: Some("7".into()), ..Default::default() }), [j2]);
    assert_eq!(q(JobFilter { household_contains: Some("H".into()), ..Default::default() }), [j2, j1]);
    assert!(
        q(JobFilter { household_contains: Some("H%".into()), ..Default::default() }).is_empty(),
        "% is a character"
    );
    assert!(q(JobFilter { commission_contains: Some("_".into()), ..Default::default() }).is_empty());
    assert_eq!(q(JobFilter { commission_contains: Some("WT-6".into()), ..Default::default() }), [j1]);
    let day = |d: &str| Some(Date::parse(d).unwrap());
    assert_eq!(
        q(JobFilter { as_of_from: day("2026-11-27"), as_of_to: day("2026-11-27"), ..Default::default() }).len(),
        2
    );
    assert!(q(JobFilter { as_of_from: day("2026-11-28"), ..Default::default() }).is_empty());
    assert!(q(JobFilter { as_of_to: day("2026-11-26"), ..Default::default() }).is_empty());
    assert_eq!(q(JobFilter { households: Some(vec![h2]), ..Default::default() }), [j2]);
    assert!(q(JobFilter { households: Some(vec![]), ..Default::default() }).is_empty(), "no household, no job");
    assert_eq!(s.count_jobs(&JobFilter { households: Some(vec![h1, h2]), ..Default::default() }).unwrap(), 2);
    assert_eq!(q(JobFilter { sort: JobSort::OldestFirst, ..Default::default() }), [j1, j2]);
    assert_eq!(q(JobFilter { sort: JobSort::HouseholdDesc, ..Default::default() }), [j2, j1]);
    assert_eq!(q(JobFilter { sort: JobSort::HouseholdAsc, limit: 1, ..Default::default() }), [j1]);
    assert_eq!(q(JobFilter { sort: JobSort::StateAsc, ..Default::default() }).len(), 2);
    // A member's name finds the households it is in (both have a member of that name here).
    let named = s.household(h1).unwrap().unwrap().members[0].name_bidx;
    assert_eq!(s.households_named(&named).unwrap(), [h1, h2]);
    assert!(s.households_named(&bx(vec![0xee; 32])).unwrap().is_empty());
}
