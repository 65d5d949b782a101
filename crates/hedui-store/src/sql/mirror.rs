//! The mirrors: import batches, their rows, digests and issues, and the rows in force on a date.

use super::*;

pub(super) fn begin_import(st: &SqlStore, b: &NewBatch, audit: &AuditEntry) -> Result<BatchStart> {
    st.tx(|c| {
        let existing = c.query(
            "SELECT id, status FROM import_batch WHERE source = ? AND file_sm3 = ?",
            &[b.source.as_str().into(), b.file_sm3.as_str().into()],
        )?;
        if let Some(r) = existing.first() {
            let id = BatchId(Row(r).i64(0)?);
            if Row(r).code::<BatchStatus>(1)? == BatchStatus::Done {
                return Ok(BatchStart::AlreadyImported(id));
            }
            c.execute("DELETE FROM import_issue WHERE batch_id = ?", &[id.0.into()])?;
            write_audit(c, audit)?;
            return Ok(BatchStart::Resume(id));
        }
        let id = first_i64(&c.query(
            "INSERT INTO import_batch (source, file_name, file_sm3, as_of, status, columns, started_at, mode) \
             VALUES (?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id",
            &[
                b.source.as_str().into(),
                b.file_name.as_str().into(),
                b.file_sm3.as_str().into(),
                b.as_of.to_string().into(),
                to_json(&b.columns)?.into(),
                b.started_at.into(),
                code(&b.mode).into(),
            ],
        )?)?;
        write_audit(c, audit)?;
        Ok(BatchStart::New(BatchId(id)))
    })
}

pub(super) fn insert_records(
    st: &SqlStore,
    batch: Option<BatchId>,
    job: Option<JobId>,
    recs: &[NewRecord],
) -> Result<u64> {
    st.tx(|c| insert_records_in(c, batch, job, recs))
}

pub(super) fn import_rows(
    st: &SqlStore,
    batch: BatchId,
    recs: &[NewRecord],
    digests: &[u8],
    issues: &[ImportIssue],
) -> Result<u64> {
    if digests.len() != recs.len() * ROW_DIGEST_LEN {
        return Err(StoreError::Invalid(format!(
            "{} records need {} digest bytes, got {}",
            recs.len(),
            recs.len() * ROW_DIGEST_LEN,
            digests.len()
        )));
    }
    st.tx(|c| {
        let n = insert_records_in(c, Some(batch), None, recs)?;
        if !digests.is_empty() {
            let stored = c.execute(
                "INSERT INTO record_digest (batch_id, source, as_of, digests) \
                 SELECT id, source, as_of, ? FROM import_batch WHERE id = ?",
                &[digests.into(), batch.0.into()],
            )?;
            if stored != 1 {
                return Err(StoreError::NotFound(format!("batch {}", batch.0)));
            }
        }
        insert_issues_in(c, batch, issues)?;
        Ok(n)
    })
}

pub(super) fn row_digests(st: &SqlStore, source: &str, as_of: Date) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in st.query(
        "SELECT digests FROM record_digest WHERE source = ? AND as_of = ? ORDER BY id",
        &[source.into(), as_of.to_string().into()],
    )? {
        out.extend_from_slice(&Row(&r).blob(0)?);
    }
    Ok(out)
}

pub(super) fn insert_issues(st: &SqlStore, batch: BatchId, issues: &[ImportIssue]) -> Result<()> {
    st.tx(|c| insert_issues_in(c, batch, issues))
}

pub(super) fn finish_import(st: &SqlStore, batch: BatchId, s: &BatchStats, finished_at: Timestamp) -> Result<()> {
    st.lock()?.execute(
        "UPDATE import_batch SET status = 'done', rows_total = ?, rows_accepted = ?, rows_duplicate = ?, \
         rows_rejected = ?, rows_unresolved = ?, finished_at = ? WHERE id = ?",
        &[
            s.total.into(),
            s.accepted.into(),
            s.duplicate.into(),
            s.rejected.into(),
            s.unresolved.into(),
            finished_at.into(),
            batch.0.into(),
        ],
    )?;
    Ok(())
}

pub(super) fn batch(st: &SqlStore, id: BatchId) -> Result<Option<Batch>> {
    let rows = st.query(&format!("SELECT {BATCH_COLS} FROM import_batch WHERE id = ?"), &[id.0.into()])?;
    rows.first().map(|r| batch_from(r)).transpose()
}

pub(super) fn batches(st: &SqlStore) -> Result<Vec<Batch>> {
    st.query(&format!("SELECT {BATCH_COLS} FROM import_batch ORDER BY id"), &[])?
        .iter()
        .map(|r| batch_from(r))
        .collect()
}

pub(super) fn batch_issues(st: &SqlStore, id: BatchId) -> Result<Vec<ImportIssue>> {
    st.query(
        "SELECT line, severity, reason, raw_enc FROM import_issue WHERE batch_id = ? ORDER BY line, id",
        &[id.0.into()],
    )?
    .iter()
    .map(|r| {
        let r = Row(r);
        Ok(ImportIssue { line: r.i64(0)?, severity: r.code(1)?, reason: r.text(2)?, raw_enc: r.sealed(3)? })
    })
    .collect()
}

