//! Jobs and their reports: state transitions, completed and issued versions.

use super::*;

pub(super) fn job(st: &SqlStore, id: JobId) -> Result<Option<JobRow>> {
    let rows = st.query(&format!("{JOB_SELECT} WHERE j.id = ?"), &[id.0.into()])?;
    rows.first().map(|r| job_from(r)).transpose()
}

pub(super) fn jobs(st: &SqlStore, f: &JobFilter) -> Result<Vec<JobRow>> {
    let (w, mut p) = job_where(f);
    let order = f.sort.order_by();
    let job_only = !joins(f) && !f.sort.on_household();
    debug_assert!(!job_only || !(w.contains("c.") || w.contains("h.")), "a filter joins without saying so: {w}");
    p.push((if f.limit > 0 { f.limit } else { 100 }).into());
    p.push(f.offset.max(0).into());
    // A page that filters and sorts on the job alone is chosen on the job table, then joined: a
    // page deep in the list would otherwise look up every skipped job's commission and household.
    let sql = match job_only {
        true => format!(
            "{JOB_SELECT} WHERE j.id IN (SELECT j.id FROM job j WHERE {w} ORDER BY {order} LIMIT ? OFFSET ?) \
             ORDER BY {order}"
        ),
        false => format!("{JOB_SELECT} WHERE {w} ORDER BY {order} LIMIT ? OFFSET ?"),
    };
    st.query(&sql, &p)?.iter().map(|r| job_from(r)).collect()
}

/// Whether `f` filters on the commission's or the household's columns. When it does not, they
/// need not be joined to choose or count jobs: every job has both (not null, never deleted).
fn joins(f: &JobFilter) -> bool {
    let text = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.trim().is_empty());
    f.programme.is_some()
        || f.kind.is_some()
        || f.region_prefix.as_deref().is_some_and(|r| !r.is_empty())
        || f.household_number.as_deref().is_some_and(|n| !n.is_empty())
        || f.department.is_some()
        || text(&f.household_contains)
        || text(&f.commission_contains)
}

pub(super) fn count_jobs(st: &SqlStore, f: &JobFilter) -> Result<i64> {
    let (w, p) = job_where(f);
    let from = match !joins(f) {
        true => "job j",
        false => "job j JOIN commission c ON c.id = j.commission_id JOIN household h ON h.id = j.household_id",
    };
    st.count(&format!("SELECT COUNT(*) FROM {from} WHERE {w}"), &p)
}

pub(super) fn transition_job(
    st: &SqlStore,
    id: JobId,
    from: JobState,
    to: JobState,
    authorization: Option<AuthorizationId>,
    at: Timestamp,
    audit: &AuditEntry,
) -> Result<()> {
    transition_job_through(st, id, from, &[(to, audit.clone())], authorization, at)
}

pub(super) fn transition_job_through(
    st: &SqlStore,
    id: JobId,
    from: JobState,
    steps: &[(JobState, AuditEntry)],
    authorization: Option<AuthorizationId>,
    at: Timestamp,
) -> Result<()> {
    let Some((to, _)) = steps.last() else { return Ok(()) };
    st.tx(|c| {
        let n = c.execute(
            "UPDATE job SET state = ?, authorization_id = COALESCE(?, authorization_id), updated_at = ? \
             WHERE id = ? AND state = ?",
            &[to.code().into(), authorization.map(|a| a.0).into(), at.into(), id.0.into(), from.code().into()],
        )?;
        if n == 0 {
            let actual = c.query("SELECT state FROM job WHERE id = ?", &[id.0.into()])?;
            let Some(r) = actual.first() else { return Err(StoreError::NotFound(format!("核对任务 {id}"))) };
            return Err(StoreError::StateChanged { expected: from.code().into(), actual: Row(r).text(0)? });
        }
        for (_, audit) in steps {
            write_audit(c, audit)?;
        }
        Ok(())
    })
}

