//! Rigid spending on the full path (facts in, report out): a household that applies for 支出型救助
//! because of its medical bills is 未超出 on 医保's data, answered online by the simulated 医保, and its
//! 刚性支出 ratio is decided on the same bills; when 医保 does not answer, its spending is unknown and
//! the household 待核实, never counted as zero.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use hedui_core::JobId;
use hedui_means::{Outcome, SourceState};
use hedui_sim::Faults;
use hedui_store::Store;

/// The city's 支出型 applications run online against a simulator with `faults`: each report,
/// with the ground truth's conclusion for its household.
fn run(dir: &std::path::Path, store: Arc<dyn Store>, faults: Faults) -> Vec<(hedui_app::reports::Report, String)> {
    let truth = hedui::city::ground_truth(dir).unwrap();
    // A dead 医保 is given up on quickly; a live one has the catalog's own timeout, so that a busy
    // machine (the whole suite at once) does not make it look silent.
    let dead = faults.dead.contains("yibao");
    let (app, sim, filed) = common::online(
        dir,
        store,
        faults,
        Duration::from_secs(20),
        hedui::exchange::catalog(None, None).unwrap(),
        &|c| {
            if dead {
                let yibao = c.sources.iter_mut().find(|s| s.code == "yibao").unwrap();
                (yibao.request_timeout_ms, yibao.max_attempts) = (300, 2);
            }
        },
    );
    let actor = common::clerk();
    let mut spending: Vec<(JobId, String)> = filed
        .iter()
        .filter(|f| truth[&f.number].scenario == "medical_spending")
        .map(|f| (f.job, truth[&f.number].expected.clone()))
        .collect();
    // The same households checked for 刚性支出困难 as well: the ratio of rigid spending to income.
    for f in filed.iter().filter(|f| truth[&f.number].scenario == "medical_spending") {
        let job = common::commission(&app, f.household, hedui_core::programme::Programme::Gangxing, common::as_of());
        spending.push((job, String::new()));
    }
    assert!(!spending.is_empty(), "the city has 支出型 applications");
    let ids: Vec<JobId> = spending.iter().map(|(j, _)| *j).collect();
    let settle = |a: &hedui_app::App| hedui::exchange::settle_files(a, &actor, &sim.sim).map(|_| ());
    app.run_jobs_with(&actor, &ids, &settle).unwrap();
    spending.into_iter().map(|(j, t)| (app.report(&actor, j, None).unwrap(), t)).collect()
}

fn text(r: &hedui_app::reports::Report) -> String {
    r.assessment.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text()
}

#[test]
fn medical_spending_from_yibao_decides_and_a_silent_yibao_leaves_it_open() {
    let dir = common::city(300, 31);
    for store in common::stores("rigid") {
        for (r, truth) in run(&dir, store, Faults::default()) {
            if r.commission.programme == "gangxing" {
                let t = r.assessment.decision.as_ref().unwrap().tests.iter().find(|t| t.code == "rigid_ratio").unwrap();
                assert_ne!(t.outcome, hedui_rules::TestOutcome::Unknown, "{}", text(&r));
                assert!(text(&r).contains("个人自付"), "{}", text(&r));
                continue;
            }
            assert_eq!(r.commission.programme, "zhichu");
            assert_eq!(truth, "未超出");
            assert_eq!(r.assessment.outcome, Outcome::NotExceeded, "{}", text(&r));
            let yibao = r.sources.iter().find(|s| s.source == "yibao").unwrap();
            assert_eq!(yibao.state, SourceState::Answered);
            let t = text(&r);
            assert!(t.contains("个人负担的医疗费用") && t.contains("个人自付"), "the bills are the evidence: {t}");
        }
    }
    let store = common::stores("rigid_silent").remove(0);
    let mut faults = Faults::default();
    faults.dead.insert("yibao".into());
    for (r, _) in run(&dir, store, faults) {
        if r.commission.programme == "gangxing" {
            let t = r.assessment.decision.as_ref().unwrap().tests.iter().find(|t| t.code == "rigid_ratio").unwrap();
            assert_eq!(t.outcome, hedui_rules::TestOutcome::Unknown, "{}", text(&r));
            continue;
        }
        let yibao = r.sources.iter().find(|s| s.source == "yibao").unwrap();
        assert!(matches!(yibao.state, SourceState::NotAnswered { .. }), "{yibao:?}");
        assert_eq!(r.assessment.outcome, Outcome::Open, "a silent 医保 is never zero spending: {}", text(&r));
        assert!(text(&r).contains("未反馈"), "{}", text(&r));
    }
}
