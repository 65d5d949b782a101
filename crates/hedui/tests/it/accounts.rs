//! The 安全管理员 manages accounts, each change audited: a new account must change its password at
//! the first login (nothing else is allowed until then), a reset does the same, passwords expire
//! after 90 days and may not repeat the last five; disabling ends sessions and refuses logins;
//! an administrator's lock holds until unlocked. The three administrators stay apart: only the
//! 安全管理员 manages accounts, and not their own role. On SQLite and PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use hedui_app::admin::accounts::AccountChange;
use hedui_app::admin::users::Account;
use hedui_app::{Action, App, AppError, Caller, Clock, Object, Role};
use hedui_store::Store;

use crate::common;

pub(crate) struct Tick(pub(crate) AtomicI64);

impl Clock for Tick {
    fn unix_seconds(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

const SEC_PASSWORD: &str = "Security-pass-2026";
const SEC_NEW: &str = "Security-new-2026";
const FIRST: &str = "First-pass-2026";
const SECOND: &str = "Second-pass-2026";

/// A session's caller, or the error of logging in.
fn session(app: &App, login: &str, password: &str) -> Result<Caller, AppError> {
    let s = app.login(login, password, "t")?;
    app.session_caller(&s.token, "t")
}

fn actions(store: &dyn Store, object: &str) -> Vec<String> {
    store.audit_log(Some(object), 100).unwrap().into_iter().map(|r| r.entry.action).collect()
}

fn run(store: Arc<dyn Store>) {
    let clock = Arc::new(Tick(AtomicI64::new(common::clock().unix_seconds())));
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let app = hedui::build_app(store.clone(), keys, Vec::new(), clock.clone(), None).unwrap();
    app.bootstrap("sec", "安全管理员", SEC_PASSWORD, "t").unwrap();
    let sec = session(&app, "sec", SEC_PASSWORD).unwrap();
    assert!(!sec.must_change, "the first user chose their own password");

    // A new account: its first login may only change the password.
    app.create_user(&sec, &Account::new("clerk1", "核对员", Role::Clerk, "320481", ""), FIRST).unwrap();
    let clerk = session(&app, "clerk1", FIRST).unwrap();
    assert!(clerk.must_change);
    let e = app.authorize(&clerk, Action::JobList, &Object::None).unwrap_err();
    assert!(matches!(e, AppError::PasswordChangeRequired), "{e}");
    assert_eq!(e.code(), "password_change_required");
    app.authorize(&clerk, Action::Session, &Object::None).unwrap();
    let wrong = app.change_own_password(&clerk, "not-it", SECOND).unwrap_err();
    assert!(wrong.to_string().contains("原密码错误"));
    let same = app.change_own_password(&clerk, FIRST, FIRST).unwrap_err();
    assert!(same.to_string().contains("最近 5 次"), "{same}");
    assert!(app.change_own_password(&clerk, FIRST, "short").is_err(), "the rule holds");
    app.change_own_password(&clerk, FIRST, SECOND).unwrap();
    let token = app.login("clerk1", SECOND, "t").unwrap().token;
    let clerk = app.session_caller(&token, "t").unwrap();
    assert!(!clerk.must_change);
    app.authorize(&clerk, Action::JobList, &Object::None).unwrap();

    // After 90 days the password must be changed again, and not back to an earlier one.
    clock.0.fetch_add(91 * 24 * 3600, Ordering::SeqCst);
    let clerk = session(&app, "clerk1", SECOND).unwrap();
    assert!(clerk.must_change, "expired after 90 days");
    let back = app.change_own_password(&clerk, SECOND, FIRST).unwrap_err();
    assert!(back.to_string().contains("最近 5 次"), "the history remembers {FIRST}: {back}");
    app.change_own_password(&clerk, SECOND, "Third-pass-2026").unwrap();
    let sec = session(&app, "sec", SEC_PASSWORD).unwrap();
    assert!(sec.must_change, "the security administrator's password ages too");
    assert_eq!(app.users(&sec).unwrap_err().code(), "password_change_required");
    app.change_own_password(&sec, SEC_PASSWORD, SEC_NEW).unwrap();
    let sec = session(&app, "sec", SEC_NEW).unwrap();
    let id = store.user_by_login("clerk1").unwrap().unwrap().id;

    // Reset: the next login must change it.
    app.reset_password(&sec, id, "Reset-pass-2026").unwrap();
    assert!(app.login("clerk1", "Third-pass-2026", "t").is_err(), "the old password is gone");
    assert!(session(&app, "clerk1", "Reset-pass-2026").unwrap().must_change);
    app.change_own_password(
        &session(&app, "clerk1", "Reset-pass-2026").unwrap(),
        "Reset-pass-2026",
        "Fourth-pass-2026",
    )
    .unwrap();

    // Disabling ends the sessions and refuses logins; enabling lets them in again.
    let token = app.login("clerk1", "Fourth-pass-2026", "t").unwrap().token;
    app.set_user_disabled(&sec, id, true).unwrap();
    assert!(app.session_caller(&token, "t").is_err(), "the open session ended");
    assert!(app.login("clerk1", "Fourth-pass-2026", "t").is_err());
    app.set_user_disabled(&sec, id, false).unwrap();
    session(&app, "clerk1", "Fourth-pass-2026").unwrap();

    // A lock holds until unlocked, the right password included.
    app.set_user_locked(&sec, id, true).unwrap();
    clock.0.fetch_add(24 * 3600, Ordering::SeqCst);
    assert!(app.login("clerk1", "Fourth-pass-2026", "t").is_err());
    let sec = session(&app, "sec", SEC_NEW).unwrap();
    app.set_user_locked(&sec, id, false).unwrap();
    let clerk = session(&app, "clerk1", "Fourth-pass-2026").unwrap();

    // Role, region and organization; never one's own role.
    let to_reviewer = AccountChange { role: Some(Role::Reviewer), region: Some("320412".into()), organization: None };
    app.change_user(&sec, id, &to_reviewer).unwrap();
    let u = store.user(id).unwrap().unwrap();
    assert_eq!((u.role.as_str(), u.region.as_str()), ("reviewer", "320412"));
    let sec_id = store.user_by_login("sec").unwrap().unwrap().id;
    let own = AccountChange { role: Some(Role::Auditor), ..Default::default() };
    assert_eq!(app.change_user(&sec, sec_id, &own).unwrap_err().code(), "forbidden");
    assert_eq!(app.set_user_disabled(&sec, sec_id, true).unwrap_err().code(), "forbidden");

    // 三员分立: the system administrator and the auditor manage no account.
    for (login, role) in [("sys", Role::Admin), ("aud", Role::Auditor)] {
        app.create_user(&sec, &Account::new(login, "管理员", role, "", ""), FIRST).unwrap();
        let who = session(&app, login, FIRST).unwrap();
        app.change_own_password(&who, FIRST, SECOND).unwrap();
        let who = session(&app, login, SECOND).unwrap();
        assert_eq!(app.users(&who).unwrap_err().code(), "forbidden");
        assert_eq!(app.reset_password(&who, id, "Hijack-pass-2026").unwrap_err().code(), "forbidden");
        assert_eq!(app.set_user_locked(&who, sec_id, true).unwrap_err().code(), "forbidden");
    }
    assert_eq!(app.users(&clerk).unwrap_err().code(), "forbidden");
    assert_eq!(app.users(&sec).unwrap().len(), 4);

    // Every change is audited under the account it changed.
    let done = actions(store.as_ref(), "user:clerk1");
    for a in [
        "user.create",
        "user.password",
        "user.reset",
        "user.disable",
        "user.enable",
        "user.lock",
        "user.unlock",
        "user.change",
    ] {
        assert!(done.iter().any(|d| d == a), "{a} is audited: {done:?}");
    }
    assert!(
        store
            .audit_log(None, 200)
            .unwrap()
            .iter()
            .any(|r| r.entry.action == "access.deny" && r.entry.detail.contains("须先修改密码")),
        "the refusal before the change is audited"
    );
}

#[test]
fn the_security_administrator_manages_accounts() {
    for store in common::stores("accounts") {
        run(store);
    }
}

/// Second factors: TOTP from an authenticator app and an SM2 signature by a UKey. With a factor
/// enrolled, the password opens only a pending session; a wrong factor counts toward the lock-out.
fn factors(store: Arc<dyn Store>) {
    use hedui_app::admin::factors::Proof;
    use sm2::dsa::signature::Signer;

    let clock = Arc::new(Tick(AtomicI64::new(common::clock().unix_seconds())));
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let app = hedui::build_app(store.clone(), keys, Vec::new(), clock.clone(), None).unwrap();
    let system = Caller::system("t");
    app.create_user(&system, &Account::new("otp", "核对员", Role::Clerk, "", ""), FIRST).unwrap();
    app.create_user(&system, &Account::new("ukey", "审核员", Role::Reviewer, "", ""), FIRST).unwrap();

    // TOTP: enrolled by the user, shown once as base32 and an otpauth URI.
    let me = session(&app, "otp", FIRST).unwrap();
    let enrolment = app.enrol_totp(&me).unwrap();
    assert!(enrolment.uri.starts_with("otpauth://totp/") && enrolment.uri.contains(&enrolment.secret));
    let secret = hedui_crypto::otp::base32_decode(&enrolment.secret).unwrap();
    let pending = app.login("otp", FIRST, "t").unwrap();
    let p = pending.pending.clone().expect("the password alone opens a pending session");
    assert_eq!(p.methods, ["totp"]);
    assert!(app.session_caller(&pending.token, "t").is_err(), "a pending session opens nothing");
    let now = clock.unix_seconds();
    let code = |t: i64| format!("{:06}", hedui_crypto::otp::totp_sha1(&secret, t, 30, 6));
    let wrong = app.login_second(&pending.token, &Proof::Totp(code(now + 120)), "t");
    assert!(matches!(wrong, Err(AppError::Unauthenticated)));
    assert_eq!(store.user_by_login("otp").unwrap().unwrap().failed_logins, 1, "a wrong code counts");
    let done = app.login_second(&pending.token, &Proof::Totp(code(now - 30)), "t").unwrap();
    assert!(done.pending.is_none());
    app.session_caller(&done.token, "t").unwrap();
    assert_eq!(store.user_by_login("otp").unwrap().unwrap().failed_logins, 0);
    assert!(app.login_second(&done.token, &Proof::Totp(code(now)), "t").is_err(), "completed once");
    // The same code cannot open a second login (a replay within its window).
    let again = app.login("otp", FIRST, "t").unwrap();
    assert!(app.login_second(&again.token, &Proof::Totp(code(now - 30)), "t").is_err(), "a code is good once");
    app.login_second(&again.token, &Proof::Totp(code(now)), "t").unwrap();

    // SM2: the 安全管理员 (here hedui itself) registers the UKey's public key; the login challenge
    // is signed by the key's holder.
    let ukey = sm2::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let public = hedui_crypto::encode_hex(&ukey.public_key().to_sec1_bytes());
    let id = store.user_by_login("ukey").unwrap().unwrap().id;
    assert_eq!(app.enrol_sm2(&system, Some(id), "04abcd").unwrap_err().code(), "invalid_input");
    app.enrol_sm2(&system, Some(id), &public).unwrap();
    let signer = sm2::dsa::SigningKey::from_slice("1234567812345678", &[7u8; 32]).unwrap();
    let pending = app.login("ukey", FIRST, "t").unwrap();
    let challenge = pending.pending.clone().unwrap().challenge;
    let forged: sm2::dsa::Signature = signer.sign(b"another challenge");
    let r = app.login_second(&pending.token, &Proof::Sm2(hedui_crypto::encode_hex(&forged.to_bytes())), "t");
    assert!(r.is_err(), "a signature over anything but the challenge is refused");
    let sig: sm2::dsa::Signature = signer.sign(challenge.as_bytes());
    let done =
        app.login_second(&pending.token, &Proof::Sm2(hedui_crypto::encode_hex(&sig.to_der().to_vec())), "t").unwrap();
    app.session_caller(&done.token, "t").unwrap();

    // GM/T 0021: the 安全管理员 registers a hardware token's seed; the login page's one code field
    // takes the token's six digits (SM3, 60-second periods).
    let seed = "00112233445566778899aabbccddeeff0123456789abcdef";
    let clerk = Caller::user("otp", Role::Clerk, "", "t");
    let refused = app.enrol_token(&clerk, Some(id), Some(seed)).unwrap_err();
    assert_eq!(refused.code(), "forbidden", "only the 安全管理员 issues tokens to others");
    let short = app.enrol_token(&system, Some(id), Some("0011223344")).unwrap_err();
    assert_eq!(short.code(), "invalid_input", "a seed of fewer than 128 bits");
    assert_eq!(app.enrol_token(&system, Some(id), None).unwrap_err().code(), "invalid_input", "no seed");
    let issued = app.enrol_token(&system, Some(id), Some(seed)).unwrap();
    assert_eq!((issued.seed, issued.period, issued.digits), (None, 60, 6), "a given seed is not echoed");
    let key = hedui_crypto::decode_hex(seed).unwrap();
    let token = |t: i64| format!("{:06}", hedui_crypto::otp::sm3_totp(&key, t, 60, 6));
    let now = clock.unix_seconds();
    let p = app.login("ukey", FIRST, "t").unwrap();
    assert_eq!(p.pending.clone().unwrap().methods, ["sm2", "sm3otp"]);
    let r = app.login_second(&p.token, &Proof::Code(token(now + 180)), "t");
    assert!(r.is_err(), "a code three periods ahead is refused");
    assert!(app.login_second(&p.token, &Proof::Totp(token(now)), "t").is_err(), "not a TOTP code");
    let done = app.login_second(&p.token, &Proof::Code(token(now)), "t").unwrap();
    app.session_caller(&done.token, "t").unwrap();
    let p = app.login("ukey", FIRST, "t").unwrap();
    assert!(app.login_second(&p.token, &Proof::Token(token(now)), "t").is_err(), "a token code is good once");
    app.login_second(&p.token, &Proof::Token(token(now + 60)), "t").unwrap();
    // A user enrols a software token; its seed is shown once and is sealed at rest.
    let soft = app.enrol_token(&me, None, None).unwrap();
    let soft_seed = hedui_crypto::decode_hex(soft.seed.as_deref().unwrap()).unwrap();
    assert_eq!(soft_seed.len(), 32);
    let stored = store.second_factors(store.user_by_login("otp").unwrap().unwrap().id).unwrap();
    let sealed = stored.iter().find(|f| f.kind == "sm3otp").and_then(|f| f.secret_enc.clone()).unwrap();
    assert!(!sealed.as_bytes().windows(16).any(|w| w == &soft_seed[..16]), "the seed is sealed");
    let p = app.login("otp", FIRST, "t").unwrap();
    let soft_code = format!("{:06}", hedui_crypto::otp::sm3_totp(&soft_seed, now, 60, 6));
    app.login_second(&p.token, &Proof::Code(soft_code), "t").unwrap();
    clock.0.fetch_add(61, Ordering::SeqCst);
    let p = app.login("otp", FIRST, "t").unwrap();
    let totp_now = format!("{:06}", hedui_crypto::otp::totp_sha1(&secret, clock.unix_seconds(), 30, 6));
    app.login_second(&p.token, &Proof::Totp(totp_now), "t").unwrap();

    // Five wrong factors lock the account like five wrong passwords.
    for _ in 0..5 {
        let p = app.login("ukey", FIRST, "t").unwrap();
        assert!(app.login_second(&p.token, &Proof::Sm2("00".into()), "t").is_err());
    }
    assert!(store.user_by_login("ukey").unwrap().unwrap().locked_until.is_some());
    assert!(app.login("ukey", FIRST, "t").is_err(), "locked");
    let enrolled = actions(store.as_ref(), "user:ukey");
    assert!(enrolled.iter().any(|a| a == "factor.enrol"));
    // A pending login expires after five minutes.
    let p = app.login("otp", FIRST, "t").unwrap();
    clock.0.fetch_add(301, Ordering::SeqCst);
    let late = app.login_second(&p.token, &Proof::Totp(code(clock.unix_seconds())), "t");
    assert!(matches!(late, Err(AppError::Unauthenticated)));
}

#[test]
fn second_factors_complete_a_login() {
    for store in common::stores("factors") {
        factors(store);
    }
}

#[test]
fn administrators_log_in_only_from_their_address_ranges() {
    let store = common::stores("admin_networks").remove(0);
    let mut app = common::app(store.clone(), None);
    let config = hedui::config::SecurityConfig {
        admin_networks: "10.0.0.0/8, 192.168.7.7".into(),
        ..hedui::config::Config::default().security
    };
    app.admin_networks = config.admin_networks().unwrap();
    let bad = hedui::config::SecurityConfig { admin_networks: "10.0.0.0/8, intranet".into(), ..config.clone() };
    assert!(bad.admin_networks().unwrap_err().to_string().contains("intranet"), "a typo is named");
    let system = Caller::system("t");
    app.create_user(&system, &Account::new("sec", "安全管理员", Role::Security, "", ""), FIRST).unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "", ""), FIRST).unwrap();
    let outside = app.login_from("sec", FIRST, "t", Some("127.0.0.1".parse().unwrap())).unwrap_err();
    assert_eq!(outside.code(), "forbidden");
    assert!(outside.to_string().contains("127.0.0.1"));
    assert!(app.login_from("sec", FIRST, "t", None).is_err(), "an unknown address is outside");
    app.login_from("sec", FIRST, "t", Some("10.20.30.40".parse().unwrap())).unwrap();
    app.login_from("sec", FIRST, "t", Some("192.168.7.7".parse().unwrap())).unwrap();
    app.login_from("clerk", FIRST, "t", Some("127.0.0.1".parse().unwrap())).unwrap();
    let denied = store.audit_log(Some("user:sec"), 10).unwrap();
    assert!(denied.iter().any(|r| r.entry.detail.contains("地址段")), "the refusal is audited");
}

