//! Logging in to 等保 level 3: failed logins in a row lock an account for a while (a correct
//! password included) and the lock ends by itself; an unknown login fails like a known one;
//! sessions end when idle and at their absolute limit; passwords are kept peppered, and a verifier
//! of an earlier release is upgraded at the next good login.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;
use hedui_app::admin::users::Account;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use argon2::password_hash::PasswordHasher;
use hedui_app::{AppError, Caller, Clock, Role};
use hedui_store::Store;

/// A clock the test moves.
struct Tick(AtomicI64);

impl Clock for Tick {
    fn unix_seconds(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Tick {
    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

const PASSWORD: &str = "Hedui-pass-2026";

fn run(store: Arc<dyn Store>) {
    let clock = Arc::new(Tick(AtomicI64::new(common::clock().unix_seconds())));
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let app = hedui::build_app(store.clone(), keys, Vec::new(), clock.clone(), None).unwrap();
    let admin = Caller::system("test");
    app.create_user(&admin, &Account::new("clerk1", "核对员", Role::Clerk, "3204", ""), PASSWORD).unwrap();
    let login = |password: &str| app.login("clerk1", password, "r");
    let user = || store.user_by_login("clerk1").unwrap().unwrap();
    assert!(user().password_hash.starts_with("sm3p$"), "the verifier is peppered");

    // Four failures, then the right password: the count starts again.
    for _ in 0..4 {
        assert!(matches!(login("wrong"), Err(AppError::Unauthenticated)));
    }
    assert_eq!(user().failed_logins, 4);
    login(PASSWORD).unwrap();
    assert_eq!(user().failed_logins, 0);

    // Five in a row lock the account for 30 minutes, the right password included.
    for _ in 0..5 {
        assert!(login("wrong").is_err());
    }
    assert!(user().locked_until.is_some());
    assert!(matches!(login(PASSWORD), Err(AppError::Unauthenticated)));
    let audit = store.audit_log(None, 20).unwrap();
    assert!(audit.iter().any(|a| a.entry.detail.contains("账户锁定至")), "the lock is audited");
    assert!(audit.iter().any(|a| a.entry.detail.contains("账户已锁定至")), "so is a login refused by it");
    clock.advance(29 * 60);
    assert!(login(PASSWORD).is_err(), "still locked after 29 minutes");
    clock.advance(2 * 60);
    let session = login(PASSWORD).unwrap();
    assert_eq!((user().failed_logins, user().locked_until), (0, None));

    // An unknown login fails with the same answer, through the same verification.
    assert!(matches!(app.login("nobody", PASSWORD, "r"), Err(AppError::Unauthenticated)));
    assert!(
        store
            .audit_log(None, 5)
            .unwrap()
            .iter()
            .any(|a| a.entry.object == "user:nobody" && a.entry.detail == "用户名或密码错误")
    );

    // A session used every 29 minutes lives on; idle for 31 it ends.
    for _ in 0..3 {
        clock.advance(29 * 60);
        app.session_caller(&session.token, "r").unwrap();
    }
    clock.advance(31 * 60);
    assert!(matches!(app.session_caller(&session.token, "r"), Err(AppError::Unauthenticated)), "idle");
    // However busy, a session ends eight hours after login.
    let busy = login(PASSWORD).unwrap();
    for _ in 0..16 {
        clock.advance(29 * 60);
        app.session_caller(&busy.token, "r").unwrap();
    }
    clock.advance(29 * 60);
    assert!(app.session_caller(&busy.token, "r").is_err(), "8 h after login");

    // A verifier of an earlier release (argon2id of the password alone) still opens, and is
    // replaced by a peppered one.
    let legacy = argon2::Argon2::default().hash_password(b"Old-pass-2025").unwrap().to_string();
    let u = hedui_store::NewUser {
        organization: String::new(),
        demo: false,
        must_change: false,
        login: "old".into(),
        display_name: "旧用户".into(),
        role: "clerk".into(),
        region: "3204".into(),
        password_hash: legacy,
    };
    store
        .create_user(
            &u,
            app.now(),
            &app.audit_entry(&admin, "user.create", "user:old", hedui_store::AuditOutcome::Ok, String::new()),
        )
        .unwrap();
    app.login("old", "Old-pass-2025", "r").unwrap();
    assert!(store.user_by_login("old").unwrap().unwrap().password_hash.starts_with("sm3p$"));
    app.login("old", "Old-pass-2025", "r").unwrap();
}

#[test]
fn lockout_sessions_and_peppered_passwords() {
    for store in common::stores("login") {
        run(store);
    }
}
