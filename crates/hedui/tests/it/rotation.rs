//! Master-key rotation: every sealed value is sealed again under the new epoch and every blind
//! index derived again, reads and lookups go on during the rotation, the audit chain and the
//! password verifiers cross to the new epoch, and afterwards no stored value opens under the old
//! key. In process on SQLite and PostgreSQL; through the CLI on a demo database, killed with
//! SIGKILL halfway and resumed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;

use hedui_app::admin::chain::read_checkpoints;
use hedui_app::admin::users::Account;
use hedui_app::{Action, Caller, Object, Role};
use hedui_crypto::ring::KeyRing;

use crate::common;

const K1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const K2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const PASSWORD: &str = "Rotate-Key-2026!";

fn ring(keys: &[(u8, &str)]) -> Arc<KeyRing> {
    Arc::new(KeyRing::parse(&KeyRing::file_text(keys)).unwrap())
}

#[test]
fn a_rotation_reseals_everything_and_the_old_key_opens_nothing() {
    let city = common::city(4, 61);
    for (i, store) in common::stores("rotation").into_iter().enumerate() {
        let export = common::temp_dir(&format!("rotation_{i}")).join("checkpoints.jsonl");
        let build = |keys: Arc<KeyRing>| {
            let banks = hedui::city::banks(&city).unwrap();
            let mut app = hedui::build_app(store.clone(), keys, banks, common::clock(), None).unwrap();
            app.checkpoint_export.file = Some(export.clone());
            app
        };
        // Epoch 1: a city's mirrors, filed applications with reports, a user, a relative, a search.
        let old = ring(&[(1, K1)]);
        let app = build(old.clone());
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        for f in &filed {
            app.run_job(&system, f.job).unwrap();
        }
        let region = apps[0].region[..4].to_string();
        app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, &region, ""), PASSWORD).unwrap();
        let clerk = Caller::user("clerk", Role::Clerk, &region, "t");
        let member_id = apps[0].members[0].id_number.clone();
        app.record_relative(&clerk, &member_id, "配偶").unwrap();
        let auditor = Caller::user("aud", Role::Auditor, &region, "t");
        assert!(!app.person_access_log(&auditor, &member_id).unwrap().households.is_empty());
        let exchange_key = app.exchange_secret("hedui-test").unwrap().public();
        // A letter's signed scan, sealed like every other value.
        let scan = b"%PDF-1.4\n% a signed letter\n%%EOF\n".to_vec();
        let letter = store.authorizations(filed[1].household).unwrap()[0].id;
        app.attach_scan(&clerk, filed[1].household, letter, "letter.pdf", &scan).unwrap();
        let material = hedui_app::jobs::objection::Material { file_name: "m.pdf".into(), bytes: scan.clone() };
        app.object_with(&system, filed[2].job, "异议", &[material]).unwrap();
        let before = app.sealed_census(old.as_ref()).unwrap();
        assert_eq!((before.failed_count, before.opened.keys().copied().collect::<Vec<_>>()), (0, vec![1]));
        let total: usize = before.opened.values().sum();
        assert!(total > 100, "a city's worth of sealed values: {before:?}");
        let kin = |app: &hedui_app::App| app.authorize(&clerk, Action::JobRead, &Object::Job(filed[0].job));
        let refused = kin(&app).unwrap_err();
        assert!(refused.to_string().contains("近亲属"), "a relative's household is refused: {refused}");
        app.authorize(&clerk, Action::JobRead, &Object::Job(filed[1].job)).unwrap();
        drop(app);

        // The key file gains epoch 2: opening the node starts the rotation.
        let both = ring(&[(1, K1), (2, K2)]);
        let app = build(both.clone());
        assert_eq!(app.recorded_epoch().unwrap(), 2);
        assert_eq!(app.rotating_from().unwrap(), Some(1));
        // Reads and lookups go on over rows of both epochs.
        assert!(!app.person_access_log(&auditor, &member_id).unwrap().households.is_empty());
        assert!(kin(&app).unwrap_err().to_string().contains("近亲属"), "the relative is found mid-rotation");
        app.report(&system, filed[1].job, None).unwrap();
        let mut seen = Vec::new();
        let done = app.rotation_run(&system, store.as_ref(), &mut |t, n| seen.push((t, n))).unwrap();
        assert_eq!((done.from, done.to), (1, 2));
        assert!(seen.iter().any(|(t, n)| *t == hedui_store::rekey::RekeyTable::Person && *n > 0), "{seen:?}");
        assert!(done.total() >= before.opened[&1] / 3, "rows re-sealed: {done:?}");
        for table in [
            "person",
            "record",
            "member",
            "report",
            "node_key",
            "audit",
            "staff_relative",
            "letter_scan",
            "objection_file",
        ] {
            assert!(done.resealed[table] > 0, "{table} re-sealed: {done:?}");
        }
        let swept = app.rotation_finish(&system, store.as_ref()).unwrap();
        assert_eq!(swept.total(), 0, "the sweep finds nothing left: {swept:?}");
        assert!(app.rotating_from().unwrap().is_none());
        drop(app);

        // The old key leaves the file: everything opens under epoch 2, nothing under epoch 1.
        let new = ring(&[(2, K2)]);
        let app = build(new.clone());
        assert_eq!(app.load_retained_keys().unwrap(), vec![1], "the old index key is kept, sealed");
        let after = app.sealed_census(new.as_ref()).unwrap();
        assert_eq!((after.failed_count, after.opened.keys().copied().collect::<Vec<_>>()), (0, vec![2]), "{after:?}");
        assert!(after.opened[&2] >= total);
        let with_old = app.sealed_census(ring(&[(1, K1)]).as_ref()).unwrap();
        assert!(with_old.opened.is_empty(), "the old key opens nothing: {with_old:?}");
        assert_eq!(with_old.failed_count, after.opened[&2]);
        // Blind indexes moved: lookups by the new index find the person, the relative still counts.
        assert!(!app.person_access_log(&auditor, &member_id).unwrap().households.is_empty());
        assert!(kin(&app).unwrap_err().to_string().contains("近亲属"));
        assert!(app.report(&system, filed[0].job, None).is_ok(), "a report opens and its signatures hold");
        assert_eq!(app.scan_file(&clerk, filed[1].household, letter).unwrap().2, scan, "the scan opens under epoch 2");
        assert_eq!(app.objection_file(&system, filed[2].job, 1).unwrap().1, scan, "and the objection's file");
        // What departments know of the node does not change.
        assert_eq!(app.exchange_secret("hedui-test").unwrap().public(), exchange_key);
        // The chain verifies across the epochs, with the old epoch's MAC key kept.
        let exported = read_checkpoints(&std::fs::read_to_string(&export).unwrap()).unwrap();
        let verified = app.verify_audit(&system, &exported).unwrap();
        assert!(verified.intact(), "{verified:?}");
        // The password verifier crosses to epoch 2 at the next login.
        let user = store.user_by_login("clerk").unwrap().unwrap();
        assert!(user.password_hash.starts_with("sm3p$$"), "{}", user.password_hash);
        app.login("clerk", PASSWORD, "t").unwrap();
        let user = store.user_by_login("clerk").unwrap().unwrap();
        assert!(user.password_hash.starts_with("sm3p$e2$$"), "{}", user.password_hash);
        app.login("clerk", PASSWORD, "t").unwrap();
        assert!(app.login("clerk", "wrong-password", "t").is_err());
    }
}

