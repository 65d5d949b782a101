//! The clerk's UI in a real browser (headless Chromium over WebDriver): the layout every page
//! shares (the menu of what the role may open, breadcrumbs, errors inside the layout), logging in
//! with a second factor, and the job list. Screenshots of every main page go to
//! `target/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::{browser, common};

pub(crate) const PASSWORD: &str = "Browser-flows-2026!";

/// The app served on a loopback port from its own runtime.
pub(crate) fn serve(app: hedui_app::App) -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    (rt, base)
}

/// A TOTP code of `secret` (base32) at the app's time (the tests' fixed clock).
pub(crate) fn totp(secret: &str) -> String {
    use hedui_app::Clock;
    let key = hedui_crypto::otp::base32_decode(secret).unwrap();
    let unix = common::clock().unix_seconds();
    format!("{:06}", hedui_crypto::otp::totp_sha1(&key, unix, 30, 6))
}

#[test]
fn each_role_sees_its_menu_and_a_refusal_inside_the_layout() {
    let city = common::city(6, 81);
    let store = common::stores("ui_layout").remove(0);
    let app = common::app(store.clone(), Some(&city));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    app.run_job(&system, filed[0].job).unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员甲", Role::Clerk, "3204", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("aud", "审计员", Role::Auditor, "3204", ""), PASSWORD).unwrap();
    // The auditor has a second factor, as administrators do.
    let aud = app.session_caller(&app.login("aud", PASSWORD, "t").unwrap().token, "t").unwrap();
    let secret = app.enrol_totp(&aud).unwrap().secret;
    let (_rt, base) = serve(app);
    let Some(b) = browser::open("layout", &base) else { return };

    // The clerk: a menu of the clerk's pages, grouped by module; the 工作台 as the first page.
    b.go("/login");
    b.shot("01-login");
    b.fill("input[name=login]", "clerk");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("div.cards");
    assert_eq!(b.path(), "/home");
    let menu = b.text("aside.side");
    assert!(menu.contains("核对业务") && menu.contains("工作台") && menu.contains("核对任务"), "{menu}");
    assert!(!menu.contains("审计日志") && !menu.contains("安全事件"), "only what the clerk may open: {menu}");
    assert_eq!(b.text("aside.side a.active"), "工作台");
    // What waits: five commissions not yet started (one was run), each due three working days
    // after it was made (Saturday 2026-11-28: Wednesday 2026-12-02).
    let cards = b.text("div.cards");
    assert!(cards.contains("5\n已委托") || cards.contains("5 已委托"), "{cards}");
    assert_eq!(b.count("table.list tbody tr"), filed.len() - 1);
    let first = b.text("table.list tbody tr:first-child");
    assert!(first.contains("2026-11-28") && first.contains("2026-12-02") && first.contains('3'), "{first}");
    b.shot("02-home");
    b.go("/jobs");
    assert_eq!(b.text("aside.side a.active"), "核对任务");
    assert!(b.text("nav.crumbs").contains("核对业务"), "{}", b.text("nav.crumbs"));
    b.shot("02-jobs");
    // A job and its report, with breadcrumbs to them.
    b.go(&format!("/jobs/{}", filed[0].job));
    assert!(b.text("nav.crumbs").contains(&format!("任务 {}", filed[0].job)));
    b.shot("03-job");
    b.go(&format!("/jobs/{}/report", filed[0].job));
    assert!(b.text("main").contains("核对报告") || b.text("main").contains(&filed[0].number), "{}", b.text("main"));
    b.shot("04-report");
    // The print button works under the page's CSP (its script is the node's own file).
    b.eval("window.__printed = false; window.print = function () { window.__printed = true; };", serde_json::json!([]));
    b.click("button[data-print]");
    assert_eq!(b.eval("return window.__printed", serde_json::json!([])), serde_json::json!(true));
    // The calculation is fetched when it is opened (the page does not carry it).
    assert!(!b.source().contains("  规则 "), "the report page carries no calculation");
    b.click("details.trace summary");
    b.find("details.trace[data-loaded]");
    let trace = b.text("details.trace pre");
    assert!(trace.contains("【") && trace.contains("规则 ") && trace.contains("参数 "), "{trace}");
    b.shot("04-report-trace");
    // The imports and the sources as Excel files, read back: a row for each.
    for (page, expected) in [("/imports", "数据日期"), ("/sources", "反馈时限")] {
        b.go(page);
        let href = b.eval("return document.querySelector('.toolbar a').getAttribute('href')", serde_json::json!([]));
        let rows = xlsx_rows(&download(&b, href.as_str().unwrap()));
        assert!(rows[0].iter().any(|h| h == expected), "{page}: {:?}", rows[0]);
        assert_eq!(rows.len() - 1, b.count("table.list tbody tr"), "{page}: every row of the page");
        b.shot(&format!("04{}", page.replace('/', "-")));
    }
    // Table headers keep to one line (the sources' headers used to wrap a character a line).
    let header_height = b.eval(
        "return Math.max(...[...document.querySelectorAll('table.list th')].map(t => t.getBoundingClientRect().height))",
        serde_json::json!([]),
    );
    assert!(header_height.as_f64().unwrap() < 40.0, "a header wraps: {header_height}");
    // A page the clerk may not open: refused inside the layout, the menu still there.
    b.go("/audit");
    assert!(b.text("main").contains("无法完成操作"), "{}", b.text("main"));
    assert!(b.count("aside.side a") >= 1, "the refusal keeps the menu");
    b.shot("05-refused");
    b.click("header.top button[type=submit]");
    b.find("input[name=login]");

    // The 审计管理员 logs in with the second factor and sees the system pages.
    b.fill("input[name=login]", "aud");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("input[name=code]");
    assert!(b.path().starts_with("/login/second"), "{}", b.path());
    b.shot("06-second-factor");
    b.fill("input[name=code]", &totp(&secret));
    b.click("button[type=submit]");
    b.find("aside.side");
    b.go("/audit");
    let menu = b.text("aside.side");
    assert!(menu.contains("系统管理") && menu.contains("审计日志"), "{menu}");
    assert_eq!(b.text("aside.side a.active"), "审计日志");
    b.shot("07-audit");
}

