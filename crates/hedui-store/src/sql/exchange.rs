//! The exchange: queries, requests to online sources, their answers, retries and counts.

use super::mirror::insert_records_in;
use super::*;

pub(super) fn enqueue_queries(st: &SqlStore, queries: &[NewQuery], now: Timestamp) -> Result<()> {
    st.tx(|c| enqueue_in(c, queries, now))
}

pub(super) fn queued_queries(st: &SqlStore, limit: i64) -> Result<Vec<QueryRow>> {
    // The state is written out, not bound, so that the partial index applies.
    st.query(
        &format!("SELECT {QUERY_COLS} FROM exchange_query WHERE state = 'queued' ORDER BY id LIMIT ?"),
        &[limit.into()],
    )?
    .iter()
    .map(|r| query_from(r))
    .collect()
}

pub(super) fn create_request(st: &SqlStore, r: &NewRequest, queries: &[QueryId], now: Timestamp) -> Result<RequestId> {
    let ids = st.create_requests(&[(r.clone(), queries.to_vec())], now)?;
    ids.first().copied().ok_or_else(|| StoreError::Corrupt("no request created".into()))
}

pub(super) fn create_requests(
    st: &SqlStore,
    batch: &[(NewRequest, Vec<QueryId>)],
    now: Timestamp,
) -> Result<Vec<RequestId>> {
    let (sent, queued, pending) = (code(&QueryState::Sent), code(&QueryState::Queued), code(&RequestState::Pending));
    st.tx(|c| {
        let mut out = Vec::with_capacity(batch.len());
        for (r, queries) in batch {
            let id = first_i64(&c.query(
                "INSERT INTO exchange_request (source, message_id, transaction_id, query_date, state, attempts, \
                 next_attempt_at, deadline_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?) \
                 RETURNING id",
                &[
                    r.source.as_str().into(),
                    r.message_id.as_str().into(),
                    r.transaction_id.as_str().into(),
                    r.query_date.to_string().into(),
                    pending.as_str().into(),
                    r.next_attempt_at.into(),
                    r.deadline_at.into(),
                    now.into(),
                    now.into(),
                ],
            )?)?;
            // One statement per request (a request holds up to a source's batch size):
            // hundreds of thousands of one-row updates were most of a large collection's start.
            let mut moved = 0;
            for chunk in queries.chunks(500) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let mut params: Vec<Value> =
                    vec![id.into(), sent.as_str().into(), now.into(), queued.as_str().into(), r.source.as_str().into()];
                params.extend(chunk.iter().map(|q| Value::from(*q)));
                moved += c.execute(
                    &format!(
                        "UPDATE exchange_query SET request_id = ?, state = ?, updated_at = ? \
                         WHERE state = ? AND source = ? AND id IN ({marks})"
                    ),
                    &params,
                )?;
            }
            if moved != queries.len() as u64 {
                return Err(StoreError::StateChanged {
                    expected: format!("{} queries queued for {}", queries.len(), r.source),
                    actual: format!("{moved} were; the others are in a request already, or for another source"),
                });
            }
            out.push(RequestId(id));
        }
        Ok(out)
    })
}

pub(super) fn open_requests(st: &SqlStore, limit: i64) -> Result<Vec<RequestRow>> {
    st.query(
        &format!(
            "SELECT {REQUEST_COLS} FROM exchange_request WHERE state IN (?, ?) ORDER BY next_attempt_at, id LIMIT ?"
        ),
        &[code(&RequestState::Pending).into(), code(&RequestState::Accepted).into(), limit.into()],
    )?
    .iter()
    .map(|r| request_from(r))
    .collect()
}

pub(super) fn request(st: &SqlStore, id: RequestId) -> Result<Option<RequestRow>> {
    let rows = st.query(&format!("SELECT {REQUEST_COLS} FROM exchange_request WHERE id = ?"), &[id.into()])?;
    rows.first().map(|r| request_from(r)).transpose()
}

pub(super) fn request_by_message(st: &SqlStore, message_id: &str) -> Result<Option<RequestRow>> {
    let rows =
        st.query(&format!("SELECT {REQUEST_COLS} FROM exchange_request WHERE message_id = ?"), &[message_id.into()])?;
    rows.first().map(|r| request_from(r)).transpose()
}

