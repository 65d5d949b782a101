//! A real browser for the UI tests: Debian's `chromium`, headless, driven over W3C WebDriver by
//! Debian's `chromedriver` (plain HTTP and JSON, so no client library is needed). When either is
//! missing the test says so loudly and skips, unless `HEDUI_REQUIRE_CHROMIUM` is set (CI), where
//! it fails. Each test saves a screenshot of every main page into `target/screenshots/`, which
//! `.ci/run` lists at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C name of an element reference in WebDriver's JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session.
pub struct Browser {
    driver: Child,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    session: String,
    /// Where this test's screenshots go.
    shots: PathBuf,
    /// The web server's base URL.
    pub base: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = self.url("");
        let _ = self.rt.block_on(self.http.delete(url).send());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A browser for `test`, or `None` (after saying so) when Chromium or its driver is not installed.
pub fn open(test: &str, base: &str) -> Option<Browser> {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        common::skip_loudly("chromium and chromium-driver (browser tests)", "HEDUI_REQUIRE_CHROMIUM");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let http = reqwest::Client::new();
    let root = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while rt.block_on(http.get(format!("{root}/status")).send()).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = common::temp_dir(&format!("chromium_{test}"));
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1400,900", "--lang=zh-CN",
                     format!("--user-data-dir={}", profile.display())]
        }
    }}});
    let r: Value =
        rt.block_on(async { http.post(format!("{root}/session")).json(&caps).send().await?.json().await }).unwrap();
    let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_string();
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots").join(test);
    std::fs::create_dir_all(&shots).unwrap();
    Some(Browser {
        driver,
        rt,
        http,
        session: format!("{root}/session/{session}"),
        shots,
        base: base.trim_end_matches('/').to_string(),
    })
}

impl Browser {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.session)
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let req = self.http.request(method, self.url(path));
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let v: Value = self.rt.block_on(async { req.send().await?.json().await }).unwrap();
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    /// Opens `path` on the server.
    pub fn go(&self, path: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": format!("{}{path}", self.base)})));
    }

    /// The page's path and query.
    pub fn path(&self) -> String {
        let url = self.call(reqwest::Method::GET, "/url", None).as_str().unwrap_or_default().to_string();
        url.strip_prefix(&self.base).unwrap_or(&url).to_string()
    }

    /// The element `css` selects, waiting up to 10 s for it.
    pub fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let v: Value = self
                .rt
                .block_on(async {
                    self.http
                        .post(self.url("/element"))
                        .json(&json!({"using": "css selector", "value": css}))
                        .send()
                        .await?
                        .json()
                        .await
                })
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no element {css} on {} ({v}): {}",
                self.path(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The page's HTML as it stands.
    pub fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None).as_str().unwrap_or_default().to_string()
    }

    /// How many elements `css` selects now.
    pub fn count(&self, css: &str) -> usize {
        self.call(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css})))
            .as_array()
            .map_or(0, Vec::len)
    }

    /// Types `text` into the field `css` selects, after clearing it.
    pub fn fill(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({})));
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text})));
    }

    /// Chooses the local file `path` in the file input `css` selects.
    pub fn upload(&self, css: &str, path: &std::path::Path) {
        let id = self.find(css);
        let text = path.to_str().unwrap();
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text})));
    }

    /// Sets the value of the `<select>` or `<input>` `css` selects (a date input's typing is
    /// locale-dependent), as a user's choice would.
    pub fn set(&self, css: &str, value: &str) {
        self.find(css);
        self.eval(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('change'));",
            json!([css, value]),
        );
    }

    /// Clicks what `css` selects.
    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Clicks what `css` selects and waits until the browser is at another address.
    pub fn click_away(&self, css: &str) {
        let before = self.path();
        self.click(css);
        let started = Instant::now();
        while self.path() == before {
            assert!(started.elapsed() < Duration::from_secs(10), "clicking {css} left the page at {before}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The visible text of what `css` selects.
    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None).as_str().unwrap_or_default().to_string()
    }

    /// Runs `script` in the page (with `arguments`) and returns its value.
    pub fn eval(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    /// The session cookie the browser holds, for fetching a download outside the browser.
    pub fn cookie(&self, name: &str) -> String {
        let v = self.call(reqwest::Method::GET, &format!("/cookie/{name}"), None);
        v["value"].as_str().unwrap_or_default().to_string()
    }

    /// Saves a screenshot of the page as `<name>.png`.
    pub fn shot(&self, name: &str) {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None);
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.as_str().unwrap_or_default())
            .unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }
}
