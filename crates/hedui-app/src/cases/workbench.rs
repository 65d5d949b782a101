//! The 工作台: what waits in the caller's region, by state, and the commissions still to be
//! started, each with its legal deadline counted in working days (审核确认办法 Art. 17: a 核对
//! starts within 3 working days of the request; the calendar of holidays and 调休 is
//! `data/calendar/`).

use std::sync::OnceLock;

use hedui_core::calendar::WorkCalendar;
use hedui_core::job::JobState;
use hedui_core::{Date, JobId};
use hedui_store::{AuditOutcome, JobFilter, JobSort};

use crate::{Action, App, AppResult, Caller, Object};

/// Working days within which a requested 核对 must start.
pub const START_WITHIN: u32 = 3;
/// The states a 工作台 counts, in its order.
const COUNTED: [JobState; 10] = [
    JobState::Submitted,
    JobState::Dispatched,
    JobState::PartiallyReturned,
    JobState::TimedOut,
    JobState::Analysed,
    JobState::Completed,
    JobState::Returned,
    JobState::ReportIssued,
    JobState::Objection,
    JobState::Rechecking,
];
/// How many waiting commissions the 工作台 lists, oldest first.
const LISTED: i64 = 20;

pub(crate) fn calendar() -> &'static WorkCalendar {
    static CAL: OnceLock<WorkCalendar> = OnceLock::new();
    CAL.get_or_init(|| crate::data::calendar().unwrap_or_default())
}

/// Jobs in one state.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StateCount {
    pub state: String,
    pub name: String,
    pub count: i64,
}

/// A commission not yet started, with its deadline.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Waiting {
    pub job: JobId,
    pub household_number: String,
    pub region: String,
    pub requested: Date,
    pub due: Date,
    /// Working days left until the deadline (0 on its day); negative when it has passed.
    pub left: i64,
}

/// A report waiting for review (待审核), or returned to be verified again.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ToReview {
    pub job: JobId,
    pub household_number: String,
    pub region: String,
    pub state: String,
    pub state_name: String,
    /// The day it was completed or returned.
    pub since: Date,
}

/// A commission that cannot run until its household signs a new letter (授权书需补签): no
/// active letter, a member or a data category it does not cover, or one withdrawn or ended.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Resign {
    pub job: JobId,
    pub household: hedui_core::HouseholdId,
    pub household_number: String,
    pub region: String,
    pub state_name: String,
    pub reason: String,
}

/// The 工作台 of one user.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Workbench {
    pub counts: Vec<StateCount>,
    pub waiting: Vec<Waiting>,
    /// Reports waiting for the 审核员 (for a reviewer), or returned to the 核对员 (for a clerk).
    pub to_review: Vec<ToReview>,
    /// Commissions waiting (or refused) for a new letter, for those who record letters.
    pub resign: Vec<Resign>,
    /// Commissions past their deadline to start.
    pub overdue: i64,
    pub today: Date,
    /// Said when the calendar does not list this year's holidays (plain Monday to Friday then).
    pub calendar_note: Option<String>,
}

impl App {
    /// The caller's 工作台, within their region (a department: its own commissions). Audited.
    pub fn workbench(&self, actor: &Caller) -> AppResult<Workbench> {
        self.authorize(actor, Action::JobList, &Object::None)?;
        let scope = self.scoped(actor, &JobFilter::default());
        let counts = COUNTED
            .iter()
            .map(|s| {
                let f = JobFilter { state: Some(*s), ..scope.clone() };
                Ok(StateCount { state: s.code().into(), name: s.name_zh().into(), count: self.store.count_jobs(&f)? })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let today = self.today();
        let cal = calendar();
        // What waits for this role: reports to approve, returned or objected reports to verify
        // again, reports received to acknowledge.
        let list = |f: JobFilter| JobFilter { sort: JobSort::OldestFirst, limit: LISTED, ..f };
        let queues: Vec<JobFilter> = match actor.role {
            crate::Role::Reviewer => vec![list(JobFilter { state: Some(JobState::Completed), ..scope.clone() })],
            crate::Role::Clerk => [JobState::Returned, JobState::Objection]
                .iter()
                .map(|s| list(JobFilter { state: Some(*s), ..scope.clone() }))
                .collect(),
            crate::Role::Department => vec![list(JobFilter { receipted: Some(false), ..scope.clone() })],
            _ => Vec::new(),
        };
        let mut to_review = Vec::new();
        for f in queues {
            to_review.extend(self.store.jobs(&f)?.into_iter().map(|j| ToReview {
                job: j.id,
                region: self.region_name(&j.region),
                household_number: j.household_number,
                state: j.state.code().into(),
                state_name: j.state.name_zh().into(),
                since: j.updated_at.china_date(),
            }));
        }
        let submitted =
            JobFilter { state: Some(JobState::Submitted), sort: JobSort::OldestFirst, limit: LISTED, ..scope.clone() };
        let waiting: Vec<Waiting> = self
            .store
            .jobs(&submitted)?
            .into_iter()
            .map(|j| {
                let requested = j.created_at.china_date();
                let due = cal.add_working_days(requested, START_WITHIN);
                Waiting {
                    job: j.id,
                    household_number: j.household_number,
                    region: self.region_name(&j.region),
                    requested,
                    due,
                    left: cal.working_days_between(today, due),
                }
            })
            .collect();
        let resign = match crate::access::permits(actor.role, Action::LetterChange) {
            true => self.letters_to_resign(&scope)?,
            false => Vec::new(),
        };
        let overdue = waiting.iter().filter(|w| w.left < 0).count() as i64;
        let calendar_note = (!cal.covers_year(today.year()))
            .then(|| format!("工作日历未列出 {} 年的节假日与调休，期限暂按周一至周五计算", today.year()));
        let waiting_total = counts.first().map_or(0, |c| c.count);
        let detail = format!("待核对 {waiting_total} 件，其中列出的超期 {overdue} 件");
        self.audit(actor, "workbench.read", "jobs", AuditOutcome::Ok, detail)?;
        Ok(Workbench { counts, waiting, to_review, resign, overdue, today, calendar_note })
    }

    /// The commissions of the region that wait to start, or were refused, and whose household's
    /// letters would not let them run now: each with the reason a run would give.
    fn letters_to_resign(&self, scope: &JobFilter) -> AppResult<Vec<Resign>> {
        let mut out = Vec::new();
        for state in [JobState::Submitted, JobState::Refused] {
            let f = JobFilter { state: Some(state), sort: JobSort::OldestFirst, limit: LISTED, ..scope.clone() };
            for j in self.store.jobs(&f)? {
                let Some(h) = self.store.household(j.household)? else { continue };
                if let Err(reason) = self.check_authorization(&j, &h) {
                    out.push(Resign {
                        job: j.id,
                        household: j.household,
                        region: self.region_name(&j.region),
                        household_number: j.household_number,
                        state_name: j.state.name_zh().into(),
                        reason,
                    });
                }
            }
        }
        Ok(out)
    }
}
