//! Unusual access raised to the 安全管理员: a user reading more households or reports in an hour
//! than the threshold, reading at night, refused again and again, and a lock-out; only the
//! 安全管理员 sees the events, through the service, the API and the page.

use std::sync::Arc;

use hedui_app::admin::security::AlertPolicy;
use hedui_app::admin::users::Account;
use hedui_app::{Action, Caller, FixedClock, Object, Role};

use crate::access::{household, id_number};
use crate::common;

const PASSWORD: &str = "Alerts-pass-2026";

#[test]
fn unusual_access_is_raised_to_the_security_administrator() {
    let store = common::stores("security").remove(0);
    // 2026-12-07 23:30 China Standard Time: night.
    let night = FixedClock(1_796_571_000);
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let mut app = hedui::build_app(store.clone(), keys, Vec::new(), Arc::new(night), None).unwrap();
    app.alert_policy = AlertPolicy { reads_per_hour: 3, denials_per_hour: 2, ..AlertPolicy::default() };
    let system = Caller::system("t");
    let (h, _) = household(&app, "S1", "320481101", &id_number("320481", 21));
    let (_, far) = household(&app, "S2", "320412", &id_number("320481", 22));
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "320481", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("sec", "安全管理员", Role::Security, "", ""), PASSWORD).unwrap();
    let clerk = app.session_caller(&app.login("clerk", PASSWORD, "t").unwrap().token, "t").unwrap();
    for _ in 0..4 {
        app.household_view(&clerk, h).unwrap();
    }
    for _ in 0..3 {
        assert!(app.authorize(&clerk, Action::JobRead, &Object::Job(far)).is_err());
    }
    for _ in 0..5 {
        assert!(app.login("sec", "wrong", "t").is_err());
    }
    // The lock ends by itself; an app half an hour later lets the administrator in.
    let later = FixedClock(1_796_571_000 + 1900);
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let mut app = hedui::build_app(store.clone(), keys, Vec::new(), Arc::new(later), None).unwrap();
    app.alert_policy = AlertPolicy { reads_per_hour: 3, denials_per_hour: 2, ..AlertPolicy::default() };
    let sec = app.session_caller(&app.login("sec", PASSWORD, "t").unwrap().token, "t").unwrap();
    let events = app.security_events(&sec, 24).unwrap();
    let kinds: Vec<(&str, &str)> = events.iter().map(|e| (e.kind.as_str(), e.actor.as_str())).collect();
    for want in [("bulk_read", "clerk"), ("night_read", "clerk"), ("denials", "clerk"), ("lockout", "sec")] {
        assert!(kinds.contains(&want), "{want:?} is raised: {kinds:?}");
    }
    let bulk = events.iter().find(|e| e.kind == "bulk_read").unwrap();
    assert_eq!(bulk.count, 4);
    let clerk = app.session_caller(&app.login("clerk", PASSWORD, "t").unwrap().token, "t").unwrap();
    assert_eq!(app.security_events(&clerk, 24).unwrap_err().code(), "forbidden");
    let seen = store.audit_log(Some("security"), 5).unwrap();
    assert!(seen.iter().any(|r| r.entry.action == "security.events" && r.entry.actor == "sec"), "the view is audited");
}
