//! Simulated departments and financial institutions.
//!
//! One HTTP server plays every online and file source of a catalog, over hedui's exchange
//! protocol (`hedui-exchange`): it checks each request's SM2 signature, opens it, answers from
//! generated data, and seals and signs the answer as the institution would. It can be slow,
//! dead, flaky, malformed or unsigned on purpose ([`Faults`]), so the tests, the benchmark and
//! the demo exercise the same failure handling a real network needs; a bank can also point
//! its own client at it to test an interface before connecting.
//!
//! A message id is answered once: a retry of the same message gets the same answer again and
//! is counted as a repeat, never as a new query ([`Simulator::stats`]).
//!
//! Routes, per source code: `POST /{code}/search`, `POST /{code}/txn-status`,
//! `GET /{code}/keys`; and `GET /_sim/stats`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use sm3::Digest;

use hedui_connect::FinancialSource;
use hedui_core::catalog::{Catalog, NodeKeys, Source};
use hedui_exchange::{
    Action, Envelope, Header, NodeSecret, PersonResult, PersonStatus, ResponseStatus, SearchRequest, SearchResponse,
    StatusRequest, VERSION,
};

/// The seed of every simulated institution's keys. The demo catalog
/// (`data/sources/3204.json`) carries the public halves; [`fill_catalog_keys`] rewrites them.
pub const SIM_SEED: &[u8] = b"hedui-simulator/demo-city/v1";

/// The keys a simulated institution signs and decrypts with.
pub fn source_secret(code: &str) -> NodeSecret {
    NodeSecret::derive(SIM_SEED, code)
}

/// Sets the published keys of every online and file source in a catalog file to the
/// simulator's, keeping everything else as written.
pub fn fill_catalog_keys(json: &str) -> Result<String, String> {
    let mut v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let sources = v.get_mut("sources").and_then(|s| s.as_array_mut()).ok_or("目录缺少 sources")?;
    for s in sources {
        let code = s.get("code").and_then(|c| c.as_str()).unwrap_or_default().to_string();
        let channel = s.get("channel").and_then(|c| c.as_str()).unwrap_or_default();
        if channel != "mirror" {
            let keys = serde_json::to_value(source_secret(&code).public()).map_err(|e| e.to_string())?;
            if let Some(o) = s.as_object_mut() {
                o.insert("keys".into(), keys);
            }
        }
    }
    let mut out = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

/// Misbehaviour on purpose. Rates are per attempt, drawn from the message id and the attempt
/// number, so runs repeat and a retry can succeed where the first try failed.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Added to every answer.
    pub latency: Duration,
    /// Per source, replacing `latency`.
    pub slow: HashMap<String, Duration>,
    /// Sources that accept connections and never answer.
    pub dead: HashSet<String>,
    /// HTTP 503.
    pub error_rate: f64,
    /// No answer within any reasonable deadline.
    pub timeout_rate: f64,
    /// The answer trickles out a few bytes at a time.
    pub drip_rate: f64,
    /// A body that is not an envelope.
    pub malformed_rate: f64,
    /// An envelope whose signature is missing.
    pub unsigned_rate: f64,
    /// An envelope signed with a key that is not the institution's published one.
    pub bad_signature_rate: f64,
    /// Faults for the first attempts of every message, in order (`error`, `timeout`, `drip`,
    /// `malformed`, `unsigned`, `bad_signature`), before the rates apply: a script that makes
    /// a test deterministic.
    pub script: Vec<String>,
    /// Answer `Accepted` and deliver by callback when the request names one.
    pub async_rate: f64,
    /// Deliver every callback twice.
    pub duplicate_callbacks: bool,
}

/// Counts per source.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SourceStats {
    /// Distinct message ids answered.
    pub unique: u64,
    /// Requests repeating a message id already answered.
    pub repeats: u64,
    /// Persons asked about in distinct messages.
    pub persons: u64,
    /// Callbacks sent.
    pub callbacks: u64,
    /// Requests that failed on purpose.
    pub faults: u64,
}

#[derive(Default)]
struct SimState {
    /// (source, request message id) → the answer body sent.
    answers: HashMap<(String, String), SearchResponse>,
    /// (source, transaction id) → request message id, for status queries.
    transactions: HashMap<(String, String), String>,
    attempts: HashMap<(String, String), u32>,
    stats: BTreeMap<String, SourceStats>,
}

