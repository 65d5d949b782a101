//! The clerk's UI in a real browser (headless Chromium over WebDriver): the layout every page
//! shares (the menu of what the role may open, breadcrumbs, errors inside the layout), logging in
//! with a second factor, and the job list. Screenshots of every main page go to
//! `target/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::{browser, common};

const PASSWORD: &str = "Browser-flows-2026!";

/// The app served on a loopback port from its own runtime.
fn serve(app: hedui_app::App) -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    (rt, base)
}

/// A TOTP code of `secret` (base32) at the app's time (the tests' fixed clock).
fn totp(secret: &str) -> String {
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

    // The clerk: a menu of the clerk's pages, grouped by module; the job list as the first page.
    b.go("/login");
    b.shot("01-login");
    b.fill("input[name=login]", "clerk");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    assert!(b.path().starts_with("/jobs"), "{}", b.path());
    let menu = b.text("aside.side");
    assert!(menu.contains("核对业务") && menu.contains("核对任务"), "{menu}");
    assert!(!menu.contains("审计日志") && !menu.contains("安全事件"), "only what the clerk may open: {menu}");
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