pub(super) fn batch_records(st: &SqlStore, batch: BatchId) -> Result<Vec<StoredRecord>> {
    st.query(&format!("SELECT {RECORD_COLS} FROM record WHERE batch_id = ? ORDER BY id"), &[batch.0.into()])?
        .iter()
        .map(|r| record_from(r))
        .collect()
}

pub(super) fn records_for(st: &SqlStore, persons: &[PersonId]) -> Result<Vec<StoredRecord>> {
    let mut out = Vec::new();
    for chunk in persons.chunks(200) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let params: Vec<Value> = chunk.iter().map(|p| p.0.into()).collect();
        for r in
            st.query(&format!("SELECT {RECORD_COLS} FROM record WHERE person_id IN ({marks}) ORDER BY id"), &params)?
        {
            out.push(record_from(&r)?);
        }
    }
    Ok(out)
}

pub(super) fn unresolved_by_name(st: &SqlStore, name_bidx: &BlindIndex) -> Result<Vec<StoredRecord>> {
    st.query(
        // `name_bidx IS NOT NULL` spelled out matches the partial index without looking at the
        // bound value; otherwise SQLite re-prepares the statement for every new value.
        &format!(
            "SELECT {RECORD_COLS} FROM record WHERE name_bidx = ? AND name_bidx IS NOT NULL AND person_id IS NULL \
             ORDER BY id"
        ),
        &[name_bidx.into()],
    )?
    .iter()
    .map(|r| record_from(r))
    .collect()
}

pub(super) fn snapshots_in_force(st: &SqlStore, as_of: hedui_core::Date) -> Result<Vec<Batch>> {
    st.snapshots_in_force_sql(as_of)
}

pub(super) fn records_in_force(
    st: &SqlStore,
    persons: &[PersonId],
    as_of: hedui_core::Date,
) -> Result<Vec<StoredRecord>> {
    st.records_in_force_sql(persons, as_of)
}

pub(super) fn job_records(st: &SqlStore, job: JobId) -> Result<Vec<StoredRecord>> {
    st.job_records_sql(job)
}

pub(super) fn count_records(st: &SqlStore) -> Result<i64> {
    st.count("SELECT COUNT(*) FROM record", &[])
}

pub(super) fn records_page(st: &SqlStore, after: i64, limit: i64) -> Result<Vec<StoredRecord>> {
    st.query(
        &format!("SELECT {RECORD_COLS} FROM record WHERE id > ? ORDER BY id LIMIT ?"),
        &[after.into(), limit.into()],
    )?
    .iter()
    .map(|r| record_from(r))
    .collect()
}

pub(super) fn issues_page(st: &SqlStore, after: i64, limit: i64) -> Result<Vec<IssueRow>> {
    st.issues_page_in(after, limit)
}

pub(super) fn insert_issues_in(c: &mut dyn Conn, batch: BatchId, issues: &[ImportIssue]) -> Result<()> {
    for i in issues {
        c.execute(
            "INSERT INTO import_issue (batch_id, line, severity, reason, raw_enc) VALUES (?, ?, ?, ?, ?)",
            &[
                batch.0.into(),
                i.line.into(),
                code(&i.severity).into(),
                i.reason.as_str().into(),
                i.raw_enc.as_slice().into(),
            ],
        )?;
    }
    Ok(())
}

/// Stores records with one prepared statement, binding borrowed values: a mirror import passes
/// millions of rows through here.
pub(super) fn insert_records_in(
    c: &mut dyn Conn,
    batch: Option<BatchId>,
    job: Option<JobId>,
    recs: &[NewRecord],
) -> Result<u64> {
    const WIDTH: usize = 19;
    // Dates are the only values that need formatting; they live here, on no heap, while the statement runs.
    type Dates = (Iso<10>, Option<(Iso<7>, Iso<7>)>, Option<Iso<10>>);
    let dates: Vec<Dates> =
        recs.iter().map(|r| (r.as_of.iso(), r.period.map(|p| (p.0.iso(), p.1.iso())), r.on.map(Date::iso))).collect();
    let mut params = Vec::with_capacity(recs.len() * WIDTH);
    for (r, d) in recs.iter().zip(&dates) {
        params.extend_from_slice(&[
            Param::opt_i64(batch.map(|b| b.0)),
            Param::opt_i64(job.map(|j| j.0)),
            Param::Text(&r.source),
            Param::Text(r.category.code()),
            Param::opt_i64(r.person.map(|p| p.0)),
            Param::opt_blob(r.raw_id_enc.as_deref()),
            Param::opt_blob(r.name_bidx.as_deref()),
            Param::Text(d.0.as_str()),
            Param::opt_text(d.1.as_ref().map(|p| p.0.as_str())),
            Param::opt_text(d.1.as_ref().map(|p| p.1.as_str())),
            Param::opt_text(d.2.as_ref().map(Iso::as_str)),
            Param::I64(r.amount.0),
            Param::I64(r.quantity),
            Param::Text(&r.code),
            Param::Text(&r.status),
            Param::Text(&r.key),
            Param::Blob(&r.detail_enc),
            Param::I64(r.line),
            Param::Text(&r.form),
        ]);
    }
    c.execute_rows(
        "INSERT INTO record (batch_id, job_id, source, kind, person_id, raw_id_enc, name_bidx, as_of, \
         period_from, period_to, on_date, amount, quantity, category, status, item_key, detail_enc, line, form) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        WIDTH,
        &params,
    )
}
