//! A policy file changed while hedui runs takes effect at the next verification, without a
//! rebuild or a restart; a broken edit is refused and the policy in force stays.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

mod common;

use hedui_app::verify::CommissionInput;
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;

fn income_limit(r: &hedui_app::report::Report) -> i64 {
    r.assessment.items.iter().find(|i| i.code == "income").and_then(|i| i.threshold_fen).unwrap().0
}

#[test]
fn an_edited_policy_file_takes_effect_without_a_restart() {
    let dir = common::city(20, 47);
    let policy = common::temp_dir("policy");
    for f in ["32.json", "3204.json", "320412.json"] {
        std::fs::copy(format!("{}/../../data/policy/{f}", env!("CARGO_MANIFEST_DIR")), policy.join(f)).unwrap();
    }
    let store = common::stores("reload").remove(0);
    let app = common::app_with_policy(store, &dir, &policy);
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &dir).unwrap();
    let apps = hedui::city::applications(&dir).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();
    let first = filed.iter().find_map(|f| app.run_job(&actor, f.job).ok()).expect("a household with a valid letter");
    let size = first.assessment.counted_size;
    assert_eq!(income_limit(&first), 118_000 * size * 12);

    let again = |app: &hedui_app::App| {
        let job = app
            .commission(
                &actor,
                &CommissionInput {
                    number: None,
                    kind: CommissionKind::PeriodicRecheck,
                    programme: Programme::Dibao,
                    household: filed.iter().find(|f| f.number == first.household.number).unwrap().household,
                    department: None,
                    note: None,
                    as_of: Some(common::as_of()),
                    declared: Default::default(),
                },
            )
            .unwrap();
        app.run_job(&actor, job).unwrap()
    };

    // The city raises its standard from the same date (a new 文号); hedui keeps running.
    let path = policy.join("3204.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"value\": 118000", "\"value\": 125000", 1).replacen(
        "DEMO-3204-2025-01",
        "DEMO-3204-2025-09",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&path, &edited).unwrap();
    let second = again(&app);
    assert_eq!(income_limit(&second), 125_000 * size * 12);
    assert!(second.assessment.items[0].params.iter().any(|p| p.doc.contains("DEMO-3204-2025-09")));

    // A broken edit (a syntax error in a rule) is refused: the policy in force stays, and says why.
    let province = policy.join("32.json");
    let p = std::fs::read_to_string(&province).unwrap();
    std::fs::write(&province, p.replacen("count(m.counted)", "count(m.counted", 1)).unwrap();
    let third = again(&app);
    assert_eq!(income_limit(&third), 125_000 * size * 12);
    let why = app.policies.reload_error().expect("the refusal is kept");
    assert!(why.contains("size") && why.contains("语法错误"), "{why}");

    // Fixed again: accepted, and the error clears.
    std::fs::write(&province, p).unwrap();
    let _ = again(&app);
    assert_eq!(app.policies.reload_error(), None);
}