/// The rows of the first sheet of an Excel file, as text.
pub(crate) fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[test]
fn the_job_list_searches_pages_sorts_and_exports() {
    let city = common::city(6, 83);
    let store = common::stores("ui_jobs").remove(0);
    let app = common::app(store.clone(), Some(&city));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员甲", Role::Clerk, "3204", ""), PASSWORD).unwrap();
    let (_rt, base) = serve(app);
    let Some(b) = browser::open("jobs", &base) else { return };
    b.go("/login");
    b.fill("input[name=login]", "clerk");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("div.cards");
    b.go("/jobs");
    b.find("table.list");
    let n = filed.len();
    assert_eq!(b.text(".pager .total"), n.to_string());

    b.go(&format!("/jobs?size=10&page=1&household={}", urlencode_part("H00000")));
    assert_eq!(b.count("table.list tbody tr"), n);
    // Part of a household number finds it (the exact number used to be needed).
    let one = &filed[2];
    b.fill("input[name=household]", &one.number[2..]);
    b.click_away("form.filters button[type=submit]");
    b.find("table.list");
    assert_eq!(b.text(".pager .total"), "1", "{}", b.text("table.list"));
    assert!(b.text("table.list tbody").contains(&one.number));
    b.shot("01-by-household");
    // A member's name, then an ID number: through the blind index, never in the audit in clear.
    let member = &apps[3].members[0];
    b.go(&format!("/jobs?name={}", urlencode_part(&member.name)));
    assert!(b.text("table.list tbody").contains(&apps[3].number), "{}", b.text("table.list"));
    b.go(&format!("/jobs?id_number={}", member.id_number));
    assert_eq!(b.text(".pager .total"), "1");
    assert!(b.text("table.list tbody").contains(&apps[3].number));
    let searched = store.audit_log(Some("jobs"), 1).unwrap().remove(0).entry;
    assert!(searched.search_bidx.is_some() && searched.search_enc.is_some(), "{searched:?}");
    assert!(!searched.search.contains(&member.id_number) && !searched.detail.contains(&member.id_number));
    b.shot("02-by-id-number");
    // A mistyped ID number is refused, naming why, inside the layout.
    let mut typo = member.id_number.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '1' { '2' } else { '1' });
    b.go(&format!("/jobs?id_number={typo}"));
    assert!(b.text("main").contains("身份证号码无效"), "{}", b.text("main"));
    assert!(b.count("aside.side a") > 0);

    // Pages of 10 hold all six.
    b.go("/jobs?size=10");
    assert_eq!((b.text(".pager .page"), b.text(".pager .pages")), ("1".into(), "1".into()));
    // Sorting by household number, both ways, from the column header.
    b.click_away("table.list th:nth-child(2) a");
    let first = b.text("table.list tbody tr:first-child td:nth-child(2)");
    b.click_away("table.list th:nth-child(2) a");
    let first_again = b.text("table.list tbody tr:first-child td:nth-child(2)");
    let mut numbers: Vec<_> = filed.iter().map(|f| f.number.clone()).collect();
    numbers.sort();
    assert_eq!((first.as_str(), first_again.as_str()), (numbers.last().unwrap().as_str(), numbers[0].as_str()));
    b.shot("03-sorted");

    // The export is the list as it is searched: read back, its rows and names.
    b.go("/jobs?kind=application");
    let href = b.eval("return document.querySelector('.toolbar a').getAttribute('href')", serde_json::json!([]));
    let rows = xlsx_rows(&download(&b, href.as_str().unwrap()));
    let applications = filed.iter().filter(|f| store.job(f.job).unwrap().unwrap().kind.code() == "application").count();
    assert_eq!(rows.len(), applications + 1, "a header and one row a job: {rows:?}");
    assert_eq!(rows[0][..3], ["任务", "户编号", "户籍地"]);
    assert!(
        rows[1..].iter().all(|r| r[4] == "申请核对" && r[8] == hedui_core::job::JobState::Submitted.name_zh()),
        "names, not codes: {rows:?}"
    );
    let exported = store.audit_log(Some("jobs"), 1).unwrap().remove(0).entry;
    assert_eq!(exported.action, "job.export");
}

