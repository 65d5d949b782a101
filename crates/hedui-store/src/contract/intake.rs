//! Contract checks of intake: the household list, letters' scans and members' corrections.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::programme::Programme;
use hedui_core::{HouseholdId, PersonId, RecordId};

use super::{audit, bx, day, household, record, sd, ts};
use crate::intake::{HouseholdFilter, LinkDecision, LinkFilter, MemberCorrection, NewLetterScan};
use crate::*;

pub fn intake_lists_scans_and_corrections(s: &dyn Store) {
    let h1 = s.create_household(&household("H-0001", "320402001"), ts(0), &audit("c", "h")).unwrap();
    let h2 = s.create_household(&household("H-0002", "320411100"), ts(1), &audit("c", "h")).unwrap();
    let mut other = household("X_9", "110101001");
    other.programme = Programme::Tekun;
    let h3 = s.create_household(&other, ts(2), &audit("c", "h")).unwrap();
    let ids = |f: HouseholdFilter| s.households_list(&f).unwrap().0.iter().map(|h| h.id).collect::<Vec<_>>();
    let total = |f: HouseholdFilter| s.households_list(&f).unwrap().1;
    assert_eq!(ids(HouseholdFilter::default()), [h3, h2, h1], "newest first");
    assert_eq!(ids(HouseholdFilter { oldest_first: true, ..Default::default() }), [h1, h2, h3]);
    assert_eq!(ids(HouseholdFilter { regions: vec!["3204".into()], ..Default::default() }), [h2, h1]);
    let two = HouseholdFilter { regions: vec!["320411".into(), "1101".into()], ..Default::default() };
    assert_eq!(ids(two), [h3, h2]);
    assert_eq!(ids(HouseholdFilter { number_contains: Some("0002".into()), ..Default::default() }), [h2]);
    assert!(ids(HouseholdFilter { number_contains: Some("H%".into()), ..Default::default() }).is_empty());
    assert_eq!(ids(HouseholdFilter { number_contains: Some("_".into()), ..Default::default() }), [h3]);
    assert_eq!(ids(HouseholdFilter { programme: Some(Programme::Tekun), ..Default::default() }), [h3]);
    assert_eq!(ids(HouseholdFilter { households: Some(vec![h1, h3]), ..Default::default() }), [h3, h1]);
    assert!(ids(HouseholdFilter { households: Some(vec![]), ..Default::default() }).is_empty());
    let page = HouseholdFilter { limit: 1, offset: 1, ..Default::default() };
    assert_eq!((ids(page.clone()), total(page)), (vec![h2], 3), "one page, and the count of all");
    let first = &s.households_list(&HouseholdFilter { households: Some(vec![h1]), ..Default::default() }).unwrap().0[0];
    assert_eq!((first.number.as_str(), first.members, first.supporters, first.active_letters), ("H-0001", 3, 1, 0));
    assert_eq!((first.region.as_str(), first.programme, first.created_at), ("320402001", Programme::Dibao, ts(0)));

    // A letter's scan: stored once, listed without its content, read with it.
    let letter = NewAuthorization {
        number: "SQ-S1".into(),
        household: h1,
        scopes: vec![Scope::Tax],
        signatures: vec![],
        signed_on: day("2026-11-01"),
        supporter: Some(1),
    };
    let a = s.create_authorization(&letter, ts(3), &audit("authorization.record", "h")).unwrap();
    let scan = NewLetterScan {
        authorization: a,
        content_type: "application/pdf".into(),
        file_name: "授权书.pdf".into(),
        size: 1234,
        content_sm3: "ab".repeat(32),
        content_enc: sd(vec![7; 40]),
    };
    s.put_letter_scan(&scan, ts(4), &audit("authorization.scan", "h")).unwrap();
    let again = s.put_letter_scan(&scan, ts(5), &audit("authorization.scan", "h"));
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let orphan = NewLetterScan { authorization: hedui_core::AuthorizationId(999), ..scan.clone() };
    assert!(matches!(s.put_letter_scan(&orphan, ts(5), &audit("x", "h")), Err(StoreError::NotFound(_))));
    let listed = s.letter_scans(h1).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].authorization, listed[0].size, listed[0].created_at), (a, 1234, ts(4)));
    assert!(listed[0].content_enc.is_none(), "a list carries no content");
    assert!(s.letter_scans(h2).unwrap().is_empty());
    let read = s.letter_scan(a).unwrap().unwrap();
    assert_eq!((read.content_enc, read.file_name.as_str()), (Some(sd(vec![7; 40])), "授权书.pdf"));
    assert!(s.letter_scan(hedui_core::AuthorizationId(999)).unwrap().is_none());
    assert_eq!(
        s.households_list(&HouseholdFilter { households: Some(vec![h1]), ..Default::default() }).unwrap().0[0]
            .active_letters,
        1
    );
    s.set_authorization_status(a, AuthorizationStatus::Withdrawn, Some("撤回"), &audit("authorization.end", "h"))
        .unwrap();
    assert_eq!(s.authorizations(h1).unwrap()[0].status, AuthorizationStatus::Withdrawn, "read back as withdrawn");

    // A correction changes the member in place, with its audit row; a missing member changes nothing.
    let audits = s.audit_log(None, 100).unwrap().len();
    let fix = MemberCorrection {
        seq: 3,
        supporter: false,
        person: Some(PersonId(33)),
        name_enc: sd(vec![3, 3]),
        name_bidx: bx(vec![0x33; 32]),
        id_enc: sd(vec![3, 3, 3]),
        id_note: String::new(),
    };
    s.correct_member(h1, &fix, &audit("household.correct", "household:H-0001")).unwrap();
    let m = s.household(h1).unwrap().unwrap().members[2].clone();
    assert_eq!(
        (m.person, m.name_bidx, m.id_enc, m.id_note),
        (Some(PersonId(33)), bx(vec![0x33; 32]), sd(vec![3, 3, 3]), String::new())
    );
    assert_eq!(s.households_named(&bx(vec![0x33; 32])).unwrap(), [h1]);
    let sup =
        MemberCorrection { seq: 1, supporter: true, person: None, id_note: "校验码错误".into(), ..fix.clone() };
    s.correct_member(h1, &sup, &audit("household.correct", "household:H-0001")).unwrap();
    let sp = s.household(h1).unwrap().unwrap().supporters[0].clone();
    assert_eq!((sp.person, sp.id_note.as_str()), (None, "校验码错误"));
    let missing = MemberCorrection { seq: 9, ..fix };
    assert!(matches!(s.correct_member(h1, &missing, &audit("household.correct", "x")), Err(StoreError::NotFound(_))));
    assert!(matches!(s.correct_member(HouseholdId(999), &sup, &audit("x", "x")), Err(StoreError::NotFound(_))));
    assert_eq!(s.audit_log(None, 100).unwrap().len(), audits + 2, "an audit row per correction, none for a refusal");
}