/// Reads the child's standard error until `needle` shows (the rotation prints its progress with
/// carriage returns, not lines).
fn wait_for(child: &mut std::process::Child, needle: &str) -> String {
    let err = child.stderr.as_mut().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let n = err.read(&mut buf).unwrap();
        assert!(n > 0, "the rotation ended before {needle}: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).to_string();
        if text.contains(needle) {
            return text;
        }
    }
}

#[test]
fn a_rotation_killed_halfway_resumes_on_a_demo_database() {
    let dir = common::temp_dir("rotation_demo");
    let (server, _, lines) = crate::demo::start_demo(&dir);
    drop(server);
    // The demo prints each account's TOTP secret; the 审计管理员 runs the retention commands.
    let auditor_totp = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("TOTP auditor "))
        .and_then(|s| hedui_crypto::otp::base32_decode(s.trim()))
        .expect("the demo prints the auditor's TOTP secret");
    let (db, key) = (dir.join("hedui.db"), dir.join("master.key"));
    let (db_s, key_s) = (db.display().to_string(), key.display().to_string());
    let old_key = std::fs::read_to_string(&key).unwrap();
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--db", &db_s, "--key", &key_s]);
        let out = common::hedui_with_stdin(&all, "");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, out) = cli(&["key", "check"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("纪元 1："), "{out}");

    // SIGKILL once the first chunk is committed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(["key", "rotate", "--pause-ms", "400", "--db", &db_s, "--key", &key_s])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let progress = wait_for(&mut child, " 行");
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(progress.contains("person"), "{progress}");
    let file = std::fs::read_to_string(&key).unwrap();
    assert!(file.contains("\n1 ") && file.contains("\n2 "), "both keys stay until the rotation ends: {file}");
    let (code, out) = cli(&["key", "check"]);
    assert_eq!(code, Some(0), "halfway, every value opens under one of the two epochs: {out}");
    assert!(out.contains("纪元 1：") && out.contains("纪元 2："), "{out}");

    let (code, out) = cli(&["key", "rotate"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("纪元 1 → 2") && out.contains("旧主密钥已从"), "{out}");
    let file = std::fs::read_to_string(&key).unwrap();
    assert!(!file.contains(old_key.trim()) && file.contains("\n2 "), "only the new key stays: {file}");
    let (code, out) = cli(&["key", "check"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("纪元 2：") && !out.contains("纪元 1："), "{out}");
    let (code, out) = cli(&["audit", "verify"]);
    assert_eq!(code, Some(0), "the chain verifies across the epochs: {out}");
    // The 审计管理员's retention commands work on the rotated node, and the trail still verifies.
    let as_auditor = |args: &[&str], step: i64| {
        let mut all = vec!["--operator", "auditor"];
        all.extend(args);
        all.extend(["--db", &db_s, "--key", &key_s]);
        // A code is good once: each command takes the next 30-second step's.
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let code = hedui_crypto::otp::totp_sha1(&auditor_totp, unix + 30 * step, 30, 6);
        let out = common::hedui_with_stdin(&all, &format!("auditor-hedui\n{code:06}\n"));
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, out) = as_auditor(&["retention", "plan"], 0);
    assert!(code == Some(0) && out.contains("核对报告") && out.contains("已到期"), "{out}");
    let (code, out) = as_auditor(&["retention", "run"], 1);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = cli(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}");

    // The old key is refused by the node, and opens nothing of it.
    let old_file = dir.join("old.key");
    std::fs::write(&old_file, &old_key).unwrap();
    let out = common::hedui_with_stdin(&["key", "check", "--db", &db_s, "--key", &old_file.display().to_string()], "");
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.code() != Some(0) && text.contains("主密钥不符"), "{text}");
    let store = hedui::open_store(&db_s).unwrap();
    let (store2, keys) = hedui::keys::open_node(&db_s, &key).unwrap();
    drop(store2);
    let app = hedui::build_app(store, keys, Vec::new(), common::clock(), None).unwrap();
    let census = app.sealed_census(&KeyRing::parse(&old_key).unwrap()).unwrap();
    assert!(census.opened.is_empty() && census.failed_count > 1000, "{census:?}");
    // A share-split backup of the new key restores it.
    let (code, shares) = cli(&["key", "split", "--shares", "3", "--threshold", "2"]);
    assert_eq!(code, Some(0), "{shares}");
    let lines: Vec<&str> = shares.lines().filter(|l| l.starts_with("HEDUI-SHARE")).collect();
    let joined = dir.join("joined.key");
    let out =
        common::hedui_with_stdin(&["key", "join", "--out", &joined.display().to_string()], &lines[1..].join("\n"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(KeyRing::parse(&std::fs::read_to_string(&joined).unwrap()).unwrap().epochs(), vec![2]);
    let out = common::hedui_with_stdin(&["key", "check", "--db", &db_s, "--key", &joined.display().to_string()], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
