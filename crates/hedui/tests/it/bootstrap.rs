//! A deployment's first user: `hedui user bootstrap` creates a 安全管理员 only while the node has
//! no user, with a password read from standard input that follows the password rule; that user
//! manages users from then on, and nobody else may.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;
use hedui_app::admin::users::Account;

use std::process::Output;

use hedui_app::{AppError, Caller, Role};

fn hedui(args: &[&str], stdin: &str) -> Output {
    common::hedui_with_stdin(args, stdin)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn the_first_user_is_a_security_administrator_made_once() {
    let dir = common::temp_dir("bootstrap");
    let (db, key) = (dir.join("hedui.db").display().to_string(), dir.join("master.key").display().to_string());
    let init = hedui(&["init", "--db", &db, "--key", &key], "");
    assert!(init.status.success(), "{}", text(&init));
    let boot = |login: &str, password: &str| {
        hedui(&["user", "bootstrap", "--db", &db, "--key", &key, "--login", login, "--name", "安全员"], password)
    };
    // A weak password is refused and creates nothing.
    let weak = boot("sec", "short\n");
    assert!(!weak.status.success() && text(&weak).contains("至少 12 位"), "{}", text(&weak));
    let ok = boot("sec", "Sec-Admin-2026!\n");
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("已创建首个安全管理员"), "{}", text(&ok));
    // Once there is a user, bootstrap is refused (and audited).
    let again = boot("sec2", "Sec-Admin-2026!\n");
    assert!(!again.status.success() && text(&again).contains("已有用户"), "{}", text(&again));

    let (store, keys) = hedui::keys::open_node(&db, std::path::Path::new(&key)).unwrap();
    let app = hedui::build_app(store.clone(), keys, Vec::new(), common::clock(), None).unwrap();
    let audit = store.audit_log(None, 20).unwrap();
    assert!(audit.iter().any(|a| a.entry.action == "user.bootstrap" && a.entry.detail.contains("已有用户")));
    let session = app.login("sec", "Sec-Admin-2026!", "r").unwrap();
    let sec = app.session_caller(&session.token, "r").unwrap();
    assert_eq!(sec.role, Role::Security);
    assert!(!sec.role.sees_names(), "the security administrator sees no personal data");
    // The security administrator creates users, with passwords that follow the rule.
    assert!(matches!(
        app.create_user(&sec, &Account::new("clerk1", "核对员", Role::Clerk, "3204", ""), "short"),
        Err(AppError::Invalid(_))
    ));
    app.create_user(&sec, &Account::new("clerk1", "核对员", Role::Clerk, "3204", ""), "Clerk-pass-2026").unwrap();
    // Nobody else may: not a clerk, not the system administrator.
    for role in [Role::Clerk, Role::Admin, Role::Auditor, Role::Viewer] {
        let other = Caller::user("x", role, "", "r");
        let r = app.create_user(&other, &Account::new("clerk2", "核对员", Role::Clerk, "3204", ""), "Clerk-pass-2026");
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{role:?}");
    }
}

/// The recovery path: the last 安全管理员 is locked out; `hedui user recover` with the master key
/// and a second administrator's confirmation (password and TOTP) resets and unlocks it. A wrong
/// witness, a clerk as witness, or a missing key recovers nothing; each attempt is audited and the
/// recovery is a security event.
#[test]
fn a_locked_out_security_administrator_is_recovered_with_the_key_and_a_witness() {
    let dir = common::temp_dir("recover");
    let (db, key) = (dir.join("hedui.db").display().to_string(), dir.join("master.key").display().to_string());
    assert!(hedui(&["init", "--db", &db, "--key", &key], "").status.success());
    let boot = hedui(
        &["user", "bootstrap", "--db", &db, "--key", &key, "--login", "sec", "--name", "安全员"],
        "Sec-Admin-2026!\n",
    );
    assert!(boot.status.success(), "{}", text(&boot));
    let (store, keys) = hedui::keys::open_node(&db, std::path::Path::new(&key)).unwrap();
    let app =
        hedui::build_app(store.clone(), keys, Vec::new(), std::sync::Arc::new(hedui_app::SystemClock), None).unwrap();
    let system = Caller::system("t");
    app.create_user(&system, &Account::new("sys", "系统管理员", Role::Admin, "", ""), "Sys-Admin-2026!").unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "", ""), "Clerk-pass-2026").unwrap();
    let sys = app.session_caller(&app.login("sys", "Sys-Admin-2026!", "r").unwrap().token, "r").unwrap();
    let totp = hedui_crypto::otp::base32_decode(&app.enrol_totp(&sys).unwrap().secret).unwrap();
    for _ in 0..5 {
        assert!(app.login("sec", "wrong", "r").is_err());
    }
    assert!(app.login("sec", "Sec-Admin-2026!", "r").is_err(), "locked out");

    let recover = |witness: &str, stdin: &str, key: &str| {
        hedui(&["user", "recover", "--db", &db, "--key", key, "--login", "sec", "--witness", witness], stdin)
    };
    let code = || {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        format!("{:06}", hedui_crypto::otp::totp_sha1(&totp, now, 30, 6))
    };
    // Without the key, nothing.
    let other_key = dir.join("other.key");
    std::fs::write(&other_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let r = recover("sys", &format!("New-Sec-2026!x\nSys-Admin-2026!\n{}\n", code()), &other_key.display().to_string());
    assert!(!r.status.success(), "{}", text(&r));
    // A clerk is no witness; a witness without their second factor is none either.
    let r = recover("clerk", "New-Sec-2026!x\nClerk-pass-2026\n\n", &key);
    assert!(!r.status.success() && text(&r).contains("见证人"), "{}", text(&r));
    let r = recover("sys", "New-Sec-2026!x\nSys-Admin-2026!\n\n", &key);
    assert!(!r.status.success() && text(&r).contains("第二因子"), "{}", text(&r));
    assert!(app.login("sec", "New-Sec-2026!x", "r").is_err(), "nothing recovered yet");
    // With both, the account is reset and unlocked.
    let r = recover("sys", &format!("New-Sec-2026!x\nSys-Admin-2026!\n{}\n", code()), &key);
    assert!(r.status.success(), "{}", text(&r));
    let sec = app.session_caller(&app.login("sec", "New-Sec-2026!x", "r").unwrap().token, "r").unwrap();
    let audit = store.audit_log(Some("user:sec"), 50).unwrap();
    let recoveries: Vec<_> = audit.iter().filter(|a| a.entry.action == "user.recover").collect();
    assert!(recoveries.iter().any(|a| a.entry.detail.contains("见证人 sys") && a.entry.detail.contains("os:")));
    assert!(
        recoveries.iter().any(|a| matches!(a.entry.outcome, hedui_store::AuditOutcome::Denied)),
        "refusals audited"
    );
    let events = app.security_events(&sec, 1).unwrap();
    assert!(events.iter().any(|e| e.kind == "recovery"), "{events:?}");
}
