//! The hedui store: one [`Store`] trait, one SQL implementation ([`SqlStore`])
//! shared by the SQLite and PostgreSQL backends, embedded numbered
//! migrations, and the [`contract`] suite that both backends must pass.
//!
//! Only this crate and the two backend crates know SQL. Every method that
//! changes a case takes the [`AuditEntry`] describing the change and writes it
//! in the same transaction, so no change can exist without its audit row.

mod accounts;
mod audit;
pub mod chain;
pub mod contract;
mod in_force;
pub mod intake;
mod job_sort;
pub mod rekey;
pub mod retention;
mod sealed;
mod sql;
mod types;

pub use accounts::*;
pub use audit::*;
pub use job_sort::JobSort;
pub use sql::{Conn, Dialect, Param, SqlStore, Value};
pub use types::*;

use hedui_core::authorization::AuthorizationStatus;
use hedui_core::job::JobState;
use hedui_core::{
    AuthorizationId, BatchId, BlindIndex, HouseholdId, JobId, PersonId, QueryId, ReportId, RequestId, Timestamp, UserId,
};
use hedui_means::Outcome;

/// Failures of the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (e.g. a household number already used).
    #[error("记录已存在: {0}")]
    Conflict(String),
    #[error("记录不存在: {0}")]
    NotFound(String),
    /// A compare-and-set on a job's state lost a race or was out of order.
    #[error("状态已变化: 期望 {expected}，实际 {actual}")]
    StateChanged { expected: String, actual: String },
    #[error("数据库错误: {0}")]
    Backend(String),
    #[error("数据库内容无法解析: {0}")]
    Corrupt(String),
    /// The caller passed something the store cannot accept (a programming error, not bad data).
    #[error("存储参数无效: {0}")]
    Invalid(String),
}

