//! What each kind of action writes to the audit trail, through the real web app: the time, the
//! user, the client's address, the action (a view and a download distinct), the object, the
//! commission and letter relied on, a search's conditions, the outcome; free text sealed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};
use hedui_store::{AuditOutcome, AuditRow};

use crate::common;

const PASSWORD: &str = "Audit-rows-2026!";

/// The app served on a loopback port: the runtime, the base address and a client.
fn serve(app: hedui_app::App) -> (tokio::runtime::Runtime, String, reqwest::Client) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    (rt, base, reqwest::Client::new())
}

/// A session token for `user` (password [`PASSWORD`]), through the API.
fn login(rt: &tokio::runtime::Runtime, http: &reqwest::Client, base: &str, user: &str) -> String {
    let body = serde_json::json!({"login": user, "password": PASSWORD});
    let r = rt.block_on(http.post(format!("{base}/api/v1/login")).json(&body).send()).unwrap();
    let v: serde_json::Value = rt.block_on(r.json()).unwrap();
    v["token"].as_str().unwrap().to_string()
}

#[test]
fn every_kind_of_action_writes_its_row_with_every_field() {
    let city = common::city(6, 43);
    let store = common::stores("audit_rows").remove(0);
    let app = common::app(store.clone(), Some(&city));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    let f = &filed[0];
    app.run_job(&system, f.job).unwrap();
    let region = &apps[0].region;
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, region, ""), PASSWORD).unwrap();
    let other = if region.starts_with("320481") { "320412" } else { "320481" };
    app.create_user(&system, &Account::new("far", "外区核对员", Role::Clerk, other, ""), PASSWORD).unwrap();
    let commission = store.job(f.job).unwrap().unwrap().commission_number;

    let (rt, base, http) = serve(app);
    let login = |user: &str| login(&rt, &http, &base, user);
    let get =
        |token: &str, path: &str| rt.block_on(http.get(format!("{base}{path}")).bearer_auth(token).send()).unwrap();
    let last = |action: &str| -> AuditRow {
        store.audit_log(None, 500).unwrap().into_iter().find(|r| r.entry.action == action).expect(action)
    };

    let token = login("clerk");
    let row = last("login");
    assert_eq!((row.entry.actor.as_str(), row.entry.client.as_str()), ("clerk", "127.0.0.1"));

    // A search records its conditions.
    assert!(get(&token, &format!("/api/v1/jobs?household={}", f.number)).status().is_success());
    let row = last("job.list");
    assert_eq!(row.entry.client, "127.0.0.1");
    assert!(row.entry.search.contains(&format!("户号含={}", f.number)), "{:?}", row.entry);
    assert!(
        row.entry.search.contains(&format!("地区={}", region.trim_end_matches('0'))),
        "the scope applied: {:?}",
        row.entry
    );

    // Viewing and downloading a report are different actions, each naming what it relied on.
    assert!(get(&token, &format!("/api/v1/jobs/{}/report", f.job)).status().is_success());
    let view = last("report.read");
    assert!(get(&token, &format!("/api/v1/jobs/{}/report/json", f.job)).status().is_success());
    let download = last("report.download");
    for row in [&view, &download] {
        let e = &row.entry;
        assert_eq!(
            (e.actor.as_str(), e.client.as_str(), e.object.as_str()),
            ("clerk", "127.0.0.1", &*format!("job:{}", f.job))
        );
        assert!(e.basis.starts_with(&format!("委托 {commission}；授权书 ")), "{e:?}");
        assert_eq!(e.outcome, AuditOutcome::Ok);
        assert!(!e.request_id.is_empty() && e.at.unix() > 0);
    }
    assert!(download.entry.detail.contains("json"));

    // An objection's reason is sealed, never in clear.
    let r = rt
        .block_on(
            http.post(format!("{base}/api/v1/jobs/{}/objection", f.job))
                .bearer_auth(&token)
                .json(&serde_json::json!({"reason": "家属称车辆已于去年转让"}))
                .send(),
        )
        .unwrap();
    assert!(r.status().is_success(), "{}", rt.block_on(r.text()).unwrap());
    let objection = last("job.transition");
    assert!(!objection.entry.detail.contains("转让") && objection.entry.note_enc.is_some(), "{:?}", objection.entry);

    // A refusal is a row too: the other county's clerk, from the same address.
    let far = login("far");
    assert_eq!(get(&far, &format!("/api/v1/jobs/{}/report", f.job)).status().as_u16(), 403);
    let denied = last("access.deny");
    assert_eq!((denied.entry.actor.as_str(), denied.entry.client.as_str()), ("far", "127.0.0.1"));
    assert_eq!(denied.entry.outcome, AuditOutcome::Denied);
    assert_eq!(denied.entry.object, format!("job:{}", f.job));

    // Nothing of it is kept in clear where it should not be, and the chain holds every row.
    let all = store.audit_chain(0, 10_000).unwrap();
    assert!(all.iter().all(|r| r.mac.is_some()), "every row is chained");
    assert!(all.iter().all(|r| !r.entry.detail.contains("转让") && !r.entry.search.contains("转让")));
}

