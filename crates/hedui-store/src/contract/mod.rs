//! The store contract: behaviour every backend must show, run against SQLite
//! always and against PostgreSQL whenever a test database is configured.
//!
//! Each check gets a fresh, migrated store from the factory. A failed check
//! panics with the check's name, so the backend's test shows what broke.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::authorization::{AuthorizationStatus, Scope, Signature};
use hedui_core::catalog::known;
use hedui_core::commission::CommissionKind;
use hedui_core::fact::Observation;
use hedui_core::household::{Capacity, ExclusionReason, Relation};
use hedui_core::job::JobState;
use hedui_core::programme::Programme;
use hedui_core::{BlindIndex, Date, Fen, HouseholdId, Month, PersonId, Sealed, Timestamp};
use hedui_means::Outcome;

use crate::*;

mod chain;
mod exchange;
mod in_force;
mod intake;
mod jobs;
mod keys;
mod rest;
mod retention;
mod review;
mod users;
pub use chain::{audit_purges_from_the_oldest_end, audit_rows_are_chained, backups_are_whole_copies};
pub use exchange::exchange_answers_once;
pub use in_force::{job_records_are_the_jobs_own, records_in_force_on_a_date};
pub use intake::{intake_lists_scans_and_corrections, unresolved_rows_are_linked_by_hand};
pub use jobs::job_lists_filter;
pub use keys::{key_epochs_are_recorded, node_keys_roll_and_revoke, rotation_rewrites_sealed_values};
pub use rest::{audit_rows_read_back, caseload_keeps_the_latest, issues_page_in_order, requests_are_created_together};
pub use retention::retention_deletes_case_data_past_its_period;
pub use review::{
    objection_files_are_numbered_per_job, receipts_follow_issued_reports, reminders_are_kept_per_job,
    reviewed_reports_wait_for_their_approval,
};
pub use users::{staff_relatives_match_members, users_and_sessions};

/// Builds a fresh, migrated store.
pub type Factory<'a> = &'a dyn Fn() -> std::result::Result<Box<dyn Store>, String>;

/// Runs one check on a fresh store; panics with the check's name and the backend on failure.
pub fn run_one(name: &str, check: fn(&dyn Store), make: Factory<'_>) {
    let store = make().unwrap_or_else(|e| panic!("contract '{name}': cannot open store: {e}"));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(store.as_ref())));
    if let Err(p) = result {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("store contract '{name}' failed on {}: {msg}", store.backend());
    }
}

/// One `#[test]` per contract check, each on a fresh store from `$make` (an expression of type
/// [`Factory`]); `$guard` runs first and may return early (a backend that is not there).
/// Every check is listed here once, so a backend cannot leave one out.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@each $make;
            migrations_are_idempotent, persons_resolve_once, imports_round_trip, households_round_trip,
            failed_change_leaves_nothing, authorizations_supersede, jobs_compare_and_set,
            reports_are_versioned, meta_pages_and_reseal, job_lists_filter, users_and_sessions, staff_relatives_match_members,
            exchange_answers_once, records_in_force_on_a_date, job_records_are_the_jobs_own,
            requests_are_created_together, audit_rows_read_back, issues_page_in_order, caseload_keeps_the_latest,
            audit_rows_are_chained, audit_purges_from_the_oldest_end, backups_are_whole_copies,
            node_keys_roll_and_revoke, rotation_rewrites_sealed_values, key_epochs_are_recorded,
            retention_deletes_case_data_past_its_period, intake_lists_scans_and_corrections,
            reviewed_reports_wait_for_their_approval, receipts_follow_issued_reports,
            objection_files_are_numbered_per_job, reminders_are_kept_per_job, unresolved_rows_are_linked_by_hand);
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                if let Some(make) = $make {
                    $crate::contract::run_one(stringify!($check), $crate::contract::$check, &make);
                }
            }
        )*
    };
}

/// Bytes standing for a sealed value (the store never opens one).
pub(super) fn sd(b: Vec<u8>) -> Sealed {
    Sealed::from_ciphertext(b)
}

/// Bytes standing for a blind index.
pub(super) fn bx(b: Vec<u8>) -> BlindIndex {
    BlindIndex::from_stored(&b).expect("a blind index is 32 bytes")
}

