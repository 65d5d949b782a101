//! The collection's event loop: requests sent when due, answers and callbacks stored with the
//! queries they lead to, retries and give-ups, and each job's sources' state.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use hedui_connect::online::{Reply, backoff};
use hedui_core::catalog::{Channel, Source, SourceKind};
use hedui_core::{Date, JobId, RequestId};
use hedui_exchange::{Envelope, SearchResponse};
use hedui_means::{SourceState, SourceStatus};
use hedui_store::{QueryRow, QueryState, RequestRow, RequestState};

use super::*;
use crate::{App, AppError, AppResult};

impl App {
    // tidy: allow(long-fn): the collection's event loop, in the collect service's own module (pump).
    pub(super) fn pump(
        &self,
        setup: &ExchangeSetup,
        mut watch: Option<crate::collect::readiness::Readiness<'_>>,
    ) -> AppResult<()> {
        let started = Instant::now();
        // The jobs of each request sent in this collection (one entry per query), for `watch`.
        let mut request_jobs: HashMap<RequestId, Vec<JobId>> = HashMap::new();
        let (tx, rx) = std::sync::mpsc::channel::<(RequestId, Done)>();
        let mut tasks: HashMap<RequestId, tokio::task::JoinHandle<()>> = HashMap::new();
        let mut due: HashMap<RequestId, Instant> = HashMap::new();
        let mut cache = HashMap::new();
        let net = setup.runtime.handle();
        // The open requests, kept here: reading them all from the store after every answer
        // would make a large collection quadratic.
        let mut open: BTreeMap<RequestId, RequestRow> =
            self.store.open_requests(10_000_000)?.into_iter().map(|r| (r.id, r)).collect();
        let mut last_batch: Option<Instant> = None;
        // Whether queued queries may be waiting to go into requests: at the start, after the
        // account index answered (its banks are queued), and when a source that held back a
        // partial batch falls idle.
        let mut dirty = true;
        loop {
            // New requests for what is queued: at once when nothing is in flight, else every 100 ms.
            if dirty && (last_batch.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) || tasks.is_empty()) {
                let busy = open.values().map(|r| r.source.clone()).collect();
                for r in self.batch_queued(setup, &busy)? {
                    open.insert(r.id, r);
                }
                last_batch = Some(Instant::now());
                dirty = false;
            }
            let online = |r: &RequestRow| setup.client.catalog().get(&r.source).is_some_and(|s| s.channel.asks());
            if tasks.is_empty() && !open.values().any(online) {
                // File-exchange requests wait for their packages; they do not hold a collection up.
                let queued = self.store.queued_queries(1_000_000)?;
                if !queued.iter().any(|q| setup.client.catalog().get(&q.source).is_some_and(|s| s.channel.asks())) {
                    return Ok(());
                }
                dirty = true;
                continue;
            }
            let now = Instant::now();
            if now.duration_since(started) > setup.collect_within {
                for (_, t) in tasks.drain() {
                    t.abort();
                }
                for r in std::mem::take(&mut open).into_values().filter(online) {
                    self.give_up(setup, &r, RequestState::TimedOut, "超过核对时限未反馈")?;
                }
                continue;
            }
            for r in open.values() {
                if tasks.len() >= setup.concurrency {
                    break;
                }
                if !online(r) || tasks.contains_key(&r.id) || due.get(&r.id).is_some_and(|t| now < *t) {
                    continue;
                }
                let Some(source) = setup.client.catalog().get(&r.source).cloned() else {
                    continue;
                };
                if !setup.client.allows(&source.code) {
                    continue;
                }
                let client = setup.institutions.clone();
                let message_id = r.message_id.clone();
                let stamp = self.now().to_string();
                let id = r.id;
                let tx = tx.clone();
                let task = if r.state == RequestState::Accepted {
                    net.spawn(async move {
                        let _ = tx.send((id, Done::Polled(client.status(&source, &message_id, &stamp).await)));
                    })
                } else {
                    let (req, queries) = self.search_request(r, &mut cache)?;
                    if watch.is_some() {
                        request_jobs.insert(id, queries.iter().map(|q| q.job).collect());
                    }
                    let identity = self.identity.clone();
                    net.spawn(async move {
                        let done = match client.search(&source, &message_id, &req, &stamp).await {
                            // Sealing an answer's records is CPU work: it runs on the blocking
                            // pool, and the calling thread only stores what comes back.
                            Ok(Reply::Answer(resp)) => Done::Prepared(
                                tokio::task::spawn_blocking(move || {
                                    answers::prepare(&identity, &source, &queries, &resp)
                                })
                                .await
                                .unwrap_or_else(|e| Err(AppError::Internal(format!("sealing an answer: {e}")))),
                            ),
                            other => Done::Sent(other),
                        };
                        let _ = tx.send((id, done));
                    })
                };
                tasks.insert(id, task);
            }
            let Ok((id, done)) = rx.recv_timeout(Duration::from_millis(20)) else { continue };
            tasks.remove(&id);
            let finished_before = open.len();
            let Some(r) = open.get(&id).cloned() else { continue };
            let Some(source) = setup.client.catalog().get(&r.source).cloned() else {
                open.remove(&id);
                self.give_up(setup, &r, RequestState::Failed, "数据源目录中已没有该来源")?;
                continue;
            };
            match done {
                Done::Prepared(prepared) => {
                    open.remove(&id);
                    self.store_answer(setup, &source, &r, prepared?)?;
                }
                Done::Sent(Ok(Reply::Answer(resp))) | Done::Polled(Ok(Reply::Answer(resp))) => {
                    open.remove(&id);
                    self.apply_answer(setup, &source, &r, &resp)?;
                }
                Done::Sent(Ok(Reply::Accepted)) | Done::Polled(Ok(Reply::Accepted)) => {
                    due.insert(id, Instant::now() + setup.poll_every);
                    let attempts = r.attempts + 1;
                    self.store.retry_request(id, RequestState::Accepted, attempts, self.now(), "", self.now())?;
                    if let Some(x) = open.get_mut(&id) {
                        (x.state, x.attempts) = (RequestState::Accepted, attempts);
                    }
                    // An answer delivered by callback meanwhile closes it.
                    if self.store.request(id)?.is_some_and(|x| x.state.is_final()) {
                        open.remove(&id);
                    }
                }
                Done::Polled(Err(e)) => {
                    // The answer may still come by callback; ask again later.
                    due.insert(id, Instant::now() + setup.poll_every);
                    let (now_s, err) = (self.now(), e.to_string());
                    self.store.retry_request(id, RequestState::Accepted, r.attempts, now_s, &err, now_s)?;
                }
                Done::Sent(Err(e)) => {
                    let attempts = r.attempts + 1;
                    if !e.is_transient() || attempts >= i64::from(source.max_attempts) {
                        open.remove(&id);
                        self.give_up(setup, &r, RequestState::Failed, &format!("{e}（已尝试 {attempts} 次）"))?;
                    } else {
                        let wait = backoff(&r.message_id, attempts as u32);
                        due.insert(id, Instant::now() + wait);
                        let next = hedui_core::Timestamp::from_unix(self.clock.unix_seconds() + wait.as_secs() as i64);
                        let (now_s, err) = (self.now(), e.to_string());
                        self.store.retry_request(id, RequestState::Pending, attempts, next, &err, now_s)?;
                        if let Some(x) = open.get_mut(&id) {
                            x.attempts = attempts;
                        }
                    }
                }
            }
            if open.len() < finished_before {
                // A request ended: the account index's answers queue banks, and a source with no
                // other request open may have a partial batch waiting.
                let index = source.kind == SourceKind::AccountService;
                if let Some(w) = watch.as_mut() {
                    let jobs = match request_jobs.remove(&id) {
                        Some(jobs) => jobs,
                        None => self.store.request_queries(id)?.iter().map(|q| q.job).collect(),
                    };
                    w.request_ended(self.store.as_ref(), &jobs, index)?;
                }
                if index || !open.values().any(|x| x.source == r.source) {
                    dirty = true;
                }
            }
        }
    }

    /// Gives a request up; when it was the account-information service, every bank is asked
    /// instead for its members.
    pub(super) fn give_up(
        &self,
        setup: &ExchangeSetup,
        r: &RequestRow,
        state: RequestState,
        reason: &str,
    ) -> AppResult<()> {
        let audit = self.audit_entry(
            &crate::Caller::system("exchange"),
            "exchange.give_up",
            &format!("source:{}", r.source),
            hedui_store::AuditOutcome::Error,
            format!("请求 {} 未反馈：{reason}", r.message_id),
        );
        let catalog = setup.client.catalog();
        let more = if catalog.get(&r.source).is_some_and(|s| s.kind == SourceKind::AccountService) {
            let banks = catalog.sources.iter().filter(|s| s.kind == SourceKind::Bank && s.channel != Channel::Mirror);
            follow_ups(&self.store.request_queries(r.id)?, banks.map(|b| b.code.as_str()))
        } else {
            Vec::new()
        };
        self.store.give_up_request(r.id, state, reason, &more, self.now(), &audit)?;
        Ok(())
    }

    /// Stores an answer once; a repeated answer (a second callback) changes nothing.
    pub(super) fn apply_answer(
        &self,
        setup: &ExchangeSetup,
        source: &Source,
        r: &RequestRow,
        resp: &SearchResponse,
    ) -> AppResult<bool> {
        let queries = self.store.request_queries(r.id)?;
        let prepared = answers::prepare(&self.identity, source, &queries, resp)?;
        self.store_answer(setup, source, r, prepared)
    }

    /// Stores an answer whose records are sealed already, with its audit row, then queues the
    /// banks the account index named. Returns `false`, changing nothing, for a repeated answer.
    pub(super) fn store_answer(
        &self,
        setup: &ExchangeSetup,
        source: &Source,
        r: &RequestRow,
        prepared: answers::Prepared,
    ) -> AppResult<bool> {
        let outcomes = prepared.outcomes;
        let found = outcomes.iter().filter(|o| o.state == QueryState::Found).count();
        let audit = self.audit_entry(
            &crate::Caller::system("exchange"),
            "exchange.answer",
            &format!("source:{}", source.code),
            hedui_store::AuditOutcome::Ok,
            format!("请求 {} 已答复：{} 人，有记录 {found} 人", r.message_id, outcomes.len()),
        );
        // The banks the account index named are queried next, stored with the answer so that no
        // crash or reader can see the one without the other.
        let mut more = Vec::new();
        for (q, banks) in &prepared.found_banks {
            let online = banks
                .iter()
                .filter_map(|b| setup.client.catalog().get(b))
                .filter(|s| s.channel != Channel::Mirror)
                .map(|s| s.code.as_str());
            more.extend(follow_ups(std::slice::from_ref(q), online));
        }
        Ok(self.store.answer_request(r.id, &outcomes, &more, self.now(), &audit)?)
    }

    /// A callback from a source (its header's sender): the answer to an accepted request.
    /// Returns whether it was new; a repeated callback changes nothing.
    pub fn exchange_callback(&self, env: &Envelope) -> AppResult<bool> {
        let setup = self.setup()?;
        let source_code = env.header.sender_id.as_str();
        let source = setup
            .client
            .catalog()
            .get(source_code)
            .cloned()
            .ok_or_else(|| AppError::NotFound(format!("数据源 {source_code} 不在目录中")))?;
        let resp: SearchResponse = setup.client.open(&source, env).map_err(|e| AppError::Invalid(e.to_string()))?;
        let r = self
            .store
            .request_by_message(&env.header.transaction_id)?
            .filter(|r| r.source == source.code)
            .ok_or_else(|| AppError::NotFound(format!("没有交易 {}", env.header.transaction_id)))?;
        self.apply_answer(setup, &source, &r, &resp)
    }

    /// The report's view of the online sources a job asked: answered, nothing found, or not
    /// answered (未反馈, which keeps the conclusion open). Returns whether any failed.
    pub(crate) fn exchange_statuses(&self, job: JobId, as_of: Date) -> AppResult<(Vec<SourceStatus>, bool)> {
        let setup = self.setup()?;
        let mut per_source: BTreeMap<String, Vec<QueryRow>> = BTreeMap::new();
        for q in self.store.job_queries(job)? {
            per_source.entry(q.source.clone()).or_default().push(q);
        }
        let mut out = Vec::new();
        let mut failed = false;
        for s in &setup.client.catalog().sources {
            let Some(qs) = per_source.get(&s.code) else { continue };
            let unanswered = qs.iter().find(|q| !q.state.is_answered());
            // Without the account index every bank was asked directly: the picture is complete.
            let replaced = s.kind == SourceKind::AccountService
                && unanswered.is_some_and(|q| q.state.is_final())
                && qs.iter().filter(|q| !q.state.is_answered()).all(|q| {
                    per_source.iter().any(|(code, other)| {
                        setup.client.catalog().get(code).is_some_and(|b| b.kind == SourceKind::Bank)
                            && other.iter().any(|o| o.member_seq == q.member_seq)
                    })
                });
            let state = match unanswered {
                Some(q) if replaced => {
                    SourceState::Replaced { reason: format!("{}；已改为向全部银行逐家查询", q.reason) }
                }
                Some(q) => {
                    failed = true;
                    let reason = match q.state {
                        QueryState::Queued | QueryState::Sent => "尚未反馈".to_string(),
                        _ => q.reason.clone(),
                    };
                    SourceState::NotAnswered { reason }
                }
                None if qs.iter().any(|q| q.state == QueryState::Found) => SourceState::Answered,
                None => SourceState::NoRecord,
            };
            out.push(SourceStatus {
                source: s.code.clone(),
                name: format!("{}（{}）", s.name, s.channel.name_zh()),
                as_of: Some(as_of),
                state,
            });
        }
        Ok((out, failed))
    }
}