#[test]
fn the_security_administrator_sees_and_ends_sessions() {
    let store = common::stores("sessions").remove(0);
    let app = common::app(store.clone(), None);
    let system = Caller::system("t");
    app.create_user(&system, &Account::new("sec", "安全管理员", Role::Security, "", ""), FIRST).unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "", ""), FIRST).unwrap();
    let sec = session(&app, "sec", FIRST).unwrap();
    let token = app.login("clerk", FIRST, "t").unwrap().token;
    let clerk = app.session_caller(&token, "t").unwrap();
    assert_eq!(app.sessions(&clerk).unwrap_err().code(), "forbidden");
    let open = app.sessions(&sec).unwrap();
    let theirs = open.iter().find(|s| s.login == "clerk").expect("the clerk's session is listed");
    assert!(!open.iter().any(|s| s.id.contains(&token)), "tokens are never shown");
    app.end_session(&sec, &theirs.id.clone()).unwrap();
    assert!(app.session_caller(&token, "t").is_err(), "ended on the server");
    assert_eq!(app.end_session(&sec, "nonexistent").unwrap_err().code(), "not_found");
    assert!(actions(store.as_ref(), "user:clerk").iter().any(|a| a == "session.end"));
}

#[test]
fn a_deployment_that_requires_a_second_factor_lets_a_user_only_enrol_one_first() {
    let store = common::stores("require_factor").remove(0);
    let mut app = common::app(store, None);
    app.require_second_factor = true;
    let system = Caller::system("t");
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "", ""), FIRST).unwrap();
    let clerk = session(&app, "clerk", FIRST).unwrap();
    assert!(clerk.must_enrol);
    let e = app.authorize(&clerk, Action::JobList, &Object::None).unwrap_err();
    assert_eq!(e.code(), "second_factor_required");
    let secret = hedui_crypto::otp::base32_decode(&app.enrol_totp(&clerk).unwrap().secret).unwrap();
    let pending = app.login("clerk", FIRST, "t").unwrap();
    let code = format!("{:06}", hedui_crypto::otp::totp_sha1(&secret, common::clock().unix_seconds(), 30, 6));
    let done = app.login_second(&pending.token, &hedui_app::admin::factors::Proof::Totp(code), "t").unwrap();
    let clerk = app.session_caller(&done.token, "t").unwrap();
    assert!(!clerk.must_enrol);
    app.authorize(&clerk, Action::JobList, &Object::None).unwrap();
}

