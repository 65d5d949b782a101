//! What a retention run deletes besides audit rows: reports, financial institutions' answers and
//! superseded mirror snapshots, each past its period, in an order that keeps every report still
//! held reproducible.

use crate::Timestamp;

/// A class of case data with a retention period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataClass {
    /// Report versions created before the reports' cut-off, with their issue rows and the
    /// caseload inputs taken from them.
    Reports,
    /// Answers of jobs created before the answers' cut-off that no longer have a report.
    Answers,
    /// Snapshots no longer in force since before the mirror's cut-off (a later full snapshot of
    /// the source replaced them) that no job still holding a report, or still within the
    /// reports' period, was made on a date they were in force.
    Mirror,
}

/// The cut-offs of a run: data older than these are due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoffs {
    pub reports: Timestamp,
    pub answers: Timestamp,
    pub mirror: Timestamp,
}
