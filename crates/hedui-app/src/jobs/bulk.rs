//! Runs of many jobs: dispatch them all, collect their queries together (so requests carry
//! persons of many families), and make each report as soon as its job has nothing left to
//! collect, on one worker thread per core. Reports go to the store as they are made; a run keeps
//! only an [`Issued`] summary of each, so its memory does not grow with the reports.

use std::collections::HashMap;

use hedui_core::job::JobState;
use hedui_core::{Fen, JobId};
use hedui_means::{ExceedReason, Outcome};
use hedui_store::{HouseholdRow, JobFilter, JobRow};

use crate::reports::Report;
use crate::{App, AppError, AppResult, Caller};

/// How long each stage of a bulk run took (the clock read here is for operators and benchmarks;
/// nothing decided depends on it).
#[derive(Clone, Copy, Debug, Default)]
pub struct StageTimes {
    /// Authorization checks, state changes and query planning, job by job.
    pub dispatch: std::time::Duration,
    /// The online collection, until every query is answered or given up.
    pub collect: std::time::Duration,
    /// What the caller ran between collection and reports (file packages, in the demo).
    pub between: std::time::Duration,
    /// Evidence, assessment, sealing, signing and storing the reports not made while collecting,
    /// from the end of `between` until the last report is stored.
    pub reports: std::time::Duration,
    /// Reports made while the collection went on (their jobs had nothing left to collect).
    pub reported_while_collecting: usize,
}

/// What a report worker hands back: each job's result, tagged with its index in the run.
type Results = Vec<(usize, AppResult<Issued>)>;

/// A report worker, if its thread started.
type Worker<'scope> = std::io::Result<std::thread::ScopedJoinHandle<'scope, Results>>;

/// Every worker's results. A worker that did not start or that panicked loses its results: its
/// jobs are reported as not run (their state in the store says how far each got), and the log
/// says so.
fn join(workers: Vec<Worker<'_>>) -> Results {
    let mut all = Vec::new();
    for w in workers {
        match w.map_err(|e| e.to_string()).and_then(|h| h.join().map_err(|_| "panicked".to_string())) {
            Ok(done) => all.extend(done),
            Err(e) => tracing::error!(error = %e, "报告线程未能启动或异常退出"),
        }
    }
    all
}

/// A dispatched job with what its report needs: the job, its household and its letter.
type Dispatched = (JobRow, HouseholdRow, hedui_store::AuthorizationRow);

/// Jobs handed to report workers as they become ready; workers wait for more until it is closed.
#[derive(Default)]
struct Feed {
    queue: std::sync::Mutex<(std::collections::VecDeque<(usize, Dispatched)>, bool)>,
    more: std::sync::Condvar,
}

impl Feed {
    fn push(&self, item: (usize, Dispatched)) {
        if let Ok(mut q) = self.queue.lock() {
            q.0.push_back(item);
        }
        self.more.notify_one();
    }

    fn close(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.1 = true;
        }
        self.more.notify_all();
    }

    /// The next job, waiting for one; `None` once the feed is closed and empty.
    fn next(&self) -> Option<(usize, Dispatched)> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if let Some(item) = q.0.pop_front() {
                return Some(item);
            }
            if q.1 {
                return None;
            }
            q = self.more.wait(q).ok()?;
        }
    }
}

/// What a bulk run keeps of an issued report: enough to count and to compare against a ground
/// truth, never the body (which the store keeps, sealed and signed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub job: JobId,
    pub number: String,
    pub version: i64,
    pub outcome: Outcome,
    pub reasons: Vec<ExceedReason>,
    /// Anomaly codes, in the report's order.
    pub anomalies: Vec<String>,
    pub income_total: Fen,
    pub assets_total: Fen,
    /// What could not be verified.
    pub missing: Vec<String>,
}

impl Issued {
    pub fn of(r: &Report) -> Issued {
        let a = &r.assessment;
        Issued {
            job: r.job,
            number: r.number.clone(),
            version: r.version,
            outcome: a.outcome,
            reasons: a.reasons.clone(),
            anomalies: a.anomalies.iter().map(|x| x.code.code().to_string()).collect(),
            income_total: a.income_total,
            assets_total: a.assets_total,
            missing: a.missing.clone(),
        }
    }
}

impl App {
    /// Runs several submitted jobs: all are dispatched, their online queries are collected
    /// together (so requests carry persons of many families), then each gets its report. A job
    /// that cannot run (no valid letter, say) does not stop the others: its error is returned
    /// in its place. Reports go to the store as they are issued; the run keeps only a summary
    /// of each ([`Issued`]), so its memory does not grow with the reports.
    pub fn run_jobs(&self, actor: &Caller, ids: &[JobId]) -> AppResult<Vec<AppResult<Issued>>> {
        self.run_jobs_with(actor, ids, &|_| Ok(()))
    }

    /// [`App::run_jobs`], with `between` run after the online collection and before the
    /// reports: the place where file-exchange packages go out and come back when that happens
    /// within the run (the demo and the tests; in production institutions answer days later).
    pub fn run_jobs_with(
        &self,
        actor: &Caller,
        ids: &[JobId],
        between: &dyn Fn(&App) -> AppResult<()>,
    ) -> AppResult<Vec<AppResult<Issued>>> {
        Ok(self.run_jobs_staged(actor, ids, between)?.0)
    }