pub fn unresolved_rows_are_linked_by_hand(s: &dyn Store) {
    s.create_household(&household("L1", "320402001"), ts(0), &audit("c", "h")).unwrap();
    s.create_household(&household("L2", "320581001"), ts(0), &audit("c", "h")).unwrap();
    let named = |n: u8, bidx: u8| NewRecord { name_bidx: Some(bx(vec![bidx; 32])), ..record(None, n) };
    s.insert_records(None, None, &[named(1, 1), named(2, 2), named(3, 7), record(Some(PersonId(5)), 4)]).unwrap();
    let ids: Vec<RecordId> = s.records_page(0, 100).unwrap().iter().map(|r| r.id).collect();
    let (ra, rb) = (ids[0], ids[1]);
    let page = |regions: &[&str]| {
        let regions = regions.iter().map(|r| r.to_string()).collect();
        let f = LinkFilter { regions, limit: 10, ..LinkFilter::default() };
        let (rows, total) = s.link_candidates(&f).unwrap();
        (
            rows.iter().map(|c| (c.record.id, c.household_number.clone(), c.member_seq, c.person)).collect::<Vec<_>>(),
            total,
        )
    };
    assert_eq!(
        page(&["320402"]),
        (vec![(ra, "L1".into(), 1, PersonId(1)), (rb, "L1".into(), 2, PersonId(2))], 2),
        "same-name members of the region's households only"
    );
    assert_eq!(page(&[]).1, 4, "every region: both households");
    let one = s.link_candidates(&LinkFilter { limit: 1, offset: 3, ..LinkFilter::default() }).unwrap();
    let just = s.link_candidates(&LinkFilter { record: Some(rb), limit: 10, ..LinkFilter::default() }).unwrap();
    assert_eq!((just.1, just.0.iter().all(|c| c.record.id == rb)), (2, true), "one row's candidates");
    assert_eq!((one.0.len(), one.1), (1, 4), "paged");
    assert_eq!(one.0[0].record.rec.name_bidx, Some(bx(vec![2; 32])));

    let decide = |record: RecordId, person: u8, linked: bool| LinkDecision {
        record,
        person: PersonId(i64::from(person)),
        linked,
        actor: "clerk".into(),
        created_at: ts(3),
    };
    s.decide_link(&decide(ra, 1, false), &audit("record.link", "record")).unwrap();
    assert_eq!(page(&["320402"]).0, [(rb, "L1".into(), 2, PersonId(2))], "a rejected pair is not offered again");
    s.decide_link(&decide(rb, 2, true), &audit("record.link", "record")).unwrap();
    assert!(page(&["320402"]).0.is_empty());
    let linked = s.records_page(0, 100).unwrap().into_iter().find(|r| r.id == rb).unwrap();
    assert_eq!(linked.rec.person, Some(PersonId(2)), "the row is the person's now");
    assert_eq!(s.records_page(0, 100).unwrap().into_iter().find(|r| r.id == ra).unwrap().rec.person, None);
    let again = s.decide_link(&decide(rb, 2, true), &audit("record.link", "record"));
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let other = s.decide_link(&decide(rb, 1, true), &audit("record.link", "record"));
    assert!(matches!(other, Err(StoreError::Conflict(_))), "a resolved row is not linked twice: {other:?}");
    let missing = s.decide_link(&decide(RecordId(999_999), 1, true), &audit("record.link", "record"));
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}
