//! Commissions and the verification job's orchestration: authorization, dispatch, collection,
//! the pipeline's stages (`pipeline`) in order, objections and re-examination, bulk runs.

use serde::{Deserialize, Serialize};

use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::commission::CommissionKind;
use hedui_core::fact::DEPARTMENT_SOURCES;
use hedui_core::job::{JobEvent, JobState};
use hedui_core::means_test::{ExceedReason, Outcome};
use hedui_core::programme::Programme;
use hedui_core::{Date, Fen, HouseholdId, JobId};
use hedui_import::{period, place};
use hedui_store::{AuditOutcome, HouseholdRow, JobFilter, JobRow, NewCommission};

use crate::report::Report;
use crate::{Actor, App, AppError, AppResult};

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
            anomalies: a.anomalies.iter().map(|x| x.code.clone()).collect(),
            income_total: a.income_total,
            assets_total: a.assets_total,
            missing: a.missing.clone(),
        }
    }
}

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
    /// Evidence, assessment, sealing, signing and storing every report.
    pub reports: std::time::Duration,
}

/// A commission as the business department files it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommissionInput {
    /// The commission number; generated when absent.
    #[serde(default)]
    pub number: Option<String>,
    pub kind: CommissionKind,
    pub programme: Programme,
    pub household: HouseholdId,
    /// Commissioning department; the kind's usual department when absent.
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The date data is checked as of; today when absent.
    #[serde(default)]
    pub as_of: Option<Date>,
    /// What the application states and no department knows (a sudden expense, a disaster loss,
    /// a single-person application, a care assessment …), by input name; money in fen.
    #[serde(default)]
    pub declared: hedui_core::means_test::Declared,
}

fn step(state: JobState, event: JobEvent) -> AppResult<JobState> {
    state.next(event).map_err(|e| AppError::InvalidState(e.to_string()))
}

impl App {
    /// Files a commission and creates its job.
    pub fn commission(&self, actor: &Actor, input: &CommissionInput) -> AppResult<JobId> {
        actor.require_change()?;
        let h = self
            .store
            .household(input.household)?
            .ok_or_else(|| AppError::NotFound(format!("家庭 {} 不存在", input.household)))?;
        let as_of = input.as_of.unwrap_or_else(|| self.today());
        if as_of > self.today() {
            return Err(AppError::Invalid(format!("核对日期 {as_of} 晚于今天")));
        }
        let number = match &input.number {
            Some(n) if !n.trim().is_empty() => n.trim().to_string(),
            _ => {
                // Numbered per household, so a second commission on the same day gets its own number.
                let n = self
                    .store
                    .count_jobs(&JobFilter { household_number: Some(h.number.clone()), ..Default::default() })?;
                format!("WT-{}-{}-{}-{}", h.region.get(..6).unwrap_or(&h.region), as_of.compact(), h.number, n + 1)
            }
        };
        let note_enc = match &input.note {
            Some(n) if !n.trim().is_empty() => {
                Some(self.identity.seal(&place::commission_note(&number), period(as_of), n.as_bytes())?)
            }
            _ => None,
        };
        let seqs: Vec<u32> = h.members.iter().map(|m| m.seq).collect();
        input.declared.check(&seqs).map_err(|e| AppError::Invalid(format!("申报事项有误：{e}")))?;
        let declared_enc = if input.declared.is_empty() {
            None
        } else {
            let json = serde_json::to_vec(&input.declared).map_err(|e| AppError::Internal(e.to_string()))?;
            Some(self.identity.seal(&place::commission_declared(&number), period(as_of), &json)?)
        };
        let c = NewCommission {
            number: number.clone(),
            kind: input.kind,
            programme: input.programme,
            household: input.household,
            department: input.department.clone().unwrap_or_else(|| input.kind.default_department().to_string()),
            note_enc,
            declared_enc,
            as_of,
        };
        let audit = self.audit_entry(
            actor,
            "commission.create",
            &format!("household:{}", h.number),
            AuditOutcome::Ok,
            format!("委托 {number}（{}，{}）", input.kind.name_zh(), input.programme.name_zh()),
        );
        Ok(self.store.create_commission(&c, &self.now(), &audit)?)
    }

    pub fn job(&self, id: JobId) -> AppResult<JobRow> {
        self.store.job(id)?.ok_or_else(|| AppError::NotFound(format!("核对任务 {id} 不存在")))
    }

