//! Commissions and one verification job's orchestration: authorization, dispatch, collection,
//! the pipeline's stages (`pipeline`) in order, objections and re-examination. Runs of many jobs
//! are `bulk`'s.

use serde::{Deserialize, Serialize};

use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::commission::CommissionKind;
use hedui_core::fact::DEPARTMENT_SOURCES;
use hedui_core::job::{JobEvent, JobState};
use hedui_core::programme::Programme;
use hedui_core::{Date, HouseholdId, JobId};
use hedui_identity::{period, place};
use hedui_store::{AuditOutcome, HouseholdRow, JobFilter, JobRow, NewCommission};

use crate::report::Report;
use crate::{App, AppError, AppResult, Caller};

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
    pub declared: hedui_means::Declared,
}

fn step(state: JobState, event: JobEvent) -> AppResult<JobState> {
    state.next(event).map_err(|e| AppError::InvalidState(e.to_string()))
}

impl App {
    /// Files a commission and creates its job.
    pub fn commission(&self, actor: &Caller, input: &CommissionInput) -> AppResult<JobId> {
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
    pub fn jobs(&self, actor: &Caller, filter: &JobFilter) -> AppResult<(Vec<JobRow>, i64)> {
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
        actor: &Caller,
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
        self.move_job(actor, &job, JobState::ReportIssued, JobEvent::Object, format!("异议：{reason}"))?;
        self.job(id)
    }

    /// Re-examines (复核) a job under objection: its data are collected again as of the job's
    /// date, corrected or late data included, and a new report version is issued. Earlier
    /// versions stay as they were.
    pub fn recheck(&self, actor: &Caller, id: JobId) -> AppResult<Report> {
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
    pub(crate) fn complete_job(
        &self,
        actor: &Caller,
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
        let caller = actor.clone().under(&job.commission_number);
        let actor = &caller;
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
    pub fn report(&self, actor: &Caller, job: JobId, version: Option<i64>) -> AppResult<Report> {
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
