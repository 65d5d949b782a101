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

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let http = reqwest::Client::new();
    let login = |user: &str| -> String {
        let r = rt.block_on(
            http.post(format!("{base}/api/v1/login"))
                .json(&serde_json::json!({"login": user, "password": PASSWORD}))
                .send(),
        );
        let v: serde_json::Value = rt.block_on(r.unwrap().json()).unwrap();
        v["token"].as_str().unwrap().to_string()
    };
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
    assert!(row.entry.search.contains(&format!("户号={}", f.number)), "{:?}", row.entry);
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
