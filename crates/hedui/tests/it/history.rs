//! Snapshot history: an incremental snapshot changes what later dates show, and a report for an
//! earlier date is reproduced exactly from the snapshots in force then.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use hedui_app::cases::CommissionInput;
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;
use hedui_means::Outcome;
use hedui_store::SnapshotMode;

#[test]
fn an_incremental_snapshot_changes_later_dates_and_earlier_reports_are_reproduced() {
    let dir = common::city(40, 41);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    let store = common::stores("history").remove(0);
    let app = common::app(store.clone(), Some(&dir));
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &dir).unwrap();
    let apps = hedui::city::applications(&dir).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();

    // A household over the limit for its car alone.
    let car = truth.values().find(|t| t.reasons == "car").expect("a car household");
    let f = filed.iter().find(|f| f.number == car.number).unwrap();
    let first = app.run_job(&actor, f.job).unwrap();
    assert_eq!(first.assessment.outcome, Outcome::Exceeds);

    // The next day 车管 sends an incremental snapshot: the family's cars are deregistered.
    let ids: Vec<String> = {
        let mut r = csv::Reader::from_path(dir.join("members.csv")).unwrap();
        let h = r.headers().unwrap().clone();
        let (hh, id) = (h.iter().position(|c| c == "户编号").unwrap(), h.iter().position(|c| c == "身份证号").unwrap());
        r.records().map(|x| x.unwrap()).filter(|x| x[hh] == car.number).map(|x| x[id].to_string()).collect()
    };
    let mut r = csv::Reader::from_path(dir.join("mirror/cheguan.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let status = header.iter().position(|c| c == "机动车状态").unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    let mut changed = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        if ids.iter().any(|i| i == &rec[0]) {
            let row: Vec<&str> = rec.iter().enumerate().map(|(i, v)| if i == status { "注销" } else { v }).collect();
            w.write_record(&row).unwrap();
            changed += 1;
        }
    }
    assert!(changed > 0, "the household's cars are in the 车管 snapshot");
    let bytes = w.into_inner().unwrap();
    let next_day = common::as_of().add_days(1);
    let now = app.now();
    let sum = hedui_import::import(
        app.store.as_ref(),
        &app.identity,
        &hedui_import::ImportInput {
            source: "cheguan",
            file_name: "cheguan-increment.csv",
            as_of: next_day,
            bytes: &bytes,
            now,
            actor: "clerk",
            request_id: "history",
            mode: SnapshotMode::Incremental,
            confirm_shrink: None,
            min_share: hedui_import::DEFAULT_MIN_SHARE,
            progress: None,
        },
    )
    .unwrap();
    assert_eq!(sum.stats.accepted, changed);

    let commission = |as_of| {
        app.commission(
            &actor,
            &CommissionInput {
                number: None,
                kind: CommissionKind::PeriodicRecheck,
                programme: Programme::Dibao,
                household: f.household,
                department: None,
                note: None,
                as_of: Some(as_of),
                declared: Default::default(),
            },
        )
        .unwrap()
    };
    // On the next day the cars no longer count; every other source still reads its full snapshot.
    let later = app.run_job(&actor, commission(next_day)).unwrap();
    assert!(!later.assessment.reasons.iter().any(|r| format!("{r:?}").to_lowercase().contains("car")), "{later:?}");
    assert_ne!(later.assessment.outcome, Outcome::Exceeds);
    let cheguan = later.sources.iter().find(|s| s.source == "cheguan").unwrap();
    assert_eq!(cheguan.as_of, Some(next_day));

    // As of the first date, the same verification gives the same report as before.
    let again = app.run_job(&actor, commission(common::as_of())).unwrap();
    assert_eq!(again.assessment.outcome, first.assessment.outcome);
    assert_eq!(again.assessment.reasons, first.assessment.reasons);
    assert_eq!(again.assessment.assets_total, first.assessment.assets_total);
    assert_eq!(again.assessment.income_total, first.assessment.income_total);
    // Bank answers are asked again for each job and stored as new records: compare the evidence
    // without record numbers, which mirror rows keep and bank answers do not.
    let items = |r: &hedui_app::reports::Report| {
        let mut v = serde_json::to_value(&r.assessment.items).unwrap();
        for it in v.as_array_mut().unwrap() {
            for e in it["evidence"].as_array_mut().unwrap() {
                if e["source"].as_str().is_some_and(|s| s.starts_with('B')) {
                    e.as_object_mut().unwrap().remove("record");
                }
            }
        }
        v
    };
    assert_eq!(items(&again), items(&first), "every item, with its evidence, as it was");
}
