//! The verification job as an explicit state machine (after domain.md §4.7).
//!
//! ```text
//! Submitted → AuthorizationVerified → Dispatched → PartiallyReturned
//!           → AllReturned | TimedOut → Analysed → ReportIssued
//!           → [Objection → Rechecking → ReportIssued] → Archived
//! Submitted → Refused                       (no valid authorization)
//! (any state before Archived) → Cancelled
//! ```
//! Every transition is a named [`JobEvent`]; anything else is an error, so a
//! job can never skip the authorization check or issue a report twice.

use serde::{Deserialize, Serialize};

/// Where a job stands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Submitted,
    AuthorizationVerified,
    Refused,
    Dispatched,
    PartiallyReturned,
    AllReturned,
    TimedOut,
    Analysed,
    /// The report is completed and signed by the node, awaiting an 审核员's approval (待审核).
    Completed,
    /// The 审核员 sent the report back to be verified again (退回).
    Returned,
    ReportIssued,
    Objection,
    Rechecking,
    Archived,
    Cancelled,
}

/// Something that happens to a job.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobEvent {
    AuthorizationOk,
    AuthorizationRefused,
    Dispatch,
    SomeReturned,
    AllReturned,
    Deadline,
    Analyse,
    /// The report is completed and goes to review.
    Complete,
    /// The 审核员 sends a completed report back.
    Return,
    IssueReport,
    Object,
    Recheck,
    Archive,
    Cancel,
}

/// A transition that the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("核对任务状态为“{}”，不能执行“{}”", .from.name_zh(), .event.name_zh())]
pub struct TransitionError {
    pub from: JobState,
    pub event: JobEvent,
}

impl JobState {
    pub const ALL: [JobState; 15] = [
        JobState::Submitted,
        JobState::AuthorizationVerified,
        JobState::Refused,
        JobState::Dispatched,
        JobState::PartiallyReturned,
        JobState::AllReturned,
        JobState::TimedOut,
        JobState::Analysed,
        JobState::Completed,
        JobState::Returned,
        JobState::ReportIssued,
        JobState::Objection,
        JobState::Rechecking,
        JobState::Archived,
        JobState::Cancelled,
    ];

    /// The state after `event`, or an error if the event is not allowed here.
    pub fn next(self, event: JobEvent) -> Result<JobState, TransitionError> {
        use JobEvent as E;
        use JobState as S;
        let to = match (self, event) {
            (S::Submitted, E::AuthorizationOk) => S::AuthorizationVerified,
            (S::Submitted, E::AuthorizationRefused) => S::Refused,
            (S::AuthorizationVerified, E::Dispatch) => S::Dispatched,
            (S::Dispatched | S::PartiallyReturned, E::SomeReturned) => S::PartiallyReturned,
            (S::Dispatched | S::PartiallyReturned, E::AllReturned) => S::AllReturned,
            (S::Dispatched | S::PartiallyReturned, E::Deadline) => S::TimedOut,
            (S::AllReturned | S::TimedOut, E::Analyse) => S::Analysed,
            (S::Analysed, E::IssueReport) => S::ReportIssued,
            (S::Analysed, E::Complete) => S::Completed,
            (S::Completed, E::IssueReport) => S::ReportIssued,
            (S::Completed, E::Return) => S::Returned,
            (S::ReportIssued, E::Object) => S::Objection,
            (S::Objection | S::Returned, E::Recheck) => S::Rechecking,
            (S::Rechecking, E::Dispatch) => S::Dispatched,
            (S::ReportIssued | S::Refused, E::Archive) => S::Archived,
            (s, E::Cancel) if !s.is_final() => S::Cancelled,
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(to)
    }

    /// No further events apply.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Archived | JobState::Cancelled)
    }

