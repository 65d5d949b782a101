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

pub(crate) mod answers;
mod packages;
pub mod progress;
mod pump;
pub(crate) mod readiness;
mod sources;

pub use packages::{ExportedPackage, ImportedPackage};
pub use sources::SourceOverview;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use hedui_connect::online::{OnlineClient, Reply, SendError};
use hedui_core::catalog::{Channel, SourceKind};
use hedui_core::id_number::IdNumber;
use hedui_core::{Date, JobId, QueryId};
use hedui_exchange::{PersonQuery, SearchRequest};
use hedui_identity::place;
use hedui_store::{AuthorizationRow, HouseholdRow, JobRow, NewQuery, NewRequest, QueryRow, RequestRow, RequestState};

use crate::cases::supporters::SUPPORTER_SEQ_BASE;
use crate::{App, AppError, AppResult};

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
    /// The node's client: its catalog, keys, breakers, callbacks and file packages.
    pub client: Arc<OnlineClient>,
    /// Who answers the online sources' searches: `client` over HTTP, or books in process.
    pub institutions: Arc<dyn hedui_connect::institutions::Institutions>,
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
        self.store.enqueue_queries(&queries, self.now())?;
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
        let has_index = catalog.sources.iter().any(|s| s.channel.asks() && s.kind == SourceKind::AccountService);
        let supporters = self.authorized_supporters(job, h)?;
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
            // A supporter is asked about under their own letter, at the sources it covers.
            for (seq, person, _) in supporters.iter().filter(|(_, _, l)| l.scopes.contains(&s.scope)) {
                queries.push(NewQuery {
                    job: job.id,
                    source: s.code.clone(),
                    member_seq: SUPPORTER_SEQ_BASE + seq,
                    person: *person,
                    query_date: job.as_of,
                });
            }
        }
        Ok(queries)
    }

    /// The supporters of a 特困 job with a letter of their own in force on its date and a
    /// resolved ID number: (supporter seq, person, letter).
    fn authorized_supporters(
        &self,
        job: &JobRow,
        h: &HouseholdRow,
    ) -> AppResult<Vec<(u32, hedui_core::PersonId, AuthorizationRow)>> {
        if job.programme != hedui_core::programme::Programme::Tekun || h.supporters.is_empty() {
            return Ok(Vec::new());
        }
        let letters = self.store.authorizations(h.id)?;
        Ok(h.supporters
            .iter()
            .filter_map(|sp| {
                let letter = App::supporter_letter(&letters, sp.seq, job.as_of)?;
                Some((sp.seq, sp.person?, letter.clone()))
            })
            .collect())
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
        let watch = crate::collect::readiness::Readiness::start(self.store.as_ref(), jobs, ready)?;
        self.pump(setup, Some(watch))
    }

    fn member_queries(&self, job: JobId, cache: &mut HashMap<JobId, BTreeMap<u32, MemberQuery>>) -> AppResult<()> {
        if cache.contains_key(&job) {
            return Ok(());
        }
        let row = self.job(job)?;
        let (h, letter) = self.household_and_letter(&row)?;
        let supporters = self.authorized_supporters(&row, &h)?;
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
        for (seq, _, own) in supporters {
            let Some(sp) = h.supporters.iter().find(|s| s.seq == seq) else { continue };
            let declared = self.identity.open_string(&place::supporter_id(&h.number, seq), &sp.id_enc)?;
            let Ok(p) = IdNumber::parse(&declared) else { continue };
            members.insert(
                SUPPORTER_SEQ_BASE + seq,
                MemberQuery {
                    id_number: p.id.as_str().to_string(),
                    name: self.identity.open_string(&place::supporter_name(&h.number, seq), &sp.name_enc)?,
                    letter: own.number,
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
        let mut groups: BTreeMap<(String, Date), Vec<QueryId>> = BTreeMap::new();
        for q in &queued {
            groups.entry((q.source.clone(), q.query_date)).or_default().push(q.id);
        }
        let mut planned = Vec::new();
        let now = self.now();
        let deadline =
            hedui_core::Timestamp::from_unix(self.clock.unix_seconds() + setup.collect_within.as_secs() as i64);
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
                    next_attempt_at: now,
                    deadline_at: deadline,
                };
                planned.push((r, chunk.to_vec()));
            }
        }
        let mut made = Vec::with_capacity(planned.len());
        // Many requests per transaction: each commit rewrites the pages it touched.
        for group in planned.chunks(256) {
            let ids = self.store.create_requests(group, now)?;
            for ((r, _), id) in group.iter().zip(ids) {
                made.push(RequestRow {
                    id,
                    source: r.source.clone(),
                    message_id: r.message_id.clone(),
                    transaction_id: r.transaction_id.clone(),
                    query_date: r.query_date,
                    state: RequestState::Pending,
                    attempts: 0,
                    next_attempt_at: r.next_attempt_at,
                    deadline_at: r.deadline_at,
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