/// A time in the contract's story: `n` seconds after its start.
pub(super) fn ts(n: i64) -> Timestamp {
    Timestamp::from_unix(1_795_852_800 + n)
}

/// A request to create, for source `source` with message id `m`, due at once.
pub(super) fn request(source: &str, m: &str) -> NewRequest {
    NewRequest {
        source: source.into(),
        message_id: m.into(),
        transaction_id: format!("txn-{m}"),
        query_date: day("2026-11-27"),
        next_attempt_at: ts(1),
        deadline_at: ts(9),
    }
}

pub(super) fn day(s: &str) -> Date {
    Date::parse(s).expect("test date")
}

pub(super) fn audit(action: &str, object: &str) -> AuditEntry {
    AuditEntry {
        at: ts(0),
        actor: "tester".into(),
        action: action.into(),
        object: object.into(),
        outcome: AuditOutcome::Ok,
        detail: String::new(),
        request_id: "req-1".into(),
        client: "127.0.0.1".into(),
        basis: String::new(),
        ..Default::default()
    }
}

pub(super) fn key(n: u8) -> PersonKey {
    PersonKey { bidx: bx(vec![n; 32]), id_enc: sd(vec![n, n, 1]), previous: None }
}

pub(super) fn record(person: Option<PersonId>, n: u8) -> NewRecord {
    NewRecord {
        source: "tax_src".into(),
        obs: Observation {
            category: known::TAX_INCOME,
            period: Some((Month::parse("2026-01").unwrap(), Month::parse("2026-01").unwrap())),
            on: Some(day("2026-02-10")),
            amount: Fen(123_456 + i64::from(n)),
            quantity: 42,
            code: "wage".into(),
            form: if n.is_multiple_of(2) { "individual".into() } else { String::new() },
            status: "active".into(),
            key: format!("k{n}"),
        },
        person,
        raw_id_enc: person.is_none().then(|| sd(vec![9, 9])),
        name_bidx: person.is_none().then(|| bx(vec![7; 32])),
        as_of: day("2026-11-27"),
        detail_enc: sd(vec![1, 2, 3, n]),
        line: i64::from(n) + 1,
    }
}

pub(super) fn household(number: &str, region: &str) -> NewHousehold {
    let member = |seq: u32, person: Option<PersonId>| NewMember {
        seq,
        person,
        name_enc: sd(vec![seq as u8; 3]),
        name_bidx: bx(vec![seq as u8; 32]),
        id_enc: sd(vec![seq as u8; 5]),
        id_note: if person.is_none() { "校验码错误".into() } else { String::new() },
        relation: if seq == 1 { Relation::Applicant } else { Relation::Child },
        excluded: (seq == 3).then_some(ExclusionReason::Other("外出务工".into())),
        capacity: if seq == 2 { Capacity::None } else { Capacity::Full },
        guardian_seq: (seq == 2).then_some(1),
        declared_income: Fen(seq as i64 * 100),
    };
    NewHousehold {
        number: number.into(),
        region: region.into(),
        address_enc: sd(vec![1, 2]),
        programme: Programme::Dibao,
        applied_on: day("2026-11-01"),
        declared_income: Fen(150_000),
        declared_assets: Fen(2_000_000),
        members: vec![member(1, Some(PersonId(1))), member(2, Some(PersonId(2))), member(3, None)],
        supporters: vec![NewSupporter {
            seq: 1,
            person: Some(PersonId(9)),
            name_enc: sd(vec![9]),
            name_bidx: bx(vec![9; 32]),
            id_enc: sd(vec![9, 9]),
            id_note: String::new(),
            duty: "赡养".into(),
        }],
    }
}

pub(super) fn commission(number: &str, h: HouseholdId, kind: CommissionKind) -> NewCommission {
    NewCommission {
        number: number.into(),
        kind,
        programme: Programme::Dibao,
        household: h,
        department: "民政".into(),
        note_enc: None,
        declared_enc: None,
        as_of: day("2026-11-27"),
    }
}

pub fn migrations_are_idempotent(s: &dyn Store) {
    assert_eq!(s.migrate().unwrap(), Vec::<i64>::new(), "second migrate applies nothing");
    assert_eq!(s.count_persons().unwrap(), 0);
}