    /// The job list; audited because it names households.
    pub fn jobs(&self, actor: &Actor, filter: &JobFilter) -> AppResult<(Vec<JobRow>, i64)> {
        let mut f = filter.clone();
        if !actor.region.is_empty() {
            // A user only sees the region they work in.
            let wanted = f.region_prefix.clone().unwrap_or_default();
            if !wanted.starts_with(&actor.region) {
                f.region_prefix = Some(actor.region.clone());
            }
        }
        let rows = self.store.jobs(&f)?;
        let total = self.store.count_jobs(&f)?;
        self.audit(actor, "job.list", "jobs", AuditOutcome::Ok, format!("{} 条", rows.len()))?;
        Ok((rows, total))
    }

    fn move_job(
        &self,
        actor: &Actor,
        job: &JobRow,
        from: JobState,
        event: JobEvent,
        detail: String,
    ) -> AppResult<JobState> {
        let to = step(from, event)?;
        let audit = self.audit_entry(
            actor,
            "job.transition",
            &format!("job:{}", job.id),
            AuditOutcome::Ok,
            format!("{} → {}：{detail}", from.name_zh(), to.name_zh()),
        );
        self.store.transition_job(job.id, from, to, None, &self.now(), &audit)?;
        Ok(to)
    }

    /// Checks the household's active letter against every member and every category the job queries.
    fn check_authorization(&self, job: &JobRow, h: &HouseholdRow) -> Result<hedui_store::AuthorizationRow, String> {
        let letters = self.store.authorizations(h.id).map_err(|e| e.to_string())?;
        let Some(a) = letters.into_iter().rev().find(|a| a.status == AuthorizationStatus::Active) else {
            return Err(hedui_core::authorization::AuthorizationError::NoActiveAuthorization.to_string());
        };
        let letter = hedui_core::authorization::Authorization {
            number: a.number.clone(),
            signatures: a.signatures.clone(),
            scopes: a.scopes.clone(),
            signed_on: a.signed_on,
            status: a.status,
            status_reason: a.status_reason.clone(),
        };
        let seqs: Vec<u32> = h.members.iter().map(|m| m.seq).collect();
        let mut scopes: Vec<Scope> = DEPARTMENT_SOURCES.iter().map(|s| s.scope).collect();
        scopes.push(Scope::Financial);
        scopes.sort();
        scopes.dedup();
        for scope in scopes {
            letter.check_query(&seqs, scope, job.as_of).map_err(|e| e.to_string())?;
        }
        Ok(a)
    }

    /// Runs a submitted job to its report.
    ///
    /// Without an active letter that covers every member and every data
    /// category, the job is refused: it moves to `Refused`, the refusal is
    /// audited, and no department or bank is asked anything.
    pub fn run_job(&self, actor: &Actor, id: JobId) -> AppResult<Report> {
        let (job, h, letter) = self.dispatch_job(actor, id)?;
        if self.exchange.is_some() {
            self.enqueue_online(&job, &h, &letter)?;
            self.collect()?;
        }
        self.complete_job(actor, job, h, letter)
    }

    /// A job in `state`, with its household, that a policy covers: a job whose region, date and
    /// programme no policy covers is not run at all.
    fn job_to_run(&self, actor: &Actor, id: JobId, state: JobState, only: &str) -> AppResult<(JobRow, HouseholdRow)> {
        actor.require_change()?;
        let job = self.job(id)?;
        if job.state != state {
            return Err(AppError::InvalidState(format!("核对任务 {id} 状态为“{}”，{only}", job.state.name_zh())));
        }
        let h = self
            .store
            .household(job.household)?
            .ok_or_else(|| AppError::NotFound(format!("家庭 {} 不存在", job.household)))?;
        self.policies.program(&h.region, job.as_of, job.programme)?;
        Ok((job, h))
    }