/// Bytes of one row digest: a keyed HMAC-SM3 truncated to 128 bits, which leaves the chance of two
/// different rows colliding in one snapshot far below that of a disk error.
pub const ROW_DIGEST_LEN: usize = 16;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything hedui keeps. Implementations are shared between threads.
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Applies the embedded migrations not yet applied; returns the versions applied now.
    fn migrate(&self) -> Result<Vec<i64>>;

    // ---- persons ----
    /// Returns the person for each key, creating persons not seen before.
    fn resolve_persons(&self, keys: &[PersonKey]) -> Result<Vec<PersonId>>;
    /// The persons with these blind indexes, where known; never creates one.
    fn find_persons(&self, bidxs: &[BlindIndex]) -> Result<Vec<Option<PersonId>>>;
    /// The person with this blind index, if any.
    fn find_person(&self, bidx: &BlindIndex) -> Result<Option<PersonId>>;
    /// The sealed ID number of a person.
    fn person_id_enc(&self, person: PersonId) -> Result<Option<Vec<u8>>>;
    fn count_persons(&self) -> Result<i64>;

    // ---- mirror import ----
    /// Registers an import. A file with the same source and SM3 returns `AlreadyImported` when that
    /// import finished, and `Resume` (with its issues cleared) when it was interrupted.
    fn begin_import(&self, batch: &NewBatch, audit: &AuditEntry) -> Result<BatchStart>;
    /// Stores records (a job's bank answers, say) in one transaction.
    fn insert_records(&self, batch: Option<BatchId>, job: Option<JobId>, recs: &[NewRecord]) -> Result<u64>;
    /// Stores one chunk of an import in one transaction: its records, their digests
    /// ([`ROW_DIGEST_LEN`] bytes each, in record order) and the chunk's issues. Deduplication is
    /// the caller's: see [`Store::row_digests`].
    fn import_rows(&self, batch: BatchId, recs: &[NewRecord], digests: &[u8], issues: &[ImportIssue]) -> Result<u64>;
    /// The row digests already stored for one snapshot (source, as-of date), concatenated.
    fn row_digests(&self, source: &str, as_of: hedui_core::Date) -> Result<Vec<u8>>;
    fn insert_issues(&self, batch: BatchId, issues: &[ImportIssue]) -> Result<()>;
    fn finish_import(&self, batch: BatchId, stats: &BatchStats, finished_at: Timestamp) -> Result<()>;
    fn batch(&self, id: BatchId) -> Result<Option<Batch>>;
    fn batches(&self) -> Result<Vec<Batch>>;
    fn batch_issues(&self, id: BatchId) -> Result<Vec<ImportIssue>>;
    /// Every record of one import batch, in id order.
    fn batch_records(&self, batch: BatchId) -> Result<Vec<StoredRecord>>;
    /// Every record of these persons.
    fn records_for(&self, persons: &[PersonId]) -> Result<Vec<StoredRecord>>;
    /// The snapshots in force on a date: per source, its latest full snapshot on or before the
    /// date and the incremental snapshots after it; unfinished imports never count.
    fn snapshots_in_force(&self, as_of: hedui_core::Date) -> Result<Vec<Batch>>;
    /// The mirror records of these persons in force on a date, in id order: the rows of the
    /// snapshots in force, where a later snapshot's row replaces an earlier one about the same
    /// person, source, kind, key and period.
    fn records_in_force(&self, persons: &[PersonId], as_of: hedui_core::Date) -> Result<Vec<StoredRecord>>;
    /// The records stored for one job (its institutions' answers), in id order.
    fn job_records(&self, job: JobId) -> Result<Vec<StoredRecord>>;
    /// Unresolved records whose name has this blind index.
    fn unresolved_by_name(&self, name_bidx: &BlindIndex) -> Result<Vec<StoredRecord>>;
    fn count_records(&self) -> Result<i64>;

    // ---- households and authorizations ----
    fn create_household(&self, h: &NewHousehold, created_at: Timestamp, audit: &AuditEntry) -> Result<HouseholdId>;
    fn household(&self, id: HouseholdId) -> Result<Option<HouseholdRow>>;
    fn household_by_number(&self, number: &str) -> Result<Option<HouseholdRow>>;
    fn count_households(&self) -> Result<i64>;
    /// Records a letter; earlier active letters of the household become superseded in the same transaction.
    fn create_authorization(
        &self,
        a: &NewAuthorization,
        created_at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<AuthorizationId>;
    fn authorizations(&self, household: HouseholdId) -> Result<Vec<AuthorizationRow>>;
    fn set_authorization_status(
        &self,
        id: AuthorizationId,
        status: AuthorizationStatus,
        reason: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// The households `f` selects, one page of them, and how many it selects in all.
    fn households_list(&self, f: &intake::HouseholdFilter) -> Result<(Vec<intake::HouseholdSummary>, i64)>;
    /// Stores a letter's scan with its audit row; a letter has one scan (`Conflict` for a second).
    fn put_letter_scan(&self, s: &intake::NewLetterScan, at: Timestamp, audit: &AuditEntry) -> Result<()>;
    /// The scans of a household's letters, without their content.
    fn letter_scans(&self, household: HouseholdId) -> Result<Vec<intake::LetterScanRow>>;
    /// One letter's scan with its sealed content.
    fn letter_scan(&self, authorization: AuthorizationId) -> Result<Option<intake::LetterScanRow>>;
    /// Records a department's 回执 for an issued report of the job, with its audit row; one per
    /// report (`Conflict` for a second), and only for an issued report (`NotFound`).
    fn record_receipt(&self, r: &intake::Receipt, audit: &AuditEntry) -> Result<()>;
    /// The 回执 recorded for a job's reports, in report order.
    fn receipts(&self, job: JobId) -> Result<Vec<intake::Receipt>>;
    /// Stores a file of a job's objection under the next number, with its audit row.
    fn put_objection_file(
        &self,
        job: JobId,
        f: &intake::NewAttachment,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<i64>;
    /// A job's objection files in number order, without content; with `seq`, that one with it.
    fn objection_files(&self, job: JobId, seq: Option<i64>) -> Result<Vec<intake::AttachmentRow>>;
    /// Unresolved rows with a member of the same name (by blind index), not yet decided for that
    /// member, in the households `f` selects: one page, and how many there are in all.
    fn link_candidates(&self, f: &intake::LinkFilter) -> Result<(Vec<intake::LinkCandidate>, i64)>;
    /// Records a decision on an unresolved row with its audit row. Linked: the row becomes the
    /// person's (`Conflict` when it was resolved meanwhile); either way the pair is not offered
    /// again (`Conflict` for a second decision on it; `NotFound` without the row).
    fn decide_link(&self, d: &intake::LinkDecision, audit: &AuditEntry) -> Result<()>;
    /// Records a reminder (催办) to a source about a job, with its audit row (`NotFound` without
    /// the job).
    fn add_reminder(&self, r: &intake::Reminder, audit: &AuditEntry) -> Result<()>;
    /// The reminders sent about a job, oldest first.
    fn reminders(&self, job: JobId) -> Result<Vec<intake::Reminder>>;
    /// Corrects a member's (or supporter's) name and ID number in place (补正), with its audit row.
    fn correct_member(&self, household: HouseholdId, m: &intake::MemberCorrection, audit: &AuditEntry) -> Result<()>;

    // ---- commissions, jobs, reports ----
    /// Stores a commission and its job (state `Submitted`).
    fn create_commission(&self, c: &NewCommission, created_at: Timestamp, audit: &AuditEntry) -> Result<JobId>;
    fn job(&self, id: JobId) -> Result<Option<JobRow>>;
    fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobRow>>;
    fn count_jobs(&self, filter: &JobFilter) -> Result<i64>;
    /// Moves a job from `from` to `to` if it is still in `from`.
    fn transition_job(
        &self,
        id: JobId,
        from: JobState,
        to: JobState,
        authorization: Option<AuthorizationId>,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Moves a job from `from` through several states at once, if it is still in `from`: one
    /// compare-and-set to the last state and one audit row per step, in one transaction.
    fn transition_job_through(
        &self,
        id: JobId,
        from: JobState,
        steps: &[(JobState, AuditEntry)],
        authorization: Option<AuthorizationId>,
        at: Timestamp,
    ) -> Result<()>;
    /// Stores the next report version, completed and signed, and moves the job to
    /// `ReportIssued`, atomically. Refused if `report.version` is not the job's next version.
    fn complete_report(
        &self,
        job: JobId,
        from: JobState,
        report: &NewReport,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<ReportId>;
    /// Issues a completed report: its issue signature, and the outcome (from its signed body) on
    /// the job. Refused unless the report is completed. With an 审核员's `approval` (kept with
    /// it), the job moves from `Completed` to `ReportIssued` (refused from any other state).
    fn issue_report(
        &self,
        report: ReportId,
        outcome: Outcome,
        issued_sig: &str,
        at: Timestamp,
        approval: Option<&Approval>,
        audit: &AuditEntry,
    ) -> Result<()>;
    fn reports(&self, job: JobId) -> Result<Vec<ReportRow>>;
    /// The caseload after household `after`, in household order: each household's latest
    /// report's compact inputs.
    fn caseload_page(&self, after: HouseholdId, limit: i64) -> Result<Vec<CaseloadRow>>;
    /// Adds rows to the caseload where they are newer (by date checked, job, version) than what
    /// it holds for their household, in one transaction (the backfill of reports stored before
    /// the caseload existed, and benchmarks).
    fn put_caseload(&self, rows: &[CaseloadRow], audit: &AuditEntry) -> Result<()>;
    /// Reports completed but not issued (a process that stopped between the two steps): the
    /// latest version of jobs already `ReportIssued` (never one waiting for review or returned),
    /// (report id, job), oldest first.
    fn unissued_reports(&self) -> Result<Vec<(ReportId, JobId)>>;

    // ---- the database itself ----
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Sets a fact about the database, with its audit row.
    fn set_meta(&self, key: &str, value: &str, audit: &AuditEntry) -> Result<()>;
    /// Persons with an id above `after`, in id order: for re-sealing every value.
    fn persons_page(&self, after: i64, limit: i64) -> Result<Vec<PersonRow>>;
    /// Records with an id above `after`, in id order.
    fn records_page(&self, after: i64, limit: i64) -> Result<Vec<StoredRecord>>;
    /// Import issues with an id above `after`, in id order.
    fn issues_page(&self, after: i64, limit: i64) -> Result<Vec<IssueRow>>;
    /// Households with an id above `after`, in id order, with their members and supporters.
    fn households_page(&self, after: i64, limit: i64) -> Result<Vec<HouseholdRow>>;
    /// Writes re-sealed values and migration signatures in one transaction, with its audit row.
    fn reseal(&self, changes: &[Reseal], audit: &AuditEntry) -> Result<()>;

    // ---- online exchange ----
    /// Creates queries; one already there for the same job, source and member is left alone.
    fn enqueue_queries(&self, queries: &[NewQuery], now: Timestamp) -> Result<()>;
    /// Queued queries not yet in a request, oldest first.
    fn queued_queries(&self, limit: i64) -> Result<Vec<QueryRow>>;
    /// Stores a request and moves its queries (which must be queued) into it, atomically.
    fn create_request(&self, request: &NewRequest, queries: &[QueryId], now: Timestamp) -> Result<RequestId>;
    /// [`Store::create_request`] for many requests in one transaction; all or none.
    fn create_requests(&self, requests: &[(NewRequest, Vec<QueryId>)], now: Timestamp) -> Result<Vec<RequestId>>;
    /// Open requests: pending ones (to send at their `next_attempt_at`) and accepted ones
    /// (waiting for a callback), soonest first.
    fn open_requests(&self, limit: i64) -> Result<Vec<RequestRow>>;
    fn request(&self, id: RequestId) -> Result<Option<RequestRow>>;
    fn request_by_message(&self, message_id: &str) -> Result<Option<RequestRow>>;
    fn request_queries(&self, request: RequestId) -> Result<Vec<QueryRow>>;
    /// Records an attempt that did not answer: the request stays open (`Pending` with its next
    /// try, or `Accepted`), unless it is already final.
    fn retry_request(
        &self,
        id: RequestId,
        state: RequestState,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
        now: Timestamp,
    ) -> Result<()>;
    /// Stores an answer: the records, each query's outcome, the queries it leads to (the banks
    /// the account index named; one already there is left alone), the request's `Answered` and
    /// the audit row, in one transaction. Returns `false`, changing nothing, when the request was
    /// already final (a repeated callback, say).
    fn answer_request(
        &self,
        id: RequestId,
        outcomes: &[QueryOutcome],
        follow_ups: &[NewQuery],
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Gives a request up (`Failed` or `TimedOut`) with its open queries, and creates the queries
    /// that replace them (every bank, when the account index gave no answer), in one
    /// transaction. `false`, changing nothing, if it was final.
    fn give_up_request(
        &self,
        id: RequestId,
        state: RequestState,
        reason: &str,
        follow_ups: &[NewQuery],
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool>;
    fn job_queries(&self, job: JobId) -> Result<Vec<QueryRow>>;
    /// Jobs with queries that are not final yet: the ones to resume after a restart.
    fn jobs_with_open_queries(&self) -> Result<Vec<JobId>>;
    /// How many queries of each job are not final yet (jobs with none are left out), by job.
    /// How many of one job's queries are still open (queued or sent).
    fn open_queries_of(&self, job: JobId) -> Result<i64>;
    fn open_queries_per_job(&self) -> Result<Vec<(JobId, i64)>>;
    /// Queries per source and state: the backlog a clerk sees.
    fn query_counts(&self) -> Result<Vec<(String, QueryState, i64)>>;
    /// Requests per source and state.
    fn request_counts(&self) -> Result<Vec<(String, RequestState, i64)>>;

    // ---- audit, users, sessions ----
    fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Gives the store the MAC its audit chain is made with; rows written before have none.
    fn set_audit_mac(&self, mac: std::sync::Arc<dyn chain::AuditMac>);
    /// Audit rows with their chain columns, in id order, `limit` after `after_id`.
    fn audit_chain(&self, after_id: i64, limit: i64) -> Result<Vec<chain::ChainRow>>;
    /// A chain's head, the rows it holds and its first seq, as one statement sees them.
    fn audit_head(&self, chain: &str) -> Result<chain::ChainHead>;
    /// Keeps a copy of a signed checkpoint (the exported copies are what `verify` trusts).
    fn put_checkpoint(&self, cp: &chain::Checkpoint) -> Result<()>;
    fn checkpoints(&self) -> Result<Vec<chain::Checkpoint>>;
    /// The node's signing keys for `purpose`, oldest first.
    fn node_keys(&self, purpose: &str) -> Result<Vec<NodeKeyRow>>;
    /// Adds the active key of `purpose`, retiring the one that was, with its audit row.
    fn add_node_key(&self, k: &NodeKeyRow, audit: &AuditEntry) -> Result<i64>;
    /// Revokes a key (it then verifies nothing); false when it already was.
    fn revoke_node_key(&self, id: i64, at: Timestamp, reason: &str, audit: &AuditEntry) -> Result<bool>;
    /// Replaces stored reports' signatures (completion, and issue where given) in one
    /// transaction, with its audit row: what a revoked key had signed, signed again.
    fn resign_reports(&self, sigs: &[(ReportId, String, Option<String>)], audit: &AuditEntry) -> Result<()>;
    /// The last checkpoint kept of `chain`.
    fn last_checkpoint(&self, chain: &str) -> Result<Option<chain::Checkpoint>>;
    /// The oldest rows of `chain` written before `before`, up to the first row that is not:
    /// `None` when there is none.
    fn audit_due(&self, chain: &str, before: Timestamp) -> Result<Option<chain::DuePrefix>>;
    /// Deletes the rows of `chain` through `through_seq`, in one transaction that alone may (the
    /// purge flag the triggers check is set and cleared inside it). Run on the purge role's
    /// connection. Returns the rows deleted.
    fn purge_audit(&self, chain: &str, through_seq: i64) -> Result<u64>;
    /// Writes a consistent copy of the whole database to the file `path` (SQLite: `VACUUM INTO`,
    /// while the node runs). PostgreSQL is backed up with its own tools (a base backup and WAL
    /// archiving): `Invalid` there.
    fn backup_into(&self, path: &str) -> Result<()>;
    /// The households a person is a member or a supporter of: id, number and region.
    fn households_of_person(&self, person: PersonId) -> Result<Vec<(HouseholdId, String, String)>>;
    /// The households with a member or a supporter whose name has the blind index `name_bidx`.
    fn households_named(&self, name_bidx: &BlindIndex) -> Result<Vec<HouseholdId>>;
    /// The audit rows `q` asks for, newest first, and how many there are in all.
    fn audit_search(&self, q: &AuditQuery) -> Result<(Vec<AuditRow>, i64)>;
    /// The audit rows about any of `objects`, oldest first, at most `limit`.
    fn audit_about(&self, objects: &[String], limit: i64) -> Result<Vec<AuditRow>>;
    /// Audit rows, newest first; `object` filters by exact object when given.
    fn audit_log(&self, object: Option<&str>, limit: i64) -> Result<Vec<AuditRow>>;
    /// Sessions that have not expired, oldest first.
    fn sessions(&self, now: Timestamp) -> Result<Vec<SessionInfo>>;
    /// Ends a session by the SM3 of its token, with the audit row; false when there was none.
    fn end_session(&self, token_sm3: &str, audit: &AuditEntry) -> Result<bool>;
    /// Audit rows written at or after `from` and before `to`, oldest first, at most `limit`.
    fn audit_between(&self, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<AuditRow>>;
    fn create_user(&self, u: &NewUser, created_at: Timestamp, audit: &AuditEntry) -> Result<UserId>;
    fn user_by_login(&self, login: &str) -> Result<Option<UserRow>>;
    /// Creates `u` only while no user exists (the first user of a deployment), with its audit
    /// row; `None` when there already is a user.
    fn create_first_user(&self, u: &NewUser, created_at: Timestamp, audit: &AuditEntry) -> Result<Option<UserId>>;
    fn user(&self, id: UserId) -> Result<Option<UserRow>>;
    fn create_session(&self, token_sm3: &str, user: UserId, created_at: Timestamp, expires_at: Timestamp)
    -> Result<()>;
    /// The user of a session that has not expired at `now` and was last used after `idle_since`;
    /// the session is marked as used at `now` (when its last mark is more than 30 s old).
    fn session_user(&self, token_sm3: &str, now: Timestamp, idle_since: Timestamp) -> Result<Option<UserId>>;
    /// A login's outcome for a user: the failures in a row and the lock they lead to (a success
    /// sets none), a new verifier where the stored one is upgraded, and the audit row, together.
    fn record_login(
        &self,
        user: UserId,
        failed_logins: i64,
        locked_until: Option<Timestamp>,
        password_hash: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<()>;
    fn delete_session(&self, token_sm3: &str) -> Result<()>;
    /// Records a close relative of a member of staff (近亲属备案), with its audit row.
    fn add_relative(&self, r: &NewRelative, created_at: Timestamp, audit: &AuditEntry) -> Result<()>;
    /// Whether a relative `login` recorded is a member of `household`.
    fn relative_in_household(&self, login: &str, household: HouseholdId) -> Result<bool>;
    /// The relatives `login` recorded: each one's blind index and sealed ID number.
    fn relative_ids(&self, login: &str) -> Result<Vec<(BlindIndex, Vec<u8>)>>;
    /// Up to `limit` rows of `table` after the row `after`, with their sealed and index values.
    fn rekey_page(&self, table: rekey::RekeyTable, after: i64, limit: i64) -> Result<Vec<rekey::RekeyRow>>;
    /// Writes re-sealed values and the table's rotation cursor (the last row's id) with the audit
    /// row, in one transaction. Audit rows go through [`Store::rekey_audit`].
    fn rekey_apply(&self, table: rekey::RekeyTable, rows: &[rekey::RekeyRow], audit: &AuditEntry) -> Result<()>;
    /// Writes audit rows' re-sealed text, in a transaction that alone may change it (on
    /// PostgreSQL, under the purge role).
    fn rekey_audit(&self, rows: &[rekey::RekeyRow]) -> Result<()>;
    /// How many rows of `class` are past their period under `cut`.
    fn data_due(&self, class: retention::DataClass, cut: &retention::Cutoffs) -> Result<i64>;
    /// Deletes the rows of `class` past their period under `cut`, with the audit row, in one
    /// transaction; returns how many rows were deleted.
    fn purge_data(&self, class: retention::DataClass, cut: &retention::Cutoffs, audit: &AuditEntry) -> Result<i64>;
    /// The master key's epochs as recorded, oldest first.
    fn key_epochs(&self) -> Result<Vec<rekey::KeyEpochRow>>;
    /// Records key epochs (by epoch) and `meta` values with the audit row, in one transaction.
    fn put_key_epochs(&self, rows: &[rekey::KeyEpochRow], meta: &[(&str, &str)], audit: &AuditEntry) -> Result<()>;
    /// Every user, by login.
    fn users(&self) -> Result<Vec<UserRow>>;
    /// Changes a user's role, region, organization or whether it is disabled (disabling ends its
    /// sessions), with the audit row.
    fn change_user(&self, id: UserId, change: &UserChange, audit: &AuditEntry) -> Result<()>;
    /// Sets a user's password verifier (kept in the history), whether it must be changed at the
    /// next login, and when it was set; clears a lock and ends the user's sessions.
    fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        must_change: bool,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// The user's last `limit` verifiers, newest first.
    fn password_history(&self, id: UserId, limit: i64) -> Result<Vec<String>>;
    /// Enrols a second factor, replacing the user's factor of the same kind, with its audit row.
    fn put_second_factor(&self, f: &SecondFactor, at: Timestamp, audit: &AuditEntry) -> Result<()>;
    fn second_factors(&self, user: UserId) -> Result<Vec<SecondFactor>>;
    /// Marks a time step of the user's `kind` factor (a TOTP app or a GM/T 0021 token) used;
    /// false when it, or a later one, already was (a replayed code).
    fn use_otp_step(&self, user: UserId, kind: &str, step: i64) -> Result<bool>;
    /// A session waiting for its second factor: it opens nothing until completed.
    fn create_pending_session(
        &self,
        token_sm3: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
        challenge: &str,
    ) -> Result<()>;
    /// The pending session of a token, while it has not expired.
    fn pending_session(&self, token_sm3: &str, now: Timestamp) -> Result<Option<PendingSession>>;
    /// Completes a pending session (the second factor was right): it lasts until `expires_at`.
    fn complete_session(&self, token_sm3: &str, expires_at: Timestamp, now: Timestamp) -> Result<bool>;
}