/// A citizen's request (PIPL Art. 45): every query and reading of a person's data is listed, with
/// who, when and under which commission and letter; staff are named by role except to the
/// 审计管理员; another region sees nothing; the number asked about is never kept in clear.
#[test]
fn the_citizen_export_lists_every_query_of_a_person() {
    let city = common::city(6, 47);
    for store in common::stores("citizen_log") {
        let app = common::app(store.clone(), Some(&city));
        let system = Caller::system("t");
        hedui::city::import_mirrors(&app, &system, &city).unwrap();
        let apps = hedui::city::applications(&city).unwrap();
        let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
        let f = &filed[0];
        let h = apps.iter().find(|a| a.number == f.number).unwrap();
        let id = h.members.last().unwrap().id_number.clone();
        let clerk = Caller::user("clerk", Role::Clerk, &h.region, "t");
        app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, &h.region, ""), PASSWORD).unwrap();
        app.run_job(&clerk, f.job).unwrap();
        app.report(&clerk, f.job, None).unwrap();

        let log = app.person_access_log(&clerk, &id).unwrap();
        assert_eq!(log.households, std::slice::from_ref(&f.number));
        // Every row of the query trail about the household, its jobs and letters is listed.
        let about: Vec<_> = store
            .audit_chain(0, 100_000)
            .unwrap()
            .into_iter()
            .filter(|r| r.chain == "query")
            .filter(|r| {
                r.entry.object == format!("household:{}", f.number)
                    || r.entry.object == format!("job:{}", f.job)
                    || r.entry.object.starts_with("authorization:")
            })
            .collect();
        assert_eq!(log.entries.len(), about.len());
        assert!(
            log.entries.iter().any(|e| e.what == "查阅核对报告" && e.who == "核对员" && e.basis.contains("授权书"))
        );
        assert!(log.entries.iter().any(|e| e.what == "委托核对"));
        let auditor = Caller::user("aud", Role::Auditor, "", "t");
        let seen_by_auditor = app.person_access_log(&auditor, &id).unwrap();
        assert!(seen_by_auditor.entries.iter().any(|e| e.who == "clerk"), "the 审计管理员 sees logins");
        let far =
            Caller::user("far", Role::Clerk, if h.region.starts_with("320481") { "320412" } else { "320481" }, "t");
        assert!(app.person_access_log(&far, &id).unwrap().entries.is_empty(), "another region sees nothing");
        let typo = app.person_access_log(&clerk, "3204021990010112").unwrap_err();
        assert_eq!(typo.code(), "invalid_input", "a mistyped number is refused, naming why: {typo}");
        assert!(typo.to_string().contains("身份证号码无效"));
        let leader = Caller::user("boss", Role::Leader, "", "t");
        assert_eq!(app.person_access_log(&leader, &id).unwrap_err().code(), "forbidden");
        // The request is audited; the number only as its blind index and a sealed copy.
        let row = store.audit_log(Some("person"), 1).unwrap().remove(0);
        assert!(row.entry.search_bidx.is_some() && row.entry.search_enc.is_some());
        let clear = format!("{row:?}");
        assert!(!clear.contains(&id), "the number is not kept in clear");
    }
}

