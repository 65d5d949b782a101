//! Every list page with 10,000 jobs and households and 1,000 users in the database: it answers
//! inside the layout, shows the total and the page count, and pages, sorts and filters correctly.
//! (How long each page takes on the server is `xtask bench-http`'s, not a test's.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};
use hedui_core::commission::CommissionKind;
use hedui_core::job::JobState;
use hedui_core::programme::Programme;
use hedui_core::{Date, Fen};
use hedui_store::{AuditEntry, NewCommission, NewHousehold, NewUser};

use crate::common;
use crate::ui_flows::{PASSWORD, serve};

const JOBS: usize = 10_000;
const USERS: usize = 1_000;
/// Townships of 溧阳 (320481) and 金坛 (320482) the households are spread over.
const REGIONS: [&str; 3] = ["320481101", "320481102", "320482100"];

fn get(base: &str, token: &str, path: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.text().await.unwrap()
    })
}

/// The number in `<b class="{class}">…</b>`.
fn shown(page: &str, class: &str) -> i64 {
    let mark = format!("<b class=\"{class}\">");
    let at = page.find(&mark).unwrap_or_else(|| panic!("no {class} on the page")) + mark.len();
    page[at..].split('<').next().unwrap().parse().unwrap()
}

/// The household numbers a page lists, in order.
fn households(page: &str) -> Vec<String> {
    let body = &page[page.find("<tbody>").unwrap()..];
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(">H0") {
        let n: String = rest[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if out.last() != Some(&n) {
            out.push(n);
        }
        rest = &rest[i + 3..];
    }
    out
}

fn in_layout(page: &str) {
    assert!(page.contains("<aside class=\"side\"") && page.contains("<nav class=\"crumbs\""), "inside the layout");
}

#[test]
fn every_list_pages_sorts_and_filters_ten_thousand_jobs_and_a_thousand_users() {
    let store = common::stores("lists_scale").remove(0);
    let app = common::app(store.clone(), None);
    let system = Caller::system("t");
    let audit = |action: &str| AuditEntry { action: action.into(), actor: "t".into(), ..Default::default() };
    let day = Date::parse("2026-11-20").unwrap();
    let now = hedui_core::Timestamp::from_unix(hedui_app::Clock::unix_seconds(&*common::clock()));
    for i in 0..JOBS {
        let number = format!("H{i:06}");
        let address = app.identity.seal(&hedui_identity::place::household_address(&number), 202611, b"").unwrap();
        let h = NewHousehold {
            number: number.clone(),
            region: REGIONS[i % 3].into(),
            address_enc: address,
            programme: if i % 10 == 0 { Programme::Tekun } else { Programme::Dibao },
            applied_on: day,
            declared_income: Fen(0),
            declared_assets: Fen(0),
            members: Vec::new(),
            supporters: Vec::new(),
        };
        let hid = store.create_household(&h, now, &audit("household.create")).unwrap();
        let c = NewCommission {
            number: format!("WT-{i:06}"),
            kind: CommissionKind::Application,
            programme: h.programme,
            household: hid,
            department: "民政".into(),
            note_enc: None,
            declared_enc: None,
            as_of: day.add_days((i % 30) as i64),
        };
        let job = store.create_commission(&c, now, &audit("commission.create")).unwrap();
        if i % 271 == 0 {
            store.transition_job(job, JobState::Submitted, JobState::Refused, None, now, &audit("t")).unwrap();
        }
    }
    let refused = JOBS.div_ceil(271) as i64;
    for i in 0..USERS {
        let role = [Role::Clerk, Role::Township, Role::Reviewer, Role::Viewer][i % 4];
        let u = NewUser {
            login: format!("u{i:04}"),
            display_name: format!("用户{i}"),
            role: role.code().into(),
            region: REGIONS[i % 3].into(),
            organization: String::new(),
            password_hash: "sm3p$$0$00$00".into(),
            demo: false,
            must_change: false,
        };
        store.create_user(&u, now, &audit("user.create")).unwrap();
    }
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("sec", "安全员", Role::Security, "", ""), PASSWORD).unwrap();
    let clerk = app.login("clerk", PASSWORD, "t").unwrap().token;
    let sec = app.login("sec", PASSWORD, "t").unwrap().token;
    let (_rt, base) = serve(app);

    // The job list: the total and the page count, the last page, a sort, filters.
    let page = get(&base, &clerk, "/jobs");
    in_layout(&page);
    assert_eq!((shown(&page, "total"), shown(&page, "pages")), (JOBS as i64, 500));
    assert_eq!(households(&page).first().map(String::as_str), Some("H009999"), "newest first");
    let last = get(&base, &clerk, "/jobs?page=500");
    assert_eq!(households(&last).last().map(String::as_str), Some("H000000"));
    assert_eq!(households(&last).len(), 20);
    let sorted = get(&base, &clerk, "/jobs?sort=household_asc&size=100&page=2");
    assert_eq!(shown(&sorted, "pages"), 100);
    assert_eq!(households(&sorted)[..2], ["H000100", "H000101"]);
    let part = get(&base, &clerk, "/jobs?household=H0099&size=50");
    assert_eq!((shown(&part, "total"), shown(&part, "pages")), (100, 2));
    let state = get(&base, &clerk, "/jobs?state=refused");
    assert_eq!(shown(&state, "total"), refused);
    let region = get(&base, &clerk, "/jobs?region=320482");
    assert_eq!(shown(&region, "total"), (JOBS / 3) as i64);
    let dated = get(&base, &clerk, "/jobs?from=2026-11-20&to=2026-11-20");
    assert_eq!(shown(&dated, "total"), JOBS.div_ceil(30) as i64);

    // The household list.
    let page = get(&base, &clerk, "/households");
    in_layout(&page);
    assert_eq!((shown(&page, "total"), shown(&page, "pages")), (JOBS as i64, 500));
    let oldest = get(&base, &clerk, "/households?sort=oldest&size=10&page=3");
    assert_eq!(households(&oldest)[0], "H000020");
    let tekun = get(&base, &clerk, &format!("/households?programme={}&number=H00012", Programme::Tekun.code()));
    assert_eq!(shown(&tekun, "total"), 1, "H000120 only");

    // The user list (the 安全管理员's).
    let page = get(&base, &sec, "/users");
    in_layout(&page);
    let users = (USERS + 2) as i64;
    assert_eq!((shown(&page, "total"), shown(&page, "pages")), (users, (users + 19) / 20));
    let reviewers = get(&base, &sec, "/users?role=reviewer&size=50&page=5");
    assert_eq!((shown(&reviewers, "total"), shown(&reviewers, "pages"), shown(&reviewers, "page")), (250, 5, 5));
    assert!(reviewers.contains("u0998") && !reviewers.contains("u0999"), "the last page of reviewers, by login");
    let found = get(&base, &sec, "/users?q=u012");
    assert_eq!(shown(&found, "total"), 10);
}
