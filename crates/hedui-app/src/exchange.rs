//! Collecting from online sources: queries, requests, retries, answers.
//!
//! A dispatched job gets one query per member and online source that its letter covers.
//! Financial institutions are asked in two steps: first the 人民银行 account-information
//! service, which says where each member holds accounts, then those banks; when that service
//! cannot answer, every bank is asked instead. Securities firms, insurers, trusts and payment
//! institutions (which it does not cover) are asked directly.
//!
//! [`App::collect`] batches queued queries into requests of up to a source's batch size, sends
//! them concurrently, retries with backoff, lets a source's circuit breaker stop a failing
//! source, and stores each answer in one transaction with its queries. Everything is in the
//! store, so a restart picks up where the last run stopped and a retry reuses its message id.
// tidy: allow(long-file): query planning, sending and answers; this becomes the collect service in issue 10.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hedui_connect::online::{OnlineClient, Reply, SendError, backoff};
use hedui_core::catalog::{Channel, Source, SourceKind};
use hedui_core::id_number::IdNumber;
use hedui_core::{Date, JobId};
use hedui_exchange::{Envelope, PersonQuery, PersonStatus, SearchRequest, SearchResponse};
use hedui_identity::place;
use hedui_means::{SourceState, SourceStatus};
use hedui_store::{
    AuthorizationRow, HouseholdRow, JobRow, NewQuery, NewRequest, QueryRow, QueryState, RequestRow, RequestState,
};

use crate::{App, AppError, AppResult, answers};

/// A runtime for network requests only, shut down without waiting when dropped (which may
/// happen on any thread).
pub struct NetRuntime(Option<tokio::runtime::Runtime>);

impl NetRuntime {
    pub fn new(threads: usize) -> AppResult<NetRuntime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("hedui-exchange")
            .enable_all()
            .build()
            .map(|r| NetRuntime(Some(r)))
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    fn handle(&self) -> tokio::runtime::Handle {
        match &self.0 {
            Some(r) => r.handle().clone(),
            None => unreachable!("the runtime lives until dropped"),
        }
    }
}

impl Drop for NetRuntime {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.shutdown_background();
        }
    }
}

impl std::fmt::Debug for NetRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NetRuntime")
    }
}

/// How hedui reaches online sources.
#[derive(Debug)]
pub struct ExchangeSetup {
    pub client: Arc<OnlineClient>,
    pub runtime: NetRuntime,
    /// A collection gives up on requests still open after this long (they become 未反馈).
    pub collect_within: Duration,
    /// Requests in flight at once, over all sources.
    pub concurrency: usize,
    /// How often an accepted (asynchronous) request is asked for its state.
    pub poll_every: Duration,
    /// One collection at a time: two clerks running jobs together share one pump instead of
    /// sending the same open requests twice.
    pub pumping: std::sync::Mutex<()>,
}

/// What one member's query needs from the job.
#[derive(Clone)]
struct MemberQuery {
    id_number: String,
    name: String,
    letter: String,
    commission: String,
}

enum Done {
    Sent(Result<Reply, SendError>),
    Polled(Result<Reply, SendError>),
    /// An answer to a search, its records sealed on the runtime's blocking pool.
    Prepared(AppResult<answers::Prepared>),
}

impl App {
    fn setup(&self) -> AppResult<&ExchangeSetup> {
        self.exchange.as_deref().ok_or_else(|| AppError::Invalid("未配置在线数据交换".into()))
    }

    /// Creates the first queries of a dispatched job: every online department source and
    /// non-bank financial institution, and the account-information service (or, without one,
    /// every bank), for the members with a resolved identity, within the letter's scopes.
    pub fn enqueue_online(&self, job: &JobRow, h: &HouseholdRow, letter: &AuthorizationRow) -> AppResult<()> {
        let queries = self.online_queries(job, h, letter)?;
        self.store.enqueue_queries(&queries, &self.now())?;
        Ok(())
    }

