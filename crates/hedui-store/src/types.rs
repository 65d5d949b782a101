//! Rows that cross the store boundary. Personal fields arrive already sealed
//! (`*_enc`) or blind-indexed (`*_bidx`): the store never sees them in clear.

use serde::{Deserialize, Serialize};

use hedui_core::{BlindIndex, QueryId, RecordId, ReportId, RequestId, Sealed, Timestamp};

use hedui_core::authorization::{AuthorizationStatus, Scope, Signature};
use hedui_core::commission::CommissionKind;
use hedui_core::fact::Observation;
use hedui_core::household::{Capacity, ExclusionReason, Relation};
use hedui_core::job::JobState;
use hedui_core::programme::Programme;
use hedui_core::{AuthorizationId, BatchId, CommissionId, Date, Fen, HouseholdId, JobId, PersonId};
use hedui_means::Outcome;

/// A person to resolve: the blind index of the normalized ID number and its ciphertext.
#[derive(Clone, Debug)]
pub struct PersonKey {
    pub bidx: BlindIndex,
    pub id_enc: Sealed,
    /// While a key rotation runs: the same number's index under the epoch it moves from, so that
    /// a person not yet re-indexed is found instead of created twice.
    pub previous: Option<BlindIndex>,
}

/// A record to store: a mirror row or a bank answer, the observation with who and where it is
/// from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    pub source: String,
    pub obs: Observation,
    /// `None` when the row's ID number is missing or invalid: kept unresolved for later linkage.
    pub person: Option<PersonId>,
    /// The ID number as the source wrote it, sealed; kept for unresolved rows.
    pub raw_id_enc: Option<Sealed>,
    /// Blind index of the normalized name, for unresolved rows.
    pub name_bidx: Option<BlindIndex>,
    pub as_of: Date,
    /// The row's values as the source sent them (a JSON array, in the batch's column order), sealed.
    pub detail_enc: Sealed,
    /// The record's identity within its batch or its job's answers: the file's line for a mirror
    /// row, the position in the answers for an online one. Its sealed values are bound to it.
    pub line: i64,
}

/// A record reads as its observation (`record.kind`, `record.amount` …).
impl std::ops::Deref for NewRecord {
    type Target = Observation;
    fn deref(&self) -> &Observation {
        &self.obs
    }
}

/// A stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    pub id: RecordId,
    pub batch: Option<BatchId>,
    pub job: Option<JobId>,
    pub rec: NewRecord,
}

/// Where an import stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Begun and not finished (or interrupted): its rows are never read as in force.
    Running,
    /// Finished: its rows count from its date on.
    Done,
    /// Past its retention period: its rows were deleted. The batch's file name and digest stay,
    /// so that the same file is not imported again.
    Purged,
}

/// Whether a snapshot carries a source's whole data or only what changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotMode {
    /// Everything the source holds as of the date; replaces earlier snapshots from that date on.
    #[default]
    Full,
    /// Rows added or changed since the latest full snapshot; a row replaces the earlier row with
    /// the same person, kind, key and period.
    Incremental,
}

/// Start of an import.
#[derive(Clone, Debug)]
pub struct NewBatch {
    pub source: String,
    pub file_name: String,
    pub file_sm3: String,
    pub as_of: Date,
    /// The file's column names: record details store values only, in this order.
    pub columns: Vec<String>,
    pub started_at: Timestamp,
    pub mode: SnapshotMode,
}

/// Whether an import is new or a file already imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchStart {
    New(BatchId),
    AlreadyImported(BatchId),
    /// The same file's earlier import was interrupted; rows are idempotent, so it continues.
    Resume(BatchId),
}

/// Counts of an import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchStats {
    pub total: i64,
    pub accepted: i64,
    pub duplicate: i64,
    pub rejected: i64,
    pub unresolved: i64,
}

/// An import as stored.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Batch {
    pub id: BatchId,
    pub source: String,
    pub file_name: String,
    pub file_sm3: String,
    pub as_of: Date,
    pub columns: Vec<String>,
    pub status: BatchStatus,
    pub stats: BatchStats,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub mode: SnapshotMode,
}

