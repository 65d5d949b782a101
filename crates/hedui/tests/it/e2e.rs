//! generate → import → verify, checked against the generator's ground truth, on every store backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use hedui_means::Outcome;

#[test]
fn reports_match_the_ground_truth_on_every_backend() {
    let dir = common::city(300, 11);
    let truth = hedui::city::ground_truth(&dir).unwrap();
    // The generator's own parameters and the policy file are independent; they must agree on the date checked.
    let policy = hedui_app::policy::Policies::embedded().unwrap().resolve("3204", common::as_of()).unwrap();
    let v = |k: &str| policy.param(k).and_then(|p| p.int()).unwrap();
    let g = hedui_gen::GenParams::default();
    assert_eq!(
        (v("dibao.standard"), v("assets.financial_months"), v("anomaly.large_outflow_fen"), v("income.months")),
        (g.dibao_standard.0, g.asset_months, g.large_outflow.0, i64::from(g.income_months)),
        "generator and policy disagree; the ground truth would test nothing"
    );

    for store in common::stores("e2e") {
        let backend = store.backend();
        let app = common::app(store, Some(&dir));
        let actor = common::clerk();
        let imports = hedui::city::import_mirrors(&app, &actor, &dir).unwrap();
        assert!(imports.iter().all(|s| s.stats.rejected == 0), "generated mirrors are well-formed");
        let unresolved: i64 = imports.iter().map(|s| s.stats.unresolved).sum();
        assert!(unresolved > 0, "the city has mistyped IDs, kept unresolved");

        let apps = hedui::city::applications(&dir).unwrap();
        let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
        let mut reports = Vec::new();
        for f in &filed {
            reports.push((f.number.clone(), app.run_job(&actor, f.job).unwrap()));
        }
        let cmp = hedui::city::compare(&truth, &common::issued(&reports));
        println!("[{backend}] 混淆矩阵\n{}", cmp.render());
        for m in &cmp.misses {
            println!("  不一致: {m}");
        }
        assert!(cmp.misses.is_empty(), "[{backend}] {} households differ from the ground truth", cmp.misses.len());
        assert_eq!(cmp.checked, 300);

        // Every class is present, so the matrix tests something in each cell of its diagonal.
        for class in ["超出", "未超出", "待核实"] {
            assert!(cmp.matrix.get(&(class.to_string(), class.to_string())).copied().unwrap_or(0) >= 9, "{class}");
        }
        // Every household with an unresolved member stays open.
        for (_, r) in &reports {
            if r.members.iter().any(|m| !m.resolved) {
                assert_ne!(r.assessment.outcome, Outcome::NotExceeded);
            }
        }
    }
}