/// The 审计管理员's viewer: conditions, pages with their count, an Excel export of what the
/// conditions select, and a check of the chains from the page; each reading audited with what it
/// asked.
#[test]
fn the_audit_viewer_filters_pages_exports_and_verifies() {
    let store = common::stores("audit_viewer").remove(0);
    let mut app = common::app(store.clone(), None);
    let export = common::temp_dir("audit_viewer").join("checkpoints.jsonl");
    app.checkpoint_export.file = Some(export);
    let system = Caller::system("t");
    for n in 0..45 {
        let outcome = if n % 9 == 0 { AuditOutcome::Denied } else { AuditOutcome::Ok };
        app.audit(&system, "report.read", &format!("job:{n}"), outcome, String::new()).unwrap();
    }
    app.checkpoint("manual").unwrap();
    app.create_user(&system, &Account::new("aud", "审计员", Role::Auditor, "", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("sys", "系统员", Role::Admin, "", ""), PASSWORD).unwrap();
    let (rt, base, http) = serve(app);
    let login = |user: &str| login(&rt, &http, &base, user);
    let aud = login("aud");
    let get =
        |token: &str, path: &str| rt.block_on(http.get(format!("{base}{path}")).bearer_auth(token).send()).unwrap();

    let page = rt.block_on(get(&aud, "/audit?action=report.&size=20&page=2").text()).unwrap();
    assert!(page.contains("共 45 条") && page.contains("第 2 / 3 页"), "{page}");
    assert!(page.contains("上一页") && page.contains("下一页"));
    assert_eq!(page.matches("<tr><td>").count(), 20, "one page of rows");
    let denied = rt.block_on(get(&aud, "/audit?action=report.read&outcome=denied").text()).unwrap();
    assert!(denied.contains("共 5 条"), "{denied}");
    let bad = get(&aud, "/audit?from=yesterday");
    assert_eq!(bad.status().as_u16(), 422, "a date that cannot be read is refused");
    assert!(rt.block_on(bad.text()).unwrap().contains("不是日期"));
    let row = store.audit_log(Some("audit"), 5).unwrap().into_iter().find(|r| r.entry.action == "audit.read").unwrap();
    assert!(
        row.entry.search.contains("操作=report.read") && row.entry.search.contains("结果=Denied"),
        "{:?}",
        row.entry
    );

    let xlsx = get(&aud, "/audit.xlsx?action=report.read&outcome=denied");
    assert_eq!(xlsx.status().as_u16(), 200);
    assert!(xlsx.headers()["content-disposition"].to_str().unwrap().contains(".xlsx"));
    let bytes = rt.block_on(xlsx.bytes()).unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.windows(24).any(|w| w == b"xl/worksheets/sheet1.xml"));
    let exported =
        store.audit_log(Some("audit"), 5).unwrap().into_iter().find(|r| r.entry.action == "audit.export").unwrap();
    assert!(exported.entry.detail.contains("导出 5 条（共 5 条）"), "{:?}", exported.entry);

    let verified = rt.block_on(http.post(format!("{base}/audit/verify")).bearer_auth(&aud).send()).unwrap();
    let verified = rt.block_on(verified.text()).unwrap();
    assert!(verified.contains("完好，未发现篡改") && verified.contains("checkpoints.jsonl"), "{verified}");
    // The 系统管理员 may not read the trail.
    assert_eq!(get(&login("sys"), "/audit").status().as_u16(), 403);
}