/// Severity of an import issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueSeverity {
    /// The row was not stored: its structure is broken.
    Rejected,
    /// The row was stored but could not be resolved (e.g. an invalid ID number).
    Warning,
}

/// One line of the rejection report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportIssue {
    pub line: i64,
    pub severity: IssueSeverity,
    pub reason: String,
    /// The raw line, sealed: it may hold personal data.
    pub raw_enc: Sealed,
}

/// A member to store.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub seq: u32,
    pub person: Option<PersonId>,
    pub name_enc: Sealed,
    pub name_bidx: BlindIndex,
    pub id_enc: Sealed,
    /// Why the ID did not resolve, or a note (e.g. upgraded from 15 digits).
    pub id_note: String,
    pub relation: Relation,
    pub excluded: Option<ExclusionReason>,
    pub capacity: Capacity,
    pub guardian_seq: Option<u32>,
    pub declared_income: Fen,
}

/// A person with a duty of support (赡养/抚养/扶养义务人) who is not a member: kept apart, never counted.
#[derive(Clone, Debug)]
pub struct NewSupporter {
    pub seq: u32,
    pub person: Option<PersonId>,
    pub name_enc: Sealed,
    pub name_bidx: BlindIndex,
    pub id_enc: Sealed,
    pub id_note: String,
    /// 赡养, 抚养 or 扶养.
    pub duty: String,
}

/// A household to store.
#[derive(Clone, Debug)]
pub struct NewHousehold {
    pub number: String,
    pub region: String,
    pub address_enc: Sealed,
    pub programme: Programme,
    pub applied_on: Date,
    pub declared_income: Fen,
    pub declared_assets: Fen,
    pub members: Vec<NewMember>,
    pub supporters: Vec<NewSupporter>,
}

/// A stored household: the household as it was stored, its id and when.
#[derive(Clone, Debug)]
pub struct HouseholdRow {
    pub id: HouseholdId,
    pub created_at: Timestamp,
    pub household: NewHousehold,
}

/// A stored household reads as the household (`row.number`, `row.members` …).
impl std::ops::Deref for HouseholdRow {
    type Target = NewHousehold;
    fn deref(&self) -> &NewHousehold {
        &self.household
    }
}

/// A letter to store.
#[derive(Clone, Debug)]
pub struct NewAuthorization {
    pub number: String,
    pub household: HouseholdId,
    pub scopes: Vec<Scope>,
    pub signatures: Vec<Signature>,
    pub signed_on: Date,
    /// The supporter of the household who signed it (their own letter), or `None` for the
    /// household's letter its members sign.
    pub supporter: Option<u32>,
}

/// A stored letter.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorizationRow {
    pub id: AuthorizationId,
    pub number: String,
    pub household: HouseholdId,
    pub scopes: Vec<Scope>,
    pub signatures: Vec<Signature>,
    pub signed_on: Date,
    pub status: AuthorizationStatus,
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    /// The supporter who signed it, for a supporter's own letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supporter: Option<u32>,
}

/// A commission to store; storing it also creates its job.
#[derive(Clone, Debug)]
pub struct NewCommission {
    pub number: String,
    pub kind: CommissionKind,
    pub programme: Programme,
    pub household: HouseholdId,
    pub department: String,
    pub note_enc: Option<Sealed>,
    /// What the application states (sealed JSON), see `hedui_means::Declared`.
    pub declared_enc: Option<Sealed>,
    pub as_of: Date,
}

