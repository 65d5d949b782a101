//! A started job in a real browser: the clerk starts it and sees each source's status on the job
//! page; a late source is reminded (催办); the page follows by itself as the file-exchange
//! answers arrive and the report is made; another job is completed with what came back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};
use hedui_core::catalog::Sla;

use crate::ui_flows::PASSWORD;
use crate::{browser, common};

fn wait_for(b: &browser::Browser, what: &str, ok: &dyn Fn(&browser::Browser) -> bool) {
    let started = Instant::now();
    while !ok(b) {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}: {}", b.text("main"));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_clerk_follows_a_job_waiting_for_its_sources() {
    let city = common::city(4, 212);
    let store = common::stores("ui_waiting").remove(0);
    let catalog = hedui::exchange::catalog(None, None).unwrap();
    let tune = |c: &mut hedui_core::catalog::Catalog| {
        c.sources.iter_mut().filter(|s| s.code == "I03").for_each(|s| s.sla = Sla::Hours(0));
    };
    let (app, sim, filed) =
        common::online(&city, store, hedui_sim::Faults::default(), Duration::from_secs(60), catalog, &tune);
    app.create_user(&Caller::system("t"), &Account::new("clerk", "核对员乙", Role::Clerk, "", ""), PASSWORD).unwrap();
    let app = Arc::new(app);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(app.clone())));
    let Some(b) = browser::open("waiting", &base) else { return };

    b.go("/login");
    b.fill("input[name=login]", "clerk");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    let (first, second) = (filed[0].job, filed[1].job);
    b.go(&format!("/jobs/{first}"));
    b.click("form[action$='/run'] button");
    b.find("#source-progress");
    // The online sources answer in the background; the file institutions wait.
    // Read through a script: the page may reload itself between two reads.
    let state = |b: &browser::Browser, code: &str| {
        let css = format!("#source-progress tr[data-source='{code}'] td.state");
        let js = "var e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : '';";
        b.eval(js, serde_json::json!([css])).as_str().unwrap_or_default().to_string()
    };
    wait_for(&b, "the collection ends", &|b| state(b, "PBOC") != "等待反馈" && state(b, "T01") == "等待反馈");
    assert_eq!(state(&b, "I03"), "超时未反馈");
    assert!(!b.text("#source-progress tr[data-source='T01'] td.deadline").is_empty(), "T01 shows its deadline");
    // The page reloads itself once the job moves to 部分反馈; read it afresh.
    b.go(&format!("/jobs/{first}"));
    b.find("#source-progress");
    assert!(b.text("main h1").contains("部分反馈"), "{}", b.text("main h1"));
    b.shot("01-waiting");

    // 催办 the late institution: recorded on the job page and on the 工作台.
    b.click("#source-progress tr[data-source='I03'] form button");
    b.find("#source-progress tr[data-source='I03'] td.remind span");
    assert!(b.text("#source-progress tr[data-source='I03'] td.remind").contains("已催办 1 次"));
    assert_eq!(b.count("#source-progress tr[data-source='T01'] form"), 0, "no 催办 before the deadline");
    b.go("/home");
    b.find("#late-sources");
    assert!(b.text("#late-sources").contains(&first.to_string()), "{}", b.text("#late-sources"));
    b.shot("02-workbench-late");

    // The institutions answer through their packages; the open page follows by itself.
    b.go(&format!("/jobs/{first}"));
    b.find("#source-progress");
    let actor = Caller::system("exchange");
    for pkg in app.export_packages(&actor).unwrap() {
        app.import_package(&actor, &sim.sim.answer_package(&pkg.bytes).unwrap()).unwrap();
    }
    assert_eq!(app.settle_waiting().unwrap(), [first]);
    wait_for(&b, "the page reloads with the report", &|b| {
        let js = "var e = document.querySelector('main h1'); return e ? e.textContent : '';";
        b.eval(js, serde_json::json!([])).as_str().unwrap_or_default().contains("已出具")
    });
    b.shot("03-completed");

    // Another job is completed with what came back, with a reason.
    b.go(&format!("/jobs/{second}"));
    b.click("form[action$='/run'] button");
    b.find("#partial-form");
    wait_for(&b, "the collection ends", &|b| state(b, "T01") == "等待反馈" && state(b, "PBOC") != "等待反馈");
    wait_for(&b, "部分反馈", &|_| app.job(second).unwrap().state == hedui_core::job::JobState::PartiallyReturned);
    b.go(&format!("/jobs/{second}"));
    b.find("#partial-form");
    b.fill("#partial-form input[name=reason]", "已超过反馈时限，经负责人同意");
    b.click_away("#partial-form button");
    assert!(b.path().ends_with("/report"), "{}", b.path());
    assert!(b.text("main").contains("未反馈"), "the silent institutions are named in the report");
    b.shot("04-partial");
}