pub(crate) fn urlencode_part(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn the_security_officer_manages_users_in_the_browser() {
    let store = common::stores("ui_users").remove(0);
    let app = common::app(store.clone(), None);
    let system = Caller::system("t");
    app.create_user(&system, &Account::new("sec", "安全管理员", Role::Security, "3204", ""), PASSWORD).unwrap();
    let (_rt, base) = serve(app);
    let Some(b) = browser::open("users", &base) else { return };
    b.go("/login");
    b.fill("input[name=login]", "sec");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    let menu = b.text("aside.side");
    assert!(menu.contains("用户管理") && !menu.contains("核对任务"), "the 安全管理员 has no cases: {menu}");
    b.go("/users");
    assert_eq!(b.text("aside.side a.active"), "用户管理");
    b.shot("01-users");

    // A 核对员 added through the form; a region that does not exist is refused, the form kept open.
    let add = |login: &str, region: &str| {
        b.click("#new-user summary");
        b.fill("#new-user input[name=login]", login);
        b.fill("#new-user input[name=name]", "王核对");
        b.eval(
            "document.querySelector('#new-user select[name=role]').value = arguments[0]",
            serde_json::json!(["clerk"]),
        );
        b.fill("#new-user input[name=region]", region);
        b.fill("#new-user input[name=password]", "Initial-pass-2026!");
        b.click("#new-user button[type=submit]");
        b.find("main .notice, main .error");
    };
    add("clerk2", "999999");
    assert!(b.count("main .error") == 1, "{}", b.text("main"));
    b.shot("02-refused-region");
    b.go("/users");
    add("clerk2", "320481");
    assert!(b.text("main .notice").contains("已创建用户 clerk2"), "{}", b.text("main"));
    let row = b.text("table.list tbody");
    assert!(row.contains("clerk2") && row.contains("核对员") && row.contains("溧阳市"), "{row}");
    b.shot("03-created");
    // Searched, disabled and enabled again.
    b.go("/users?q=clerk2");
    assert_eq!(b.text(".pager .total"), "1");
    b.click_away("table.list td.actions form[action$='/disable'] button");
    assert!(b.text("main .notice").contains("已停用"));
    b.go("/users?state=disabled");
    assert!(b.text("table.list tbody").contains("clerk2"));
    b.click_away("table.list td.actions form[action$='/enable'] button");
    assert!(b.text("main .notice").contains("已启用"));
    // The user's UKey: its SM2 public key enrolled (for logging in and for approving reports).
    b.go("/users?q=clerk2");
    let ukey = crate::review::UKey::new(31);
    b.eval("document.querySelector('details.ukey').open = true", serde_json::json!([]));
    b.fill("details.ukey input[name=public_key]", &ukey.public());
    b.click_away("details.ukey button");
    assert!(b.text("main .notice").contains("UKey 公钥已登记"), "{}", b.text("main"));
    let id = store.user_by_login("clerk2").unwrap().unwrap().id;
    let factors = store.second_factors(id).unwrap();
    assert_eq!(factors.iter().find(|f| f.kind == "sm2").and_then(|f| f.public_key.clone()), Some(ukey.public()));
    let audited: Vec<_> =
        store.audit_log(Some("user:clerk2"), 10).unwrap().into_iter().map(|r| r.entry.action).collect();
    assert!(
        audited.contains(&"user.create".to_string()) && audited.contains(&"user.disable".to_string()),
        "{audited:?}"
    );

    // The list as an Excel file.
    b.go("/users?role=clerk");
    let href = b.eval("return document.querySelector('.toolbar a').getAttribute('href')", serde_json::json!([]));
    let rows = xlsx_rows(&download(&b, href.as_str().unwrap()));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][..3], ["clerk2", "王核对", "核对员"]);

    // The new user must change the initial password at the first login.
    b.click("header.top button[type=submit]");
    b.find("form[action='/login']");
    b.fill("input[name=login]", "clerk2");
    b.fill("input[name=password]", "Initial-pass-2026!");
    b.click("button[type=submit]");
    // Their UKey signs the login's challenge first.
    crate::ui_review::ukey_step(&b, &ukey);
    b.find("input[type=password]");
    assert!(b.path().starts_with("/password"), "{}", b.path());
    b.shot("04-first-login");
}

