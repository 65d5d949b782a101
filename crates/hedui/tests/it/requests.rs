//! Request hardening on every route of the router's own table: each state-changing route refuses
//! a cookie-authenticated request without the session's CSRF token, and one from a foreign
//! Origin, each refusal audited; every response, page or API, carries the security headers and
//! `Cache-Control: no-store`.

use std::sync::Arc;

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::common;

const PASSWORD: &str = "Requests-pass-2026";
const HEADERS: [&str; 5] =
    ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "cache-control"];

#[test]
fn every_route_checks_csrf_and_origin_and_every_response_carries_the_headers() {
    let store = common::stores("requests").remove(0);
    let app = common::app(store.clone(), None);
    app.create_user(&Caller::system("t"), &Account::new("clerk", "核对员", Role::Clerk, "", ""), PASSWORD).unwrap();
    let token = app.login("clerk", PASSWORD, "t").unwrap().token;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = format!("{}={token}", hedui_web::COOKIE);
    let refusals =
        || store.audit_log(None, 1000).unwrap().iter().filter(|r| r.entry.action == "request.refuse").count();

    let mut posts = 0;
    for route in hedui_web::route_table() {
        let path = route
            .path
            .replace("{id}", "1")
            .replace("{aid}", "1")
            .replace("{seq}", "100")
            .replace("{uid}", "1")
            .replace("{sid}", "x")
            .replace("{format}", "json")
            .replace("{ext}", "pdf");
        let url = format!("{base}{path}");
        let what = format!("{} {}", route.method, route.path);
        if route.method == "GET" {
            let r = rt.block_on(http.get(&url).header("cookie", &cookie).send()).unwrap();
            for h in HEADERS {
                assert!(r.headers().contains_key(h), "{what} lacks {h}");
            }
            assert_eq!(r.headers()["cache-control"], "no-store", "{what}");
            continue;
        }
        posts += 1;
        // The session cookie without the token: refused before the handler, and audited.
        let before = refusals();
        let r = rt.block_on(http.post(&url).header("cookie", &cookie).form(&[("x", "1")]).send()).unwrap();
        assert_eq!(r.status().as_u16(), 403, "{what} without a CSRF token");
        assert_eq!(refusals(), before + 1, "{what}: the refusal is audited");
        // The right token from a foreign origin: refused too.
        let csrf = hedui_web::guard::csrf_token(&token);
        let r = rt
            .block_on(
                http.post(&url)
                    .header("cookie", &cookie)
                    .header("origin", "http://evil.example")
                    .form(&[("csrf", csrf.as_str())])
                    .send(),
            )
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{what} from a foreign origin");
        for h in HEADERS {
            assert!(r.headers().contains_key(h), "{what}'s refusal lacks {h}");
        }
    }
    assert!(posts >= 20, "the table's state-changing routes were read: {posts}");
}