    pub fn code(self) -> &'static str {
        match self {
            JobState::Submitted => "submitted",
            JobState::AuthorizationVerified => "authorization_verified",
            JobState::Refused => "refused",
            JobState::Dispatched => "dispatched",
            JobState::PartiallyReturned => "partially_returned",
            JobState::AllReturned => "all_returned",
            JobState::TimedOut => "timed_out",
            JobState::Analysed => "analysed",
            JobState::Completed => "completed",
            JobState::Returned => "returned",
            JobState::ReportIssued => "report_issued",
            JobState::Objection => "objection",
            JobState::Rechecking => "rechecking",
            JobState::Archived => "archived",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn from_code(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|j| j.code() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            JobState::Submitted => "已委托",
            JobState::AuthorizationVerified => "授权已核验",
            JobState::Refused => "已拒绝（授权无效）",
            JobState::Dispatched => "查询中",
            JobState::PartiallyReturned => "部分反馈",
            JobState::AllReturned => "全部反馈",
            JobState::TimedOut => "部分超时",
            JobState::Analysed => "已分析",
            JobState::Completed => "待审核",
            JobState::Returned => "已退回",
            JobState::ReportIssued => "已出具报告",
            JobState::Objection => "异议中",
            JobState::Rechecking => "复核中",
            JobState::Archived => "已归档",
            JobState::Cancelled => "已撤销",
        }
    }
}

impl JobEvent {
    pub fn name_zh(self) -> &'static str {
        match self {
            JobEvent::AuthorizationOk => "授权核验通过",
            JobEvent::AuthorizationRefused => "授权核验不通过",
            JobEvent::Dispatch => "发起查询",
            JobEvent::SomeReturned => "部分反馈",
            JobEvent::AllReturned => "全部反馈",
            JobEvent::Deadline => "反馈超时",
            JobEvent::Analyse => "分析",
            JobEvent::Complete => "完成核对，提交审核",
            JobEvent::Return => "退回重新核对",
            JobEvent::IssueReport => "出具报告",
            JobEvent::Object => "提出异议",
            JobEvent::Recheck => "复核",
            JobEvent::Archive => "归档",
            JobEvent::Cancel => "撤销",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_and_recheck_loop() {
        let mut s = JobState::Submitted;
        for e in [
            JobEvent::AuthorizationOk,
            JobEvent::Dispatch,
            JobEvent::SomeReturned,
            JobEvent::AllReturned,
            JobEvent::Analyse,
            JobEvent::IssueReport,
            JobEvent::Object,
            JobEvent::Recheck,
            JobEvent::Dispatch,
            JobEvent::Deadline,
            JobEvent::Analyse,
            JobEvent::IssueReport,
            JobEvent::Archive,
        ] {
            s = s.next(e).unwrap_or(JobState::Cancelled);
            assert_ne!(s, JobState::Cancelled, "{e:?} refused");
        }
        assert_eq!(s, JobState::Archived);
    }

    #[test]
    fn a_reviewed_report_is_issued_or_returned_and_verified_again() {
        let s = JobState::Analysed.next(JobEvent::Complete).unwrap();
        assert_eq!(s, JobState::Completed);
        assert_eq!(s.next(JobEvent::IssueReport), Ok(JobState::ReportIssued));
        let back = s.next(JobEvent::Return).unwrap();
        assert_eq!(back.next(JobEvent::Recheck), Ok(JobState::Rechecking));
        assert!(back.next(JobEvent::IssueReport).is_err(), "a returned report is not issued");
        assert!(s.next(JobEvent::Object).is_err(), "no objection before the report is issued");
    }

    #[test]
    fn no_skipping_the_authorization_check_and_no_leaving_final_states() {
        assert!(JobState::Submitted.next(JobEvent::Dispatch).is_err());
        assert!(JobState::Refused.next(JobEvent::Dispatch).is_err());
        assert!(JobState::Archived.next(JobEvent::Cancel).is_err());
        assert!(JobState::Analysed.next(JobEvent::Object).is_err());
        for s in JobState::ALL {
            assert_eq!(JobState::from_code(s.code()), Some(s));
            assert_eq!(s.next(JobEvent::Cancel).is_ok(), !s.is_final());
        }
        let err = JobState::Submitted.next(JobEvent::IssueReport).err();
        assert_eq!(err.map(|e| e.to_string()), Some("核对任务状态为“已委托”，不能执行“出具报告”".to_string()));
    }
}
