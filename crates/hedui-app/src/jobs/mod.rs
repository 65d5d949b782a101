//! Commissions and one verification job's orchestration: authorization, dispatch, collection,
//! the pipeline's stages (`pipeline`) in order, objections and re-examination. Runs of many jobs
//! are `bulk`'s.

pub mod bulk;
pub mod objection;
mod pipeline;
pub mod review;
pub mod waiting;

use hedui_core::JobId;
use hedui_core::job::{JobEvent, JobState};
use hedui_store::{AuditOutcome, HouseholdRow, JobRow};

use crate::reports::Report;
use crate::{App, AppError, AppResult, Caller};

fn step(state: JobState, event: JobEvent) -> AppResult<JobState> {
    state.next(event).map_err(|e| AppError::InvalidState(e.to_string()))
}

impl App {
    pub(crate) fn move_job(
        &self,
        actor: &Caller,
        job: &JobRow,
        from: JobState,
        event: JobEvent,
        detail: String,
        note: Option<&str>,
    ) -> AppResult<JobState> {
        let to = step(from, event)?;
        let mut audit = self.audit_entry(
            actor,
            "job.transition",
            &format!("job:{}", job.id),
            AuditOutcome::Ok,
            format!("{} → {}：{detail}", from.name_zh(), to.name_zh()),
        );
        if let Some(note) = note {
            audit = self.with_note(audit, note)?;
        }
        self.store.transition_job(job.id, from, to, None, self.now(), &audit)?;
        Ok(to)
    }

    /// Moves a job from `from` through several events at once: each step is checked against the
    /// job's state machine and audited, and the store moves the job in one transaction.
    fn move_job_through(
        &self,
        actor: &Caller,
        job: &JobRow,
        from: JobState,
        events: &[(JobEvent, String)],
        authorization: Option<hedui_core::AuthorizationId>,
    ) -> AppResult<JobState> {
        let mut state = from;
        let mut steps = Vec::with_capacity(events.len());
        for (event, detail) in events {
            let to = step(state, *event)?;
            let audit = self.audit_entry(
                actor,
                "job.transition",
                &format!("job:{}", job.id),
                AuditOutcome::Ok,
                format!("{} → {}：{detail}", state.name_zh(), to.name_zh()),
            );
            steps.push((to, audit));
            state = to;
        }
        self.store.transition_job_through(job.id, from, &steps, authorization, self.now())?;
        Ok(state)
    }

    /// Runs a submitted job to its report.
    ///
    /// Without an active letter that covers every member and every data
    /// category, the job is refused: it moves to `Refused`, the refusal is
    /// audited, and no department or bank is asked anything.
    pub fn run_job(&self, actor: &Caller, id: JobId) -> AppResult<Report> {
        let (job, h, letter) = self.dispatch_job(actor, id)?;
        if self.exchange.is_some() {
            self.enqueue_online(&job, &h, &letter)?;
            self.collect()?;
        }
        self.complete_job(actor, job, h, letter)
    }

