//! The online channel's client: one signed, encrypted request to one source, with its own
//! deadline, and the bookkeeping that keeps a failing source from slowing everything else
//! (backoff with jitter between attempts, a circuit breaker per source).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sm3::Digest;

use hedui_core::catalog::{Catalog, Source};
use hedui_exchange::{
    Action, Envelope, ExchangeError, Header, NodeSecret, ResponseStatus, SearchRequest, SearchResponse, StatusRequest,
    VERSION,
};

/// Why an attempt got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{0} 毫秒内未收到应答")]
    Timeout(u64),
    #[error("连接失败：{0}")]
    Transport(String),
    #[error("机构返回 HTTP {0}：{1}")]
    Http(u16, String),
    #[error("应答无效：{0}")]
    BadReply(ExchangeError),
    #[error("数据源未配置在线接口：{0}")]
    NotConfigured(String),
    #[error("熔断中：该机构连续失败，暂停发送")]
    CircuitOpen,
    /// An institution's books read on this node could not be read (the reason says why).
    #[error("{0}")]
    Books(String),
}

impl SendError {
    /// Whether trying again may help. A request the source refuses as a whole (4xx) does not.
    pub fn is_transient(&self) -> bool {
        match self {
            SendError::Http(code, _) => *code >= 500 || *code == 429 || *code == 408,
            SendError::NotConfigured(_) => false,
            _ => true,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Breaker {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

/// Consecutive failures that open a source's breaker.
const BREAKER_THRESHOLD: u32 = 5;
/// How long an open breaker stays open before one trial request is let through.
const BREAKER_COOL_OFF: Duration = Duration::from_secs(2);

/// Sends requests to online sources on behalf of one node.
pub struct OnlineClient {
    http: reqwest::Client,
    node_id: String,
    secret: NodeSecret,
    catalog: std::sync::Arc<Catalog>,
    breakers: Mutex<HashMap<String, Breaker>>,
    /// Microseconds from sending to a complete reply (or the error), per attempt.
    latencies: Mutex<Vec<u32>>,
}

impl std::fmt::Debug for OnlineClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineClient").field("node_id", &self.node_id).finish_non_exhaustive()
    }
}

/// The delay before attempt `attempt + 1`: exponential from 200 ms, capped at 10 s, with full
/// jitter drawn from the message id (so two requests failing together do not retry together).
pub fn backoff(message_id: &str, attempt: u32) -> Duration {
    let cap = 200u64.saturating_mul(1u64 << attempt.min(16)).min(10_000);
    let h: [u8; 32] = sm3::Sm3::digest(format!("{message_id}/{attempt}").as_bytes()).into();
    let r = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    Duration::from_millis(cap / 2 + r % (cap / 2 + 1))
}

/// What a source said to a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Answer(SearchResponse),
    /// Accepted; the answer comes by callback or status query.
    Accepted,
}

impl OnlineClient {
    pub fn new(catalog: std::sync::Arc<Catalog>, secret: NodeSecret) -> OnlineClient {
        OnlineClient {
            http: reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap_or_default(),
            node_id: catalog.node.id.clone(),
            secret,
            catalog,
            breakers: Mutex::new(HashMap::new()),
            latencies: Mutex::new(Vec::new()),
        }
    }