pub(super) fn complete_report(
    st: &SqlStore,
    job: JobId,
    from: JobState,
    report: &NewReport,
    at: Timestamp,
    audit: &AuditEntry,
) -> Result<ReportId> {
    st.tx(|c| {
        let n = c.execute(
            "UPDATE job SET state = ?, outcome = ?, updated_at = ? WHERE id = ? AND state = ?",
            &[
                if report.review { JobState::Completed } else { JobState::ReportIssued }.code().into(),
                report.outcome.code().into(),
                at.into(),
                job.0.into(),
                from.code().into(),
            ],
        )?;
        if n == 0 {
            return Err(StoreError::StateChanged { expected: from.code().into(), actual: "?".into() });
        }
        let version =
            first_i64(&c.query("SELECT COALESCE(MAX(version), 0) + 1 FROM report WHERE job_id = ?", &[job.0.into()])?)?;
        if version != report.version {
            return Err(StoreError::StateChanged {
                expected: format!("第 {} 版", report.version),
                actual: format!("下一版为第 {version} 版"),
            });
        }
        let id = first_i64(&c.query(
            "INSERT INTO report (job_id, version, outcome, body_enc, body_sm3, created_at, completed_sig, \
             packed_sm3) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                job.0.into(),
                version.into(),
                report.outcome.code().into(),
                report.body_enc.as_slice().into(),
                report.body_sm3.as_str().into(),
                at.into(),
                report.completed_sig.as_str().into(),
                report.packed_sm3.as_str().into(),
            ],
        )?)?;
        if let Some(entry) = &report.caseload {
            let household = first_i64(&c.query("SELECT household_id FROM job WHERE id = ?", &[job.0.into()])?)?;
            put_caseload_in(c, &CaseloadRow { household: HouseholdId(household), job, version, entry: entry.clone() })?;
        }
        write_audit(c, audit)?;
        Ok(ReportId(id))
    })
}

pub(super) fn issue_report(
    st: &SqlStore,
    report: ReportId,
    outcome: Outcome,
    issued_sig: &str,
    at: Timestamp,
    approval: Option<&Approval>,
    audit: &AuditEntry,
) -> Result<()> {
    st.tx(|c| {
        let rows = c.query(
            "SELECT r.job_id FROM report r WHERE r.id = ? \
             AND NOT EXISTS (SELECT 1 FROM report_issue i WHERE i.report_id = r.id)",
            &[report.into()],
        )?;
        let job = first_i64(&rows).map_err(|_| StoreError::StateChanged {
            expected: "completed".into(),
            actual: format!("报告 {report} 不存在或已签发"),
        })?;
        c.execute(
            "INSERT INTO report_issue (report_id, issued_sig, issued_at) VALUES (?, ?, ?)",
            &[report.into(), issued_sig.into(), at.into()],
        )?;
        if let Some(a) = approval {
            // Approval issues a report waiting for review, and moves its job on.
            let n = c.execute(
                "UPDATE job SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                &[JobState::ReportIssued.code().into(), at.into(), job.into(), JobState::Completed.code().into()],
            )?;
            if n == 0 {
                return Err(StoreError::StateChanged { expected: "completed".into(), actual: "?".into() });
            }
            c.execute(
                "INSERT INTO report_approval (report_id, verifier, verifier_name, reviewer, reviewer_name, \
                 organization, reviewer_key, reviewer_sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    report.into(),
                    a.verifier.as_str().into(),
                    a.verifier_name.as_str().into(),
                    a.reviewer.as_str().into(),
                    a.reviewer_name.as_str().into(),
                    a.organization.as_str().into(),
                    a.reviewer_key.as_str().into(),
                    a.reviewer_sig.as_str().into(),
                ],
            )?;
        }
        c.execute(
            "UPDATE job SET outcome = ?, updated_at = ? WHERE id = ?",
            &[outcome.code().into(), at.into(), job.into()],
        )?;
        write_audit(c, audit)
    })
}