pub(super) fn request_queries(st: &SqlStore, request: RequestId) -> Result<Vec<QueryRow>> {
    st.query(&format!("SELECT {QUERY_COLS} FROM exchange_query WHERE request_id = ? ORDER BY id"), &[request.into()])?
        .iter()
        .map(|r| query_from(r))
        .collect()
}

pub(super) fn retry_request(
    st: &SqlStore,
    id: RequestId,
    state: RequestState,
    attempts: i64,
    next_attempt_at: Timestamp,
    error: &str,
    now: Timestamp,
) -> Result<()> {
    st.tx(|c| {
        if request_state_in(c, id)?.is_none_or(RequestState::is_final) {
            return Ok(());
        }
        c.execute(
            "UPDATE exchange_request SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, updated_at = ? \
             WHERE id = ?",
            &[code(&state).into(), attempts.into(), next_attempt_at.into(), error.into(), now.into(), id.into()],
        )?;
        Ok(())
    })
}

pub(super) fn answer_request(
    st: &SqlStore,
    id: RequestId,
    outcomes: &[QueryOutcome],
    follow_ups: &[NewQuery],
    now: Timestamp,
    audit: &AuditEntry,
) -> Result<bool> {
    st.tx(|c| {
        if request_state_in(c, id)?.is_none_or(RequestState::is_final) {
            return Ok(false);
        }
        // The request's own queries, with their jobs: an outcome for any other query is refused.
        let jobs: std::collections::HashMap<QueryId, i64> = c
            .query("SELECT id, job_id FROM exchange_query WHERE request_id = ?", &[id.into()])?
            .iter()
            .map(|r| Ok((QueryId(Row(r).i64(0)?), Row(r).i64(1)?)))
            .collect::<Result<_>>()?;
        let states: Vec<String> = outcomes.iter().map(|o| code(&o.state)).collect();
        let now_s = now.to_string();
        let mut params = Vec::with_capacity(outcomes.len() * 4);
        for (o, state) in outcomes.iter().zip(&states) {
            let job = *jobs
                .get(&o.query)
                .ok_or_else(|| StoreError::Invalid(format!("query {} is not part of request {id}", o.query)))?;
            if !o.records.is_empty() {
                insert_records_in(c, None, Some(JobId(job)), &o.records)?;
            }
            params.extend_from_slice(&[
                Param::Text(state),
                Param::Text(&o.reason),
                Param::Text(&now_s),
                Param::I64(o.query.0),
            ]);
        }
        c.execute_rows("UPDATE exchange_query SET state = ?, reason = ?, updated_at = ? WHERE id = ?", 4, &params)?;
        c.execute(
            "UPDATE exchange_request SET state = ?, updated_at = ? WHERE id = ?",
            &[code(&RequestState::Answered).into(), now.into(), id.into()],
        )?;
        enqueue_in(c, follow_ups, now)?;
        write_audit(c, audit)?;
        Ok(true)
    })
}

pub(super) fn give_up_request(
    st: &SqlStore,
    id: RequestId,
    state: RequestState,
    reason: &str,
    follow_ups: &[NewQuery],
    now: Timestamp,
    audit: &AuditEntry,
) -> Result<bool> {
    let query_state = match state {
        RequestState::TimedOut => QueryState::TimedOut,
        _ => QueryState::Failed,
    };
    st.tx(|c| {
        if request_state_in(c, id)?.is_none_or(RequestState::is_final) {
            return Ok(false);
        }
        c.execute(
            "UPDATE exchange_request SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",
            &[code(&state).into(), reason.into(), now.into(), id.into()],
        )?;
        c.execute(
            "UPDATE exchange_query SET state = ?, reason = ?, updated_at = ? WHERE request_id = ? AND state = ?",
            &[code(&query_state).into(), reason.into(), now.into(), id.into(), code(&QueryState::Sent).into()],
        )?;
        enqueue_in(c, follow_ups, now)?;
        write_audit(c, audit)?;
        Ok(true)
    })
}

pub(super) fn job_queries(st: &SqlStore, job: JobId) -> Result<Vec<QueryRow>> {
    st.query(&format!("SELECT {QUERY_COLS} FROM exchange_query WHERE job_id = ? ORDER BY id"), &[job.0.into()])?
        .iter()
        .map(|r| query_from(r))
        .collect()
}

