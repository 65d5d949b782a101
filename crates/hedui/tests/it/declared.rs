//! What the application states (a sudden expense, a care assessment …) travels with the
//! commission, sealed, and reaches the rules; what it does not state stays unknown.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::collections::BTreeMap;

use hedui_app::AppError;
use hedui_app::cases::CommissionInput;
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;
use hedui_means::Declared;
use hedui_rules::TestOutcome;

#[test]
fn declared_items_reach_the_rules_and_bad_ones_are_refused() {
    let dir = common::city(20, 59);
    let store = common::stores("declared").remove(0);
    let app = common::app(store, Some(&dir));
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &dir).unwrap();
    let apps = hedui::city::applications(&dir).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
    let household = filed.iter().find(|f| app.run_job(&actor, f.job).is_ok()).unwrap().household;

    let commission = |programme, declared: Declared| {
        app.commission(
            &actor,
            &CommissionInput {
                number: None,
                kind: CommissionKind::Application,
                programme,
                household,
                department: None,
                note: None,
                as_of: Some(common::as_of()),
                declared,
            },
        )
    };
    let test = |r: &hedui_app::reports::Report, code: &str| {
        r.assessment.decision.as_ref().unwrap().tests.iter().find(|t| t.code == code).unwrap().outcome
    };

    // 临时救助 without the expense: the need is unknown, and the report says what is missing.
    let r = app.run_job(&actor, commission(Programme::Linshi, Declared::default()).unwrap()).unwrap();
    assert_eq!(test(&r, "need"), TestOutcome::Unknown);
    let trace = r.assessment.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text();
    assert!(trace.contains("申请材料中未载明"), "{trace}");

    // With it: the need holds and the amount follows from it (capped at six months' standard).
    let declared =
        Declared { household: BTreeMap::from([("emergency_expense".into(), 300_000)]), ..Declared::default() };
    let r = app.run_job(&actor, commission(Programme::Linshi, declared).unwrap()).unwrap();
    assert_eq!(test(&r, "need"), TestOutcome::Pass);
    let d = r.assessment.decision.as_ref().unwrap();
    if d.outcome == TestOutcome::Pass {
        assert_eq!(d.benefit.as_ref().and_then(|b| b.value), Some(300_000));
    }
    let trace = d.trace.as_ref().unwrap().to_text();
    assert!(trace.contains("突发的必需支出") && trace.contains("申请材料"), "{trace}");

    // Refused: a department's fact, a member who is not there, a value out of range.
    for (bad, why) in [
        (Declared { household: BTreeMap::from([("homes".into(), 0)]), ..Declared::default() }, "不能申报"),
        (
            Declared {
                members: BTreeMap::from([(1, BTreeMap::from([("wage_income".into(), 0)]))]),
                ..Declared::default()
            },
            "不能申报",
        ),
        (
            Declared {
                members: BTreeMap::from([(99, BTreeMap::from([("student".into(), 1)]))]),
                ..Declared::default()
            },
            "第 99 号成员",
        ),
        (
            Declared {
                members: BTreeMap::from([(1, BTreeMap::from([("adl_unable".into(), 7)]))]),
                ..Declared::default()
            },
            "不合理",
        ),
        (Declared { household: BTreeMap::from([("no_such".into(), 1)]), ..Declared::default() }, "不是可申报的项目"),
    ] {
        match commission(Programme::Linshi, bad) {
            Err(AppError::Invalid(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
