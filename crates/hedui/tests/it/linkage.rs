//! 人工关联: department rows whose ID number did not resolve are offered, next to same-name
//! members of the 核对员's region, with the fields to decide; a confirmed row becomes the member's,
//! a rejected pair is not offered again; other regions and other roles see nothing. On SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::{AppError, Caller, Role};

use crate::common;

#[test]
fn a_clerk_links_an_unresolved_row_to_a_member_by_hand() {
    let city = common::city(30, 77);
    for store in common::stores("linkage") {
        let app = common::app(store.clone(), None);
        let clerk = common::clerk();
        hedui::city::import_mirrors(&app, &clerk, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        hedui::city::file_applications(&app, &clerk, &apps, common::as_of(), &|_| true).unwrap();

        let (rows, total) = app.link_queue(&clerk, 1, 50).unwrap();
        assert!(total > 0 && !rows.is_empty(), "the city has rows with mistyped numbers");
        let first = rows[0].clone();
        assert!(!first.hint.is_empty() && first.hint != "号码一致", "{first:?}");
        assert!(first.raw_id_masked.contains('*') && first.member_id_masked.contains('*'));
        for (_, v) in &first.fields {
            assert!(v.chars().filter(char::is_ascii_digit).count() < 8 || v.contains('*'), "masked: {v}");
        }

        // Another role, or a clerk of another region, sees and decides nothing.
        let town = Caller::user("town", Role::Township, "", "t");
        assert!(matches!(app.link_queue(&town, 1, 50), Err(AppError::Forbidden(_))));
        let elsewhere = Caller::user("bj", Role::Clerk, "110101", "t");
        assert_eq!(app.link_queue(&elsewhere, 1, 50).unwrap().1, 0);
        let far = app.decide_link(&elsewhere, first.record, first.household, first.member_seq, true);
        assert!(matches!(far, Err(AppError::Forbidden(_))), "{far:?}");

        // Confirmed: the row is the member's now, and leaves the queue; audited.
        app.decide_link(&clerk, first.record, first.household, first.member_seq, true).unwrap();
        let person = store
            .household(first.household)
            .unwrap()
            .unwrap()
            .members
            .iter()
            .find(|m| m.seq == first.member_seq)
            .unwrap()
            .person;
        let row = store.records_page(0, 1_000_000).unwrap().into_iter().find(|r| r.id == first.record).unwrap();
        assert_eq!(row.rec.person, person, "the row counts for the member from now on");
        let (after, left) = app.link_queue(&clerk, 1, 50).unwrap();
        assert!(after.iter().all(|r| r.record != first.record));
        assert!(left < total);
        let again = app.decide_link(&clerk, first.record, first.household, first.member_seq, true);
        assert!(matches!(again, Err(AppError::NotFound(_))), "{again:?}");

        // Rejected: the pair is not offered again, and the row stays unresolved.
        if let Some(other) = after.first() {
            app.decide_link(&clerk, other.record, other.household, other.member_seq, false).unwrap();
            let (later, _) = app.link_queue(&clerk, 1, 50).unwrap();
            assert!(!later.iter().any(|r| r.record == other.record
                && r.household == other.household
                && r.member_seq == other.member_seq));
            let row = store.records_page(0, 1_000_000).unwrap().into_iter().find(|r| r.id == other.record).unwrap();
            assert_eq!(row.rec.person, None);
        }
        let log = store.audit_log(Some(&format!("household:{}", first.household)), 100).unwrap();
        assert!(log.iter().any(|r| r.entry.action == "record.link" && r.entry.actor == "clerk"), "audited");
    }
}

/// The same in a real browser: the queue inside the layout, a pair confirmed, the notice, and
/// one row fewer.
#[test]
fn a_clerk_confirms_a_pair_in_the_browser() {
    use std::sync::Arc;
    let city = common::city(30, 78);
    let store = common::stores("ui_linkage").remove(0);
    let app = common::app(store, None);
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    let account = hedui_app::admin::users::Account::new("clerk", "核对员乙", Role::Clerk, "", "");
    app.create_user(&system, &account, crate::ui_flows::PASSWORD).unwrap();
    let total = app.link_queue(&common::clerk(), 1, 20).unwrap().1;
    assert!(total > 0);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let Some(b) = crate::browser::open("linkage", &base) else { return };
    b.go("/login");
    b.fill("input[name=login]", "clerk");
    b.fill("input[name=password]", crate::ui_flows::PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    b.go("/linkage");
    b.find("#link-queue");
    assert_eq!(b.text("aside.side a.active"), "人工关联");
    assert_eq!(b.text(".pager .total"), total.to_string());
    assert!(!b.text("#link-queue tbody tr td.hint").is_empty());
    b.shot("01-queue");
    b.click("#link-queue tbody tr:first-child button.link");
    b.find("#decided");
    assert!(b.text("#decided").contains("已确认为同一人"), "{}", b.text("main"));
    assert_eq!(b.text(".pager .total"), (total - 1).to_string(), "one pair fewer");
    b.shot("02-linked");
}
