//! Contract checks of users, sessions and the relatives staff record.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use super::{audit, bx, household, key, sd, ts};
use crate::*;

pub fn users_and_sessions(s: &dyn Store) {
    let u = NewUser {
        login: "clerk".into(),
        display_name: "核对员".into(),
        role: "clerk".into(),
        region: "3204".into(),
        organization: "常州市民政局".into(),
        password_hash: "$argon2id$x".into(),
        demo: false,
        must_change: false,
    };
    // The first user only while there is none.
    let first = NewUser { login: "sec".into(), role: "security".into(), ..u.clone() };
    let sec = s.create_first_user(&first, ts(0), &audit("user.bootstrap", "sec")).unwrap();
    assert!(sec.is_some());
    assert_eq!(s.create_first_user(&NewUser { login: "sec2".into(), ..first }, ts(0), &audit("b", "s")).unwrap(), None);
    assert!(s.user_by_login("sec2").unwrap().is_none());
    let id = s.create_user(&u, ts(0), &audit("user", "clerk")).unwrap();
    assert!(matches!(s.create_user(&u, ts(0), &audit("user", "clerk")), Err(StoreError::Conflict(_))));
    assert_eq!(s.user_by_login("clerk").unwrap().map(|u| u.id), Some(id));
    assert_eq!(s.user(id).unwrap().map(|u| u.password_hash), Some("$argon2id$x".into()));
    assert_eq!(s.user(id).unwrap().map(|u| (u.organization, u.demo)), Some(("常州市民政局".into(), false)));
    let demo =
        s.create_user(&NewUser { login: "demo".into(), demo: true, ..u.clone() }, ts(0), &audit("u", "d")).unwrap();
    assert!(s.user(demo).unwrap().unwrap().demo);
    s.create_session("tok", id, ts(0), ts(8 * 3600)).unwrap();
    assert_eq!(s.session_user("tok", ts(600), ts(-60)).unwrap(), Some(id));
    assert_eq!(s.session_user("tok", ts(3600), ts(1200)).unwrap(), None, "idle since its last use at 600");
    assert_eq!(s.session_user("tok", ts(1000), ts(300)).unwrap(), Some(id), "used at 600, so not idle since 300");
    assert_eq!(s.session_user("tok", ts(9 * 3600), ts(-60)).unwrap(), None, "expired");
    s.delete_session("tok").unwrap();
    assert_eq!(s.session_user("tok", ts(3600), ts(0)).unwrap(), None);
    // Failures lock; a success clears them, upgrading the verifier with its audit row.
    s.record_login(id, 5, Some(ts(1800)), None, &audit("login", "clerk")).unwrap();
    let u = s.user(id).unwrap().unwrap();
    assert_eq!((u.failed_logins, u.locked_until), (5, Some(ts(1800))));
    s.record_login(id, 0, None, Some("$new"), &audit("login", "clerk")).unwrap();
    let u = s.user(id).unwrap().unwrap();
    assert_eq!((u.failed_logins, u.locked_until, u.password_hash.as_str()), (0, None, "$new"));
    assert!(s.record_login(UserId(999_999), 1, None, None, &audit("login", "x")).is_err());

    // The security administrator's changes: role and region, disabling (which ends sessions), a
    // new password (kept in the history, clearing the lock, ending sessions).
    let all: Vec<String> = s.users().unwrap().into_iter().map(|u| u.login).collect();
    assert_eq!(all, ["clerk", "demo", "sec"]);
    let ch = UserChange { role: Some("reviewer".into()), region: Some("320481".into()), ..Default::default() };
    s.change_user(id, &ch, &audit("user.change", "user:clerk")).unwrap();
    let u = s.user(id).unwrap().unwrap();
    assert_eq!((u.role.as_str(), u.region.as_str(), u.organization.as_str()), ("reviewer", "320481", "常州市民政局"));
    s.create_session("tok2", id, ts(0), ts(8 * 3600)).unwrap();
    s.change_user(id, &UserChange { disabled: Some(true), ..Default::default() }, &audit("user.disable", "user:clerk"))
        .unwrap();
    assert!(s.user(id).unwrap().unwrap().disabled);
    assert_eq!(s.session_user("tok2", ts(10), ts(-60)).unwrap(), None, "disabling ends the sessions");
    assert!(s.change_user(UserId(999_999), &ch, &audit("user.change", "x")).is_err());
    s.record_login(id, 5, Some(ts(1800)), None, &audit("login", "clerk")).unwrap();
    s.set_password(id, "$v2", true, ts(20), &audit("user.reset", "user:clerk")).unwrap();
    s.set_password(id, "$v3", false, ts(30), &audit("user.password", "user:clerk")).unwrap();
    let u = s.user(id).unwrap().unwrap();
    assert_eq!((u.password_hash.as_str(), u.must_change, u.password_changed_at), ("$v3", false, Some(ts(30))));
    assert_eq!((u.failed_logins, u.locked_until), (0, None), "a new password clears the lock");
    assert_eq!(s.password_history(id, 5).unwrap(), ["$v3", "$v2", "$argon2id$x"], "the first one is kept too");
    assert_eq!(s.password_history(id, 1).unwrap(), ["$v3"]);
    assert!(s.set_password(UserId(999_999), "$x", false, ts(0), &audit("user.reset", "x")).is_err());

    second_factors_and_pending_sessions(s, id);
}