pub fn persons_resolve_once(s: &dyn Store) {
    let a = s.resolve_persons(&[key(1), key(2), key(1)]).unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(a[0], a[2]);
    assert_ne!(a[0], a[1]);
    assert_eq!(s.resolve_persons(&[key(2)]).unwrap(), vec![a[1]]);
    assert_eq!(s.count_persons().unwrap(), 2);
    assert_eq!(s.find_person(&bx(vec![1; 32])).unwrap(), Some(a[0]));
    assert_eq!(s.find_person(&bx(vec![3; 32])).unwrap(), None);
    assert_eq!(
        s.find_persons(&[bx(vec![2; 32]), bx(vec![3; 32]), bx(vec![1; 32])]).unwrap(),
        vec![Some(a[1]), None, Some(a[0])]
    );
    assert_eq!(s.count_persons().unwrap(), 2, "finding never creates");
    assert_eq!(s.person_id_enc(a[1]).unwrap(), Some(vec![2, 2, 1]));
}

pub fn imports_round_trip(s: &dyn Store) {
    let p = s.resolve_persons(&[key(1)]).unwrap()[0];
    let nb = NewBatch {
        source: "tax_src".into(),
        file_name: "tax_src.csv".into(),
        file_sm3: "abc".into(),
        as_of: day("2026-11-27"),
        columns: vec!["身份证号".into(), "姓名".into()],
        started_at: ts(0),
        mode: SnapshotMode::Incremental,
    };
    let BatchStart::New(b) = s.begin_import(&nb, &audit("import", "batch")).unwrap() else {
        panic!("first import is new")
    };
    assert_eq!(s.batch(b).unwrap().unwrap().mode, SnapshotMode::Incremental, "the snapshot mode round-trips");
    assert_eq!(
        s.begin_import(&nb, &audit("import", "batch")).unwrap(),
        BatchStart::Resume(b),
        "unfinished import resumes"
    );
    let recs = vec![record(Some(p), 1), record(Some(p), 2), record(None, 3)];
    let digests: Vec<u8> = (1..=3u8).flat_map(|n| [n; ROW_DIGEST_LEN]).collect();
    assert!(
        s.import_rows(b, &recs, &digests[..ROW_DIGEST_LEN], &[]).is_err(),
        "a digest for every record, or nothing is stored"
    );
    assert_eq!(s.count_records().unwrap(), 0);
    assert_eq!(s.import_rows(b, &recs[..2], &digests[..2 * ROW_DIGEST_LEN], &[]).unwrap(), 2);
    assert_eq!(s.import_rows(b, &recs[2..], &digests[2 * ROW_DIGEST_LEN..], &[]).unwrap(), 1);
    assert_eq!(s.count_records().unwrap(), 3);
    assert_eq!(
        s.row_digests("tax_src", day("2026-11-27")).unwrap(),
        digests,
        "the snapshot's digests, chunk by chunk in order, for deduplication"
    );
    assert!(s.row_digests("tax_src", day("2026-10-31")).unwrap().is_empty());
    assert!(s.row_digests("fund_src", day("2026-11-27")).unwrap().is_empty());
    let got = s.records_for(&[p]).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].rec, recs[0], "every field round-trips");
    assert_eq!(got[0].batch, Some(b));
    let un = s.unresolved_by_name(&bx(vec![7; 32])).unwrap();
    assert_eq!(un.len(), 1);
    assert_eq!(un[0].rec, recs[2]);
    let issue =
        ImportIssue { line: 7, severity: IssueSeverity::Rejected, reason: "列数错误".into(), raw_enc: sd(vec![5]) };
    s.insert_issues(b, std::slice::from_ref(&issue)).unwrap();
    assert_eq!(s.batch_issues(b).unwrap(), vec![issue]);
    let stats = BatchStats { total: 4, accepted: 3, duplicate: 0, rejected: 1, unresolved: 1 };
    s.finish_import(b, &stats, ts(60)).unwrap();
    let got = s.batch(b).unwrap().unwrap();
    assert_eq!((got.stats, got.status), (stats, BatchStatus::Done));
    assert_eq!(got.columns, vec!["身份证号".to_string(), "姓名".to_string()]);
    assert_eq!(s.batches().unwrap().len(), 1);
    assert_eq!(s.begin_import(&nb, &audit("import", "batch")).unwrap(), BatchStart::AlreadyImported(b));
    assert_eq!(s.audit_log(Some("batch"), 10).unwrap().len(), 2, "the new import and its resumption are audited");
}

