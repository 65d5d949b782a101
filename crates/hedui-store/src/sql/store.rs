//! `Store` for `SqlStore`: each method forwards to the module of its concern, so this file is
//! the table of where every method lives.
// tidy: allow(long-file): one forwarding function per Store method, the trait's own table; it
// grows with the trait and holds no logic to split.

use super::*;

impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    fn migrate(&self) -> Result<Vec<i64>> {
        let read = || self.query("SELECT version FROM schema_migrations ORDER BY version", &[]);
        // The table is created only when it is not there: the application's role on PostgreSQL
        // may not create anything, and needs nothing created once the owner has migrated.
        let versions = match read() {
            Ok(rows) => rows,
            Err(_) => {
                self.lock()?.execute_batch(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
                )?;
                read()?
            }
        };
        let done: Vec<i64> = versions.iter().map(|r| Row(r).i64(0)).collect::<Result<_>>()?;
        let mut applied = Vec::new();
        for (version, name, sql) in MIGRATIONS {
            if done.contains(version) {
                continue;
            }
            let ddl = self.migration_sql(sql);
            self.tx(|c| {
                c.execute_batch(&ddl)?;
                c.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    &[(*version).into(), (*name).into()],
                )?;
                Ok(())
            })?;
            applied.push(*version);
        }
        Ok(applied)
    }

    fn resolve_persons(&self, keys: &[PersonKey]) -> Result<Vec<PersonId>> {
        persons::resolve_persons(self, keys)
    }

    fn find_persons(&self, bidxs: &[BlindIndex]) -> Result<Vec<Option<PersonId>>> {
        persons::find_persons(self, bidxs)
    }

    fn find_person(&self, bidx: &BlindIndex) -> Result<Option<PersonId>> {
        persons::find_person(self, bidx)
    }

    fn person_id_enc(&self, person: PersonId) -> Result<Option<Vec<u8>>> {
        persons::person_id_enc(self, person)
    }

    fn count_persons(&self) -> Result<i64> {
        persons::count_persons(self)
    }

    fn begin_import(&self, b: &NewBatch, audit: &AuditEntry) -> Result<BatchStart> {
        mirror::begin_import(self, b, audit)
    }

    fn insert_records(&self, batch: Option<BatchId>, job: Option<JobId>, recs: &[NewRecord]) -> Result<u64> {
        mirror::insert_records(self, batch, job, recs)
    }

    fn import_rows(&self, batch: BatchId, recs: &[NewRecord], digests: &[u8], issues: &[ImportIssue]) -> Result<u64> {
        mirror::import_rows(self, batch, recs, digests, issues)
    }

    fn row_digests(&self, source: &str, as_of: Date) -> Result<Vec<u8>> {
        mirror::row_digests(self, source, as_of)
    }

    fn insert_issues(&self, batch: BatchId, issues: &[ImportIssue]) -> Result<()> {
        mirror::insert_issues(self, batch, issues)
    }

    fn finish_import(&self, batch: BatchId, s: &BatchStats, finished_at: Timestamp) -> Result<()> {
        mirror::finish_import(self, batch, s, finished_at)
    }

    fn batch(&self, id: BatchId) -> Result<Option<Batch>> {
        mirror::batch(self, id)
    }

    fn batches(&self) -> Result<Vec<Batch>> {
        mirror::batches(self)
    }

    fn batch_issues(&self, id: BatchId) -> Result<Vec<ImportIssue>> {
        mirror::batch_issues(self, id)
    }

    fn batch_records(&self, batch: BatchId) -> Result<Vec<StoredRecord>> {
        mirror::batch_records(self, batch)
    }

    fn records_for(&self, persons: &[PersonId]) -> Result<Vec<StoredRecord>> {
        mirror::records_for(self, persons)
    }

    fn unresolved_by_name(&self, name_bidx: &BlindIndex) -> Result<Vec<StoredRecord>> {
        mirror::unresolved_by_name(self, name_bidx)
    }

    fn snapshots_in_force(&self, as_of: hedui_core::Date) -> Result<Vec<Batch>> {
        mirror::snapshots_in_force(self, as_of)
    }

    fn records_in_force(&self, persons: &[PersonId], as_of: hedui_core::Date) -> Result<Vec<StoredRecord>> {
        mirror::records_in_force(self, persons, as_of)
    }

    fn job_records(&self, job: JobId) -> Result<Vec<StoredRecord>> {
        mirror::job_records(self, job)
    }

    fn count_records(&self) -> Result<i64> {
        mirror::count_records(self)
    }

    fn create_household(&self, h: &NewHousehold, created_at: Timestamp, audit: &AuditEntry) -> Result<HouseholdId> {
        cases::create_household(self, h, created_at, audit)
    }

    fn household(&self, id: HouseholdId) -> Result<Option<HouseholdRow>> {
        cases::household(self, id)
    }

    fn household_by_number(&self, number: &str) -> Result<Option<HouseholdRow>> {
        cases::household_by_number(self, number)
    }

    fn count_households(&self) -> Result<i64> {
        cases::count_households(self)
    }

    fn create_authorization(
        &self,
        a: &NewAuthorization,
        created_at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<AuthorizationId> {
        cases::create_authorization(self, a, created_at, audit)
    }

    fn authorizations(&self, household: HouseholdId) -> Result<Vec<AuthorizationRow>> {
        cases::authorizations(self, household)
    }

    fn set_authorization_status(
        &self,
        id: AuthorizationId,
        status: AuthorizationStatus,
        reason: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<()> {
        cases::set_authorization_status(self, id, status, reason, audit)
    }

    fn create_commission(&self, cm: &NewCommission, created_at: Timestamp, audit: &AuditEntry) -> Result<JobId> {
        cases::create_commission(self, cm, created_at, audit)
    }

    fn job(&self, id: JobId) -> Result<Option<JobRow>> {
        jobs::job(self, id)
    }

    fn jobs(&self, f: &JobFilter) -> Result<Vec<JobRow>> {
        jobs::jobs(self, f)
    }

    fn count_jobs(&self, f: &JobFilter) -> Result<i64> {
        jobs::count_jobs(self, f)
    }

    fn transition_job(
        &self,
        id: JobId,
        from: JobState,
        to: JobState,
        authorization: Option<AuthorizationId>,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<()> {
        jobs::transition_job(self, id, from, to, authorization, at, audit)
    }

    fn transition_job_through(
        &self,
        id: JobId,
        from: JobState,
        steps: &[(JobState, AuditEntry)],
        authorization: Option<AuthorizationId>,
        at: Timestamp,
    ) -> Result<()> {
        jobs::transition_job_through(self, id, from, steps, authorization, at)
    }

    fn complete_report(
        &self,
        job: JobId,
        from: JobState,
        report: &NewReport,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<ReportId> {
        jobs::complete_report(self, job, from, report, at, audit)
    }

    fn issue_report(
        &self,
        report: ReportId,
        outcome: Outcome,
        sig: &str,
        at: Timestamp,
        approval: Option<&Approval>,
        audit: &AuditEntry,
    ) -> Result<()> {
        jobs::issue_report(self, report, outcome, sig, at, approval, audit)
    }

    fn reports(&self, job: JobId) -> Result<Vec<ReportRow>> {
        jobs::reports(self, job)
    }

    fn caseload_page(&self, after: HouseholdId, limit: i64) -> Result<Vec<CaseloadRow>> {
        jobs::caseload_page(self, after, limit)
    }

    fn put_caseload(&self, rows: &[CaseloadRow], audit: &AuditEntry) -> Result<()> {
        jobs::put_caseload(self, rows, audit)
    }

    fn unissued_reports(&self) -> Result<Vec<(ReportId, JobId)>> {
        jobs::unissued_reports(self)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        admin::meta(self, key)
    }

    fn set_meta(&self, key: &str, value: &str, audit: &AuditEntry) -> Result<()> {
        admin::set_meta(self, key, value, audit)
    }

    fn persons_page(&self, after: i64, limit: i64) -> Result<Vec<PersonRow>> {
        persons::persons_page(self, after, limit)
    }

    fn records_page(&self, after: i64, limit: i64) -> Result<Vec<StoredRecord>> {
        mirror::records_page(self, after, limit)
    }

    fn issues_page(&self, after: i64, limit: i64) -> Result<Vec<IssueRow>> {
        mirror::issues_page(self, after, limit)
    }

    fn households_list(
        &self,
        f: &crate::intake::HouseholdFilter,
    ) -> Result<(Vec<crate::intake::HouseholdSummary>, i64)> {
        intake::households_list(self, f)
    }
    fn put_letter_scan(&self, s: &crate::intake::NewLetterScan, at: Timestamp, audit: &AuditEntry) -> Result<()> {
        intake::put_letter_scan(self, s, at, audit)
    }
    fn letter_scans(&self, h: HouseholdId) -> Result<Vec<crate::intake::LetterScanRow>> {
        intake::letter_scans(self, h)
    }
    fn letter_scan(&self, a: AuthorizationId) -> Result<Option<crate::intake::LetterScanRow>> {
        intake::letter_scan(self, a)
    }
    fn record_receipt(&self, r: &crate::intake::Receipt, audit: &AuditEntry) -> Result<()> {
        intake::record_receipt(self, r, audit)
    }
    fn receipts(&self, job: JobId) -> Result<Vec<crate::intake::Receipt>> {
        intake::receipts(self, job)
    }

    fn link_candidates(&self, f: &crate::intake::LinkFilter) -> Result<(Vec<crate::intake::LinkCandidate>, i64)> {
        intake::link_candidates(self, f)
    }

    fn decide_link(&self, d: &crate::intake::LinkDecision, audit: &AuditEntry) -> Result<()> {
        intake::decide_link(self, d, audit)
    }

    fn add_reminder(&self, r: &crate::intake::Reminder, audit: &AuditEntry) -> Result<()> {
        intake::add_reminder(self, r, audit)
    }

    fn reminders(&self, job: JobId) -> Result<Vec<crate::intake::Reminder>> {
        intake::reminders(self, job)
    }
    fn put_objection_file(
        &self,
        j: JobId,
        f: &crate::intake::NewAttachment,
        at: Timestamp,
        a: &AuditEntry,
    ) -> Result<i64> {
        intake::put_objection_file(self, j, f, at, a)
    }
    fn objection_files(&self, j: JobId, seq: Option<i64>) -> Result<Vec<crate::intake::AttachmentRow>> {
        intake::objection_files(self, j, seq)
    }
    fn correct_member(&self, h: HouseholdId, m: &crate::intake::MemberCorrection, audit: &AuditEntry) -> Result<()> {
        intake::correct_member(self, h, m, audit)
    }
    fn households_page(&self, after: i64, limit: i64) -> Result<Vec<HouseholdRow>> {
        cases::households_page(self, after, limit)
    }

    fn reseal(&self, changes: &[Reseal], audit: &AuditEntry) -> Result<()> {
        admin::reseal(self, changes, audit)
    }

    fn audit(&self, entry: &AuditEntry) -> Result<()> {
        audit::audit(self, entry)
    }

    fn audit_log(&self, object: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
        audit::audit_log(self, object, limit)
    }

    fn create_user(&self, u: &NewUser, created_at: Timestamp, audit: &AuditEntry) -> Result<UserId> {
        admin::create_user(self, u, created_at, audit)
    }

    fn user_by_login(&self, login: &str) -> Result<Option<UserRow>> {
        admin::user_by_login(self, login)
    }

    fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        admin::user(self, id)
    }

    fn create_first_user(&self, u: &NewUser, created_at: Timestamp, audit: &AuditEntry) -> Result<Option<UserId>> {
        admin::create_first_user(self, u, created_at, audit)
    }

    fn create_session(
        &self,
        token_sm3: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        admin::create_session(self, token_sm3, user, created_at, expires_at)
    }

    fn session_user(&self, token_sm3: &str, now: Timestamp, idle_since: Timestamp) -> Result<Option<UserId>> {
        admin::session_user(self, token_sm3, now, idle_since)
    }

    fn record_login(
        &self,
        user: UserId,
        failed_logins: i64,
        locked_until: Option<Timestamp>,
        password_hash: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<()> {
        admin::record_login(self, user, failed_logins, locked_until, password_hash, audit)
    }

    fn enqueue_queries(&self, queries: &[NewQuery], now: Timestamp) -> Result<()> {
        exchange::enqueue_queries(self, queries, now)
    }

    fn queued_queries(&self, limit: i64) -> Result<Vec<QueryRow>> {
        exchange::queued_queries(self, limit)
    }

    fn create_request(&self, r: &NewRequest, queries: &[QueryId], now: Timestamp) -> Result<RequestId> {
        exchange::create_request(self, r, queries, now)
    }

    fn create_requests(&self, batch: &[(NewRequest, Vec<QueryId>)], now: Timestamp) -> Result<Vec<RequestId>> {
        exchange::create_requests(self, batch, now)
    }

    fn open_requests(&self, limit: i64) -> Result<Vec<RequestRow>> {
        exchange::open_requests(self, limit)
    }

    fn request(&self, id: RequestId) -> Result<Option<RequestRow>> {
        exchange::request(self, id)
    }

    fn request_by_message(&self, message_id: &str) -> Result<Option<RequestRow>> {
        exchange::request_by_message(self, message_id)
    }

    fn request_queries(&self, request: RequestId) -> Result<Vec<QueryRow>> {
        exchange::request_queries(self, request)
    }

    fn retry_request(
        &self,
        id: RequestId,
        state: RequestState,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
        now: Timestamp,
    ) -> Result<()> {
        exchange::retry_request(self, id, state, attempts, next_attempt_at, error, now)
    }

    fn answer_request(
        &self,
        id: RequestId,
        outcomes: &[QueryOutcome],
        follow_ups: &[NewQuery],
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool> {
        exchange::answer_request(self, id, outcomes, follow_ups, now, audit)
    }

    fn give_up_request(
        &self,
        id: RequestId,
        state: RequestState,
        reason: &str,
        follow_ups: &[NewQuery],
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool> {
        exchange::give_up_request(self, id, state, reason, follow_ups, now, audit)
    }

    fn job_queries(&self, job: JobId) -> Result<Vec<QueryRow>> {
        exchange::job_queries(self, job)
    }

    fn jobs_with_open_queries(&self) -> Result<Vec<JobId>> {
        exchange::jobs_with_open_queries(self)
    }

    fn open_queries_per_job(&self) -> Result<Vec<(JobId, i64)>> {
        exchange::open_queries_per_job(self)
    }

    fn open_queries_of(&self, job: JobId) -> Result<i64> {
        exchange::open_queries_of(self, job)
    }

    fn query_counts(&self) -> Result<Vec<(String, QueryState, i64)>> {
        exchange::query_counts(self)
    }

    fn request_counts(&self) -> Result<Vec<(String, RequestState, i64)>> {
        exchange::request_counts(self)
    }

    fn delete_session(&self, token_sm3: &str) -> Result<()> {
        admin::delete_session(self, token_sm3)
    }

    fn add_relative(&self, r: &NewRelative, created_at: Timestamp, audit: &AuditEntry) -> Result<()> {
        admin::add_relative(self, r, created_at, audit)
    }

    fn relative_in_household(&self, login: &str, household: HouseholdId) -> Result<bool> {
        admin::relative_in_household(self, login, household)
    }
    fn relative_ids(&self, login: &str) -> Result<Vec<(BlindIndex, Vec<u8>)>> {
        rekey::relative_ids(self, login)
    }
    fn rekey_page(&self, table: RekeyTable, after: i64, limit: i64) -> Result<Vec<RekeyRow>> {
        rekey::rekey_page(self, table, after, limit)
    }
    fn rekey_apply(&self, table: RekeyTable, rows: &[RekeyRow], audit: &AuditEntry) -> Result<()> {
        rekey::rekey_apply(self, table, rows, audit)
    }
    fn rekey_audit(&self, rows: &[RekeyRow]) -> Result<()> {
        rekey::rekey_audit(self, rows)
    }
    fn data_due(&self, class: DataClass, cut: &Cutoffs) -> Result<i64> {
        retention::data_due(self, class, cut)
    }
    fn purge_data(&self, class: DataClass, cut: &Cutoffs, audit: &AuditEntry) -> Result<i64> {
        retention::purge_data(self, class, cut, audit)
    }
    fn key_epochs(&self) -> Result<Vec<KeyEpochRow>> {
        rekey::key_epochs(self)
    }
    fn put_key_epochs(&self, rows: &[KeyEpochRow], meta: &[(&str, &str)], audit: &AuditEntry) -> Result<()> {
        rekey::put_key_epochs(self, rows, meta, audit)
    }

    fn users(&self) -> Result<Vec<UserRow>> {
        admin::users(self)
    }

    fn change_user(&self, id: UserId, change: &UserChange, audit: &AuditEntry) -> Result<()> {
        admin::change_user(self, id, change, audit)
    }

    fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        must_change: bool,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<()> {
        admin::set_password(self, id, password_hash, must_change, at, audit)
    }

    fn password_history(&self, id: UserId, limit: i64) -> Result<Vec<String>> {
        admin::password_history(self, id, limit)
    }

    fn put_second_factor(&self, f: &SecondFactor, at: Timestamp, audit: &AuditEntry) -> Result<()> {
        admin::put_second_factor(self, f, at, audit)
    }

    fn second_factors(&self, user: UserId) -> Result<Vec<SecondFactor>> {
        admin::second_factors(self, user)
    }

    fn create_pending_session(
        &self,
        token_sm3: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
        challenge: &str,
    ) -> Result<()> {
        admin::create_pending_session(self, token_sm3, user, created_at, expires_at, challenge)
    }

    fn pending_session(&self, token_sm3: &str, now: Timestamp) -> Result<Option<PendingSession>> {
        admin::pending_session(self, token_sm3, now)
    }

    fn complete_session(&self, token_sm3: &str, expires_at: Timestamp, now: Timestamp) -> Result<bool> {
        admin::complete_session(self, token_sm3, expires_at, now)
    }

    fn audit_between(&self, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<AuditRow>> {
        audit::audit_between(self, from, to, limit)
    }

    fn sessions(&self, now: Timestamp) -> Result<Vec<SessionInfo>> {
        admin::sessions(self, now)
    }

    fn end_session(&self, token_sm3: &str, audit: &AuditEntry) -> Result<bool> {
        admin::end_session(self, token_sm3, audit)
    }

    fn set_audit_mac(&self, mac: std::sync::Arc<dyn crate::chain::AuditMac>) {
        audit::set_audit_mac(self, mac)
    }
    fn audit_chain(&self, after_id: i64, limit: i64) -> Result<Vec<crate::chain::ChainRow>> {
        audit::audit_chain(self, after_id, limit)
    }
    fn audit_head(&self, chain: &str) -> Result<crate::chain::ChainHead> {
        audit::audit_head(self, chain)
    }
    fn put_checkpoint(&self, cp: &crate::chain::Checkpoint) -> Result<()> {
        audit::put_checkpoint(self, cp)
    }
    fn checkpoints(&self) -> Result<Vec<crate::chain::Checkpoint>> {
        audit::checkpoints(self)
    }
    fn node_keys(&self, purpose: &str) -> Result<Vec<NodeKeyRow>> {
        admin::node_keys(self, purpose)
    }
    fn add_node_key(&self, k: &NodeKeyRow, audit: &AuditEntry) -> Result<i64> {
        admin::add_node_key(self, k, audit)
    }
    fn revoke_node_key(&self, id: i64, at: Timestamp, reason: &str, audit: &AuditEntry) -> Result<bool> {
        admin::revoke_node_key(self, id, at, reason, audit)
    }
    fn resign_reports(&self, sigs: &[(ReportId, String, Option<String>)], audit: &AuditEntry) -> Result<()> {
        admin::resign_reports(self, sigs, audit)
    }
    fn last_checkpoint(&self, chain: &str) -> Result<Option<crate::chain::Checkpoint>> {
        audit::last_checkpoint(self, chain)
    }
    fn audit_due(&self, chain: &str, before: Timestamp) -> Result<Option<crate::chain::DuePrefix>> {
        audit::audit_due(self, chain, before)
    }
    fn purge_audit(&self, chain: &str, through_seq: i64) -> Result<u64> {
        audit::purge_audit(self, chain, through_seq)
    }
    fn households_of_person(&self, person: PersonId) -> Result<Vec<(HouseholdId, String, String)>> {
        audit::households_of_person(self, person)
    }
    fn households_named(&self, name_bidx: &BlindIndex) -> Result<Vec<HouseholdId>> {
        audit::households_named(self, name_bidx)
    }
    fn audit_search(&self, q: &AuditQuery) -> Result<(Vec<AuditRow>, i64)> {
        audit::audit_search(self, q)
    }
    fn audit_about(&self, objects: &[String], limit: i64) -> Result<Vec<AuditRow>> {
        audit::audit_about(self, objects, limit)
    }
    fn backup_into(&self, path: &str) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => {
                self.lock()?.execute("VACUUM INTO ?", &[path.into()])?;
                Ok(())
            }
            Dialect::Postgres => {
                Err(StoreError::Invalid("PostgreSQL 用 pg_basebackup 与 WAL 归档备份（见 README）".into()))
            }
        }
    }
    fn use_otp_step(&self, user: UserId, kind: &str, step: i64) -> Result<bool> {
        admin::use_otp_step(self, user, kind, step)
    }
}