    /// [`App::run_jobs_with`], with the time each stage of the run took.
    pub fn run_jobs_staged(
        &self,
        actor: &Caller,
        ids: &[JobId],
        between: &dyn Fn(&App) -> AppResult<()>,
    ) -> AppResult<(Vec<AppResult<Issued>>, StageTimes)> {
        let mut times = StageTimes::default();
        let t = std::time::Instant::now();
        let mut dispatched = Vec::new();
        let mut out: Vec<Option<AppResult<Issued>>> = Vec::with_capacity(ids.len());
        let mut queries = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.dispatch_job(actor, *id) {
                Ok(d) => {
                    if self.exchange.is_some() {
                        queries.extend(self.online_queries(&d.0, &d.1, &d.2)?);
                        if queries.len() >= 50_000 {
                            self.store.enqueue_queries(&std::mem::take(&mut queries), self.now())?;
                        }
                    }
                    dispatched.push((i, d));
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        self.store.enqueue_queries(&queries, self.now())?;
        times.dispatch = t.elapsed();
        // Reports are made while the collection goes on: a job whose queries are all final is
        // handed to the report workers at once. The rest follow after `between`.
        let waiting: std::sync::Mutex<HashMap<JobId, (usize, Dispatched)>> =
            std::sync::Mutex::new(dispatched.into_iter().map(|(i, d)| (d.0.id, (i, d))).collect());
        let take = |job: JobId| waiting.lock().ok().and_then(|mut w| w.remove(&job));
        let feed = Feed::default();
        let (run, done) = std::thread::scope(|scope| {
            let workers = self.report_workers(scope, actor, &feed);
            let run = (|| -> AppResult<()> {
                let t = std::time::Instant::now();
                if self.exchange.is_some() {
                    let jobs: Vec<JobId> = waiting.lock().map(|w| w.keys().copied().collect()).unwrap_or_default();
                    let early = std::cell::Cell::new(0);
                    self.collect_announcing(&jobs, &|job| {
                        if let Some(item) = take(job) {
                            early.set(early.get() + 1);
                            feed.push(item);
                        }
                    })?;
                    times.reported_while_collecting = early.get();
                }
                times.collect = t.elapsed();
                let t = std::time::Instant::now();
                between(self)?;
                times.between = t.elapsed();
                Ok(())
            })();
            let t = std::time::Instant::now();
            if run.is_ok() {
                let mut rest: Vec<(usize, Dispatched)> =
                    waiting.lock().map(|mut w| w.drain().map(|(_, v)| v).collect()).unwrap_or_default();
                rest.sort_by_key(|(i, _)| *i);
                rest.into_iter().for_each(|item| feed.push(item));
            }
            feed.close();
            let done = join(workers);
            times.reports = t.elapsed();
            (run, done)
        });
        run?;
        for (i, result) in done {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(result);
            }
        }
        tracing::info!(
            jobs = ids.len(),
            dispatch_s = times.dispatch.as_secs_f64(),
            collect_s = times.collect.as_secs_f64(),
            reports_s = times.reports.as_secs_f64(),
            "bulk run"
        );
        let results =
            out.into_iter().map(|r| r.unwrap_or_else(|| Err(AppError::Internal("任务未执行".into())))).collect();
        Ok((results, times))
    }

    /// The report stage of a bulk run: one worker thread per core, each taking the next job from
    /// `feed`, verifying it and storing its report, until the feed is closed and empty. Opening,
    /// assessing, sealing and signing run in parallel; the store serializes its own work.
    /// Results come back tagged with their index.
    fn report_workers<'scope, 'env>(
        &'env self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        actor: &'env Caller,
        feed: &'env Feed,
    ) -> Vec<Worker<'scope>> {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
        (0..workers)
            .map(|_| {
                std::thread::Builder::new().name("hedui-report".into()).spawn_scoped(scope, move || {
                    let mut done = Vec::new();
                    while let Some((i, (job, h, letter))) = feed.next() {
                        done.push((i, self.complete_job(actor, job, h, letter).map(|r| Issued::of(&r))));
                    }
                    done
                })
            })
            .collect()
    }

    /// [`App::report_workers`] over a fixed list of jobs.
    fn complete_all(&self, actor: &Caller, jobs: Vec<(usize, Dispatched)>) -> Vec<(usize, AppResult<Issued>)> {
        let feed = Feed::default();
        jobs.into_iter().for_each(|item| feed.push(item));
        feed.close();
        std::thread::scope(|scope| join(self.report_workers(scope, actor, &feed)))
    }

    /// After a restart: collects what jobs in flight still wait for, then reports them.
    pub fn resume_jobs(&self, actor: &Caller) -> AppResult<Vec<AppResult<Issued>>> {
        actor.require_change()?;
        // A run that stopped between completing a report and issuing it: issue it now, after
        // the checks `issue` makes on the stored report.
        for (report, job) in self.store.unissued_reports()? {
            self.issue(actor, job, report)?;
        }
        let waiting = self.store.jobs(&JobFilter {
            state: Some(JobState::Dispatched),
            limit: 100_000,
            ..JobFilter::default()
        })?;
        if waiting.is_empty() {
            return Ok(Vec::new());
        }
        if self.exchange.is_some() {
            self.collect()?;
        }
        let mut jobs = Vec::new();
        for (i, job) in waiting.into_iter().enumerate() {
            let (h, letter) = self.household_and_letter(&job)?;
            jobs.push((i, (job, h, letter)));
        }
        let n = jobs.len();
        let mut out: Vec<Option<AppResult<Issued>>> = (0..n).map(|_| None).collect();
        for (i, r) in self.complete_all(actor, jobs) {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(r);
            }
        }
        Ok(out.into_iter().map(|r| r.unwrap_or_else(|| Err(AppError::Internal("任务未执行".into())))).collect())
    }
}
