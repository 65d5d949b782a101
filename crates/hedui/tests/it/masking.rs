//! Masking per role on every output format of a report: the page, the API's JSON, the signed JSON
//! file and the PDF. Names are shown to those who handle cases and masked for the 查阅人员; the
//! details of 敏感个人信息 (which bank accounts) only to those who verify, hidden from a 业务部门
//! and the 查阅人员 — as the masking table (`hedui_app::access::shown`) says.

use std::sync::Arc;

use hedui_app::access::{Field, Shown, shown};
use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::common;

const PASSWORD: &str = "Masking-pass-2026";

#[test]
fn every_format_masks_as_the_table_says() {
    let dir = common::city(12, 5);
    let store = common::stores("masking").remove(0);
    let app = common::app(store, Some(&dir));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &dir).unwrap();
    let apps = hedui::city::applications(&dir).unwrap();
    let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    // A household whose report names bank accounts (敏感个人信息).
    let (f, h) = filed
        .iter()
        .zip(&apps)
        .find(|(f, _)| {
            app.run_job(&system, f.job).is_ok_and(|r| {
                r.assessment
                    .decision
                    .as_ref()
                    .and_then(|d| d.trace.as_ref())
                    .is_some_and(|t| t.to_text().contains("账户 ***"))
            })
        })
        .expect("a household with accounts");
    let job = f.job;
    let name = h.members[0].name.clone();
    let county = h.region.get(..6).unwrap().to_string();
    let bureau = format!("{}民政", app.region_name(&county));
    let roles = [
        (Role::Township, h.region.clone(), String::new()),
        (Role::Clerk, String::new(), String::new()),
        (Role::Reviewer, String::new(), String::new()),
        (Role::Department, county, bureau),
        (Role::Viewer, String::new(), String::new()),
    ];
    let mut tokens = Vec::new();
    for (role, region, org) in &roles {
        let login = format!("m_{}", role.code());
        app.create_user(&system, &Account::new(&login, "用户", *role, region, org), PASSWORD).unwrap();
        tokens.push((*role, app.login(&login, PASSWORD, "t").unwrap().token));
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let http = reqwest::Client::new();
    let fetch = |path: &str, token: &str| {
        let r = rt.block_on(http.get(format!("{base}{path}")).bearer_auth(token).send()).unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        rt.block_on(r.bytes()).unwrap().to_vec()
    };
    let mut pdf_checked = false;
    for (role, token) in &tokens {
        let mut outputs = vec![
            ("page", String::from_utf8(fetch(&format!("/jobs/{job}/report"), token)).unwrap()),
            ("api", String::from_utf8(fetch(&format!("/api/v1/jobs/{job}/report"), token)).unwrap()),
            (
                "json file",
                String::from_utf8_lossy(&fetch(&format!("/api/v1/jobs/{job}/report/json"), token)).into_owned(),
            ),
        ];
        match common::pdftotext(&fetch(&format!("/api/v1/jobs/{job}/report/pdf"), token)) {
            Some(text) => {
                outputs.push(("pdf", text.replace([' ', '\n'], "")));
                pdf_checked = true;
            }
            None => common::skip_loudly("pdftotext", "HEDUI_REQUIRE_PDFTOTEXT"),
        }
        for (format, body) in outputs {
            let what = format!("{} in the {format}", role.code());
            match shown(*role, Field::Name) {
                Shown::Full => assert!(body.contains(&name), "{what}: the name {name} is shown"),
                _ => assert!(!body.contains(&name), "{what}: the name {name} is masked"),
            }
            let accounts = body.contains("账户 ***") || body.contains("账户***");
            match shown(*role, Field::Sensitive) {
                Shown::Full => assert!(accounts, "{what}: the accounts are shown"),
                _ => {
                    assert!(!accounts, "{what}: the accounts are hidden");
                    assert!(body.contains("已隐藏"), "{what}: says what is hidden");
                }
            }
        }
    }
    if !pdf_checked {
        eprintln!("masking: the PDF format was not checked (no pdftotext)");
    }
}
