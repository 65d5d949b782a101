//! The file exchange in a real browser: the 数据源管理员 sees each file-channel institution's
//! requests, exports the request packages and downloads one, imports the institution's signed
//! response, and sees a tampered response refused whole.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;
use std::time::Duration;

use hedui_app::admin::users::Account;
use hedui_app::{App, Caller, Role};
use hedui_core::JobId;

use crate::ui_flows::{PASSWORD, download};
use crate::{browser, common};

#[test]
fn an_operator_exports_requests_and_imports_an_answer() {
    let city = common::city(6, 105);
    let store = common::stores("ui_exchange").remove(0);
    let catalog = hedui::exchange::catalog(None, None).unwrap();
    let (app, sim, filed) =
        common::online(&city, store, hedui_sim::Faults::default(), Duration::from_secs(60), catalog, &|_| {});
    // The jobs run; file-exchange institutions are asked through packages nobody has exported yet.
    let ids: Vec<JobId> = filed.iter().map(|f| f.job).collect();
    let nothing = |_: &App| Ok(());
    app.run_jobs_with(&common::clerk(), &ids, &nothing).unwrap();
    app.create_user(&Caller::system("t"), &Account::new("op", "数据源管理员", Role::Operator, "", ""), PASSWORD)
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let Some(b) = browser::open("exchange", &base) else { return };

    b.go("/login");
    b.fill("input[name=login]", "op");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    b.go("/exchange");
    assert_eq!(b.text("aside.side a.active"), "文件交换");
    let before = b.text("#file-sources");
    assert!(before.contains("T01") && before.contains("待导出"), "{before}");
    b.shot("01-pending");
    b.click("#export");
    b.find("#exported a.package");
    let href =
        b.eval("return document.querySelector('#exported a.package').getAttribute('href')", serde_json::json!([]));
    let href = href.as_str().unwrap().to_string();
    let package = download(&b, &href);
    assert!(!package.is_empty());
    assert!(b.text("#file-sources").contains("已导出待回复"), "{}", b.text("#file-sources"));
    b.shot("02-exported");
    b.click("#export");
    b.find("#exported");
    assert!(b.text("#exported").contains("没有待导出的请求"), "nothing is exported twice: {}", b.text("#exported"));

    // The institution answers; a copy changed in one byte is refused, the answer is imported.
    let answer = sim.sim.answer_package(&package).unwrap();
    let dir = common::temp_dir("ui_exchange");
    let (good, bad) = (dir.join("answer.json"), dir.join("tampered.json"));
    std::fs::write(&good, &answer).unwrap();
    let mut tampered = answer.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x20;
    std::fs::write(&bad, &tampered).unwrap();
    b.upload("form[action='/exchange/import'] input[name=file]", &bad);
    b.click("#import");
    b.find("#refused");
    assert!(b.text("#refused").contains("拒收"), "{}", b.text("#refused"));
    b.go("/exchange");
    b.upload("form[action='/exchange/import'] input[name=file]", &good);
    b.click("#import");
    b.find("#imported");
    assert!(b.text("#imported").contains("响应文件包"), "{}", b.text("#imported"));
    assert!(b.text("#file-sources").contains("已回复"), "{}", b.text("#file-sources"));
    b.shot("03-imported");
}
