//! Contract checks of the online exchange: queries, requests, answers stored once with the
//! queries they lead to, and requests given up.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::commission::CommissionKind;
use hedui_core::{PersonId, QueryId};

use super::{audit, commission, day, household, key, record, request, ts};
use crate::*;

// tidy: allow(long-fn): one story of a request's life, each step checked where it happens.
pub fn exchange_answers_once(s: &dyn Store) {
    let p1 = s.resolve_persons(&[key(1)]).unwrap()[0];
    let p2 = s.resolve_persons(&[key(2)]).unwrap()[0];
    let h = s.create_household(&household("H9", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let j = s.create_commission(&commission("WT-9", h, CommissionKind::Application), ts(0), &audit("c", "j")).unwrap();
    let q = |source: &str, seq: u32, person: PersonId| NewQuery {
        job: j,
        source: source.into(),
        member_seq: seq,
        person,
        query_date: day("2026-11-27"),
    };
    let all = [q("bank_a", 1, p1), q("bank_a", 2, p2), q("bank_b", 1, p1)];
    s.enqueue_queries(&all, ts(1)).unwrap();
    s.enqueue_queries(&all[..1], ts(1)).unwrap();
    let queued = s.queued_queries(10).unwrap();
    assert_eq!(queued.len(), 3, "enqueueing twice creates nothing new");
    assert!(queued.iter().all(|x| x.created_at == ts(1)), "a query keeps when it was made");
    assert_eq!(s.jobs_with_open_queries().unwrap(), vec![j]);
    assert_eq!(s.open_queries_per_job().unwrap(), vec![(j, 3)]);
    assert_eq!(s.open_queries_of(j).unwrap(), 3);

    let b01: Vec<QueryId> = queued.iter().filter(|x| x.source == "bank_a").map(|x| x.id).collect();
    let b02: Vec<QueryId> = queued.iter().filter(|x| x.source == "bank_b").map(|x| x.id).collect();
    let req = request;
    assert!(
        s.create_request(&req("bank_a", "m0"), &b02, ts(1)).is_err(),
        "a query joins only its own source's request"
    );
    assert!(s.request_by_message("m0").unwrap().is_none(), "and nothing of the failed request is left");
    let r1 = s.create_request(&req("bank_a", "m1"), &b01, ts(1)).unwrap();
    assert!(s.create_request(&req("bank_a", "m1b"), &b01, ts(1)).is_err(), "a query is in one request only");
    let r2 = s.create_request(&req("bank_b", "m2"), &b02, ts(1)).unwrap();
    assert_eq!(s.queued_queries(10).unwrap().len(), 0);
    assert_eq!(s.open_requests(10).unwrap().len(), 2);

    s.retry_request(r1, RequestState::Pending, 1, ts(2), "HTTP 503", ts(1)).unwrap();
    let row = s.request(r1).unwrap().unwrap();
    assert_eq!((row.attempts, row.next_attempt_at, row.last_error.as_str()), (1, ts(2), "HTTP 503"));
    assert_eq!(s.request_by_message("m1").unwrap().unwrap().id, r1);

    let qs = s.request_queries(r1).unwrap();
    let outcomes = vec![
        QueryOutcome {
            query: qs[0].id,
            state: QueryState::Found,
            reason: String::new(),
            records: vec![record(Some(p1), 1), record(Some(p1), 2)],
        },
        QueryOutcome { query: qs[1].id, state: QueryState::NoRecord, reason: String::new(), records: vec![] },
    ];
    // The answer leads to one more query (a bank the account index named), stored with it.
    let next = [q("bank_c", 1, p1)];
    assert!(s.answer_request(r1, &outcomes, &next, ts(3), &audit("exchange.answer", "source:bank_a")).unwrap());
    let b03: Vec<QueryRow> = s.queued_queries(10).unwrap().into_iter().filter(|x| x.source == "bank_c").collect();
    assert_eq!(b03.len(), 1, "the follow-up query is queued with the answer");
    let r3 = s.create_request(&req("bank_c", "m-3"), &[b03[0].id], ts(3)).unwrap();
    assert_eq!(s.open_queries_per_job().unwrap(), vec![(j, 2)], "the bank_b query and the follow-up are open");
    assert_eq!(s.open_queries_of(j).unwrap(), 2);
    assert!(
        !s.answer_request(r1, &outcomes, &[q("bank_d", 1, p1)], ts(4), &audit("exchange.answer", "source:bank_a"))
            .unwrap(),
        "a repeated answer changes nothing"
    );
    assert!(s.job_queries(j).unwrap().iter().all(|x| x.source != "bank_d"), "not even its follow-ups");
    assert_eq!(s.count_records().unwrap(), 2, "records stored once");
    let stored = s.records_for(&[p1]).unwrap();
    assert!(stored.iter().all(|r| r.job == Some(j) && r.batch.is_none()));
    assert!(
        !s.give_up_request(r1, RequestState::Failed, "x", &[], ts(5), &audit("exchange.give_up", "source:bank_a"))
            .unwrap(),
        "an answered request stays answered"
    );

    assert!(
        s.give_up_request(
            r2,
            RequestState::TimedOut,
            "超过时限未反馈",
            &[],
            ts(6),
            &audit("exchange.give_up", "source:bank_b")
        )
        .unwrap()
    );
    // A follow-up that is there already is left alone.
    let again = [q("bank_c", 1, p1)];
    assert!(
        s.give_up_request(r3, RequestState::Failed, "拒绝", &again, ts(7), &audit("exchange.give_up", "source:bank_c"))
            .unwrap()
    );
    let states: Vec<(String, QueryState)> =
        s.job_queries(j).unwrap().into_iter().map(|q| (q.source, q.state)).collect();
    assert_eq!(
        states,
        vec![
            ("bank_a".to_string(), QueryState::Found),
            ("bank_a".to_string(), QueryState::NoRecord),
            ("bank_b".to_string(), QueryState::TimedOut),
            ("bank_c".to_string(), QueryState::Failed)
        ]
    );
    assert!(s.jobs_with_open_queries().unwrap().is_empty());
    assert!(s.open_queries_per_job().unwrap().is_empty());
    assert!(s.open_requests(10).unwrap().is_empty());
    let log = s.audit_log(None, 10).unwrap();
    let actions: Vec<&str> = log.iter().map(|a| a.entry.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("exchange.")).count(),
        3,
        "one audit row per stored answer and per request given up, none for refused repeats: {actions:?}"
    );
    assert_eq!(
        s.query_counts().unwrap(),
        vec![
            ("bank_a".to_string(), QueryState::Found, 1),
            ("bank_a".to_string(), QueryState::NoRecord, 1),
            ("bank_b".to_string(), QueryState::TimedOut, 1),
            ("bank_c".to_string(), QueryState::Failed, 1)
        ]
    );
    assert_eq!(
        s.request_counts().unwrap(),
        vec![
            ("bank_a".to_string(), RequestState::Answered, 1),
            ("bank_b".to_string(), RequestState::TimedOut, 1),
            ("bank_c".to_string(), RequestState::Failed, 1)
        ]
    );
}