pub(super) fn reports(st: &SqlStore, job: JobId) -> Result<Vec<ReportRow>> {
    st.query(
        "SELECT r.id, r.job_id, r.version, r.outcome, r.body_enc, r.body_sm3, r.created_at, r.completed_sig, \
         i.issued_sig, i.issued_at, r.signed_in_migration, a.verifier, a.verifier_name, a.reviewer, \
         a.reviewer_name, a.organization, a.reviewer_key, a.reviewer_sig, r.packed_sm3 FROM report r \
         LEFT JOIN report_issue i ON i.report_id = r.id LEFT JOIN report_approval a ON a.report_id = r.id \
         WHERE r.job_id = ? ORDER BY r.version",
        &[job.0.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        let oc = r.text(3)?;
        let issued_at = r.opt_ts(9)?;
        Ok(ReportRow {
            id: ReportId(r.i64(0)?),
            job: JobId(r.i64(1)?),
            version: r.i64(2)?,
            outcome: Outcome::from_code(&oc).ok_or_else(|| StoreError::Corrupt(format!("outcome {oc}")))?,
            body_enc: r.sealed(4)?,
            body_sm3: r.text(5)?,
            packed_sm3: r.text(18)?,
            created_at: r.ts(6)?,
            state: if issued_at.is_some() { ReportState::Issued } else { ReportState::Completed },
            completed_sig: r.text(7)?,
            issued_sig: r.opt_text(8)?.unwrap_or_default(),
            issued_at,
            signed_in_migration: r.i64(10)? != 0,
            approval: match r.opt_text(11)? {
                None => None,
                Some(verifier) => Some(Approval {
                    verifier,
                    verifier_name: r.text(12)?,
                    reviewer: r.text(13)?,
                    reviewer_name: r.text(14)?,
                    organization: r.text(15)?,
                    reviewer_key: r.text(16)?,
                    reviewer_sig: r.text(17)?,
                }),
            },
        })
    })
    .collect()
}

pub(super) fn unissued_reports(st: &SqlStore) -> Result<Vec<(ReportId, JobId)>> {
    st.query(
        "SELECT r.id, r.job_id FROM report r LEFT JOIN report_issue i ON i.report_id = r.id \
         JOIN job j ON j.id = r.job_id WHERE i.report_id IS NULL AND j.state = 'report_issued' \
         AND r.version = (SELECT MAX(v.version) FROM report v WHERE v.job_id = r.job_id) ORDER BY r.id",
        &[],
    )?
    .iter()
    .map(|r| Ok((ReportId(Row(r).i64(0)?), JobId(Row(r).i64(1)?))))
    .collect()
}

pub(super) fn job_from(r: &[Value]) -> Result<JobRow> {
    let r = Row(r);
    let state_code = r.text(10)?;
    Ok(JobRow {
        id: JobId(r.i64(0)?),
        commission: hedui_core::CommissionId(r.i64(1)?),
        commission_number: r.text(2)?,
        kind: r.code(3)?,
        programme: r.code(4)?,
        department: r.text(5)?,
        note_enc: r.opt_sealed(15)?,
        declared_enc: r.opt_sealed(16)?,
        household: HouseholdId(r.i64(6)?),
        household_number: r.text(7)?,
        region: r.text(8)?,
        authorization: r.opt_i64(9)?.map(AuthorizationId),
        state: JobState::from_code(&state_code).ok_or_else(|| StoreError::Corrupt(format!("state {state_code}")))?,
        as_of: r.date(11)?,
        outcome: r.opt_text(12)?.and_then(|o| Outcome::from_code(&o)),
        created_at: r.ts(13)?,
        updated_at: r.ts(14)?,
    })
}

