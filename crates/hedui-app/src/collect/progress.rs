//! Where each source a job asked stands, live: asked, answered, waiting or late against its
//! deadline (the catalog's time limit, in hours or working days, from when it was asked or last
//! reminded), with the reminders (催办) sent to late ones. The job page polls it; the 工作台 lists
//! the late sources of the caller's region.

use std::collections::BTreeMap;

use hedui_core::catalog::Sla;
use hedui_core::job::JobState;
use hedui_core::{JobId, Timestamp};
use hedui_store::{AuditOutcome, JobFilter, JobSort, QueryRow, QueryState};

use crate::{Action, App, AppError, AppResult, Caller, Object};

/// Where one source stands for a job.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SourceProgress {
    pub source: String,
    pub name: String,
    pub channel: String,
    /// Persons asked, and how many of them are still open (queued or sent).
    pub asked: i64,
    pub open: i64,
    /// `waiting`, `late` (open past its deadline), `answered`, `no_record` or `not_answered`.
    pub state: String,
    pub state_name: String,
    /// When an open source should have answered by (Beijing time); none once it has answered.
    pub deadline: Option<String>,
    pub reminders: usize,
}

/// A job and its sources, as the job page shows them live.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JobProgress {
    pub job: JobId,
    pub state: String,
    pub state_name: String,
    pub sources: Vec<SourceProgress>,
    /// Sources still open, and how many of them are late.
    pub open: usize,
    pub late: usize,
}

/// A late source of a waiting job, for the 工作台.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LateSource {
    pub job: JobId,
    pub household_number: String,
    pub source: String,
    pub name: String,
    pub deadline: String,
    pub reminders: usize,
}

/// The deadline of a source asked at `from`: hours later, or the end (Beijing time) of the
/// working day its limit falls on.
pub(crate) fn deadline(sla: Sla, from: Timestamp) -> Timestamp {
    match sla {
        Sla::Hours(h) => from.plus_seconds(i64::from(h) * 3600),
        Sla::WorkingDays(d) => {
            let day = crate::cases::workbench::calendar().add_working_days(from.china_date(), d);
            Timestamp::from_unix((day.to_days() + 1) * 86_400 - 8 * 3600)
        }
    }
}

impl App {
    /// Reminds a late source about a job (催办): recorded with who and when, audited; the source's
    /// new deadline counts from now. Only a source still open past its deadline can be reminded.
    pub fn remind_source(&self, actor: &Caller, id: JobId, source: &str) -> AppResult<()> {
        self.authorize(actor, Action::JobRun, &Object::Job(id))?;
        actor.require_change()?;
        let progress = self.progress_of(&self.job(id)?)?;
        let s = progress
            .sources
            .iter()
            .find(|s| s.source == source)
            .ok_or_else(|| AppError::NotFound(format!("核对任务 {id} 没有向数据源 {source} 查询")))?;
        if s.state != "late" {
            return Err(AppError::InvalidState(format!("数据源“{}”{}，不需要催办", s.name, s.state_name)));
        }
        let detail = format!("催办 {}（{} 项未反馈，时限 {}）", s.name, s.open, s.deadline.clone().unwrap_or_default());
        let audit = self.audit_entry(actor, "source.remind", &format!("job:{id}"), AuditOutcome::Ok, detail.clone());
        let r = hedui_store::intake::Reminder {
            job: id,
            source: source.to_string(),
            actor: actor.name().to_string(),
            note: detail,
            created_at: self.now(),
        };
        self.store.add_reminder(&r, &audit)?;
        Ok(())
    }

    /// A job's sources, live: asked, answered, waiting or late, with deadlines and reminders.
    /// Audited like every read of a job.
    pub fn job_progress(&self, actor: &Caller, id: JobId) -> AppResult<JobProgress> {
        self.authorize(actor, Action::JobRead, &Object::Job(id))?;
        let progress = self.progress_of(&self.job(id)?)?;
        let detail =
            format!("{} 个数据源，{} 个未反馈，{} 个超时", progress.sources.len(), progress.open, progress.late);
        self.audit(actor, "job.sources", &format!("job:{id}"), AuditOutcome::Ok, detail)?;
        Ok(progress)
    }

    /// The late sources of waiting jobs in the caller's region, oldest job first (at most `limit`
    /// jobs looked at), for the 工作台.
    pub fn late_sources(&self, actor: &Caller, limit: i64) -> AppResult<Vec<LateSource>> {
        self.authorize(actor, Action::JobList, &Object::None)?;
        let scope = self.scoped(actor, &JobFilter::default());
        let f = JobFilter { state: Some(JobState::PartiallyReturned), sort: JobSort::OldestFirst, limit, ..scope };
        let mut out = Vec::new();
        for job in self.store.jobs(&f)? {
            for s in self.progress_of(&job)?.sources.into_iter().filter(|s| s.state == "late") {
                out.push(LateSource {
                    job: job.id,
                    household_number: job.household_number.clone(),
                    source: s.source,
                    name: s.name,
                    deadline: s.deadline.unwrap_or_default(),
                    reminders: s.reminders,
                });
            }
        }
        Ok(out)
    }

    pub(crate) fn progress_of(&self, job: &hedui_store::JobRow) -> AppResult<JobProgress> {
        let mut per_source: BTreeMap<String, Vec<QueryRow>> = BTreeMap::new();
        for q in self.store.job_queries(job.id)? {
            per_source.entry(q.source.clone()).or_default().push(q);
        }
        let reminders = self.store.reminders(job.id)?;
        let now = self.now();
        let mut sources = Vec::new();
        for s in &self.catalog.sources {
            let Some(qs) = per_source.get(&s.code) else { continue };
            let open = qs.iter().filter(|q| !q.state.is_final()).count() as i64;
            let mine: Vec<_> = reminders.iter().filter(|r| r.source == s.code).collect();
            let asked = qs.iter().map(|q| q.created_at).min().unwrap_or(now);
            let from = mine.iter().map(|r| r.created_at).max().map_or(asked, |r| r.max(asked));
            let due = deadline(s.sla, from);
            let (state, name) = match () {
                _ if open > 0 && now >= due => ("late", "超时未反馈"),
                _ if open > 0 => ("waiting", "等待反馈"),
                _ if qs.iter().any(|q| q.state == QueryState::Found) => ("answered", "已反馈"),
                _ if qs.iter().all(|q| q.state.is_answered()) => ("no_record", "无记录"),
                _ => ("not_answered", "未反馈"),
            };
            sources.push(SourceProgress {
                source: s.code.clone(),
                name: s.name.clone(),
                channel: s.channel.name_zh().to_string(),
                asked: qs.len() as i64,
                open,
                state: state.into(),
                state_name: name.into(),
                deadline: (open > 0).then(|| due.beijing()),
                reminders: mine.len(),
            });
        }
        let open = sources.iter().filter(|s| s.open > 0).count();
        let late = sources.iter().filter(|s| s.state == "late").count();
        Ok(JobProgress {
            job: job.id,
            state: job.state.code().into(),
            state_name: job.state.name_zh().into(),
            sources,
            open,
            late,
        })
    }
}
