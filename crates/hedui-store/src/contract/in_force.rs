//! Contract checks of the mirror data in force on a date and of a job's own records.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use hedui_core::commission::CommissionKind;
use hedui_core::fact::Observation;
use hedui_core::{BatchId, Fen, Month};

use super::{audit, commission, day, household, key, record, ts};
use crate::*;

/// Imports one snapshot of `source` on `as_of` with `recs`; finished unless `finish` is false.
pub(super) fn snapshot(
    s: &dyn Store,
    source: &str,
    as_of: &str,
    mode: SnapshotMode,
    recs: &[NewRecord],
    finish: bool,
) -> BatchId {
    let nb = NewBatch {
        source: source.into(),
        file_name: format!("{source}-{as_of}.csv"),
        file_sm3: format!("{source}-{as_of}"),
        as_of: day(as_of),
        columns: vec!["身份证号".into()],
        started_at: ts(0),
        mode,
    };
    let BatchStart::New(b) = s.begin_import(&nb, &audit("import", "batch")).unwrap() else { panic!("new import") };
    let recs: Vec<NewRecord> =
        recs.iter().map(|r| NewRecord { source: source.into(), as_of: day(as_of), ..r.clone() }).collect();
    let digests: Vec<u8> = (0..recs.len()).flat_map(|i| [i as u8; ROW_DIGEST_LEN]).collect();
    s.import_rows(b, &recs, &digests, &[]).unwrap();
    if finish {
        let stats = BatchStats { total: recs.len() as i64, accepted: recs.len() as i64, ..BatchStats::default() };
        s.finish_import(b, &stats, ts(60)).unwrap();
    }
    b
}

pub fn records_in_force_on_a_date(s: &dyn Store) {
    let p = s.resolve_persons(&[key(1), key(2)]).unwrap();
    let (a, other) = (p[0], p[1]);
    let amount = |n: i64, key: &str| {
        let r = record(Some(a), 0);
        NewRecord { obs: Observation { amount: Fen(n), key: key.into(), ..r.obs.clone() }, ..r }
    };
    // 税务: a full snapshot in September, an incremental one in October, a full one in November.
    let sep = snapshot(s, "tax_src", "2026-09-30", SnapshotMode::Full, &[amount(100, "k1"), amount(200, "k2")], true);
    let oct = snapshot(s, "tax_src", "2026-10-31", SnapshotMode::Incremental, &[amount(150, "k1")], true);
    let nov = snapshot(s, "tax_src", "2026-11-30", SnapshotMode::Full, &[amount(300, "k3")], true);
    // 公积金: incremental snapshots only; one import was interrupted and never counts.
    let gjj = snapshot(s, "fund_src", "2026-10-15", SnapshotMode::Incremental, &[amount(7, "g")], true);
    snapshot(s, "fund_src", "2026-10-20", SnapshotMode::Incremental, &[amount(8, "g")], false);
    // Another person's row is never returned.
    snapshot(
        s,
        "car_src",
        "2026-10-01",
        SnapshotMode::Full,
        &[NewRecord { person: Some(other), ..record(Some(other), 5) }],
        true,
    );

    let batches = |d: &str| -> Vec<BatchId> { s.snapshots_in_force(day(d)).unwrap().iter().map(|b| b.id).collect() };
    let amounts = |d: &str| -> Vec<(String, i64)> {
        s.records_in_force(&[a], day(d)).unwrap().iter().map(|r| (r.rec.key.clone(), r.rec.amount.0)).collect()
    };
    assert!(batches("2026-09-29").is_empty(), "nothing is in force before the first snapshot");
    assert!(amounts("2026-09-29").is_empty());
    assert_eq!(amounts("2026-09-30"), vec![("k1".into(), 100), ("k2".into(), 200)], "a full snapshot on its own date");
    let car_src = s.batches().unwrap().iter().find(|b| b.source == "car_src").unwrap().id;
    assert_eq!(batches("2026-10-31"), vec![sep, oct, gjj, car_src]);
    assert_eq!(
        amounts("2026-10-31"),
        vec![("k2".into(), 200), ("k1".into(), 150), ("g".into(), 7)],
        "the incremental row replaces the full one about the same thing; the unfinished import is ignored"
    );
    assert_eq!(batches("2026-12-31"), vec![nov, gjj, car_src], "a later full snapshot replaces what came before");
    assert_eq!(amounts("2026-12-31"), vec![("k3".into(), 300), ("g".into(), 7)]);
    assert_eq!(
        amounts("2026-10-31"),
        vec![("k2".into(), 200), ("k1".into(), 150), ("g".into(), 7)],
        "later imports never change an earlier date"
    );
    // Rows of one snapshot about the same thing in different periods all stand.
    let per = |m: &str| {
        let r = record(Some(a), 0);
        let period = Some((Month::parse(m).unwrap(), Month::parse(m).unwrap()));
        NewRecord { obs: Observation { period, key: "m".into(), ..r.obs.clone() }, ..r }
    };
    snapshot(s, "renshe", "2026-11-01", SnapshotMode::Full, &[per("2026-08"), per("2026-09")], true);
    let renshe: Vec<_> =
        s.records_in_force(&[a], day("2026-11-01")).unwrap().into_iter().filter(|r| r.rec.source == "renshe").collect();
    assert_eq!(renshe.len(), 2);
    assert!(s.records_in_force(&[], day("2026-12-31")).unwrap().is_empty());
}

pub fn job_records_are_the_jobs_own(s: &dyn Store) {
    let p = s.resolve_persons(&[key(1)]).unwrap()[0];
    let h = s.create_household(&household("H1", "320402001"), ts(0), &audit("household.create", "h")).unwrap();
    let j1 = s.create_commission(&commission("C1", h, CommissionKind::Application), ts(0), &audit("c", "c1")).unwrap();
    let j2 = s.create_commission(&commission("C2", h, CommissionKind::Application), ts(0), &audit("c", "c2")).unwrap();
    s.insert_records(None, Some(j1), &[record(Some(p), 1), record(Some(p), 2)]).unwrap();
    s.insert_records(None, Some(j2), &[record(Some(p), 3)]).unwrap();
    let got = s.job_records(j1).unwrap();
    assert_eq!(got.iter().map(|r| r.rec.key.as_str()).collect::<Vec<_>>(), vec!["k1", "k2"]);
    assert!(got.iter().all(|r| r.job == Some(j1) && r.batch.is_none()));
    assert_eq!(s.job_records(j2).unwrap().len(), 1);
    assert!(s.records_in_force(&[p], day("2026-12-31")).unwrap().is_empty(), "a job's answers are not mirror data");
}
