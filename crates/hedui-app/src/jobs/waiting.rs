//! A job a clerk starts waits for its sources. Online sources answer within the collection;
//! file-exchange institutions answer days later through packages. The job is completed when every
//! source it asked has answered, or when the clerk completes it with what has come back
//! (按部分结果完成, with a reason, audited). A source that has not answered by its deadline (the
//! catalog's time limit, in hours or working days) is late (超时未反馈): the job page and the
//! 工作台 show it, and the clerk may remind it (催办), which is recorded and gives it a new
//! deadline counted from the reminder. Nothing completes a job behind the clerk's back while a
//! source it asked may still answer.

use hedui_core::JobId;
use hedui_core::job::{JobEvent, JobState};
use hedui_store::{AuditOutcome, JobFilter};

use crate::reports::Report;
use crate::{Action, App, AppError, AppResult, Caller, Object};

impl App {
    /// Starts a submitted job: checks the letter, dispatches it and queues its queries. Without
    /// an exchange nothing is asked, and the job is completed at once (its report is returned).
    /// Otherwise the caller collects and settles it ([`App::collect_and_settle`]), typically in
    /// the background, while the job page shows its sources.
    pub fn start_job(&self, actor: &Caller, id: JobId) -> AppResult<Option<Report>> {
        let (job, h, letter) = self.dispatch_job(actor, id)?;
        if self.exchange.is_none() {
            return self.complete_job(actor, job, h, letter).map(Some);
        }
        self.enqueue_online(&job, &h, &letter)?;
        // Whoever started it is its 核对人 when it completes later, after the last answer.
        self.audit(actor, "job.start", &format!("job:{id}"), AuditOutcome::Ok, "等待数据源反馈".into())?;
        Ok(None)
    }

    /// The user who started a waiting job, as they are now; none when they are gone, disabled or
    /// may no longer run jobs (a colleague then completes it).
    fn starter(&self, id: JobId) -> AppResult<Option<Caller>> {
        let rows = self.store.audit_about(&[format!("job:{id}")], 1000)?;
        let Some(start) = rows.iter().filter(|r| r.entry.action == "job.start").max_by_key(|r| r.id) else {
            return Ok(None);
        };
        let Some(u) = self.store.user_by_login(&start.entry.actor)? else { return Ok(None) };
        let role = crate::Role::parse(&u.role).filter(|r| crate::access::permits(*r, Action::JobRun));
        Ok(role.filter(|_| !u.disabled).map(|role| {
            Caller::user(&u.login, role, &u.region, &format!("settle-{id}")).of(&u.organization).demo(u.demo)
        }))
    }

    /// Collects what a started job asked, then completes it if every source has answered, or
    /// marks it as waiting (部分反馈) for the sources still open. Returns the report when made.
    pub fn collect_and_settle(&self, actor: &Caller, id: JobId) -> AppResult<Option<Report>> {
        if self.exchange.is_some() {
            self.collect()?;
        }
        self.settle(actor, id)
    }

    /// Completes a dispatched or waiting job whose queries have all ended; moves a dispatched job
    /// with queries still open to 部分反馈. Returns the report when made.
    pub fn settle(&self, actor: &Caller, id: JobId) -> AppResult<Option<Report>> {
        let job = self.job(id)?;
        if !matches!(job.state, JobState::Dispatched | JobState::PartiallyReturned) {
            return Ok(None);
        }
        let open = self.store.open_queries_of(id)?;
        if open == 0 {
            let (h, letter) = self.household_and_letter(&job)?;
            return self.complete_job(actor, job, h, letter).map(Some);
        }
        if job.state == JobState::Dispatched {
            let detail = format!("{open} 项查询等待数据源反馈");
            self.move_job(actor, &job, JobState::Dispatched, JobEvent::SomeReturned, detail, None)?;
        }
        Ok(None)
    }

    /// Settles every waiting job whose sources have all answered (after a response package was
    /// imported, say). Returns the jobs completed.
    /// Each is completed in the name of the user who started it.
    pub fn settle_waiting(&self) -> AppResult<Vec<JobId>> {
        let f = JobFilter { state: Some(JobState::PartiallyReturned), limit: 100_000, ..JobFilter::default() };
        let mut done = Vec::new();
        for job in self.store.jobs(&f)? {
            if self.store.open_queries_of(job.id)? > 0 {
                continue;
            }
            match self.starter(job.id)? {
                Some(clerk) => {
                    if self.settle(&clerk, job.id)?.is_some() {
                        done.push(job.id);
                    }
                }
                None => tracing::warn!(
                    job = job.id.0,
                    "a waiting job's sources answered, but who started it cannot complete it"
                ),
            }
        }
        Ok(done)
    }

    /// Completes a waiting job with what has come back (按部分结果完成): the sources still open
    /// are 未反馈 in its report, which keeps what they would decide open (待核实).
    pub fn complete_partial(&self, actor: &Caller, id: JobId, reason: &str) -> AppResult<Report> {
        self.authorize(actor, Action::JobRun, &Object::Job(id))?;
        actor.require_change()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid("请写明按部分结果完成的理由".into()));
        }
        let job = self.job(id)?;
        if !matches!(job.state, JobState::Dispatched | JobState::PartiallyReturned) {
            return Err(AppError::InvalidState(format!(
                "核对任务 {id} 状态为“{}”，只有等待数据源反馈的任务可以按部分结果完成",
                job.state.name_zh()
            )));
        }
        let open = self.store.open_queries_of(id)?;
        let detail = format!("按部分结果完成，{open} 项查询未反馈");
        let audit = self.audit_entry(actor, "job.partial", &format!("job:{id}"), AuditOutcome::Ok, detail);
        self.store.audit(&self.with_note(audit, reason)?)?;
        let (h, letter) = self.household_and_letter(&job)?;
        self.complete_job(actor, job, h, letter)
    }
}