pub fn households_round_trip(s: &dyn Store) {
    let h = household("H1", "320402001");
    let id = s.create_household(&h, ts(0), &audit("create", "household:H1")).unwrap();
    let got = s.household(id).unwrap().unwrap();
    assert_eq!(got.number, "H1");
    assert_eq!(got.programme, Programme::Dibao);
    assert_eq!(got.members.len(), 3);
    assert_eq!(got.members[1].capacity, Capacity::None);
    assert_eq!(got.members[1].guardian_seq, Some(1));
    assert_eq!(got.members[2].excluded, Some(ExclusionReason::Other("外出务工".into())));
    assert_eq!(got.members[2].person, None);
    assert_eq!(got.members[0].declared_income, Fen(100));
    assert_eq!(got.supporters.len(), 1, "supporters are kept apart from members");
    assert_eq!((got.supporters[0].duty.as_str(), got.supporters[0].person), ("赡养", Some(PersonId(9))));
    assert_eq!(s.household_by_number("H1").unwrap().map(|h| h.id), Some(id));
    let again = s.create_household(&h, ts(0), &audit("create", "household:H1"));
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(s.count_households().unwrap(), 1);
    assert_eq!(s.audit_log(Some("household:H1"), 10).unwrap().len(), 1);
}

pub fn failed_change_leaves_nothing(s: &dyn Store) {
    let mut h = household("H2", "320402001");
    h.members[1].seq = 1; // Violates the unique (household, seq) rule after the household row is written.
    assert!(s.create_household(&h, ts(0), &audit("create", "household:H2")).is_err());
    assert_eq!(s.count_households().unwrap(), 0, "household row rolled back");
    assert!(s.audit_log(None, 10).unwrap().is_empty(), "no audit row for a change that did not happen");
}

pub fn authorizations_supersede(s: &dyn Store) {
    let h = s.create_household(&household("H3", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let sig = |m| Signature { member_seq: m, guardian_seq: None, signed_on: day("2026-11-01") };
    let a1 = NewAuthorization {
        number: "SQ-1".into(),
        household: h,
        scopes: vec![Scope::Tax, Scope::Financial],
        signatures: vec![sig(1), Signature { member_seq: 2, guardian_seq: Some(1), signed_on: day("2026-11-01") }],
        signed_on: day("2026-11-01"),
        supporter: None,
    };
    let id1 = s.create_authorization(&a1, ts(0), &audit("authz", "h")).unwrap();
    let a2 = NewAuthorization { number: "SQ-2".into(), ..a1.clone() };
    let id2 = s.create_authorization(&a2, ts(0), &audit("authz", "h")).unwrap();
    let all = s.authorizations(h).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].id, all[0].status), (id1, AuthorizationStatus::Superseded));
    assert_eq!((all[1].id, all[1].status), (id2, AuthorizationStatus::Active));
    assert_eq!(all[1].signatures, a1.signatures);
    assert_eq!(all[1].scopes, vec![Scope::Tax, Scope::Financial]);
    assert!(matches!(s.create_authorization(&a2, ts(0), &audit("authz", "h")), Err(StoreError::Conflict(_))));
    s.set_authorization_status(id2, AuthorizationStatus::Terminated, Some("核对超出"), &audit("t", "h")).unwrap();
    let last = s.authorizations(h).unwrap().pop().unwrap();
    assert_eq!((last.status, last.status_reason.as_deref()), (AuthorizationStatus::Terminated, Some("核对超出")));
    // A supporter's own letter stands beside the household's, and supersedes only their own.
    let own = |n: &str| NewAuthorization {
        number: n.into(),
        scopes: vec![Scope::Financial],
        signatures: Vec::new(),
        supporter: Some(1),
        ..a1.clone()
    };
    let s1 = s.create_authorization(&own("SQ-Y1"), ts(0), &audit("authz", "h")).unwrap();
    let a3 = s
        .create_authorization(&NewAuthorization { number: "SQ-3".into(), ..a1.clone() }, ts(0), &audit("a", "h"))
        .unwrap();
    let s2 = s.create_authorization(&own("SQ-Y2"), ts(0), &audit("authz", "h")).unwrap();
    let state =
        |id| s.authorizations(h).unwrap().into_iter().find(|a| a.id == id).map(|a| (a.status, a.supporter)).unwrap();
    assert_eq!(state(a3), (AuthorizationStatus::Active, None), "a supporter's letter leaves the household's");
    assert_eq!(state(s1), (AuthorizationStatus::Superseded, Some(1)));
    assert_eq!(state(s2), (AuthorizationStatus::Active, Some(1)));
    let missing = NewAuthorization { household: HouseholdId(999), number: "SQ-9".into(), ..a1 };
    assert!(matches!(s.create_authorization(&missing, ts(0), &audit("a", "h")), Err(StoreError::NotFound(_))));
}

