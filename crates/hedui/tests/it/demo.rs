//! Starts the real `hedui demo` on port 0 with a small city, logs in over HTTP,
//! and reads the job list and a report whose conclusion the ground truth knows.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub(crate) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start_demo(dir: &std::path::Path) -> (Server, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(["demo", "--port", "0", "--households", "100", "--seed", "9", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let server = Server(child);
    let mut lines = Vec::new();
    while let Some(line) = out.next() {
        let line = line.unwrap();
        println!("demo: {line}");
        if let Some(url) = line.strip_prefix("hedui 已启动: ") {
            // Keep draining the server's output so it never writes to a closed pipe.
            std::thread::spawn(move || out.for_each(drop));
            return (server, url.trim_end_matches('/').to_string(), lines);
        }
        lines.push(line);
    }
    panic!("demo exited before serving: {lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_serves_verified_reports_behind_a_login() {
    let dir = common::temp_dir("demo");
    let (_server, base, printed) = start_demo(&dir);
    assert!(printed.iter().any(|l| l.contains("不一致 0 户")), "the demo's own check: {printed:?}");
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // Without a login, pages redirect and the API answers 401 with the public error body.
    let r = http.get(format!("{base}/jobs")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = http.get(format!("{base}/api/v1/jobs")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated");

    // A wrong password is refused.
    let r = http.post(format!("{base}/login")).form(&[("login", "demo"), ("password", "wrong")]).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // The browser path: log in, read the job list.
    let r =
        http.post(format!("{base}/login")).form(&[("login", "demo"), ("password", "demo-hedui")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let html = http.get(format!("{base}/jobs?outcome=exceeds")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("核对任务") && html.contains("超出"), "{html}");
    assert!(html.contains("演示账户"), "a demo account is marked as one on every page");
    assert!(!html.contains(r#"href="/audit""#), "the 核对员's menu has no audit log");

    // Pick a household the ground truth says is over the limits because of a car, and read its report.
    let truth = hedui::city::ground_truth(&dir.join("city")).unwrap();
    let car = truth.values().find(|t| t.reasons == "car").expect("the city has a car case");
    let jobs: serde_json::Value =
        http.get(format!("{base}/api/v1/jobs?household={}", car.number)).send().await.unwrap().json().await.unwrap();
    let job = jobs["jobs"][0]["id"].as_i64().expect("the household has a job");
    let report: serde_json::Value =
        http.get(format!("{base}/api/v1/jobs/{job}/report")).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["assessment"]["outcome"], "exceeds");
    assert_eq!(report["assessment"]["reasons"], serde_json::json!(["car"]));
    assert_eq!(report["household"]["number"], car.number.as_str());
    let page = http.get(format!("{base}/jobs/{job}/report")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("家庭经济状况核对报告") && page.contains("超出：机动车"), "{page}");
    assert!(page.contains(report["members"][0]["name"].as_str().unwrap()), "a clerk sees the names");

    // Signed files to download: PDF and HTML from the page, PDF and JSON from the API.
    let key: serde_json::Value =
        http.get(format!("{base}/api/v1/reports/signing-key")).send().await.unwrap().json().await.unwrap();
    let key = key["public_key"].as_str().unwrap().to_string();
    for url in [
        format!("{base}/jobs/{job}/report.pdf"),
        format!("{base}/jobs/{job}/report.html"),
        format!("{base}/api/v1/jobs/{job}/report/pdf"),
        format!("{base}/api/v1/jobs/{job}/report/json"),
    ] {
        let r = http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let bytes = r.bytes().await.unwrap();
        let s = hedui_app::reports::sign::verify(&bytes, Some(&key)).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(s.report, report["number"].as_str().unwrap());
    }
    assert_eq!(http.get(format!("{base}/jobs/{job}/report.docx")).send().await.unwrap().status(), 404);

    // The report explains itself: the policy applied and the trace of every figure. The page
    // links the calculation (its script fetches it when opened); it is not built for the page.
    let src = format!("/jobs/{job}/report/trace?version=1");
    let unescaped = page.replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(page.contains("政策测算") && page.contains("计算过程") && unescaped.contains(&src), "{page}");
    assert!(!page.contains("规则 dibao.income_limit"), "the page itself does not carry the calculation");
    let trace = http.get(format!("{base}{src}")).send().await.unwrap().text().await.unwrap();
    assert!(trace.contains(r#"id="trace""#) && trace.contains("规则 dibao.income_limit"), "{trace}");

    // The policy page shows the documents in force and simulates a change on the caseload.
    let policy_page = http.get(format!("{base}/policy")).send().await.unwrap();
    for (h, v) in [("cache-control", "no-store"), ("x-frame-options", "DENY"), ("x-content-type-options", "nosniff")] {
        assert_eq!(policy_page.headers()[h], v, "{h} on a page of personal data");
    }
    assert!(policy_page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let policy = policy_page.text().await.unwrap();
    assert!(policy.contains("江苏省社会救助家庭经济状况核对规则") && policy.contains("常州市武进区"), "{policy}");
    // Every form that posts carries the session's CSRF token; a post without it, or from another
    // origin, is refused and audited.
    let csrf = policy.split(r#"name="csrf" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let forged = http.post(format!("{base}/policy")).form(&[("changes", "dibao.standard=+5%")]).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let cross = http
        .post(format!("{base}/policy"))
        .header("origin", "http://127.0.0.1:1")
        .form(&[("changes", "dibao.standard=+5%"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let admin =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // The auditor's account has a second factor: the password opens a pending session only.
    let r = admin
        .post(format!("{base}/login"))
        .form(&[("login", "auditor"), ("password", "auditor-hedui")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login/second");
    let pending = admin.get(format!("{base}/audit")).send().await.unwrap();
    assert_eq!(pending.headers()["location"], "/login", "a pending session opens nothing");
    let form = admin.get(format!("{base}/login/second")).send().await.unwrap().text().await.unwrap();
    let token = form.split(r#"name="csrf" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let secret =
        printed.iter().find_map(|l| l.trim().strip_prefix("TOTP auditor ")).expect("the demo prints the secret");
    let secret = hedui_crypto::otp::base32_decode(secret).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    // A code three steps away is outside the one-step drift allowed.
    let wrong = format!("{:06}", hedui_crypto::otp::totp_sha1(&secret, now + 90, 30, 6));
    let r = admin
        .post(format!("{base}/login/second"))
        .form(&[("totp", wrong.as_str()), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login", "a wrong code is refused");
    let code = format!("{:06}", hedui_crypto::otp::totp_sha1(&secret, now, 30, 6));
    let r = admin
        .post(format!("{base}/login/second"))
        .form(&[("totp", code.as_str()), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/", "the right code opens the session (at the first page of the menu)");
    let audit = admin.get(format!("{base}/audit")).send().await.unwrap().text().await.unwrap();
    assert!(
        audit.contains(">审计日志</a>") && !audit.contains(">核对任务</a>"),
        "the 审计管理员 sees the audit log only"
    );
    assert_eq!(audit.matches("拒绝请求（来源或表单令牌无效）").count(), 2, "both refusals are audited: {audit}");
    let sim = http
        .post(format!("{base}/policy"))
        .form(&[("changes", "dibao.standard=+5%"), ("as_of", ""), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sim.contains("测算结果") && sim.contains("天宁区") && sim.contains("合计"), "{sim}");
    let bad = http
        .post(format!("{base}/policy"))
        .form(&[("changes", "标准加五"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("无法识别的政策变更"), "{bad}");

    // The sources page lists every department and institution, with the ones the demo asked online.
    let sources = http.get(format!("{base}/sources")).send().await.unwrap().text().await.unwrap();
    assert!(sources.contains("政府部门 21 个（15 个部门），金融机构 27 个，数据类别 35 类"), "{sources}");
    assert!(sources.contains("中国人民银行常州市分行（账户信息查询）") && sources.contains("在线接口"), "{sources}");
    let overview: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/sources"))
        .bearer_auth(demo_token(&base).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pboc = overview.as_array().unwrap().iter().find(|s| s["code"] == "PBOC").unwrap();
    assert!(pboc["queries"]["found"].as_i64().unwrap() > 0, "{pboc}");
    assert_eq!(pboc["backlog"], 0);

    // The node publishes its exchange keys.
    let keys: serde_json::Value =
        reqwest::get(format!("{base}/api/v1/exchange/keys")).await.unwrap().json().await.unwrap();
    assert!(keys["sign"].as_str().unwrap().starts_with("04"), "{keys}");

    // A clean household reads 未超出.
    let clean = truth.values().find(|t| t.scenario == "clean_minus_1_fen").expect("a clean case");
    let jobs: serde_json::Value =
        http.get(format!("{base}/api/v1/jobs?household={}", clean.number)).send().await.unwrap().json().await.unwrap();
    if jobs["jobs"][0]["state"] == "report_issued" {
        let job = jobs["jobs"][0]["id"].as_i64().unwrap();
        let report: serde_json::Value =
            http.get(format!("{base}/api/v1/jobs/{job}/report")).send().await.unwrap().json().await.unwrap();
        assert_eq!(report["assessment"]["outcome"], "not_exceeded");
    }

    // The API with a bearer token: a refused job shows the authorization error.
    let token = demo_token(&base).await;
    let api = reqwest::Client::new();
    let refused: serde_json::Value = api
        .get(format!("{base}/api/v1/jobs?state=refused"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["total"], 2, "every 50th demo household has no letter yet");
    let job = refused["jobs"][0]["id"].as_i64().unwrap();
    let r = api.get(format!("{base}/api/v1/jobs/{job}/report")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert!(body["request_id"].as_str().is_some_and(|s| !s.is_empty()));

    // A malformed body is a clear 422, not a crash.
    let r = api
        .post(format!("{base}/api/v1/households"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"number": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");

    // The OpenAPI description is served.
    let spec: serde_json::Value =
        http.get(format!("{base}/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"), "{}", spec["openapi"]);
    assert!(spec["components"]["schemas"]["Report"]["properties"]["assessment"].is_object());
}

async fn demo_token(base: &str) -> String {
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({"login": "demo", "password": "demo-hedui"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_string()
}