/// A job with its commission and household, as lists and pages show it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRow {
    pub id: JobId,
    pub commission: CommissionId,
    pub commission_number: String,
    pub kind: CommissionKind,
    pub programme: Programme,
    pub department: String,
    /// The commission's sealed note (e.g. the substance of a complaint).
    #[serde(skip)]
    pub note_enc: Option<Sealed>,
    /// The application's own statements (sealed).
    #[serde(skip)]
    pub declared_enc: Option<Sealed>,
    pub household: HouseholdId,
    pub household_number: String,
    pub region: String,
    pub authorization: Option<AuthorizationId>,
    pub state: JobState,
    pub as_of: Date,
    pub outcome: Option<Outcome>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Filters for the job list. Empty fields do not filter.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub outcome: Option<Outcome>,
    pub programme: Option<Programme>,
    pub kind: Option<CommissionKind>,
    /// Region code prefix, e.g. a county `320402`.
    pub region_prefix: Option<String>,
    /// Household number, exact.
    pub household_number: Option<String>,
    /// The commissioning department, exact.
    pub department: Option<String>,
    /// Household number containing this text (`H00029` finds `H000291`).
    #[serde(default)]
    pub household_contains: Option<String>,
    /// Commission number containing this text.
    #[serde(default)]
    pub commission_contains: Option<String>,
    /// The job's date from and to, both included.
    #[serde(default)]
    pub as_of_from: Option<hedui_core::Date>,
    #[serde(default)]
    pub as_of_to: Option<hedui_core::Date>,
    /// Only jobs of these households (a search by a member's name or ID number, through its
    /// blind index); an empty list finds nothing.
    #[serde(default)]
    pub households: Option<Vec<HouseholdId>>,
    /// Only jobs whose latest report has a department's 回执 (`true`) or, issued, has none yet
    /// (`false`).
    #[serde(default)]
    pub receipted: Option<bool>,
    /// The order of the list.
    #[serde(default)]
    pub sort: crate::JobSort,
    pub limit: i64,
    pub offset: i64,
}

/// A report version to store: the sealed body, the SM3 of the plain body, and the node's
/// completion signature over the digest with the report's number, version, job, household and
/// outcome.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// The version the report's body carries; it must be the job's next one.
    pub version: i64,
    pub outcome: Outcome,
    pub body_enc: Sealed,
    pub body_sm3: String,
    /// The SM3 of the body as it is sealed (deflated); the completion signature covers it.
    pub packed_sm3: String,
    pub completed_sig: String,
    /// The report's inputs in compact form, sealed, for the caseload (policy simulation); the
    /// household is the job's.
    pub caseload: Option<CaseloadEntry>,
    /// The job waits for an 审核员 (`Completed`) instead of being issued now (`ReportIssued`).
    pub review: bool,
}

/// What a report adds to the caseload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseloadEntry {
    pub household_number: String,
    pub region: String,
    pub programme: String,
    pub as_of: Date,
    /// The compact inputs, sealed for the report (job and version).
    pub inputs_enc: Sealed,
}

/// One household of the caseload: the compact inputs of its latest report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseloadRow {
    pub household: HouseholdId,
    pub job: JobId,
    pub version: i64,
    pub entry: CaseloadEntry,
}

/// Whether a report has been given out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    /// Computed and signed, not yet given out.
    Completed,
    /// Given out: signed a second time when issued.
    Issued,
}

/// A stored report version.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub id: ReportId,
    pub job: JobId,
    pub version: i64,
    /// A copy for lists: every read checks it against the signed body.
    pub outcome: Outcome,
    pub body_enc: Sealed,
    pub body_sm3: String,
    /// The SM3 of the body as it is sealed, signed with the body's own digest; empty for reports
    /// completed before it was kept (a reading then hashes the body itself).
    pub packed_sm3: String,
    pub created_at: Timestamp,
    pub state: ReportState,
    pub completed_sig: String,
    pub issued_sig: String,
    pub issued_at: Option<Timestamp>,
    /// Issued before reports were signed in the store; signed by the migration that added it.
    pub signed_in_migration: bool,
    /// Who verified and who approved it, when an 审核员 issued it.
    pub approval: Option<Approval>,
}

/// An 审核员's approval of a report, stored with its issue: the names the issue signature covers
/// and the reviewer's own SM2 signature with the public key that checks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    pub verifier: String,
    pub verifier_name: String,
    pub reviewer: String,
    pub reviewer_name: String,
    pub organization: String,
    /// The reviewer's SM2 public key (SEC1, hex), as enrolled.
    pub reviewer_key: String,
    /// The reviewer's signature over the approval statement (hex).
    pub reviewer_sig: String,
}