/// The WHERE clause of the job list (`joins` says whether it names `c.` or `h.` columns).
pub(super) fn job_where(f: &JobFilter) -> (String, Vec<Value>) {
    let mut w = vec!["1 = 1".to_string()];
    let mut p: Vec<Value> = Vec::new();
    if let Some(s) = f.state {
        w.push("j.state = ?".into());
        p.push(s.code().into());
    }
    if let Some(o) = f.outcome {
        w.push("j.outcome = ?".into());
        p.push(o.code().into());
    }
    match f.receipted {
        Some(true) => w.push("EXISTS (SELECT 1 FROM report_receipt rr WHERE rr.job_id = j.id)".into()),
        Some(false) => w.push(
            "j.state = 'report_issued' AND NOT EXISTS (SELECT 1 FROM report_receipt rr WHERE rr.job_id = j.id \
             AND rr.report_id = (SELECT MAX(r.id) FROM report r WHERE r.job_id = j.id))"
                .into(),
        ),
        None => {}
    }
    if let Some(pr) = f.programme {
        w.push("c.programme = ?".into());
        p.push(code(&pr).into());
    }
    if let Some(k) = f.kind {
        w.push("c.kind = ?".into());
        p.push(code(&k).into());
    }
    if let Some(r) = f.region_prefix.as_deref().filter(|r| !r.is_empty()) {
        // A prefix match written portably: compare the leading characters.
        w.push("SUBSTR(h.region, 1, ?) = ?".into());
        p.push((r.chars().count() as i64).into());
        p.push(r.into());
    }
    if let Some(n) = f.household_number.as_deref().filter(|n| !n.is_empty()) {
        w.push("h.number = ?".into());
        p.push(n.into());
    }
    if let Some(d) = f.department.as_deref() {
        w.push("c.department = ?".into());
        p.push(d.into());
    }
    for (column, text) in [("h.number", &f.household_contains), ("c.number", &f.commission_contains)] {
        if let Some(t) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // A substring, its wildcards escaped: the same in SQLite and PostgreSQL.
            w.push(format!("{column} LIKE ? ESCAPE '!'"));
            let escaped: String =
                t.chars().flat_map(|c| if matches!(c, '!' | '%' | '_') { vec!['!', c] } else { vec![c] }).collect();
            p.push(format!("%{escaped}%").into());
        }
    }
    if let Some(d) = f.as_of_from {
        w.push("j.as_of >= ?".into());
        p.push(d.to_string().into());
    }
    if let Some(d) = f.as_of_to {
        w.push("j.as_of <= ?".into());
        p.push(d.to_string().into());
    }
    if let Some(hs) = &f.households {
        if hs.is_empty() {
            w.push("1 = 0".into());
        } else {
            w.push(format!("j.household_id IN ({})", vec!["?"; hs.len()].join(", ")));
            p.extend(hs.iter().map(|h| Value::from(h.0)));
        }
    }
    (w.join(" AND "), p)
}

/// Adds one household's row where it is newer than the one held.
fn put_caseload_in(c: &mut dyn Conn, r: &CaseloadRow) -> Result<()> {
    c.execute(
        "INSERT INTO caseload_inputs (household_id, household_number, job_id, version, as_of, region, programme, inputs_enc) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (household_id) DO UPDATE SET household_number = excluded.household_number, \
         job_id = excluded.job_id, version = excluded.version, as_of = excluded.as_of, region = excluded.region, \
         programme = excluded.programme, inputs_enc = excluded.inputs_enc \
         WHERE (excluded.as_of, excluded.job_id, excluded.version) \
         >= (caseload_inputs.as_of, caseload_inputs.job_id, caseload_inputs.version)",
        &[
            r.household.0.into(),
            r.entry.household_number.as_str().into(),
            r.job.0.into(),
            r.version.into(),
            r.entry.as_of.to_string().into(),
            r.entry.region.as_str().into(),
            r.entry.programme.as_str().into(),
            r.entry.inputs_enc.as_slice().into(),
        ],
    )?;
    Ok(())
}

pub(super) fn caseload_page(st: &SqlStore, after: HouseholdId, limit: i64) -> Result<Vec<CaseloadRow>> {
    st.query(
        "SELECT household_id, household_number, job_id, version, as_of, region, programme, inputs_enc \
         FROM caseload_inputs WHERE household_id > ? ORDER BY household_id LIMIT ?",
        &[after.0.into(), limit.into()],
    )?
    .iter()
    .map(|r| {
        let row = Row(r);
        Ok(CaseloadRow {
            household: HouseholdId(row.i64(0)?),
            job: JobId(row.i64(2)?),
            version: row.i64(3)?,
            entry: CaseloadEntry {
                household_number: row.text(1)?,
                as_of: row.date(4)?,
                region: row.text(5)?,
                programme: row.text(6)?,
                inputs_enc: row.sealed(7)?,
            },
        })
    })
    .collect()
}

pub(super) fn put_caseload(st: &SqlStore, rows: &[CaseloadRow], audit: &AuditEntry) -> Result<()> {
    st.tx(|c| {
        for r in rows {
            put_caseload_in(c, r)?;
        }
        write_audit(c, audit)
    })
}