    /// Records an objection (异议) to an issued report, with the reason the family gave.
    pub fn object(&self, actor: &Actor, id: JobId, reason: &str) -> AppResult<JobRow> {
        actor.require_change()?;
        let job = self.job(id)?;
        if job.state != JobState::ReportIssued {
            return Err(AppError::InvalidState(format!(
                "核对任务 {id} 状态为“{}”，只有已出具报告的任务可以提出异议",
                job.state.name_zh()
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid("请写明异议理由和所附材料".into()));
        }
        self.move_job(actor, &job, JobState::ReportIssued, JobEvent::Object, format!("异议：{reason}"))?;
        self.job(id)
    }

    /// Re-examines (复核) a job under objection: its data are collected again as of the job's
    /// date, corrected or late data included, and a new report version is issued. Earlier
    /// versions stay as they were.
    pub fn recheck(&self, actor: &Actor, id: JobId) -> AppResult<Report> {
        let (job, h) = self.job_to_run(actor, id, JobState::Objection, "只有异议中的任务可以复核")?;
        let letter = self.check_authorization(&job, &h).map_err(|reason| {
            AppError::AuthorizationRequired(format!("核对任务 {id} 不能复核：{reason}。请补录有效授权书。"))
        })?;
        let state = self.move_job(actor, &job, JobState::Objection, JobEvent::Recheck, "复核".into())?;
        self.move_job(actor, &job, state, JobEvent::Dispatch, "复核：重新查询部门数据与金融机构".into())?;
        let job = self.job(id)?;
        if self.exchange.is_some() {
            self.enqueue_online(&job, &h, &letter)?;
            self.collect()?;
        }
        self.complete_job(actor, job, h, letter)
    }

    /// Runs several submitted jobs: all are dispatched, their online queries are collected
    /// together (so requests carry persons of many families), then each gets its report. A job
    /// that cannot run (no valid letter, say) does not stop the others: its error is returned
    /// in its place. Reports go to the store as they are issued; the run keeps only a summary
    /// of each ([`Issued`]), so its memory does not grow with the reports.
    pub fn run_jobs(&self, actor: &Actor, ids: &[JobId]) -> AppResult<Vec<AppResult<Issued>>> {
        self.run_jobs_with(actor, ids, &|_| Ok(()))
    }

    /// [`App::run_jobs`], with `between` run after the online collection and before the
    /// reports: the place where file-exchange packages go out and come back when that happens
    /// within the run (the demo and the tests; in production institutions answer days later).
    pub fn run_jobs_with(
        &self,
        actor: &Actor,
        ids: &[JobId],
        between: &dyn Fn(&App) -> AppResult<()>,
    ) -> AppResult<Vec<AppResult<Issued>>> {
        Ok(self.run_jobs_staged(actor, ids, between)?.0)
    }

    /// [`App::run_jobs_with`], with the time each stage of the run took.
    pub fn run_jobs_staged(
        &self,
        actor: &Actor,
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
                            self.store.enqueue_queries(&std::mem::take(&mut queries), &self.now())?;
                        }
                    }
                    dispatched.push((i, d));
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        self.store.enqueue_queries(&queries, &self.now())?;
        times.dispatch = t.elapsed();
        let t = std::time::Instant::now();
        if self.exchange.is_some() {
            self.collect()?;
        }
        times.collect = t.elapsed();
        let t = std::time::Instant::now();
        between(self)?;
        times.between = t.elapsed();
        let t = std::time::Instant::now();
        for (i, result) in self.complete_all(actor, dispatched) {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(result);
            }
        }
        times.reports = t.elapsed();
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