    /// The first queries of a dispatched job (see [`App::enqueue_online`]), not stored yet.
    pub fn online_queries(
        &self,
        job: &JobRow,
        h: &HouseholdRow,
        letter: &AuthorizationRow,
    ) -> AppResult<Vec<NewQuery>> {
        let setup = self.setup()?;
        let catalog = setup.client.catalog();
        let has_index = catalog.by_channel(Channel::Online).any(|s| s.kind == SourceKind::AccountService);
        let mut queries = Vec::new();
        for s in catalog.sources.iter().filter(|s| s.channel != Channel::Mirror) {
            let first_step = match s.kind {
                SourceKind::Bank => !has_index,
                _ => true,
            };
            if !first_step || !letter.scopes.contains(&s.scope) {
                continue;
            }
            for m in &h.members {
                if let Some(person) = m.person {
                    queries.push(NewQuery {
                        job: job.id,
                        source: s.code.clone(),
                        member_seq: m.seq,
                        person,
                        query_date: job.as_of,
                    });
                }
            }
        }
        Ok(queries)
    }

    /// Sends and collects every open query until none is left or the time is up. Blocks the
    /// calling thread, which does all the store work; requests travel on the exchange's own
    /// runtime, so this may be called from anywhere but an async task.
    pub fn collect(&self) -> AppResult<()> {
        let setup = self.setup()?;
        // A collection that finished while this one waited leaves little to do; a poisoned lock
        // only means another collection failed, which does not make this one unsafe.
        let _one_at_a_time = setup.pumping.lock().unwrap_or_else(|p| p.into_inner());
        self.pump(setup, None)
    }

    /// [`App::collect`], calling `ready` for each of `jobs` as soon as none of its queries is
    /// open any more (from the calling thread, possibly before the collection ends). A job whose
    /// queries are still open when the collection ends (a file-exchange source) is not announced.
    pub(crate) fn collect_announcing(&self, jobs: &[JobId], ready: &dyn Fn(JobId)) -> AppResult<()> {
        let setup = self.setup()?;
        let _one_at_a_time = setup.pumping.lock().unwrap_or_else(|p| p.into_inner());
        let watch = crate::readiness::Readiness::start(self.store.as_ref(), jobs, ready)?;
        self.pump(setup, Some(watch))
    }

    fn member_queries(&self, job: JobId, cache: &mut HashMap<JobId, BTreeMap<u32, MemberQuery>>) -> AppResult<()> {
        if cache.contains_key(&job) {
            return Ok(());
        }
        let row = self.job(job)?;
        let (h, letter) = self.household_and_letter(&row)?;
        let letter = letter.number;
        let mut members = BTreeMap::new();
        for m in &h.members {
            let declared = self.identity.open_string(&place::member_id(&h.number, m.seq), &m.id_enc)?;
            let Ok(p) = IdNumber::parse(&declared) else { continue };
            members.insert(
                m.seq,
                MemberQuery {
                    id_number: p.id.as_str().to_string(),
                    name: self.identity.open_string(&place::member_name(&h.number, m.seq), &m.name_enc)?,
                    letter: letter.clone(),
                    commission: row.commission_number.clone(),
                },
            );
        }
        cache.insert(job, members);
        Ok(())
    }