    /// A job in `state`, with its household, that a policy covers: a job whose region, date and
    /// programme no policy covers is not run at all.
    fn job_to_run(&self, actor: &Caller, id: JobId, state: JobState, only: &str) -> AppResult<(JobRow, HouseholdRow)> {
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
    pub fn object(&self, actor: &Caller, id: JobId, reason: &str) -> AppResult<JobRow> {
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
        self.move_job(actor, &job, JobState::ReportIssued, JobEvent::Object, "异议".into(), Some(reason))?;
        self.job(id)
    }

    /// Re-examines (复核) a job under objection: its data are collected again as of the job's
    /// date, corrected or late data included, and a new report version is issued. Earlier
    /// versions stay as they were.
    pub fn recheck(&self, actor: &Caller, id: JobId) -> AppResult<Report> {
        // An objection's 复核, or a report an 审核员 returned, verified again.
        let from = if self.job(id)?.state == JobState::Returned { JobState::Returned } else { JobState::Objection };
        let (job, h) = self.job_to_run(actor, id, from, "只有异议中或被退回的任务可以复核")?;
        let letter = self.check_authorization(&job, &h).map_err(|reason| {
            AppError::AuthorizationRequired(format!("核对任务 {id} 不能复核：{reason}。请补录有效授权书。"))
        })?;
        // The version the 复核 answers: the latest one issued (a returned one never was).
        let issued = self.store.reports(id)?.into_iter().rfind(|r| r.state == hedui_store::ReportState::Issued);
        let before = issued.map(|row| self.checked(actor, &row).map(|(r, _)| r)).transpose()?;
        let state = self.move_job(actor, &job, from, JobEvent::Recheck, "复核".into(), None)?;
        self.move_job(actor, &job, state, JobEvent::Dispatch, "复核：重新查询部门数据与金融机构".into(), None)?;
        let job = self.job(id)?;
        if self.exchange.is_some() {
            self.enqueue_online(&job, &h, &letter)?;
            self.collect()?;
        }
        let after = self.complete_job(actor, job, h, letter)?;
        if let Some(before) = before {
            let changed = crate::reports::changes::changes(&before, &after);
            let detail = match changed.is_empty() {
                true => format!("第 {} 版与第 {} 版相比没有变化", after.version, before.version),
                false => format!("第 {} 版与第 {} 版相比：{}", after.version, before.version, changed.join("；")),
            };
            self.audit(actor, "report.changes", &format!("job:{id}"), hedui_store::AuditOutcome::Ok, detail)?;
        }
        Ok(after)
    }

    /// Checks the letter and moves a submitted job to `Dispatched`.
    pub(crate) fn dispatch_job(
        &self,
        actor: &Caller,
        id: JobId,
    ) -> AppResult<(JobRow, HouseholdRow, hedui_store::AuthorizationRow)> {
        let (job, h) = self.job_to_run(actor, id, JobState::Submitted, "只有“已委托”的任务可以执行")?;
        let caller = actor.clone().under(&job.commission_number);
        let actor = &caller;

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
                self.store.transition_job(job.id, JobState::Submitted, JobState::Refused, None, self.now(), &audit)?;
                return Err(AppError::AuthorizationRequired(format!(
                    "核对任务 {}（户 {}）未执行：{reason}。请补录全体成员签署的有效授权书后重新委托。",
                    job.id, h.number
                )));
            }
        };
        self.move_job_through(
            actor,
            &job,
            JobState::Submitted,
            &[
                (JobEvent::AuthorizationOk, format!("授权核验通过，授权书 {}", letter.number)),
                (JobEvent::Dispatch, "查询部门数据与金融机构".into()),
            ],
            Some(letter.id),
        )?;
        let job = self.job(id)?;
        Ok((job, h, letter))
    }

    /// Verifies a dispatched job and issues its report: the pipeline's stages (`pipeline`) in
    /// order, with the job's state moved between them.
    pub(crate) fn complete_job(
        &self,
        actor: &Caller,
        job: JobRow,
        h: HouseholdRow,
        letter: hedui_store::AuthorizationRow,
    ) -> AppResult<Report> {
        let from = job.state;
        if !matches!(from, JobState::Dispatched | JobState::PartiallyReturned) {
            return Err(AppError::InvalidState(format!(
                "核对任务 {} 状态为“{}”，不能出具报告",
                job.id,
                job.state.name_zh()
            )));
        }
        let caller = actor.clone().under(&job.commission_number);
        let actor = &caller;
        let case = self.load_case(job, h, letter)?;
        let evidence = self.gather(&case)?;
        let returned = if evidence.complete { JobEvent::AllReturned } else { JobEvent::Deadline };
        let sources = format!("{} 个来源", evidence.sources.len());
        let state = self.move_job_through(
            actor,
            &case.job,
            from,
            &[(returned, sources), (JobEvent::Analyse, String::new())],
            None,
        )?;
        let assessed = self.assess(&case, evidence)?;
        let mut report = self.build_report(case, assessed)?;
        (report.verifier, report.verifier_name) = self.person_named(actor)?;
        self.complete_and_issue(actor, state, &report)?;
        Ok(report)
    }
}
