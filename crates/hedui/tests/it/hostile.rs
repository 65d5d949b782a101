//! Hostile input through the real server: markup in every text field a family's record carries
//! (names, address, household number, the reason of an objection) comes back escaped on every
//! page and intact in JSON; SQL-injection strings in every search field and in the login find
//! nothing, change nothing and answer with a clear error or an empty list.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::common;

const SCRIPT: &str = "<script>alert('x')</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const SQL: [&str; 4] =
    ["' OR '1'='1", "1; DROP TABLE household; --", "3204' UNION SELECT login FROM app_user --", "%' --"];
const PASSWORD: &str = "Hostile-pass-2026";

/// A page or body carries no live markup of ours.
fn inert(what: &str, body: &str) {
    assert!(!body.contains("<script>alert"), "{what} carries a live script: {body}");
    assert!(!body.contains("<img src=x"), "{what} carries a live image tag");
}

#[test]
fn markup_and_sql_in_every_field_stay_data() {
    let dir = common::city(6, 5);
    let store = common::stores("hostile").remove(0);
    let app = common::app(store.clone(), Some(&dir));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &dir).unwrap();
    let mut h = hedui::city::applications(&dir).unwrap().remove(0);
    h.number = format!("H{SCRIPT}");
    h.address = format!("某街{IMG}");
    for (i, m) in h.members.iter_mut().enumerate() {
        m.name = if i == 0 { SCRIPT.to_string() } else { format!("{IMG}{i}") };
    }
    let filed =
        hedui::city::file_applications(&app, &system, std::slice::from_ref(&h), common::as_of(), &|_| true).unwrap();
    let job = filed[0].job;
    app.run_job(&system, job).unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员", Role::Clerk, "", ""), PASSWORD).unwrap();
    let token = app.login("clerk", PASSWORD, "t").unwrap().token;
    let households = store.count_households().unwrap();
    let app = Arc::new(app);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(app.clone())));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |path: String| {
        let r = rt.block_on(http.get(format!("{base}{path}")).bearer_auth(&token).send()).unwrap();
        (r.status().as_u16(), rt.block_on(r.text()).unwrap())
    };

    // Every page that shows the family: escaped.
    for path in [format!("/jobs/{job}"), format!("/jobs/{job}/report"), "/jobs".to_string()] {
        let (status, body) = get(path.clone());
        assert_eq!(status, 200, "{path}");
        inert(&path, &body);
    }
    let (_, report) = get(format!("/jobs/{job}/report"));
    assert!(report.contains("&lt;script&gt;"), "the name is shown, escaped");
    // JSON carries the data as it was given.
    let (_, json) = get(format!("/api/v1/households/{}", filed[0].household));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["members"][0]["name"], SCRIPT);
    assert_eq!(v["number"], h.number);
    // An objection's reason is shown escaped on the job page.
    let r = rt
        .block_on(
            http.post(format!("{base}/api/v1/jobs/{job}/objection"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "reason": SCRIPT }))
                .send(),
        )
        .unwrap();
    assert!(r.status().is_success() || r.status().as_u16() == 409, "{}", r.status());
    inert("the job page after an objection", &get(format!("/jobs/{job}")).1);

    // SQL in every search field of the job list (page and API): nothing found, nothing changed.
    for s in SQL {
        let q = urlencode(s);
        for field in ["household", "region"] {
            for prefix in ["/jobs", "/api/v1/jobs"] {
                let (status, body) = get(format!("{prefix}?{field}={q}"));
                assert_eq!(status, 200, "{prefix}?{field}={s}: {body}");
                if prefix.starts_with("/api") {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(v["total"], 0, "{field}={s} finds nothing: {body}");
                }
            }
        }
        for field in ["state", "outcome", "programme", "kind"] {
            let (status, body) = get(format!("/api/v1/jobs?{field}={q}"));
            assert_eq!(status, 422, "{field}={s} is refused as invalid: {body}");
            assert!(body.contains("invalid_input"), "{body}");
        }
        let r = rt
            .block_on(
                http.post(format!("{base}/api/v1/login"))
                    .json(&serde_json::json!({ "login": s, "password": s }))
                    .send(),
            )
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "login {s}");
    }
    assert_eq!(store.count_households().unwrap(), households, "nothing was dropped or added");
    assert!(store.user_by_login("clerk").unwrap().is_some());
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