pub(super) fn jobs_with_open_queries(st: &SqlStore) -> Result<Vec<JobId>> {
    st.query(
        "SELECT DISTINCT job_id FROM exchange_query WHERE state IN (?, ?) ORDER BY job_id",
        &[code(&QueryState::Queued).into(), code(&QueryState::Sent).into()],
    )?
    .iter()
    .map(|r| Row(r).i64(0).map(JobId))
    .collect()
}

pub(super) fn open_queries_per_job(st: &SqlStore) -> Result<Vec<(JobId, i64)>> {
    st.query(
        "SELECT job_id, COUNT(*) FROM exchange_query WHERE state IN (?, ?) GROUP BY job_id ORDER BY job_id",
        &[code(&QueryState::Queued).into(), code(&QueryState::Sent).into()],
    )?
    .iter()
    .map(|r| Ok((JobId(Row(r).i64(0)?), Row(r).i64(1)?)))
    .collect()
}

pub(super) fn open_queries_of(st: &SqlStore, job: JobId) -> Result<i64> {
    st.count(
        "SELECT COUNT(*) FROM exchange_query WHERE job_id = ? AND state IN (?, ?)",
        &[job.0.into(), code(&QueryState::Queued).into(), code(&QueryState::Sent).into()],
    )
}

pub(super) fn query_counts(st: &SqlStore) -> Result<Vec<(String, QueryState, i64)>> {
    st.query("SELECT source, state, COUNT(*) FROM exchange_query GROUP BY source, state ORDER BY source, state", &[])?
        .iter()
        .map(|r| Ok((Row(r).text(0)?, Row(r).code(1)?, Row(r).i64(2)?)))
        .collect()
}

pub(super) fn request_counts(st: &SqlStore) -> Result<Vec<(String, RequestState, i64)>> {
    st.query("SELECT source, state, COUNT(*) FROM exchange_request GROUP BY source, state ORDER BY source, state", &[])?
        .iter()
        .map(|r| Ok((Row(r).text(0)?, Row(r).code(1)?, Row(r).i64(2)?)))
        .collect()
}

pub(super) fn query_from(r: &[Value]) -> Result<QueryRow> {
    let r = Row(r);
    Ok(QueryRow {
        id: QueryId(r.i64(0)?),
        job: JobId(r.i64(1)?),
        source: r.text(2)?,
        member_seq: u32::try_from(r.i64(3)?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        person: PersonId(r.i64(4)?),
        query_date: r.date(5)?,
        request: r.opt_i64(6)?.map(RequestId),
        state: r.code(7)?,
        reason: r.text(8)?,
        created_at: r.ts(9)?,
    })
}

pub(super) fn request_from(r: &[Value]) -> Result<RequestRow> {
    let r = Row(r);
    Ok(RequestRow {
        id: RequestId(r.i64(0)?),
        source: r.text(1)?,
        message_id: r.text(2)?,
        transaction_id: r.text(3)?,
        query_date: r.date(4)?,
        state: r.code(5)?,
        attempts: r.i64(6)?,
        next_attempt_at: r.ts(7)?,
        deadline_at: r.ts(8)?,
        last_error: r.text(9)?,
    })
}

pub(super) fn request_state_in(c: &mut dyn Conn, id: RequestId) -> Result<Option<RequestState>> {
    let rows = c.query("SELECT state FROM exchange_request WHERE id = ?", &[id.into()])?;
    rows.first().map(|r| Row(r).code(0)).transpose()
}

/// Creates queries; one already there for the same job, source and member is left alone.
pub(super) fn enqueue_in(c: &mut dyn Conn, queries: &[NewQuery], now: Timestamp) -> Result<()> {
    let queued = code(&QueryState::Queued);
    let now_s = now.to_string();
    let dates: Vec<Iso<10>> = queries.iter().map(|q| q.query_date.iso()).collect();
    let mut params = Vec::with_capacity(queries.len() * 8);
    for (q, d) in queries.iter().zip(&dates) {
        params.extend_from_slice(&[
            Param::I64(q.job.0),
            Param::Text(&q.source),
            Param::I64(i64::from(q.member_seq)),
            Param::I64(q.person.0),
            Param::Text(d.as_str()),
            Param::Text(&queued),
            Param::Text(&now_s),
            Param::Text(&now_s),
        ]);
    }
    c.execute_rows(
        "INSERT INTO exchange_query (job_id, source, member_seq, person_id, query_date, state, created_at, \
         updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, source, member_seq) DO NOTHING",
        8,
        &params,
    )?;
    Ok(())
}