/// The simulator: a catalog's sources, their data, and the one client allowed to ask.
pub struct Simulator {
    catalog: Catalog,
    banks: HashMap<String, Arc<dyn FinancialSource>>,
    client_id: String,
    client_keys: NodeKeys,
    faults: Faults,
    state: Mutex<SimState>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// A number in [0, 1) from a label: the same label, the same number.
fn roll(label: &str) -> f64 {
    let h: [u8; 32] = sm3::Sm3::digest(label.as_bytes()).into();
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// A request turned away: status and the reason, in words an operator can act on.
type Refusal = (StatusCode, String);

enum Fault {
    None,
    Error,
    Timeout,
    Drip,
    Malformed,
    Unsigned,
    BadSignature,
}

impl Simulator {
    pub fn new(
        catalog: Catalog,
        banks: Vec<Arc<dyn FinancialSource>>,
        client_id: &str,
        client_keys: NodeKeys,
        faults: Faults,
    ) -> Simulator {
        Simulator {
            catalog,
            banks: banks.into_iter().map(|b| (b.code().to_string(), b)).collect(),
            client_id: client_id.to_string(),
            client_keys,
            faults,
            state: Mutex::new(SimState::default()),
            http: reqwest::Client::new(),
        }
    }

    /// Counts per source so far.
    pub fn stats(&self) -> BTreeMap<String, SourceStats> {
        self.state.lock().map(|s| s.stats.clone()).unwrap_or_default()
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> Option<T> {
        self.state.lock().ok().map(|mut s| f(&mut s))
    }

    fn pick_fault(&self, code: &str, message_id: &str) -> Fault {
        let attempt = self
            .with_state(|s| {
                let a = s.attempts.entry((code.to_string(), message_id.to_string())).or_insert(0);
                *a += 1;
                *a
            })
            .unwrap_or(1);
        let f = &self.faults;
        if let Some(name) = f.script.get(attempt as usize - 1) {
            return match name.as_str() {
                "error" => Fault::Error,
                "timeout" => Fault::Timeout,
                "drip" => Fault::Drip,
                "malformed" => Fault::Malformed,
                "unsigned" => Fault::Unsigned,
                "bad_signature" => Fault::BadSignature,
                _ => Fault::None,
            };
        }
        let r = roll(&format!("{code}/{message_id}/{attempt}"));
        let mut edge = 0.0;
        for (rate, fault) in [
            (f.error_rate, Fault::Error),
            (f.timeout_rate, Fault::Timeout),
            (f.drip_rate, Fault::Drip),
            (f.malformed_rate, Fault::Malformed),
            (f.unsigned_rate, Fault::Unsigned),
            (f.bad_signature_rate, Fault::BadSignature),
        ] {
            edge += rate;
            if r < edge {
                return fault;
            }
        }
        Fault::None
    }

    /// What the source knows about one person (a bank that cannot read its books refuses it).
    fn answer_person(&self, source: &Source, req: &SearchRequest, p: &hedui_exchange::PersonQuery) -> PersonResult {
        hedui_connect::institutions::answer_person(&self.catalog, &self.banks, source, req, p).unwrap_or_else(
            |reason| PersonResult {
                ref_id: p.ref_id.clone(),
                status: PersonStatus::Refused(reason),
                items: Vec::new(),
            },
        )
    }

    /// Plays an institution on the file channel: opens a request package addressed to one of
    /// the catalog's sources, answers every person in it, and returns the response package.
    pub fn answer_package(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        use hedui_exchange::package;
        let header = package::peek(bytes).map_err(|e| e.to_string())?;
        let source = self.catalog.get(&header.receiver_id).cloned().ok_or("收件方不在目录中")?;
        let (header, body) =
            package::open(bytes, &self.client_keys, &source_secret(&source.code), &source.code, &source.gm)
                .map_err(|e| e.to_string())?;
        let persons = package::read_requests(&body.file("requests.csv").map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let req = SearchRequest {
            query_date: body.manifest.query_date,
            lookback_months: body.manifest.lookback_months,
            categories: Vec::new(),
            persons,
            callback_url: None,
        };
        let results: Vec<PersonResult> = req.persons.iter().map(|p| self.answer_person(&source, &req, p)).collect();
        let manifest = package::Manifest {
            kind: package::PackageKind::Response,
            persons: results.len() as u32,
            ..body.manifest.clone()
        };
        let reply = package::PackageBody::new(manifest, package::answer_files(&results));
        package::seal(
            self.reply_header(&source.code, Action::OnSearch, &header),
            &reply,
            &source_secret(&source.code),
            &self.client_keys,
            &source.gm,
        )
        .map_err(|e| e.to_string())
    }

    fn reply_header(&self, code: &str, action: Action, request: &Header) -> Header {
        Header {
            version: VERSION.into(),
            message_id: format!("{code}-re-{}", request.message_id),
            message_ts: request.message_ts.clone(),
            action,
            sender_id: code.to_string(),
            receiver_id: self.client_id.clone(),
            transaction_id: request.transaction_id.clone(),
        }
    }

    fn seal(&self, source: &Source, header: Header, body: &impl Serialize) -> Result<Envelope, Refusal> {
        Envelope::seal(header, body, &source_secret(&source.code), &self.client_keys, &source.gm)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    }

    fn open<T: serde::de::DeserializeOwned>(&self, source: &Source, body: &[u8]) -> Result<(Envelope, T), Refusal> {
        let env: Envelope =
            serde_json::from_slice(body).map_err(|e| (StatusCode::BAD_REQUEST, format!("不是有效的报文: {e}")))?;
        if env.header.sender_id != self.client_id {
            return Err((StatusCode::FORBIDDEN, format!("未登记的请求方 {}", env.header.sender_id)));
        }
        let req = env
            .open(&self.client_keys, &source_secret(&source.code), &source.code, &source.gm)
            .map_err(|e| (StatusCode::UNAUTHORIZED, e.to_string()))?;
        Ok((env, req))
    }

    async fn delay(&self, code: &str) {
        let d = self.faults.slow.get(code).copied().unwrap_or(self.faults.latency);
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    async fn search(self: Arc<Self>, code: String, body: bytes::Bytes) -> Response {
        let Some(source) =
            self.catalog.get(&code).filter(|s| s.channel != hedui_core::catalog::Channel::Mirror).cloned()
        else {
            return (StatusCode::NOT_FOUND, format!("没有在线数据源 {code}")).into_response();
        };
        if self.faults.dead.contains(&code) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        self.delay(&code).await;
        let (env, req) = match self.open::<SearchRequest>(&source, &body) {
            Ok(x) => x,
            Err(r) => return r.into_response(),
        };
        let key = (code.clone(), env.header.message_id.clone());
        // A message already answered is answered again, identically, and counted as a repeat.
        let earlier = self.with_state(|s| s.answers.get(&key).cloned()).flatten();
        let fault = self.pick_fault(&code, &env.header.message_id);
        if !matches!(fault, Fault::None) {
            self.with_state(|s| s.stats.entry(code.clone()).or_default().faults += 1);
        }
        let response = match earlier {
            Some(r) => {
                self.with_state(|s| s.stats.entry(code.clone()).or_default().repeats += 1);
                r
            }
            None => {
                let results = req.persons.iter().map(|p| self.answer_person(&source, &req, p)).collect();
                let r = SearchResponse { status: ResponseStatus::Completed, results };
                self.with_state(|s| {
                    s.answers.insert(key.clone(), r.clone());
                    s.transactions.insert((code.clone(), env.header.transaction_id.clone()), key.1.clone());
                    let st = s.stats.entry(code.clone()).or_default();
                    st.unique += 1;
                    st.persons += req.persons.len() as u64;
                });
                r
            }
        };
        match fault {
            Fault::Error => return (StatusCode::SERVICE_UNAVAILABLE, "机构系统繁忙").into_response(),
            Fault::Timeout => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Fault::Malformed => return (StatusCode::OK, "{\"header\": {\"truncated").into_response(),
            Fault::None | Fault::Drip | Fault::Unsigned | Fault::BadSignature => {}
        }
        if roll(&format!("async/{}", key.1)) < self.faults.async_rate {
            // Accepted now; the answer follows by callback when the request names one, and is
            // there for a status query either way.
            let ack = SearchResponse { status: ResponseStatus::Accepted, results: Vec::new() };
            if let Some(url) = req.callback_url.clone() {
                let header = env.header.clone();
                let me = self.clone();
                let src = source.clone();
                tokio::spawn(async move { me.callback(src, header, response, url).await });
            }
            return self.reply(&source, &env.header, &ack, &Fault::None);
        }
        self.reply(&source, &env.header, &response, &fault)
    }

    fn reply(&self, source: &Source, request: &Header, body: &SearchResponse, fault: &Fault) -> Response {
        let header = self.reply_header(&source.code, Action::OnSearch, request);
        let sealed = if matches!(fault, Fault::BadSignature) {
            // Well formed, but signed by an impostor's key.
            Envelope::seal(
                header,
                body,
                &source_secret(&format!("{}-impostor", source.code)),
                &self.client_keys,
                &source.gm,
            )
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        } else {
            self.seal(source, header, body)
        };
        let mut out = match sealed {
            Ok(e) => e,
            Err(r) => return r.into_response(),
        };
        if matches!(fault, Fault::Unsigned) {
            out.signature.clear();
        }
        let bytes = serde_json::to_vec(&out).unwrap_or_default();
        if matches!(fault, Fault::Drip) {
            // A few bytes every 50 ms: the answer arrives, but long after any sensible deadline.
            let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
                bytes.chunks(16).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
            let stream = futures_util::stream::unfold(chunks.into_iter(), |mut it| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                it.next().map(|c| (c, it))
            });
            return Response::builder()
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        ([("content-type", "application/json")], bytes).into_response()
    }

    async fn callback(self: Arc<Self>, source: Source, request: Header, body: SearchResponse, url: String) {
        self.delay(&source.code).await;
        let times = if self.faults.duplicate_callbacks { 2 } else { 1 };
        let Ok(env) = self.seal(&source, self.reply_header(&source.code, Action::OnSearch, &request), &body) else {
            return;
        };
        for _ in 0..times {
            let sent = self.http.post(&url).json(&env).timeout(Duration::from_secs(10)).send().await;
            if sent.is_ok() {
                self.with_state(|s| s.stats.entry(source.code.clone()).or_default().callbacks += 1);
            }
        }
    }

    async fn status(self: Arc<Self>, code: String, body: bytes::Bytes) -> Response {
        let Some(source) = self.catalog.get(&code).cloned() else {
            return (StatusCode::NOT_FOUND, format!("没有数据源 {code}")).into_response();
        };
        let (env, req) = match self.open::<StatusRequest>(&source, &body) {
            Ok(x) => x,
            Err(r) => return r.into_response(),
        };
        let answer = self
            .with_state(|s| {
                s.transactions
                    .get(&(code.clone(), req.transaction_id.clone()))
                    .and_then(|m| s.answers.get(&(code.clone(), m.clone())).cloned())
            })
            .flatten()
            .unwrap_or(SearchResponse { status: ResponseStatus::Unknown, results: Vec::new() });
        match self.seal(&source, self.reply_header(&code, Action::OnTxnStatus, &env.header), &answer) {
            Ok(e) => axum::Json(e).into_response(),
            Err(r) => r.into_response(),
        }
    }
}

/// The simulator's HTTP routes.
pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route(
            "/{code}/search",
            post(|State(s): State<Arc<Simulator>>, Path(code): Path<String>, body: bytes::Bytes| s.search(code, body)),
        )
        .route(
            "/{code}/txn-status",
            post(|State(s): State<Arc<Simulator>>, Path(code): Path<String>, body: bytes::Bytes| s.status(code, body)),
        )
        .route(
            "/{code}/keys",
            get(|State(s): State<Arc<Simulator>>, Path(code): Path<String>| async move {
                match s.catalog.get(&code) {
                    Some(_) => axum::Json(source_secret(&code).public()).into_response(),
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }),
        )
        .route("/_sim/stats", get(|State(s): State<Arc<Simulator>>| async move { axum::Json(s.stats()) }))
        .with_state(sim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_carries_the_simulators_public_keys() {
        let text = include_str!("../../../data/sources/3204.json");
        assert_eq!(
            fill_catalog_keys(text).unwrap(),
            text,
            "data/sources/3204.json is out of date: run `cargo run -- simulate --refresh-catalog data/sources/3204.json`"
        );
        let c = Catalog::parse(text).unwrap();
        assert!(c.departments().len() >= 15, "{:?}", c.departments());
        assert!(c.sources.iter().filter(|s| s.kind.is_financial()).count() >= 25);
        assert!(c.supplied().len() >= 23);
    }

    #[test]
    fn rolls_are_uniform_enough_and_repeatable() {
        let n = 10_000;
        let below = (0..n).filter(|i| roll(&format!("m{i}")) < 0.1).count();
        assert!((800..1200).contains(&below), "{below}");
        assert_eq!(roll("x"), roll("x"));
    }
}
