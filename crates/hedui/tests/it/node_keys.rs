//! The node's signing key: generated (not derived from the master key), rolled with the old key
//! still verifying what it signed, and revoked, after which it verifies nothing and what it had
//! signed in the store is signed again. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::admin::chain::read_checkpoints;
use hedui_app::admin::verify::Finding;
use hedui_app::reports::sign::ReportSigner;
use hedui_app::{Caller, Role};

use crate::common;

#[test]
fn the_signing_key_is_generated_rolled_and_revoked() {
    let city = common::city(6, 53);
    for (i, store) in common::stores("node_keys").into_iter().enumerate() {
        let mut app = common::app(store.clone(), Some(&city));
        let export = common::temp_dir(&format!("node_keys_{i}")).join("checkpoints.jsonl");
        app.checkpoint_export.file = Some(export.clone());
        let system = Caller::system("t");
        let derived = ReportSigner::derive(app.identity.keys(), hedui::REPORT_NODE).public().sign;
        let first = app.signer.public().sign;
        assert_ne!(first, derived, "generated, not derived from the master key");
        let keys = store.node_keys("sign").unwrap();
        assert_eq!((keys.len(), keys[0].state.as_str(), keys[0].public_key.as_str()), (1, "active", first.as_str()));
        assert!(!keys[0].secret_enc.as_bytes().is_empty());

        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        app.run_job(&system, filed[0].job).unwrap();
        app.checkpoint("manual").unwrap();

        // Rolled: the new key signs; the old one still verifies the report it signed.
        let clerk = Caller::user("c", Role::Clerk, "", "t");
        assert_eq!(app.roll_signing_key(&clerk, hedui::REPORT_NODE).unwrap_err().code(), "forbidden");
        let second = app.roll_signing_key(&system, hedui::REPORT_NODE).unwrap();
        assert_eq!(app.signer.public().sign, second);
        assert!(app.report(&system, filed[0].job, None).is_ok(), "signed by the retired key, still valid");
        app.run_job(&system, filed[1].job).unwrap();
        app.checkpoint("manual").unwrap();
        let exported = || read_checkpoints(&std::fs::read_to_string(&export).unwrap()).unwrap();
        assert!(app.verify_audit(&system, &exported()).unwrap().intact(), "checkpoints of both keys hold");
        // A restart loads the same keys.
        let restarted = common::app(store.clone(), Some(&city));
        assert_eq!(restarted.signer.public().sign, second);
        assert!(restarted.report(&system, filed[0].job, None).is_ok());

        // Revoked: the first key verifies nothing; its report is signed again by the active key.
        let before = store.reports(filed[0].job).unwrap().remove(0).completed_sig;
        assert_eq!(
            app.revoke_signing_key(&system, hedui::REPORT_NODE, &first, " ").unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            app.revoke_signing_key(&system, hedui::REPORT_NODE, "04ff", "泄露").unwrap_err().code(),
            "not_found"
        );
        let resigned = app.revoke_signing_key(&system, hedui::REPORT_NODE, &first, "运维人员电脑丢失").unwrap();
        assert!(resigned >= 1, "{resigned}");
        let after = store.reports(filed[0].job).unwrap().remove(0).completed_sig;
        assert_ne!(before, after, "signed again");
        assert!(!ReportSigner::verify_by(&first, b"x", &after));
        assert!(app.report(&system, filed[0].job, None).is_ok(), "readable, under the active key");
        assert!(app.report(&system, filed[1].job, None).is_ok(), "the second key's report untouched");
        let revoked = store.node_keys("sign").unwrap().into_iter().find(|k| k.public_key == first).unwrap();
        assert_eq!((revoked.state.as_str(), revoked.reason.as_str()), ("revoked", "运维人员电脑丢失"));
        assert!(app.signer.is_revoked(&first) && !app.signer.accepts(&first));
        let v = app.verify_audit(&system, &exported()).unwrap();
        let bad: Vec<_> = v
            .findings()
            .filter(|(_, f)| matches!(f, Finding::BadCheckpoint { reason, .. } if reason.contains("已吊销")))
            .collect();
        assert_eq!(bad.len(), 2, "the revoked key's checkpoints (one per chain) are no longer trusted: {v:?}");
        // What earlier releases signed with the derived key still holds.
        let old = ReportSigner::derive(app.identity.keys(), hedui::REPORT_NODE);
        let sig = old.sign_statement(b"earlier").unwrap();
        assert!(app.signer.verify_statement(b"earlier", &sig));
        let actions: Vec<String> =
            store.audit_log(Some("node-key"), 10).unwrap().into_iter().map(|r| r.entry.action).collect();
        assert!(
            ["key.generate", "key.roll", "key.revoke"].iter().all(|a| actions.iter().any(|x| x == a)),
            "{actions:?}"
        );
    }
}

/// The exchange key: generated at a new node's first use and kept; a node of an earlier release
/// that had already verified keeps the key it derived (its departments know it); rolled by the
/// 系统管理员 or the command line only.
#[test]
fn the_exchange_key_is_generated_kept_and_rolled() {
    for store in common::stores("exchange_keys") {
        let app = common::app(store.clone(), None);
        let derived = hedui_exchange::NodeSecret::derive(
            &hedui_crypto::KeyProvider::stable_index(app.identity.keys(), b"exchange-node", b"n1"),
            "n1",
        )
        .public();
        let first = app.exchange_secret("n1").unwrap().public();
        assert_ne!(first, derived, "generated, not derived from the master key");
        assert_eq!(app.exchange_secret("n1").unwrap().public(), first, "kept");
        let again = common::app(store.clone(), None);
        assert_eq!(again.exchange_secret("n1").unwrap().public(), first, "across restarts");
        let rows = store.node_keys("exchange").unwrap();
        assert_eq!((rows.len(), rows[0].public_key.as_str()), (1, first.sign.as_str()));

        let clerk = Caller::user("c", Role::Clerk, "", "t");
        assert_eq!(app.roll_exchange_key(&clerk, "n1").unwrap_err().code(), "forbidden");
        let admin = Caller::user("a", Role::Admin, "", "t");
        let second = app.roll_exchange_key(&admin, "n1").unwrap();
        assert_ne!(second, first);
        assert_eq!(app.exchange_secret("n1").unwrap().public(), second);
        let states: Vec<_> = store.node_keys("exchange").unwrap().into_iter().map(|k| k.state).collect();
        assert_eq!(states, ["retired", "active"]);
        let rolls = store.audit_log(Some("exchange-key"), 10).unwrap();
        assert_eq!(rolls.len(), 2, "the first key and the roll are audited");
    }
    // A node that verified before the exchange key was kept keeps the key it derived.
    let city = common::city(2, 57);
    let store = common::stores("exchange_keys_earlier").remove(0);
    let app = common::app(store.clone(), None);
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    let derived = hedui_exchange::NodeSecret::derive(
        &hedui_crypto::KeyProvider::stable_index(app.identity.keys(), b"exchange-node", b"n2"),
        "n2",
    )
    .public();
    assert_eq!(app.exchange_secret("n2").unwrap().public(), derived);
    assert!(store.node_keys("exchange").unwrap()[0].reason.contains("沿用"));
}
