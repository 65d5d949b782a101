//! 审核签发 in a real browser: the 核对员 runs a job and it waits for review; the 审核员 logs in
//! with the SM2 key of their UKey, finds the report on the 工作台, reads the draft, signs the
//! approval statement with the same key and issues it (both names and the organization's seal on
//! the report); a second report is returned, and shows so for the 核对员.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::review::UKey;
use crate::ui_flows::PASSWORD;
use crate::{browser, common};

fn login(b: &browser::Browser, user: &str) {
    b.go("/login");
    b.fill("input[name=login]", user);
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
}

/// The login's second step with a UKey: its signature over the page's challenge.
pub(crate) fn ukey_step(b: &browser::Browser, ukey: &UKey) {
    b.find("input[name=sm2]");
    let challenge = b.text("main code");
    b.fill("input[name=sm2]", &ukey.sign(&challenge));
    b.eval("document.querySelector('input[name=sm2]').form.querySelector('button').click()", serde_json::json!([]));
}

#[test]
fn a_reviewer_signs_with_their_ukey_and_issues_the_report() {
    let city = common::city(4, 93);
    let store = common::stores("ui_review").remove(0);
    let mut app = common::app(store.clone(), Some(&city));
    app.review = true;
    app.organization = "常州市居民家庭经济状况核对中心".into();
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    app.create_user(&system, &Account::new("clerk", "王核对", Role::Clerk, "", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("rev", "李审核", Role::Reviewer, "", ""), PASSWORD).unwrap();
    let department = app.job(filed[0].job).unwrap().department;
    app.create_user(&system, &Account::new("dept", "民政局经办人", Role::Department, "", &department), PASSWORD)
        .unwrap();
    let ukey = UKey::new(21);
    let rev = store.user_by_login("rev").unwrap().unwrap().id;
    app.enrol_sm2(&system, Some(rev), &ukey.public()).unwrap();
    // The second job is completed by the clerk before the browser starts.
    let clerk = Caller::user("clerk", Role::Clerk, "", "t");
    app.run_job(&clerk, filed[1].job).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let Some(b) = browser::open("review", &base) else { return };

    // The clerk runs the first job: the report waits for review, not issued.
    let job = filed[0].job;
    login(&b, "clerk");
    b.find("aside.side");
    b.go(&format!("/jobs/{job}"));
    b.click("form[action$='/run'] button");
    b.find("#awaiting");
    assert_eq!(b.path(), format!("/jobs/{job}"));
    assert!(b.text("#awaiting").contains("待审核员审核签发"), "{}", b.text("main"));
    assert!(b.text("main h1").contains("待审核"));
    b.shot("01-awaiting-review");
    b.click("header.top button[type=submit]");
    b.find("input[name=login]");

    // The reviewer logs in with the UKey's signature over the login challenge.
    login(&b, "rev");
    ukey_step(&b, &ukey);
    b.find("#to-review");
    assert_eq!(b.count("#to-review tbody tr"), 2, "both completed reports wait on the 工作台");
    b.shot("02-reviewer-home");
    b.go(&format!("/jobs/{job}/draft"));
    let statement = b.text("#statement");
    assert!(statement.contains("verifier=clerk\nreviewer=rev"), "{statement}");
    b.shot("03-draft");
    // A signature over something else is refused, on the same page.
    b.fill("input[name=signature]", &ukey.sign("别的内容"));
    b.click("#approve");
    assert!(b.text("#review-error").contains("签名无效"), "{}", b.text("main"));
    // The UKey client signs the statement file the page offers, byte for byte.
    let file = crate::ui_flows::download(&b, &format!("/jobs/{job}/draft/statement.txt"));
    let exact = b.eval("return document.querySelector('#statement').textContent", serde_json::json!([]));
    assert_eq!(String::from_utf8(file.clone()).unwrap(), exact.as_str().unwrap(), "the file is what the page shows");
    b.fill("input[name=signature]", &ukey.sign(&String::from_utf8(file).unwrap()));
    b.click_away("#approve");
    assert_eq!(b.path(), format!("/jobs/{job}/report"));
    let signoff = b.text("#signoff");
    assert!(
        signoff.contains("王核对") && signoff.contains("李审核") && signoff.contains("常州市居民家庭经济状况核对中心"),
        "{signoff}"
    );
    assert_eq!(b.count("#signoff svg.seal"), 1, "the organization's seal");
    b.eval("document.querySelector('#signoff').scrollIntoView()", serde_json::json!([]));
    b.shot("04-issued");
    b.click("header.top button[type=submit]");
    b.find("input[name=login]");

    // The commissioning department finds the issued report on its 工作台 and records its 回执.
    login(&b, "dept");
    b.find("#to-review");
    assert!(b.text("#to-review").contains("签收并登记回执"), "{}", b.text("#to-review"));
    b.go(&format!("/jobs/{job}"));
    b.set("#receipt-form select[name=decision]", "approved");
    let received =
        b.eval("return document.querySelector('#receipt-form input[name=received_on]').value", serde_json::json!([]));
    b.set("#receipt-form input[name=decided_on]", received.as_str().unwrap());
    b.click("#receipt-form button");
    b.find("#receipts td:nth-child(5)");
    assert!(b.text("#receipts").contains("批准救助"), "{}", b.text("#receipts"));
    assert_eq!(b.count("#receipt-form"), 0, "recorded once");
    b.shot("05-receipt");
    b.click("header.top button[type=submit]");
    b.find("input[name=login]");
    login(&b, "rev");
    ukey_step(&b, &ukey);
    b.find("#to-review");

    // The second report goes back to the clerk with a reason.
    b.go(&format!("/jobs/{}/draft", filed[1].job));
    b.eval("document.querySelector('#review details').open = true", serde_json::json!([]));
    b.fill("input[name=reason]", "存款数据日期过早，请重新查询");
    b.click_away("#send-back");
    assert!(b.text("main h1").contains("已退回"), "{}", b.text("main h1"));
    let history = b.text("main");
    assert!(history.contains("退回重新核对"), "the job's history says so");
    b.shot("06-returned");
}