    /// Puts queued queries into requests: per source and query date, up to the batch size. A
    /// source that still has requests open gets only full batches, so that the rest can wait
    /// for more persons; an idle one gets the remainder too.
    fn batch_queued(
        &self,
        setup: &ExchangeSetup,
        busy: &std::collections::HashSet<String>,
    ) -> AppResult<Vec<RequestRow>> {
        let queued = self.store.queued_queries(10_000_000)?;
        let mut groups: BTreeMap<(String, Date), Vec<i64>> = BTreeMap::new();
        for q in &queued {
            groups.entry((q.source.clone(), q.query_date)).or_default().push(q.id);
        }
        let mut planned = Vec::new();
        let now = self.now();
        let deadline = crate::timestamp(self.clock.unix_seconds() + setup.collect_within.as_secs() as i64);
        for ((source, date), ids) in groups {
            let size = setup.client.catalog().get(&source).map_or(100, |s| s.batch_size as usize).max(1);
            for chunk in ids.chunks(size) {
                if chunk.len() < size && busy.contains(&source) {
                    continue;
                }
                let message_id = new_message_id(setup.client.node_id())?;
                let r = NewRequest {
                    source: source.clone(),
                    transaction_id: message_id.clone(),
                    message_id,
                    query_date: date,
                    next_attempt_at: now.clone(),
                    deadline_at: deadline.clone(),
                };
                planned.push((r, chunk.to_vec()));
            }
        }
        let mut made = Vec::with_capacity(planned.len());
        // Many requests per transaction: each commit rewrites the pages it touched.
        for group in planned.chunks(256) {
            let ids = self.store.create_requests(group, &now)?;
            for ((r, _), id) in group.iter().zip(ids) {
                made.push(RequestRow {
                    id,
                    source: r.source.clone(),
                    message_id: r.message_id.clone(),
                    transaction_id: r.transaction_id.clone(),
                    query_date: r.query_date,
                    state: RequestState::Pending,
                    attempts: 0,
                    next_attempt_at: r.next_attempt_at.clone(),
                    deadline_at: r.deadline_at.clone(),
                    last_error: String::new(),
                });
            }
        }
        Ok(made)
    }

    fn search_request(
        &self,
        r: &RequestRow,
        cache: &mut HashMap<JobId, BTreeMap<u32, MemberQuery>>,
    ) -> AppResult<(SearchRequest, Vec<QueryRow>)> {
        let mut persons = Vec::new();
        let queries = self.store.request_queries(r.id)?;
        for q in &queries {
            self.member_queries(q.job, cache)?;
            let Some(m) = cache.get(&q.job).and_then(|ms| ms.get(&q.member_seq)) else { continue };
            persons.push(PersonQuery {
                ref_id: q.id.to_string(),
                id_number: m.id_number.clone(),
                name: m.name.clone(),
                authorization_no: m.letter.clone(),
                commission_no: m.commission.clone(),
            });
        }
        let request = SearchRequest {
            query_date: r.query_date,
            lookback_months: self.lookback_months(r.query_date),
            categories: Vec::new(),
            persons,
            callback_url: self.callback_url.clone(),
        };
        Ok((request, queries))
    }

    /// The longest movement window any region's policy asks for on `on`: one request carries
    /// persons of many households, and each household's check reads its own window from it.
    fn lookback_months(&self, on: Date) -> u32 {
        let regions: Vec<String> = self.policies.current().docs().map(|d| d.region.clone()).collect();
        regions
            .iter()
            .filter_map(|r| self.policies.resolve(r, on).ok()?.param("anomaly.outflow_window_months")?.int())
            .max()
            .map(|m| m.clamp(1, 24) as u32)
            .unwrap_or(6)
    }