    /// How long each attempt took so far, in microseconds, in no particular order.
    pub fn latencies(&self) -> Vec<u32> {
        self.latencies.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// This node's published keys.
    pub fn public_keys(&self) -> hedui_core::catalog::NodeKeys {
        self.secret.public()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Whether the source's breaker lets a request through now.
    pub fn allows(&self, source: &str) -> bool {
        let Ok(mut b) = self.breakers.lock() else { return true };
        let e = b.entry(source.to_string()).or_default();
        match e.open_until {
            Some(t) if Instant::now() < t => false,
            Some(_) => {
                // Half open: let this one through; a failure opens it again at once.
                e.open_until = None;
                e.consecutive_failures = BREAKER_THRESHOLD - 1;
                true
            }
            None => true,
        }
    }

    fn record(&self, source: &str, ok: bool) {
        let Ok(mut b) = self.breakers.lock() else { return };
        let e = b.entry(source.to_string()).or_default();
        if ok {
            *e = Breaker::default();
        } else {
            e.consecutive_failures += 1;
            if e.consecutive_failures >= BREAKER_THRESHOLD {
                e.open_until = Some(Instant::now() + BREAKER_COOL_OFF);
            }
        }
    }

    fn header(&self, source: &Source, action: Action, message_id: &str, transaction_id: &str, now: &str) -> Header {
        Header {
            version: VERSION.into(),
            message_id: message_id.to_string(),
            message_ts: now.to_string(),
            action,
            sender_id: self.node_id.clone(),
            receiver_id: source.code.clone(),
            transaction_id: transaction_id.to_string(),
        }
    }

    async fn post(&self, source: &Source, path: &str, env: &Envelope) -> Result<Envelope, SendError> {
        let base = self.catalog.endpoint_url(source).ok_or_else(|| SendError::NotConfigured(source.code.clone()))?;
        let timeout = Duration::from_millis(source.request_timeout_ms);
        let call = async {
            let resp = self
                .http
                .post(format!("{}/{path}", base.trim_end_matches('/')))
                .json(env)
                .send()
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| SendError::Transport(e.to_string()))?;
            if !status.is_success() {
                let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                return Err(SendError::Http(status.as_u16(), text));
            }
            Ok(body)
        };
        let sent = Instant::now();
        let body = match tokio::time::timeout(timeout, call).await {
            Err(_) => Err(SendError::Timeout(source.request_timeout_ms)),
            Ok(r) => r,
        };
        if let Ok(mut l) = self.latencies.lock() {
            l.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
        }
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                self.record(&source.code, false);
                return Err(e);
            }
        };
        let reply: Envelope = match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                self.record(&source.code, false);
                return Err(SendError::BadReply(ExchangeError::Format(format!("应答不是有效的报文：{e}"))));
            }
        };
        if reply.header.sender_id != source.code {
            self.record(&source.code, false);
            return Err(SendError::BadReply(ExchangeError::Format(format!(
                "应答来自 {}，不是 {}",
                reply.header.sender_id, source.code
            ))));
        }
        Ok(reply)
    }

    /// Opens a reply from `source`, checking its signature first; the breaker learns whether
    /// the source answers properly.
    fn open_reply<T: serde::de::DeserializeOwned>(&self, source: &Source, env: &Envelope) -> Result<T, SendError> {
        let r = self.open(source, env);
        self.record(&source.code, r.is_ok());
        r
    }

    /// Seals a file-exchange package to `source` under its profile.
    pub fn seal_package(
        &self,
        source: &Source,
        transaction_id: &str,
        now: &str,
        body: &hedui_exchange::package::PackageBody,
    ) -> Result<Vec<u8>, SendError> {
        let keys = source.keys.as_ref().ok_or_else(|| SendError::NotConfigured(source.code.clone()))?;
        let header = self.header(source, Action::Search, transaction_id, transaction_id, now);
        hedui_exchange::package::seal(header, body, &self.secret, keys, &source.gm).map_err(SendError::BadReply)
    }

    /// Opens a package `source` sent to this node: signature, decryption, digests.
    pub fn open_package(
        &self,
        source: &Source,
        bytes: &[u8],
    ) -> Result<(Header, hedui_exchange::package::PackageBody), SendError> {
        let keys = source.keys.as_ref().ok_or_else(|| SendError::NotConfigured(source.code.clone()))?;
        hedui_exchange::package::open(bytes, keys, &self.secret, &self.node_id, &source.gm).map_err(SendError::BadReply)
    }

    /// Opens a reply envelope from `source` addressed to this node.
    pub fn open<T: serde::de::DeserializeOwned>(&self, source: &Source, env: &Envelope) -> Result<T, SendError> {
        let keys = source.keys.as_ref().ok_or_else(|| SendError::NotConfigured(source.code.clone()))?;
        env.open(keys, &self.secret, &self.node_id, &source.gm).map_err(SendError::BadReply)
    }

    /// One attempt at a search. The same `message_id` on every attempt of the same request.
    pub async fn search(
        &self,
        source: &Source,
        message_id: &str,
        req: &SearchRequest,
        now: &str,
    ) -> Result<Reply, SendError> {
        let keys = source.keys.as_ref().ok_or_else(|| SendError::NotConfigured(source.code.clone()))?;
        let env = Envelope::seal(
            self.header(source, Action::Search, message_id, message_id, now),
            req,
            &self.secret,
            keys,
            &source.gm,
        )
        .map_err(SendError::BadReply)?;
        let reply = self.post(source, "search", &env).await?;
        let resp: SearchResponse = self.open_reply(source, &reply)?;
        Ok(match resp.status {
            ResponseStatus::Accepted => Reply::Accepted,
            _ => Reply::Answer(resp),
        })
    }

    /// Asks for the state of an earlier search (its transaction id is its message id).
    pub async fn status(&self, source: &Source, message_id: &str, now: &str) -> Result<Reply, SendError> {
        let keys = source.keys.as_ref().ok_or_else(|| SendError::NotConfigured(source.code.clone()))?;
        let status_id = format!("{message_id}-st");
        let env = Envelope::seal(
            self.header(source, Action::TxnStatus, &status_id, message_id, now),
            &StatusRequest { transaction_id: message_id.to_string() },
            &self.secret,
            keys,
            &source.gm,
        )
        .map_err(SendError::BadReply)?;
        let reply = self.post(source, "txn-status", &env).await?;
        let resp: SearchResponse = self.open_reply(source, &reply)?;
        Ok(match resp.status {
            ResponseStatus::Completed | ResponseStatus::Refused(_) => Reply::Answer(resp),
            ResponseStatus::Accepted | ResponseStatus::Unknown => Reply::Accepted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_five_failures_and_lets_one_trial_through_after_cooling_off() {
        let catalog = std::sync::Arc::new(
            Catalog::parse(r#"{"node":{"id":"n","name":"n"},"sources":[]}"#).unwrap_or_else(|e| panic!("{e}")),
        );
        let c = OnlineClient::new(catalog, NodeSecret::derive(b"t", "n"));
        for _ in 0..4 {
            c.record("bank_a", false);
        }
        assert!(c.allows("bank_a"), "four failures in a row leave it closed");
        c.record("bank_a", true);
        for _ in 0..4 {
            c.record("bank_a", false);
        }
        assert!(c.allows("bank_a"), "a success starts the count again");
        c.record("bank_a", false);
        assert!(!c.allows("bank_a"), "the fifth failure in a row opens it");
        assert!(c.allows("bank_b"), "other sources are not affected");
        std::thread::sleep(BREAKER_COOL_OFF + Duration::from_millis(50));
        assert!(c.allows("bank_a"), "after cooling off one trial goes through");
        c.record("bank_a", false);
        assert!(!c.allows("bank_a"), "and a failed trial opens it again at once");
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let d: Vec<Duration> = (0..8).map(|a| backoff("m1", a)).collect();
        assert!(d[0] >= Duration::from_millis(100) && d[0] <= Duration::from_millis(200), "{d:?}");
        assert!(d[7] <= Duration::from_secs(10));
        assert!(d[5] >= Duration::from_secs(3), "{d:?}");
        assert_ne!(backoff("m1", 3), backoff("m2", 3), "two requests do not retry in step");
        assert_eq!(backoff("m1", 3), backoff("m1", 3));
    }
}