/// One sealed value's place, for re-sealing it where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedSlot {
    PersonId(PersonId),
    RecordRawId(RecordId),
    RecordDetail(RecordId),
    IssueRaw(i64),
    MemberName(HouseholdId, u32),
    MemberId(HouseholdId, u32),
    SupporterName(HouseholdId, u32),
    SupporterId(HouseholdId, u32),
    HouseholdAddress(HouseholdId),
    CommissionNote(CommissionId),
    CommissionDeclared(CommissionId),
    ReportBody(ReportId),
}

/// One change of the migration that binds sealed values to their rows.
#[derive(Clone, Debug)]
pub enum Reseal {
    /// A value re-sealed for its own row.
    Value(SealedSlot, Sealed),
    /// A report issued before reports were signed in the store, signed now.
    ReportSigned { report: ReportId, completed_sig: String, issued_sig: String, at: Timestamp },
    /// A member's (or, with `supporter`, a supporter's) ID note rewritten as codes.
    IdNote { household: HouseholdId, seq: u32, supporter: bool, note: String },
    /// A record stored before categories and codes, given its category and codes (its sealed
    /// values, bound to them, are re-sealed by `Value` changes in the same transaction).
    Recode { record: RecordId, category: String, code: String, form: String, status: String, key: String },
}

/// An import issue with its row and batch, for re-sealing.
#[derive(Clone, Debug)]
pub struct IssueRow {
    pub id: i64,
    pub batch: BatchId,
    pub issue: ImportIssue,
}

/// A person's blind index and sealed ID number.
#[derive(Clone, Debug)]
pub struct PersonRow {
    pub id: PersonId,
    pub bidx: BlindIndex,
    pub id_enc: Sealed,
}

/// Where one person's query at one source stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryState {
    /// Waiting to be put into a request.
    Queued,
    /// In a request that has not been answered yet.
    Sent,
    /// Answered: the source holds something about the person.
    Found,
    /// Answered: the source holds nothing about the person.
    NoRecord,
    /// The source refused this person's query.
    Refused,
    /// No answer after every attempt (未反馈).
    Failed,
    /// No answer before the source's deadline (未反馈).
    TimedOut,
}

impl QueryState {
    /// Whether the query will change no more.
    pub fn is_final(self) -> bool {
        !matches!(self, QueryState::Queued | QueryState::Sent)
    }
    /// Whether the source answered.
    pub fn is_answered(self) -> bool {
        matches!(self, QueryState::Found | QueryState::NoRecord | QueryState::Refused)
    }
}

/// Where a request (one message to a source) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// To be sent (again) at `next_attempt_at`.
    Pending,
    /// The source accepted it and will call back (or answer a status query).
    Accepted,
    Answered,
    Failed,
    TimedOut,
}

impl RequestState {
    pub fn is_final(self) -> bool {
        matches!(self, RequestState::Answered | RequestState::Failed | RequestState::TimedOut)
    }
}

/// A query to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewQuery {
    pub job: JobId,
    pub source: String,
    pub member_seq: u32,
    pub person: PersonId,
    pub query_date: Date,
}

/// A stored query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryRow {
    pub id: QueryId,
    pub job: JobId,
    pub source: String,
    pub member_seq: u32,
    pub person: PersonId,
    pub query_date: Date,
    pub request: Option<RequestId>,
    pub state: QueryState,
    pub reason: String,
    /// When the query was made: a source's deadline counts from it.
    pub created_at: Timestamp,
}

/// A request to create for a batch of queued queries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    pub source: String,
    pub message_id: String,
    pub transaction_id: String,
    pub query_date: Date,
    pub next_attempt_at: Timestamp,
    pub deadline_at: Timestamp,
}

/// A stored request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    pub id: RequestId,
    pub source: String,
    pub message_id: String,
    pub transaction_id: String,
    pub query_date: Date,
    pub state: RequestState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub deadline_at: Timestamp,
    pub last_error: String,
}

/// The outcome of one query in an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOutcome {
    pub query: QueryId,
    pub state: QueryState,
    pub reason: String,
    /// What the answer said about the person, for the query's job.
    pub records: Vec<NewRecord>,
}