pub fn jobs_compare_and_set(s: &dyn Store) {
    let h = s.create_household(&household("H4", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let j = s.create_commission(&commission("WT-1", h, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    let row = s.job(j).unwrap().unwrap();
    assert_eq!(
        (row.state, row.household_number.as_str(), row.kind),
        (JobState::Submitted, "H4", CommissionKind::Application)
    );
    s.transition_job(j, JobState::Submitted, JobState::AuthorizationVerified, None, ts(1), &audit("t", "j")).unwrap();
    let stale = s.transition_job(j, JobState::Submitted, JobState::Refused, None, ts(2), &audit("t", "j"));
    assert!(matches!(stale, Err(StoreError::StateChanged { .. })), "{stale:?}");
    let row = s.job(j).unwrap().unwrap();
    assert_eq!((row.state, row.updated_at), (JobState::AuthorizationVerified, ts(1)));
    // Several steps at once: one compare-and-set, one audit row per step, all or nothing.
    let steps = [
        (JobState::Dispatched, audit("job.step", "job:through")),
        (JobState::AllReturned, audit("job.step", "job:through")),
    ];
    let stale = s.transition_job_through(j, JobState::Submitted, &steps, None, ts(2));
    assert!(matches!(stale, Err(StoreError::StateChanged { .. })), "{stale:?}");
    assert!(s.audit_log(Some("job:through"), 10).unwrap().is_empty(), "a refused move writes no audit row");
    s.transition_job_through(j, JobState::AuthorizationVerified, &steps, None, ts(2)).unwrap();
    assert_eq!(s.job(j).unwrap().unwrap().state, JobState::AllReturned);
    assert_eq!(s.audit_log(Some("job:through"), 10).unwrap().len(), 2);
    s.transition_job(j, JobState::AllReturned, JobState::Dispatched, None, ts(1), &audit("t", "j")).unwrap();
    s.transition_job(j, JobState::Dispatched, JobState::AuthorizationVerified, None, ts(1), &audit("t", "j")).unwrap();
    let row = s.job(j).unwrap().unwrap();
    assert!(matches!(
        s.create_commission(&commission("WT-1", h, CommissionKind::Application), ts(0), &audit("c", "j")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!((row.note_enc, row.declared_enc), (None, None));
    // What the application states is kept with the commission, sealed, byte for byte.
    let declared = NewCommission {
        note_enc: Some(sd(vec![1, 2])),
        declared_enc: Some(sd(vec![0, 255, 7])),
        ..commission("WT-2", h, CommissionKind::Application)
    };
    let j = s.create_commission(&declared, ts(0), &audit("c", "j")).unwrap();
    let row = s.job(j).unwrap().unwrap();
    assert_eq!((row.note_enc, row.declared_enc), (Some(sd(vec![1, 2])), Some(sd(vec![0, 255, 7]))));
}

pub(super) fn rep(version: i64, outcome: Outcome, body: &[u8], sm3: &str) -> NewReport {
    NewReport {
        version,
        outcome,
        body_enc: sd(body.to_vec()),
        body_sm3: sm3.into(),
        packed_sm3: format!("p-{sm3}"),
        completed_sig: format!("c{version}"),
        caseload: None,
        review: false,
    }
}

pub fn reports_are_versioned(s: &dyn Store) {
    let h = s.create_household(&household("H5", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let j = s.create_commission(&commission("WT-5", h, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    s.transition_job(j, JobState::Submitted, JobState::AuthorizationVerified, None, ts(0), &audit("t", "j")).unwrap();
    for (from, to) in [
        (JobState::AuthorizationVerified, JobState::Dispatched),
        (JobState::Dispatched, JobState::AllReturned),
        (JobState::AllReturned, JobState::Analysed),
    ] {
        s.transition_job(j, from, to, None, ts(0), &audit("t", "j")).unwrap();
    }
    let r1 = s
        .complete_report(j, JobState::Analysed, &rep(1, Outcome::Open, &[1, 2], "sm3-a"), ts(0), &audit("r", "j"))
        .unwrap();
    assert!(
        s.complete_report(j, JobState::Analysed, &rep(1, Outcome::Open, &[1], "x"), ts(0), &audit("r", "j")).is_err()
    );
    let first = s.reports(j).unwrap().remove(0);
    assert_eq!((first.id, first.version, first.state), (r1, 1, ReportState::Completed));
    assert_eq!((first.completed_sig.as_str(), first.issued_sig.as_str(), first.issued_at), ("c1", "", None));
    assert_eq!((first.body_sm3.as_str(), first.packed_sm3.as_str()), ("sm3-a", "p-sm3-a"), "both digests kept");
    assert_eq!(s.unissued_reports().unwrap(), [(r1, j)]);
    s.issue_report(r1, Outcome::Open, "i1", ts(2), None, &audit("r", "j")).unwrap();
    assert!(s.unissued_reports().unwrap().is_empty());
    assert!(s.issue_report(r1, Outcome::Open, "i1", ts(2), None, &audit("r", "j")).is_err(), "issued once only");
    let first = s.reports(j).unwrap().remove(0);
    assert_eq!((first.state, first.issued_sig.as_str(), first.issued_at), (ReportState::Issued, "i1", Some(ts(2))));
    assert!(!first.signed_in_migration);
    s.transition_job(j, JobState::ReportIssued, JobState::Analysed, None, ts(0), &audit("t", "j")).unwrap();
    // A version out of turn is refused; the next one is stored.
    assert!(
        s.complete_report(j, JobState::Analysed, &rep(3, Outcome::Exceeds, &[3], "x"), ts(0), &audit("r", "j"))
            .is_err()
    );
    let r2 = s
        .complete_report(j, JobState::Analysed, &rep(2, Outcome::Exceeds, &[3], "sm3-b"), ts(0), &audit("r", "j"))
        .unwrap();
    s.issue_report(r2, Outcome::Exceeds, "i2", ts(0), None, &audit("r", "j")).unwrap();
    let reps = s.reports(j).unwrap();
    assert_eq!(reps.len(), 2);
    assert_eq!((reps[0].body_enc.as_slice(), reps[0].outcome), (&[1u8, 2][..], Outcome::Open), "version 1 unchanged");
    assert_eq!(s.job(j).unwrap().unwrap().outcome, Some(Outcome::Exceeds));
    // Signed again (a revoked key's signatures replaced): completion always, issue where given.
    s.resign_reports(&[(r1, "c1'".into(), Some("i1'".into())), (r2, "c2'".into(), None)], &audit("k", "j")).unwrap();
    let reps = s.reports(j).unwrap();
    let sigs: Vec<_> = reps.iter().map(|r| (r.completed_sig.as_str(), r.issued_sig.as_str())).collect();
    assert_eq!(sigs, [("c1'", "i1'"), ("c2'", "i2")]);
    assert!(s.resign_reports(&[(ReportId(999_999), "x".into(), None)], &audit("k", "j")).is_err());
    assert_eq!(s.reports(j).unwrap()[0].completed_sig, "c1'", "a failed re-signing changes nothing");
}

/// The database's own facts, and the migration's pages and re-sealing.
pub fn meta_pages_and_reseal(s: &dyn Store) {
    assert_eq!(s.meta("key_fingerprint").unwrap(), None);
    s.set_meta("key_fingerprint", "aa", &audit("k", "db")).unwrap();
    s.set_meta("key_fingerprint", "bb", &audit("k", "db")).unwrap();
    assert_eq!(s.meta("key_fingerprint").unwrap().as_deref(), Some("bb"));
    assert_eq!(s.audit_log(Some("db"), 10).unwrap().len(), 2);

    let p = s.resolve_persons(&[key(41), key(42)]).unwrap();
    let page = s.persons_page(0, 1).unwrap();
    assert_eq!(page.len(), 1);
    let rest = s.persons_page(page[0].id.0, 1000).unwrap();
    assert!(rest.iter().any(|r| r.id == p[1] && r.bidx == vec![42; 32] && r.id_enc == vec![42, 42, 1]));
    s.insert_records(None, None, &[record(Some(p[0]), 1), record(None, 2)]).unwrap();
    let recs = s.records_page(0, 1000).unwrap();
    let rec = recs.iter().find(|r| r.rec.person == Some(p[0])).unwrap();
    let nb = NewBatch {
        source: "tax_src".into(),
        file_name: "f-rs.csv".into(),
        file_sm3: "sm3-rs".into(),
        as_of: day("2026-11-27"),
        columns: vec!["身份证号".into(), "姓名".into()],
        started_at: ts(0),
        mode: SnapshotMode::Full,
    };
    let BatchStart::New(b) = s.begin_import(&nb, &audit("i", "b")).unwrap() else { panic!("a new batch") };
    s.import_rows(b, &[record(Some(p[1]), 9)], &[0; ROW_DIGEST_LEN], &[]).unwrap();
    let in_batch = s.batch_records(b).unwrap();
    assert_eq!((in_batch.len(), in_batch[0].batch, in_batch[0].rec.line), (1, Some(b), 10));
    assert_eq!(rec.rec.line, 2);
    let un = recs.iter().find(|r| r.rec.person.is_none()).unwrap();
    let h = s.create_household(&household("H-RS", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let cm =
        s.create_commission(&commission("WT-RS", h, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    let job = s.job(cm).unwrap().unwrap();
    assert!(s.households_page(0, 1000).unwrap().iter().any(|x| x.id == h));

    let v = |b: u8| sd(vec![b; 3]);
    s.reseal(
        &[
            Reseal::Value(SealedSlot::PersonId(p[0]), v(1)),
            Reseal::Value(SealedSlot::RecordDetail(rec.id), v(2)),
            Reseal::Value(SealedSlot::RecordRawId(un.id), v(3)),
            Reseal::Value(SealedSlot::MemberName(h, 1), v(4)),
            Reseal::Value(SealedSlot::MemberId(h, 1), v(5)),
            Reseal::Value(SealedSlot::HouseholdAddress(h), v(6)),
            Reseal::Value(SealedSlot::CommissionNote(job.commission), v(7)),
            Reseal::Value(SealedSlot::CommissionDeclared(job.commission), v(8)),
            Reseal::Recode {
                record: rec.id,
                category: "tax_income".into(),
                code: "labour".into(),
                form: "x".into(),
                status: "active".into(),
                key: "k-shared".into(),
            },
        ],
        &audit("reseal", "db"),
    )
    .unwrap();
    assert_eq!(s.persons_page(p[0].0 - 1, 1).unwrap()[0].id_enc, v(1));
    let recs = s.records_page(0, 1000).unwrap();
    let recoded = recs.iter().find(|r| r.id == rec.id).unwrap();
    assert_eq!(recoded.rec.detail_enc, v(2));
    assert_eq!(
        (recoded.rec.category.code(), recoded.rec.code.as_str(), recoded.rec.form.as_str(), recoded.rec.key.as_str()),
        ("tax_income", "labour", "x", "k-shared")
    );
    assert_eq!(recs.iter().find(|r| r.id == un.id).unwrap().rec.raw_id_enc, Some(v(3)));
    let hh = s.household(h).unwrap().unwrap();
    assert_eq!(
        (hh.members[0].name_enc.clone(), hh.members[0].id_enc.clone(), hh.address_enc.clone()),
        (v(4), v(5), v(6))
    );
    let j = s.job(cm).unwrap().unwrap();
    assert_eq!((j.note_enc, j.declared_enc), (Some(v(7)), Some(v(8))));
    // A slot that is not there undoes the whole transaction.
    assert!(
        s.reseal(
            &[Reseal::Value(SealedSlot::PersonId(p[1]), v(9)), Reseal::Value(SealedSlot::IssueRaw(999_999), v(9))],
            &audit("reseal", "db")
        )
        .is_err()
    );
    assert_eq!(s.persons_page(p[1].0 - 1, 1).unwrap()[0].id_enc, vec![42, 42, 1], "nothing of a failed reseal stays");
}