/// Second factors, one of each kind, and a pending session that opens nothing until completed.
fn second_factors_and_pending_sessions(s: &dyn Store, id: UserId) {
    let totp = SecondFactor { user: id, kind: "totp".into(), secret_enc: Some(sd(vec![1, 2])), public_key: None };
    s.put_second_factor(&totp, ts(40), &audit("factor.enrol", "user:clerk")).unwrap();
    let sm2 = SecondFactor { user: id, kind: "sm2".into(), secret_enc: None, public_key: Some("04ab".into()) };
    s.put_second_factor(&sm2, ts(40), &audit("factor.enrol", "user:clerk")).unwrap();
    let again = SecondFactor { secret_enc: Some(sd(vec![3])), ..totp };
    s.put_second_factor(&again, ts(41), &audit("factor.enrol", "user:clerk")).unwrap();
    let factors = s.second_factors(id).unwrap();
    assert_eq!(factors.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(), ["sm2", "totp"]);
    assert_eq!(factors[1].secret_enc.as_ref().map(|x| x.as_bytes().to_vec()), Some(vec![3]), "replaced");
    assert_eq!(factors[0].public_key.as_deref(), Some("04ab"));
    assert!(s.use_otp_step(id, "totp", 100).unwrap());
    assert!(!s.use_otp_step(id, "totp", 100).unwrap(), "a step is used once");
    assert!(!s.use_otp_step(id, "totp", 99).unwrap(), "nor an earlier one after it");
    assert!(s.use_otp_step(id, "totp", 101).unwrap());
    assert!(!s.use_otp_step(UserId(999_999), "totp", 5).unwrap(), "no factor, no step");
    assert!(!s.use_otp_step(id, "sm3otp", 200).unwrap(), "no token enrolled, no step");
    let token = SecondFactor { user: id, kind: "sm3otp".into(), secret_enc: Some(sd(vec![9])), public_key: None };
    s.put_second_factor(&token, ts(42), &audit("factor.enrol", "user:clerk")).unwrap();
    assert!(s.use_otp_step(id, "sm3otp", 50).unwrap(), "each factor keeps its own steps");
    assert!(!s.use_otp_step(id, "sm3otp", 50).unwrap());
    assert!(s.use_otp_step(id, "totp", 102).unwrap());
    s.create_pending_session("pend", id, ts(50), ts(350), "chal").unwrap();
    assert_eq!(s.session_user("pend", ts(60), ts(0)).unwrap(), None, "a pending session opens nothing");
    assert_eq!(s.pending_session("pend", ts(60)).unwrap(), Some(PendingSession { user: id, challenge: "chal".into() }));
    assert_eq!(s.pending_session("pend", ts(400)).unwrap(), None, "expired");
    assert!(s.complete_session("pend", ts(8 * 3600), ts(60)).unwrap());
    assert!(!s.complete_session("pend", ts(8 * 3600), ts(61)).unwrap(), "completed once");
    assert_eq!(s.session_user("pend", ts(70), ts(0)).unwrap(), Some(id));
    assert_eq!(s.pending_session("pend", ts(70)).unwrap(), None);
    // The security administrator sees open sessions and ends one.
    s.create_pending_session("half", id, ts(80), ts(380), "c2").unwrap();
    let open = s.sessions(ts(90)).unwrap();
    assert_eq!(open.iter().map(|x| (x.id.as_str(), x.pending)).collect::<Vec<_>>(), [("pend", false), ("half", true)]);
    assert_eq!(open[0].login, "clerk");
    assert_eq!(s.sessions(ts(400)).unwrap().len(), 1, "expired ones are not listed");
    assert!(s.end_session("pend", &audit("session.end", "user:clerk")).unwrap());
    assert!(!s.end_session("pend", &audit("session.end", "user:clerk")).unwrap(), "ended once");
    assert_eq!(s.session_user("pend", ts(95), ts(0)).unwrap(), None);
}

pub fn staff_relatives_match_members(s: &dyn Store) {
    let persons = s.resolve_persons(&[key(1), key(2), key(3)]).unwrap();
    let mut h = household("H1", "320481");
    h.members[0].person = Some(persons[0]);
    h.members[1].person = Some(persons[1]);
    let hid = s.create_household(&h, ts(0), &audit("household.create", "H1")).unwrap();
    // A person's households, for the record of who queried them.
    assert_eq!(s.households_of_person(persons[1]).unwrap(), [(hid, "H1".to_string(), "320481".to_string())]);
    assert!(s.households_of_person(persons[2]).unwrap().is_empty());
    let relative = |login: &str, n: u8| NewRelative {
        login: login.into(),
        id_bidx: bx(vec![n; 32]),
        id_enc: sd(vec![n, 1]),
        relation: "配偶".into(),
    };
    assert!(!s.relative_in_household("clerk", hid).unwrap());
    // A relative who is no member, then one who is: only the second keeps the clerk off.
    s.add_relative(&relative("clerk", 3), ts(1), &audit("relative.add", "user:clerk")).unwrap();
    assert!(!s.relative_in_household("clerk", hid).unwrap());
    s.add_relative(&relative("clerk", 2), ts(1), &audit("relative.add", "user:clerk")).unwrap();
    assert!(s.relative_in_household("clerk", hid).unwrap());
    assert!(!s.relative_in_household("other", hid).unwrap(), "another user's relatives are theirs");
    let ids: Vec<_> = s.relative_ids("clerk").unwrap().into_iter().map(|(b, e)| (b.to_vec(), e)).collect();
    assert_eq!(ids, [(vec![3; 32], vec![3, 1]), (vec![2; 32], vec![2, 1])], "in the order recorded");
    assert!(s.relative_ids("other").unwrap().is_empty());
    let again = s.add_relative(&relative("clerk", 2), ts(2), &audit("relative.add", "user:clerk"));
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    let rows = s.audit_log(Some("user:clerk"), 10).unwrap();
    assert_eq!(rows.len(), 2, "each record audited once, the refused duplicate not at all");
}
