//! A policy file changed while hedui runs takes effect at the next verification, without a
//! rebuild or a restart; a broken edit is refused and the policy in force stays.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use hedui_app::cases::CommissionInput;
use hedui_core::commission::CommissionKind;
use hedui_core::programme::Programme;

fn income_limit(r: &hedui_app::reports::Report) -> i64 {
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
    let app = common::app_with_policy(store.clone(), &dir, &policy);
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
    // The reload is audited with the new file's SM3.
    let digest = hedui_crypto::encode_hex(&hedui_crypto::sm3(edited.as_bytes()));
    let reloads = store.audit_log(Some("policy"), 10).unwrap();
    assert!(reloads[0].entry.detail.contains(&format!("3204.json sm3={digest}")), "{:?}", reloads[0].entry);

    // Typos are refused, naming the file and the path in the document, and audited: a misspelt
    // key, an unknown field, a wrong type, a boolean that is not one. The policy in force stays.
    let cases = [
        (text.replacen("\"to\": \"2025-06-30\"", "\"until\": \"2025-06-30\"", 1), "until", "parameters[0]"),
        (edited.replacen("\"value\": 125000", "\"value\": 125000, \"whenn\": 1", 1), "whenn", "parameters[1]"),
        (edited.replacen("\"value\": 125000", "\"value\": [125000]", 1), "类型错误", "parameters[1].value"),
    ];
    for (broken, what, at) in cases {
        assert_ne!(broken, edited);
        std::fs::write(&path, &broken).unwrap();
        let job = again(&app);
        assert_eq!(income_limit(&job), 125_000 * size * 12, "a refused reload kept the policy in force");
        let why = app.policies.reload_error().expect("the refusal is kept");
        assert!(why.contains("3204.json") && why.contains(what) && why.contains(at), "{why}");
        let last = store.audit_log(Some("policy"), 1).unwrap().remove(0);
        assert_eq!(last.entry.outcome, hedui_store::AuditOutcome::Error);
        assert!(last.entry.detail.contains(what), "{:?}", last.entry);
    }
    let province = policy.join("32.json");
    let p = std::fs::read_to_string(&province).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&p).unwrap();
    let flag = doc["parameters"].as_array_mut().unwrap().iter_mut().find(|x| x["unit"] == "bool").unwrap();
    flag["value"] = 7.into();
    std::fs::write(&province, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    std::fs::write(&path, &edited).unwrap();
    let _ = again(&app);
    let why = app.policies.reload_error().expect("a bool of 7 is refused");
    assert!(why.contains("bool"), "{why}");
    std::fs::write(&province, &p).unwrap();
    assert!(second.assessment.items[0].params.iter().any(|p| p.doc.contains("DEMO-3204-2025-09")));

    // A broken edit (a syntax error in a rule) is refused: the policy in force stays, and says why.
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

#[test]
fn policy_check_exits_non_zero_on_a_typo_naming_the_file_and_path() {
    let policy = common::temp_dir("policy-check");
    for f in ["32.json", "3204.json", "320412.json"] {
        std::fs::copy(format!("{}/../../data/policy/{f}", env!("CARGO_MANIFEST_DIR")), policy.join(f)).unwrap();
    }
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hedui"))
            .args(["--policy-dir", &policy.display().to_string(), "policy", "check", "--as-of", "2026-11-27"])
            .output()
            .unwrap()
    };
    assert!(run().status.success(), "{}", String::from_utf8_lossy(&run().stderr));
    let path = policy.join("3204.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"from\": \"2024-07-01\"", "\"form\": \"2024-07-01\"", 1)).unwrap();
    let o = run();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("3204.json") && err.contains("form") && err.contains("parameters[0]"), "{err}");
}