/// The 工作台's deadlines are counted in working days, and a commission past its deadline is
/// counted as overdue (no browser needed).
#[test]
fn the_workbench_counts_deadlines_in_working_days() {
    use hedui_app::Clock;
    use std::sync::atomic::{AtomicI64, Ordering};
    let city = common::city(3, 85);
    let store = common::stores("ui_workbench").remove(0);
    let clock = Arc::new(crate::accounts::Tick(AtomicI64::new(common::clock().unix_seconds())));
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let app = hedui::build_app(store, keys, Vec::new(), clock.clone(), None).unwrap();
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    let clerk = Caller::user("c", Role::Clerk, "", "t");
    // Made on Saturday 2026-11-28: due Wednesday 2026-12-02, three working days away.
    let w = app.workbench(&clerk).unwrap();
    assert_eq!((w.waiting.len(), w.overdue), (3, 0));
    assert_eq!((w.waiting[0].due.to_string(), w.waiting[0].left), ("2026-12-02".to_string(), 3));
    assert_eq!(w.counts[0].count, 3);
    // A week on, Saturday 2026-12-05: two working days late (Thursday and Friday).
    clock.0.fetch_add(7 * 86_400, Ordering::SeqCst);
    let w = app.workbench(&clerk).unwrap();
    assert_eq!((w.overdue, w.waiting[0].left), (3, -2));
    assert!(w.calendar_note.is_none(), "2026 is in the calendar");
    // Outside the caller's region nothing is counted.
    let far = Caller::user("f", Role::Clerk, "110101", "t");
    assert!(app.workbench(&far).unwrap().waiting.is_empty());
}

/// A file the page links to, fetched with the browser's session.
pub(crate) fn download(b: &browser::Browser, href: &str) -> Vec<u8> {
    let cookie = b.cookie(hedui_web::COOKIE);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{}{href}", b.base))
            .header("cookie", format!("{}={cookie}", hedui_web::COOKIE))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{href}: {}", r.status());
        r.bytes().await.unwrap().to_vec()
    })
}