    // tidy: allow(long-fn): the collection's event loop; it becomes the collect service's own module in issue 10.
    fn pump(&self, setup: &ExchangeSetup, mut watch: Option<crate::readiness::Readiness<'_>>) -> AppResult<()> {
        let started = Instant::now();
        // The jobs of each request sent in this collection (one entry per query), for `watch`.
        let mut request_jobs: HashMap<i64, Vec<JobId>> = HashMap::new();
        let (tx, rx) = std::sync::mpsc::channel::<(i64, Done)>();
        let mut tasks: HashMap<i64, tokio::task::JoinHandle<()>> = HashMap::new();
        let mut due: HashMap<i64, Instant> = HashMap::new();
        let mut cache = HashMap::new();
        let net = setup.runtime.handle();
        // The open requests, kept here: reading them all from the store after every answer
        // would make a large collection quadratic.
        let mut open: BTreeMap<i64, RequestRow> =
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
            let online =
                |r: &RequestRow| setup.client.catalog().get(&r.source).is_some_and(|s| s.channel == Channel::Online);
            if tasks.is_empty() && !open.values().any(online) {
                // File-exchange requests wait for their packages; they do not hold a collection up.
                let queued = self.store.queued_queries(1_000_000)?;
                if !queued
                    .iter()
                    .any(|q| setup.client.catalog().get(&q.source).is_some_and(|s| s.channel == Channel::Online))
                {
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
                let client = setup.client.clone();
                let message_id = r.message_id.clone();
                let stamp = self.now();
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
                    self.store.retry_request(id, RequestState::Accepted, attempts, &self.now(), "", &self.now())?;
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
                    self.store.retry_request(id, RequestState::Accepted, r.attempts, &now_s, &err, &now_s)?;
                }
                Done::Sent(Err(e)) => {
                    let attempts = r.attempts + 1;
                    if !e.is_transient() || attempts >= i64::from(source.max_attempts) {
                        open.remove(&id);
                        self.give_up(setup, &r, RequestState::Failed, &format!("{e}（已尝试 {attempts} 次）"))?;
                    } else {
                        let wait = backoff(&r.message_id, attempts as u32);
                        due.insert(id, Instant::now() + wait);
                        let next = crate::timestamp(self.clock.unix_seconds() + wait.as_secs() as i64);
                        let (now_s, err) = (self.now(), e.to_string());
                        self.store.retry_request(id, RequestState::Pending, attempts, &next, &err, &now_s)?;
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
    fn give_up(&self, setup: &ExchangeSetup, r: &RequestRow, state: RequestState, reason: &str) -> AppResult<()> {
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
        self.store.give_up_request(r.id, state, reason, &more, &self.now(), &audit)?;
        Ok(())
    }

    /// Stores an answer once; a repeated answer (a second callback) changes nothing.
    fn apply_answer(
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
    fn store_answer(
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
        Ok(self.store.answer_request(r.id, &outcomes, &more, &self.now(), &audit)?)
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

/// A request package written for an institution without an online interface.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedPackage {
    pub source: String,
    pub transaction_id: String,
    pub file_name: String,
    pub persons: usize,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// What importing a response package did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportedPackage {
    pub source: String,
    pub transaction_id: String,
    pub persons: usize,
    pub found: usize,
}

impl App {
    /// Writes one request package per open file-exchange request, and marks each request as
    /// waiting for the institution's response. Nothing is exported twice.
    pub fn export_packages(&self, actor: &crate::Caller) -> AppResult<Vec<ExportedPackage>> {
        actor.require_change()?;
        let setup = self.setup()?;
        let busy = std::collections::HashSet::new();
        self.batch_queued(setup, &busy)?;
        let mut cache = HashMap::new();
        let mut out = Vec::new();
        for r in self.store.open_requests(1_000_000)? {
            let Some(source) = setup.client.catalog().get(&r.source).filter(|s| s.channel == Channel::File).cloned()
            else {
                continue;
            };
            if r.state != RequestState::Pending {
                continue;
            }
            let (req, _) = self.search_request(&r, &mut cache)?;
            let manifest = hedui_exchange::package::Manifest {
                kind: hedui_exchange::package::PackageKind::Request,
                transaction_id: r.transaction_id.clone(),
                query_date: req.query_date,
                lookback_months: req.lookback_months,
                persons: req.persons.len() as u32,
                files: Vec::new(),
            };
            let files =
                hedui_exchange::package::request_files(&req.persons).map_err(|e| AppError::Internal(e.to_string()))?;
            let body = hedui_exchange::package::PackageBody::new(manifest, files);
            let bytes = setup
                .client
                .seal_package(&source, &r.transaction_id, &self.now(), &body)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            self.store.retry_request(r.id, RequestState::Accepted, r.attempts + 1, &self.now(), "", &self.now())?;
            self.audit(
                actor,
                "exchange.export",
                &format!("source:{}", source.code),
                hedui_store::AuditOutcome::Ok,
                format!("请求文件包 {}，{} 人", r.transaction_id, req.persons.len()),
            )?;
            out.push(ExportedPackage {
                file_name: format!("{}-{}.request.json", source.code, r.transaction_id),
                source: source.code.clone(),
                transaction_id: r.transaction_id.clone(),
                persons: req.persons.len(),
                bytes,
            });
        }
        Ok(out)
    }

    /// Imports an institution's response package. A package that fails its signature, its
    /// decryption or its digests, answers a request hedui did not send, answers someone not
    /// asked, or was imported before, is refused whole: nothing from it is stored.
    pub fn import_package(&self, actor: &crate::Caller, bytes: &[u8]) -> AppResult<ImportedPackage> {
        actor.require_change()?;
        let result = self.import_package_inner(bytes);
        let (outcome, detail) = match &result {
            Ok(p) => (hedui_store::AuditOutcome::Ok, format!("响应文件包 {}，{} 人", p.transaction_id, p.persons)),
            Err(e) => (hedui_store::AuditOutcome::Error, format!("响应文件包被拒收：{e}")),
        };
        let object = match &result {
            Ok(p) => format!("source:{}", p.source),
            Err(_) => "exchange:package".to_string(),
        };
        self.audit(actor, "exchange.import", &object, outcome, detail)?;
        result
    }

    fn import_package_inner(&self, bytes: &[u8]) -> AppResult<ImportedPackage> {
        let setup = self.setup()?;
        let refuse = |why: String| AppError::Invalid(format!("文件包被拒收：{why}"));
        let header = hedui_exchange::package::peek(bytes).map_err(|e| refuse(e.to_string()))?;
        let source = setup
            .client
            .catalog()
            .get(&header.sender_id)
            .filter(|s| s.channel == Channel::File)
            .cloned()
            .ok_or_else(|| refuse(format!("发送方 {} 不是文件交换渠道的数据源", header.sender_id)))?;
        let (header, body) = setup.client.open_package(&source, bytes).map_err(|e| refuse(e.to_string()))?;
        if body.manifest.kind != hedui_exchange::package::PackageKind::Response {
            return Err(refuse("不是响应文件包".into()));
        }
        let request = self
            .store
            .request_by_message(&header.transaction_id)?
            .filter(|r| r.source == source.code)
            .ok_or_else(|| refuse(format!("本平台没有发给 {} 的请求 {}", source.code, header.transaction_id)))?;
        if request.state.is_final() {
            return Err(AppError::Conflict(format!(
                "文件包被拒收：请求 {} 已有答复，该文件包已导入过或被重放",
                request.transaction_id
            )));
        }
        let answers =
            hedui_exchange::package::read_answers(&body.file("answers.csv").map_err(|e| refuse(e.to_string()))?)
                .map_err(|e| refuse(e.to_string()))?;
        let asked: std::collections::HashSet<String> =
            self.store.request_queries(request.id)?.iter().map(|q| q.id.to_string()).collect();
        if let Some(stray) = answers.iter().find(|a| !asked.contains(&a.ref_id)) {
            return Err(refuse(format!("包含未查询人员的答复（序号 {}）", stray.ref_id)));
        }
        let found = answers.iter().filter(|a| a.status == PersonStatus::Found).count();
        let persons = answers.len();
        let resp = SearchResponse { status: hedui_exchange::ResponseStatus::Completed, results: answers };
        if !self.apply_answer(setup, &source, &request, &resp)? {
            return Err(AppError::Conflict("文件包被拒收：该请求已有答复".into()));
        }
        Ok(ImportedPackage { source: source.code.clone(), transaction_id: request.transaction_id, persons, found })
    }
}

/// One source as the sources page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceOverview {
    pub code: String,
    pub name: String,
    pub institution: String,
    pub kind: String,
    pub department: String,
    pub channel: String,
    pub categories: Vec<String>,
    pub scope: String,
    pub sla: String,
    /// SM2 user ID, signature encoding, ciphertext order, SM4 mode (online and file sources).
    pub gm: Option<String>,
    /// Mirrors: the latest snapshot's date and how many batches have been imported.
    pub latest_snapshot: Option<Date>,
    pub batches: usize,
    /// Queries by state (queued, sent, found …) and their total still open.
    pub queries: BTreeMap<String, i64>,
    pub backlog: i64,
    /// Queries that ended without an answer (未反馈).
    pub unanswered: i64,
    pub requests: BTreeMap<String, i64>,
}

impl App {
    /// The catalog in use: the exchange's, or the embedded demo catalog.
    pub fn catalog(&self) -> AppResult<hedui_core::catalog::Catalog> {
        match &self.exchange {
            Some(ex) => Ok(ex.client.catalog().clone()),
            None => hedui_core::catalog::Catalog::parse(crate::data::CATALOG_3204)
                .map_err(|e| AppError::Internal(e.to_string())),
        }
    }

    /// How the means test treats sources that did not answer: the catalog's failure policies.
    pub fn source_policy(&self) -> AppResult<hedui_core::catalog::Catalog> {
        self.catalog()
    }

    /// Every source with its status and backlog.
    /// Any signed-in user may see it: it holds no personal data.
    pub fn source_overview(&self, _actor: &crate::Caller) -> AppResult<Vec<SourceOverview>> {
        let catalog = self.catalog()?;
        let mut queries: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (source, state, n) in self.store.query_counts()? {
            queries.entry(source).or_default().insert(code_of(&state), n);
        }
        let mut requests: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (source, state, n) in self.store.request_counts()? {
            requests.entry(source).or_default().insert(code_of(&state), n);
        }
        let batches = self.store.batches()?;
        Ok(catalog
            .sources
            .iter()
            .map(|s| {
                let q = queries.remove(&s.code).unwrap_or_default();
                let open = |k: &str| q.get(k).copied().unwrap_or(0);
                let mine: Vec<_> = batches
                    .iter()
                    .filter(|b| b.source == s.code && b.status == hedui_store::BatchStatus::Done)
                    .collect();
                SourceOverview {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    institution: s.institution.clone(),
                    kind: s.kind.name_zh().into(),
                    department: s.department.clone(),
                    channel: s.channel.name_zh().into(),
                    categories: s.categories.iter().map(|c| c.name_zh().to_string()).collect(),
                    scope: s.scope.name_zh().into(),
                    sla: s.sla.describe_zh(),
                    gm: (s.channel != Channel::Mirror).then(|| {
                        format!(
                            "用户标识 {}；签名 {}；密文 {}；SM4-{}",
                            s.gm.user_id,
                            match s.gm.signature {
                                hedui_core::catalog::SignatureEncoding::Der => "DER",
                                hedui_core::catalog::SignatureEncoding::Raw => "r‖s",
                            },
                            match s.gm.cipher_order {
                                hedui_core::catalog::CipherOrder::C1c3c2 => "C1C3C2",
                                hedui_core::catalog::CipherOrder::C1c2c3 => "C1C2C3",
                            },
                            match s.gm.sm4_mode {
                                hedui_core::catalog::Sm4Mode::Gcm => "GCM",
                                hedui_core::catalog::Sm4Mode::Cbc => "CBC+HMAC-SM3",
                            }
                        )
                    }),
                    latest_snapshot: mine.iter().map(|b| b.as_of).max(),
                    batches: mine.len(),
                    backlog: open("queued") + open("sent"),
                    unanswered: open("failed") + open("timed_out"),
                    queries: q,
                    requests: requests.remove(&s.code).unwrap_or_default(),
                }
            })
            .collect())
    }
}

/// The queries that follow `queries` at `sources` (the banks named by, or standing in for, the
/// account index), one per member and source.
fn follow_ups<'a>(queries: &[QueryRow], sources: impl Iterator<Item = &'a str> + Clone) -> Vec<NewQuery> {
    let mut more: Vec<NewQuery> = Vec::new();
    for q in queries {
        for code in sources.clone() {
            if !more.iter().any(|m| m.job == q.job && m.member_seq == q.member_seq && m.source == code) {
                more.push(NewQuery {
                    job: q.job,
                    source: code.to_string(),
                    member_seq: q.member_seq,
                    person: q.person,
                    query_date: q.query_date,
                });
            }
        }
    }
    more
}

fn code_of<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// A message id nobody else will use: node, time and randomness.
fn new_message_id(node: &str) -> AppResult<String> {
    let mut r = [0u8; 12];
    getrandom::fill(&mut r).map_err(|_| AppError::Internal("随机数生成失败".into()))?;
    Ok(format!("{node}-{}", hedui_crypto::encode_hex(&r)))
}