    /// The report stage of a bulk run, on one worker thread per core: each worker takes the next
    /// job, verifies it and stores its report. Opening, assessing, sealing and signing run in
    /// parallel; the store serializes its own work. Results come back tagged with their index.
    fn complete_all(
        &self,
        actor: &Actor,
        jobs: Vec<(usize, (JobRow, HouseholdRow, hedui_store::AuthorizationRow))>,
    ) -> Vec<(usize, AppResult<Issued>)> {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8).min(jobs.len().max(1));
        let queue = std::sync::Mutex::new(jobs.into_iter());
        let next = || queue.lock().ok().and_then(|mut q| q.next());
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        while let Some((i, (job, h, letter))) = next() {
                            done.push((i, self.complete_job(actor, job, h, letter).map(|r| Issued::of(&r))));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| vec![(usize::MAX, Err(AppError::Internal("报告线程异常退出".into())))])
                })
                .collect()
        })
    }

    /// After a restart: collects what jobs in flight still wait for, then reports them.
    pub fn resume_jobs(&self, actor: &Actor) -> AppResult<Vec<AppResult<Issued>>> {
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

    /// A dispatched job's household and the letter it was dispatched under.
    pub(crate) fn household_and_letter(
        &self,
        job: &JobRow,
    ) -> AppResult<(HouseholdRow, hedui_store::AuthorizationRow)> {
        let h = self
            .store
            .household(job.household)?
            .ok_or_else(|| AppError::NotFound(format!("家庭 {} 不存在", job.household)))?;
        let letter = self
            .store
            .authorizations(h.id)?
            .into_iter()
            .find(|a| Some(a.id) == job.authorization)
            .ok_or_else(|| AppError::NotFound(format!("核对任务 {} 的授权书不存在", job.id)))?;
        Ok((h, letter))
    }

    /// Checks the letter and moves a submitted job to `Dispatched`.
    fn dispatch_job(
        &self,
        actor: &Actor,
        id: JobId,
    ) -> AppResult<(JobRow, HouseholdRow, hedui_store::AuthorizationRow)> {
        let (job, h) = self.job_to_run(actor, id, JobState::Submitted, "只有“已委托”的任务可以执行")?;

        let letter = match self.check_authorization(&job, &h) {
            Ok(l) => l,
            Err(reason) => {
                let audit = self.audit_entry(
                    actor,
                    "job.refuse",
                    &format!("job:{}", job.id),
                    AuditOutcome::Denied,
                    reason.clone(),
                );
                self.store.transition_job(job.id, JobState::Submitted, JobState::Refused, None, &self.now(), &audit)?;
                return Err(AppError::AuthorizationRequired(format!(
                    "核对任务 {}（户 {}）未执行：{reason}。请补录全体成员签署的有效授权书后重新委托。",
                    job.id, h.number
                )));
            }
        };
        let audit = self.audit_entry(
            actor,
            "job.transition",
            &format!("job:{}", job.id),
            AuditOutcome::Ok,
            format!("授权核验通过，授权书 {}", letter.number),
        );
        self.store.transition_job(
            job.id,
            JobState::Submitted,
            JobState::AuthorizationVerified,
            Some(letter.id),
            &self.now(),
            &audit,
        )?;
        self.move_job(
            actor,
            &job,
            JobState::AuthorizationVerified,
            JobEvent::Dispatch,
            "查询部门数据与金融机构".into(),
        )?;
        let job = self.job(id)?;
        Ok((job, h, letter))
    }

    /// Verifies a dispatched job and issues its report: the pipeline's stages (`pipeline`) in
    /// order, with the job's state moved between them.
    fn complete_job(
        &self,
        actor: &Actor,
        job: JobRow,
        h: HouseholdRow,
        letter: hedui_store::AuthorizationRow,
    ) -> AppResult<Report> {
        if job.state != JobState::Dispatched {
            return Err(AppError::InvalidState(format!(
                "核对任务 {} 状态为“{}”，不能出具报告",
                job.id,
                job.state.name_zh()
            )));
        }
        let case = self.load_case(job, h, letter)?;
        let evidence = self.gather(&case)?;
        let returned = if evidence.complete { JobEvent::AllReturned } else { JobEvent::Deadline };
        let sources = format!("{} 个来源", evidence.sources.len());
        let state = self.move_job(actor, &case.job, JobState::Dispatched, returned, sources)?;
        let state = self.move_job(actor, &case.job, state, JobEvent::Analyse, String::new())?;
        let assessed = self.assess(&case, evidence)?;
        let report = self.build_report(case, assessed)?;
        self.complete_and_issue(actor, state, &report)?;
        Ok(report)
    }

    /// A report version (the latest when `version` is `None`), masked for the reader. Audited.
    pub fn report(&self, actor: &Actor, job: JobId, version: Option<i64>) -> AppResult<Report> {
        let reports = self.store.reports(job)?;
        let row = match version {
            Some(v) => reports.into_iter().find(|r| r.version == v),
            None => reports.into_iter().last(),
        }
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "核对任务 {job} 没有{}报告",
                version.map(|v| format!("第 {v} 版")).unwrap_or_default()
            ))
        })?;
        let report = self.open_report(actor, &row)?;
        self.audit(
            actor,
            "report.read",
            &format!("job:{job}"),
            AuditOutcome::Ok,
            format!("报告 {} 第 {} 版", report.number, report.version),
        )?;
        Ok(if actor.role.sees_names() { report } else { report.masked_names() })
    }
}