/// Through the pages: a user without a factor is sent to `/factors`, which shows the new secret
/// once, with its otpauth URI and a QR code for an authenticator app.
#[test]
fn the_factors_page_enrols_with_a_qr_code() {
    let store = common::stores("factors_page").remove(0);
    let mut app = common::app(store.clone(), None);
    app.require_second_factor = true;
    // A 安全管理员 with an authenticator app, for the API below.
    app.bootstrap("sec", "安全管理员", SEC_PASSWORD, "t").unwrap();
    app.create_user(&Caller::system("t"), &Account::new("clerk", "核对员", Role::Clerk, "", ""), FIRST).unwrap();
    let token = app.login("clerk", FIRST, "t").unwrap().token;
    let totp = app.enrol_totp(&session(&app, "sec", SEC_PASSWORD).unwrap()).unwrap();
    let totp = hedui_crypto::otp::base32_decode(&totp.secret).unwrap();
    let code = format!("{:06}", hedui_crypto::otp::totp_sha1(&totp, common::clock().unix_seconds(), 30, 6));
    let pending = app.login("sec", SEC_PASSWORD, "t").unwrap().token;
    let sec = app.login_second(&pending, &hedui_app::admin::factors::Proof::Code(code), "t").unwrap().token;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let jobs = rt.block_on(http.get(format!("{base}/jobs")).bearer_auth(&token).send()).unwrap();
    assert_eq!(jobs.headers()["location"], "/factors", "nothing but enrolment until a factor exists");
    let api = rt.block_on(http.get(format!("{base}/api/v1/jobs")).bearer_auth(&token).send()).unwrap();
    assert_eq!(api.status().as_u16(), 403);
    assert!(rt.block_on(api.text()).unwrap().contains("second_factor_required"));
    let page = rt.block_on(http.post(format!("{base}/factors")).bearer_auth(&token).send()).unwrap();
    let body = rt.block_on(page.text()).unwrap();
    assert!(body.contains("<svg") && body.contains("otpauth:") && body.contains("secret="), "{body}");
    assert!(!body.contains("<?xml"), "the SVG is inline, without an XML prolog");
    // The same page registers a GM/T 0021 software token, its seed shown once.
    let page = rt.block_on(http.post(format!("{base}/factors/token")).bearer_auth(&token).form(&[("seed", "")]).send());
    let body = rt.block_on(page.unwrap().text()).unwrap();
    let seed = body.split("word-break:break-all\">").nth(1).and_then(|r| r.split('<').next()).expect("the seed");
    assert_eq!(hedui_crypto::decode_hex(seed).map(|s| s.len()), Some(32), "{body}");
    // The API: the 安全管理员 registers a hardware token's seed for a user; others are refused.
    let id = store.user_by_login("clerk").unwrap().unwrap().id;
    let url = format!("{base}/api/v1/users/{id}/factors/token");
    let bad = rt.block_on(http.post(&url).bearer_auth(&sec).json(&serde_json::json!({"seed": "zz"})).send()).unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let seed = "00112233445566778899aabbccddeeff";
    let ok = rt.block_on(http.post(&url).bearer_auth(&sec).json(&serde_json::json!({ "seed": seed })).send()).unwrap();
    assert_eq!(ok.status().as_u16(), 201);
    let denied = rt.block_on(http.post(&url).bearer_auth(&token).json(&serde_json::json!({ "seed": seed })).send());
    assert_eq!(denied.unwrap().status().as_u16(), 403);
}

