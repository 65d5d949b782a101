//! Imports through the browser: the 数据源管理员 uploads a department's file of 200,000 rows with a
//! bad one, reads the preview (rows, the rejection, the change against the last snapshot),
//! confirms, and watches the progress rise while the job list still answers; then a much smaller
//! snapshot of the same source is refused by the shrink guard until it is confirmed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::time::{Duration, Instant};

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::ui_flows::{PASSWORD, serve};
use crate::{browser, common};

/// A valid ID number (GB 11643 check digit) for row `n`.
fn id_number(n: usize) -> String {
    let body = format!("320411{}{:02}{:02}{:03}", 1950 + n % 50, 1 + n % 12, 1 + n % 28, n % 1000);
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(w).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    format!("{body}{}", "10X98765432".chars().nth((sum % 11) as usize).unwrap())
}

/// A property register (不动产) snapshot of `rows` rows, row 3 with an area that is not a number.
fn property_file(rows: usize) -> String {
    let mut s = String::from("身份证号,姓名,不动产权证号,坐落,建筑面积,用途,登记日期,共有方式\n");
    for n in 0..rows {
        let area = if n == 2 { "八十".to_string() } else { format!("{}.{:02}", 40 + n % 100, n % 100) };
        s.push_str(&format!(
            "{},测试{},苏(2021)常州市不动产权第{:07}号,新北区测试路{}号,{area},住宅,2021-03-01,单独所有\n",
            id_number(n),
            n % 100,
            n,
            n % 500
        ));
    }
    s
}

/// The job list page as another user's session reads it.
fn job_list(base: &str, token: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new().get(format!("{base}/jobs")).bearer_auth(token).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.text().await.unwrap()
    })
}

#[test]
fn an_operator_previews_confirms_and_watches_a_long_import() {
    let city = common::city(3, 97);
    let store = common::stores("ui_import").remove(0);
    let app = common::app(store.clone(), Some(&city));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    app.create_user(&system, &Account::new("op", "数据源管理员甲", Role::Operator, "", ""), PASSWORD).unwrap();
    // A 核对员 works on meanwhile, in a session of their own.
    app.create_user(&system, &Account::new("clerk", "核对员乙", Role::Clerk, "", ""), PASSWORD).unwrap();
    let clerk = app.login("clerk", PASSWORD, "t").unwrap().token;
    let dir = common::temp_dir("ui_import");
    let (big, small) = (dir.join("budongchan.csv"), dir.join("budongchan-small.csv"));
    std::fs::write(&big, property_file(200_000)).unwrap();
    std::fs::write(&small, property_file(1_000)).unwrap();
    let (_rt, base) = serve(app);
    let Some(b) = browser::open("import", &base) else { return };

    b.go("/login");
    b.fill("input[name=login]", "op");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    b.go("/imports");
    let upload = |file: &std::path::Path| {
        b.eval("document.querySelector('#upload').open = true", serde_json::json!([]));
        b.set("select[name=source]", "budongchan");
        b.set("input[name=as_of]", &common::as_of().to_string());
        b.upload("input[name=file]", file);
        b.click_away("#preview");
    };
    upload(&big);
    // The preview: every row read, the bad one rejected, the rest new against the city's snapshot.
    assert_eq!(b.text("#preview-counts .total"), "200000", "{}", b.text("main"));
    assert_eq!(b.text("#preview-counts .rejected"), "1");
    assert_eq!(b.text("#preview-counts .accepted"), "199999");
    let new: i64 = b.text("#preview-counts .new").parse().unwrap();
    assert!(new >= 199_000, "rows new against the last snapshot: {new}");
    assert_eq!(b.count("#shrink"), 0, "a larger snapshot passes the shrink guard");
    b.shot("01-preview");
    b.click_away("#confirm");
    assert!(b.path().starts_with("/imports/runs/"), "{}", b.path());
    // The progress rises while the import runs, and the job list answers meanwhile.
    let mut seen: Vec<f64> = Vec::new();
    let mut list_answered = None;
    let started = Instant::now();
    loop {
        let v = b.eval(
            "const p = document.querySelector('#import-progress'); return p ? p.value : -1",
            serde_json::json!([]),
        );
        let v = v.as_f64().unwrap_or(-1.0);
        if v >= 0.0 && seen.last().is_none_or(|l| v > *l) {
            seen.push(v);
        }
        if list_answered.is_none() && seen.len() >= 2 {
            let t = Instant::now();
            let page = job_list(&base, &clerk);
            assert!(page.contains("核对任务") && page.contains("class=\"pager\""), "the job list during the import");
            list_answered = Some(t.elapsed());
            b.shot("02-progress");
        }
        // Read through a script: the page reloads itself when the import ends.
        let js = "const e = document.querySelector('#import-state'); return e ? e.textContent : ''";
        if b.eval(js, serde_json::json!([])).as_str().unwrap_or_default().contains("导入完成") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the import did not finish: {seen:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(seen.len() >= 3, "the progress rose at least three times: {seen:?}");
    eprintln!("progress seen: {seen:?}; the job list answered in {list_answered:?} during the import");
    assert!(list_answered.is_some(), "the job list was loaded during the import");
    b.find("#import-state");
    let state = b.text("#import-state");
    assert!(state.contains("接收") && state.contains("拒收 1 行"), "{state}");
    b.shot("03-done");
    b.go("/imports");
    assert!(b.text("#runs").contains("已完成"), "{}", b.text("#runs"));

    // A snapshot of 1,000 rows after 200,000: refused unless the operator confirms it.
    upload(&small);
    assert!(b.text("#shrink").contains("明显变小"), "{}", b.text("main"));
    b.shot("04-shrink");
    b.click_away("#confirm");
    b.find("#import-state .tag");
    assert!(b.text("#import-state").contains("导入被拒绝"), "{}", b.text("#import-state"));
    b.go("/imports");
    upload(&small);
    b.click("#confirm-shrink");
    b.click_away("#confirm");
    let done = Instant::now();
    // Read through a script: the page reloads itself when the import ends.
    let js = "const e = document.querySelector('#import-state'); return e ? e.textContent : ''";
    while !b.eval(js, serde_json::json!([])).as_str().unwrap_or_default().contains("导入完成") {
        assert!(done.elapsed() < Duration::from_secs(120), "the confirmed import did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    let audit = store.audit_log(Some("source:budongchan"), 50).unwrap();
    assert!(audit.iter().any(|r| r.entry.actor == "op" && r.entry.outcome == hedui_store::AuditOutcome::Error));
}