/// 三员分立: each administrator's own work is audited under their login, and each is refused the
/// other two's, the refusal audited too.
#[test]
fn every_administrator_action_is_audited_and_each_refused_the_others_work() {
    let store = common::stores("three_admins").remove(0);
    let app = common::app(store.clone(), None);
    let system = Caller::system("t");
    for (login, role) in [("sys", Role::Admin), ("sec", Role::Security), ("aud", Role::Auditor)] {
        app.create_user(&system, &Account::new(login, "管理员", role, "", ""), FIRST).unwrap();
    }
    let (sys, sec, aud) = (
        session(&app, "sys", FIRST).unwrap(),
        session(&app, "sec", FIRST).unwrap(),
        session(&app, "aud", FIRST).unwrap(),
    );
    app.source_overview(&sys).unwrap();
    app.users(&sec).unwrap();
    app.sessions(&sec).unwrap();
    app.security_events(&sec, 1).unwrap();
    app.audit_log(&aud, 10).unwrap();
    // Each refused the others' work.
    assert_eq!(app.users(&sys).unwrap_err().code(), "forbidden");
    assert_eq!(app.audit_log(&sys, 10).unwrap_err().code(), "forbidden");
    assert_eq!(app.audit_log(&sec, 10).unwrap_err().code(), "forbidden");
    assert_eq!(app.source_overview(&sec).unwrap_err().code(), "forbidden");
    assert_eq!(app.users(&aud).unwrap_err().code(), "forbidden");
    assert_eq!(app.source_overview(&aud).unwrap_err().code(), "forbidden");
    let rows = store.audit_log(None, 200).unwrap();
    let did = |who: &str, action: &str, ok: bool| {
        rows.iter().any(|r| {
            r.entry.actor == who
                && r.entry.action == action
                && matches!(r.entry.outcome, hedui_store::AuditOutcome::Ok) == ok
        })
    };
    for (who, action) in [
        ("sys", "source.read"),
        ("sec", "user.list"),
        ("sec", "session.list"),
        ("sec", "security.events"),
        ("aud", "audit.read"),
    ] {
        assert!(did(who, action, true), "{who} {action} is audited");
    }
    for who in ["sys", "sec", "aud"] {
        assert!(did(who, "access.deny", false), "{who}'s refusals are audited");
    }
}
