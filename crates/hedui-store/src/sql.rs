//! The one SQL implementation of [`Store`], over a minimal [`Conn`] that each backend provides.
//!
//! Statements are written once, with `?` placeholders; the PostgreSQL
//! connection numbers them. Migrations are shared too, with `{{id}}` and
//! `{{blob}}` filled in per [`Dialect`]. Keeping one implementation is what
//! lets one contract suite prove both backends equivalent.
// tidy: allow(long-file): the one SQL implementation; it is split by concern in issue 10.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use hedui_core::authorization::AuthorizationStatus;
use hedui_core::date::Iso;
use hedui_core::fact::FactKind;
use hedui_core::job::JobState;
use hedui_core::{AuthorizationId, BatchId, Date, Fen, HouseholdId, JobId, Month, PersonId, UserId};
use hedui_means::Outcome;

use crate::types::*;
use crate::{ROW_DIGEST_LEN, Result, Store, StoreError};

/// A value bound to or read from a statement. Every integer column is BIGINT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    I64(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::I64(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// A parameter borrowed from the caller, for statements run once per row of a large insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param<'a> {
    Null,
    I64(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> Param<'a> {
    fn opt_text(v: Option<&'a str>) -> Param<'a> {
        v.map_or(Param::Null, Param::Text)
    }
    fn opt_blob(v: Option<&'a [u8]>) -> Param<'a> {
        v.map_or(Param::Null, Param::Blob)
    }
    fn opt_i64(v: Option<i64>) -> Param<'a> {
        v.map_or(Param::Null, Param::I64)
    }
}

/// The SQL dialect differences that matter to the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One database connection, as each backend provides it.
pub trait Conn: Send {
    /// Runs a statement with `?` placeholders; returns the rows affected.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs a query with `?` placeholders.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>>;
    /// Runs several statements without parameters (DDL, BEGIN, COMMIT).
    fn execute_batch(&mut self, sql: &str) -> Result<()>;
    /// Runs one statement once for each consecutive `width` parameters (one row each), preparing
    /// it once and borrowing every value; returns the rows affected.
    fn execute_rows(&mut self, sql: &str, width: usize, params: &[Param<'_>]) -> Result<u64>;
}

/// The embedded migrations, in order. Never edit one that has been released.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "exchange", include_str!("../migrations/0002_exchange.sql")),
    (3, "snapshot_mode", include_str!("../migrations/0003_snapshot_mode.sql")),
    (4, "commission_declared", include_str!("../migrations/0004_commission_declared.sql")),
    (5, "bound_seals", include_str!("../migrations/0005_bound_seals.sql")),
    (6, "bulk_indexes", include_str!("../migrations/0006_bulk_indexes.sql")),
];

/// [`Store`] over one connection.
pub struct SqlStore {
    conn: Mutex<Box<dyn Conn>>,
    dialect: Dialect,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("dialect", &self.dialect).finish_non_exhaustive()
    }
}

pub(crate) struct Row<'a>(pub(crate) &'a [Value]);

impl Row<'_> {
    fn get(&self, i: usize) -> Result<&Value> {
        self.0.get(i).ok_or_else(|| StoreError::Corrupt(format!("column {i} missing")))
    }
    pub(crate) fn i64(&self, i: usize) -> Result<i64> {
        match self.get(i)? {
            Value::I64(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("column {i}: expected integer, got {other:?}"))),
        }
    }
    fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.i64(i).map(Some),
        }
    }
    pub(crate) fn text(&self, i: usize) -> Result<String> {
        match self.get(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Corrupt(format!("column {i}: expected text, got {other:?}"))),
        }
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub(crate) fn blob(&self, i: usize) -> Result<Vec<u8>> {
        match self.get(i)? {
            Value::Blob(v) => Ok(v.clone()),
            other => Err(StoreError::Corrupt(format!("column {i}: expected blob, got {other:?}"))),
        }
    }
    fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.blob(i).map(Some),
        }
    }
    fn date(&self, i: usize) -> Result<Date> {
        let t = self.text(i)?;
        Date::parse(&t).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
    fn opt_date(&self, i: usize) -> Result<Option<Date>> {
        self.opt_text(i)?.map(|t| Date::parse(&t).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }
    fn opt_month(&self, i: usize) -> Result<Option<Month>> {
        self.opt_text(i)?.map(|t| Month::parse(&t).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }
    pub(crate) fn code<T: DeserializeOwned>(&self, i: usize) -> Result<T> {
        from_code(&self.text(i)?)
    }
}

/// The serde name of a unit enum variant, used as its stored code.
pub(crate) fn code<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn from_code<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("unknown code {s:?}")))
}

fn to_json<T: Serialize>(t: &T) -> Result<String> {
    serde_json::to_string(t).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn first_i64(rows: &[Vec<Value>]) -> Result<i64> {
    rows.first().map(|r| Row(r).i64(0)).unwrap_or_else(|| Err(StoreError::Corrupt("no row returned".into())))
}

pub(crate) fn write_audit(c: &mut dyn Conn, a: &AuditEntry) -> Result<()> {
    c.execute(
        "INSERT INTO audit (at, actor, action, object, outcome, detail, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            a.at.as_str().into(),
            a.actor.as_str().into(),
            a.action.as_str().into(),
            a.object.as_str().into(),
            code(&a.outcome).into(),
            a.detail.as_str().into(),
            a.request_id.as_str().into(),
        ],
    )?;
    Ok(())
}

pub(crate) const RECORD_COLS: &str = "id, batch_id, job_id, source, kind, person_id, raw_id_enc, name_bidx, as_of, period_from, \
     period_to, on_date, amount, quantity, category, status, item_key, detail_enc, line";

const QUERY_COLS: &str = "id, job_id, source, member_seq, person_id, query_date, request_id, state, reason";

fn query_from(r: &[Value]) -> Result<QueryRow> {
    let r = Row(r);
    Ok(QueryRow {
        id: r.i64(0)?,
        job: JobId(r.i64(1)?),
        source: r.text(2)?,
        member_seq: u32::try_from(r.i64(3)?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        person: PersonId(r.i64(4)?),
        query_date: r.date(5)?,
        request: r.opt_i64(6)?,
        state: r.code(7)?,
        reason: r.text(8)?,
    })
}

const REQUEST_COLS: &str = "id, source, message_id, transaction_id, query_date, state, attempts, next_attempt_at, \
     deadline_at, last_error";

fn request_from(r: &[Value]) -> Result<RequestRow> {
    let r = Row(r);
    Ok(RequestRow {
        id: r.i64(0)?,
        source: r.text(1)?,
        message_id: r.text(2)?,
        transaction_id: r.text(3)?,
        query_date: r.date(4)?,
        state: r.code(5)?,
        attempts: r.i64(6)?,
        next_attempt_at: r.text(7)?,
        deadline_at: r.text(8)?,
        last_error: r.text(9)?,
    })
}

fn request_state_in(c: &mut dyn Conn, id: i64) -> Result<Option<RequestState>> {
    let rows = c.query("SELECT state FROM exchange_request WHERE id = ?", &[id.into()])?;
    rows.first().map(|r| Row(r).code(0)).transpose()
}

fn insert_issues_in(c: &mut dyn Conn, batch: BatchId, issues: &[ImportIssue]) -> Result<()> {
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
fn insert_records_in(c: &mut dyn Conn, batch: Option<BatchId>, job: Option<JobId>, recs: &[NewRecord]) -> Result<u64> {
    const WIDTH: usize = 18;
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
            Param::Text(r.kind.code()),
            Param::opt_i64(r.person.map(|p| p.0)),
            Param::opt_blob(r.raw_id_enc.as_deref()),
            Param::opt_blob(r.name_bidx.as_deref()),
            Param::Text(d.0.as_str()),
            Param::opt_text(d.1.as_ref().map(|p| p.0.as_str())),
            Param::opt_text(d.1.as_ref().map(|p| p.1.as_str())),
            Param::opt_text(d.2.as_ref().map(Iso::as_str)),
            Param::I64(r.amount.0),
            Param::I64(r.quantity),
            Param::Text(&r.category),
            Param::Text(&r.status),
            Param::Text(&r.key),
            Param::Blob(&r.detail_enc),
            Param::I64(r.line),
        ]);
    }
    c.execute_rows(
        "INSERT INTO record (batch_id, job_id, source, kind, person_id, raw_id_enc, name_bidx, as_of, \
         period_from, period_to, on_date, amount, quantity, category, status, item_key, detail_enc, line) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        WIDTH,
        &params,
    )
}

/// Creates queries; one already there for the same job, source and member is left alone.
fn enqueue_in(c: &mut dyn Conn, queries: &[NewQuery], now: &str) -> Result<()> {
    let queued = code(&QueryState::Queued);
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
            Param::Text(now),
            Param::Text(now),
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

pub(crate) fn record_from(r: &[Value]) -> Result<StoredRecord> {
    let r = Row(r);
    let kind_code = r.text(4)?;
    let kind = FactKind::from_code(&kind_code).ok_or_else(|| StoreError::Corrupt(format!("kind {kind_code}")))?;
    let period = match (r.opt_month(9)?, r.opt_month(10)?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(StoredRecord {
        id: r.i64(0)?,
        batch: r.opt_i64(1)?.map(BatchId),
        job: r.opt_i64(2)?.map(JobId),
        rec: NewRecord {
            source: r.text(3)?,
            kind,
            person: r.opt_i64(5)?.map(PersonId),
            raw_id_enc: r.opt_blob(6)?,
            name_bidx: r.opt_blob(7)?,
            as_of: r.date(8)?,
            period,
            on: r.opt_date(11)?,
            amount: Fen(r.i64(12)?),
            quantity: r.i64(13)?,
            category: r.text(14)?,
            status: r.text(15)?,
            key: r.text(16)?,
            detail_enc: r.blob(17)?,
            line: r.i64(18)?,
        },
    })
}

pub(crate) const BATCH_COLS: &str = "id, source, file_name, file_sm3, as_of, status, rows_total, rows_accepted, rows_duplicate, \
     rows_rejected, rows_unresolved, started_at, finished_at, columns, mode";

pub(crate) fn batch_from(r: &[Value]) -> Result<Batch> {
    let r = Row(r);
    Ok(Batch {
        id: BatchId(r.i64(0)?),
        source: r.text(1)?,
        file_name: r.text(2)?,
        file_sm3: r.text(3)?,
        as_of: r.date(4)?,
        status: r.code(5)?,
        stats: BatchStats {
            total: r.i64(6)?,
            accepted: r.i64(7)?,
            duplicate: r.i64(8)?,
            rejected: r.i64(9)?,
            unresolved: r.i64(10)?,
        },
        started_at: r.text(11)?,
        finished_at: r.opt_text(12)?,
        columns: from_json(&r.text(13)?)?,
        mode: r.code(14)?,
    })
}

const HOUSEHOLD_COLS: &str =
    "id, number, region, address_enc, programme, applied_on, declared_income, declared_assets, created_at";

const MEMBER_COLS: &str = "seq, person_id, name_enc, name_bidx, id_enc, id_note, relation, excluded, capacity, \
     guardian_seq, declared_income";

fn member_from(r: &[Value]) -> Result<NewMember> {
    let r = Row(r);
    Ok(NewMember {
        seq: u32::try_from(r.i64(0)?).map_err(|_| StoreError::Corrupt("member seq".into()))?,
        person: r.opt_i64(1)?.map(PersonId),
        name_enc: r.blob(2)?,
        name_bidx: r.blob(3)?,
        id_enc: r.blob(4)?,
        id_note: r.text(5)?,
        relation: r.code(6)?,
        excluded: r.opt_text(7)?.map(|t| from_json(&t)).transpose()?,
        capacity: r.code(8)?,
        guardian_seq: r.opt_i64(9)?.and_then(|g| u32::try_from(g).ok()),
        declared_income: Fen(r.i64(10)?),
    })
}

const AUTHZ_COLS: &str = "id, number, household_id, scopes, signatures, signed_on, status, status_reason, created_at";

fn authz_from(r: &[Value]) -> Result<AuthorizationRow> {
    let r = Row(r);
    let status_code = r.text(6)?;
    Ok(AuthorizationRow {
        id: AuthorizationId(r.i64(0)?),
        number: r.text(1)?,
        household: HouseholdId(r.i64(2)?),
        scopes: from_json(&r.text(3)?)?,
        signatures: from_json(&r.text(4)?)?,
        signed_on: r.date(5)?,
        status: AuthorizationStatus::from_code(&status_code)
            .ok_or_else(|| StoreError::Corrupt(format!("authorization status {status_code}")))?,
        status_reason: r.opt_text(7)?,
        created_at: r.text(8)?,
    })
}

const JOB_SELECT: &str = "SELECT j.id, j.commission_id, c.number, c.kind, c.programme, c.department, j.household_id, \
     h.number, h.region, j.authorization_id, j.state, j.as_of, j.outcome, j.created_at, j.updated_at, c.note_enc, \
     c.declared_enc FROM job j JOIN commission c ON c.id = j.commission_id JOIN household h ON h.id = j.household_id";

fn job_from(r: &[Value]) -> Result<JobRow> {
    let r = Row(r);
    let state_code = r.text(10)?;
    Ok(JobRow {
        id: JobId(r.i64(0)?),
        commission: hedui_core::CommissionId(r.i64(1)?),
        commission_number: r.text(2)?,
        kind: r.code(3)?,
        programme: r.code(4)?,
        department: r.text(5)?,
        note_enc: r.opt_blob(15)?,
        declared_enc: r.opt_blob(16)?,
        household: HouseholdId(r.i64(6)?),
        household_number: r.text(7)?,
        region: r.text(8)?,
        authorization: r.opt_i64(9)?.map(AuthorizationId),
        state: JobState::from_code(&state_code).ok_or_else(|| StoreError::Corrupt(format!("state {state_code}")))?,
        as_of: r.date(11)?,
        outcome: r.opt_text(12)?.and_then(|o| Outcome::from_code(&o)),
        created_at: r.text(13)?,
        updated_at: r.text(14)?,
    })
}

fn job_where(f: &JobFilter) -> (String, Vec<Value>) {
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
    (w.join(" AND "), p)
}

const USER_COLS: &str = "id, login, display_name, role, region, password_hash, created_at";

fn user_from(r: &[Value]) -> Result<UserRow> {
    let r = Row(r);
    Ok(UserRow {
        id: UserId(r.i64(0)?),
        login: r.text(1)?,
        display_name: r.text(2)?,
        role: r.text(3)?,
        region: r.text(4)?,
        password_hash: r.text(5)?,
        created_at: r.text(6)?,
    })
}

impl SqlStore {
    pub fn new(conn: Box<dyn Conn>, dialect: Dialect) -> SqlStore {
        SqlStore { conn: Mutex::new(conn), dialect }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Box<dyn Conn>>> {
        self.conn.lock().map_err(|_| StoreError::Backend("connection lock poisoned".into()))
    }

    /// Runs `f` in one transaction: all of it is stored, or none of it.
    pub(crate) fn tx<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut guard = self.lock()?;
        let c: &mut dyn Conn = guard.as_mut();
        c.execute_batch("BEGIN")?;
        match f(c) {
            Ok(v) => {
                c.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = c.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        self.lock()?.query(sql, params)
    }

    fn count(&self, sql: &str, params: &[Value]) -> Result<i64> {
        first_i64(&self.query(sql, params)?)
    }

    fn migration_sql(&self, sql: &str) -> String {
        let (id, blob) = match self.dialect {
            Dialect::Sqlite => ("INTEGER PRIMARY KEY", "BLOB"),
            Dialect::Postgres => ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA"),
        };
        sql.replace("{{id}}", id).replace("{{blob}}", blob)
    }

    fn load_household(&self, rows: Vec<Vec<Value>>) -> Result<Option<HouseholdRow>> {
        let Some(r) = rows.first() else { return Ok(None) };
        let r = Row(r);
        let id = HouseholdId(r.i64(0)?);
        let members = self
            .query(&format!("SELECT {MEMBER_COLS} FROM member WHERE household_id = ? ORDER BY seq"), &[id.0.into()])?
            .iter()
            .map(|m| member_from(m))
            .collect::<Result<Vec<_>>>()?;
        let supporters = self
            .query(
                "SELECT seq, person_id, name_enc, name_bidx, id_enc, id_note, duty FROM supporter \
                 WHERE household_id = ? ORDER BY seq",
                &[id.0.into()],
            )?
            .iter()
            .map(|r| {
                let r = Row(r);
                Ok(NewSupporter {
                    seq: u32::try_from(r.i64(0)?).map_err(|_| StoreError::Corrupt("supporter seq".into()))?,
                    person: r.opt_i64(1)?.map(PersonId),
                    name_enc: r.blob(2)?,
                    name_bidx: r.blob(3)?,
                    id_enc: r.blob(4)?,
                    id_note: r.text(5)?,
                    duty: r.text(6)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(HouseholdRow {
            supporters,
            id,
            number: r.text(1)?,
            region: r.text(2)?,
            address_enc: r.blob(3)?,
            programme: r.code(4)?,
            applied_on: r.date(5)?,
            declared_income: Fen(r.i64(6)?),
            declared_assets: Fen(r.i64(7)?),
            created_at: r.text(8)?,
            members,
        }))
    }
}

impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    fn migrate(&self) -> Result<Vec<i64>> {
        self.lock()?.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        )?;
        let done: Vec<i64> = self
            .query("SELECT version FROM schema_migrations ORDER BY version", &[])?
            .iter()
            .map(|r| Row(r).i64(0))
            .collect::<Result<_>>()?;
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
        self.tx(|c| {
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                let inserted = c.query(
                    "INSERT INTO person (id_bidx, id_enc, created_at) VALUES (?, ?, ?) \
                     ON CONFLICT (id_bidx) DO NOTHING RETURNING id",
                    &[k.bidx.as_slice().into(), k.id_enc.as_slice().into(), "".into()],
                )?;
                let id = match inserted.first() {
                    Some(r) => Row(r).i64(0)?,
                    None => {
                        first_i64(&c.query("SELECT id FROM person WHERE id_bidx = ?", &[k.bidx.as_slice().into()])?)?
                    }
                };
                out.push(PersonId(id));
            }
            Ok(out)
        })
    }

    fn find_persons(&self, bidxs: &[[u8; 32]]) -> Result<Vec<Option<PersonId>>> {
        // One read transaction for all: each statement on its own would take and release the locks.
        self.tx(|c| {
            bidxs
                .iter()
                .map(|b| {
                    let rows = c.query("SELECT id FROM person WHERE id_bidx = ?", &[b.as_slice().into()])?;
                    rows.first().map(|r| Row(r).i64(0).map(PersonId)).transpose()
                })
                .collect()
        })
    }

    fn find_person(&self, bidx: &[u8]) -> Result<Option<PersonId>> {
        let rows = self.query("SELECT id FROM person WHERE id_bidx = ?", &[bidx.into()])?;
        rows.first().map(|r| Row(r).i64(0).map(PersonId)).transpose()
    }

    fn person_id_enc(&self, person: PersonId) -> Result<Option<Vec<u8>>> {
        let rows = self.query("SELECT id_enc FROM person WHERE id = ?", &[person.0.into()])?;
        rows.first().map(|r| Row(r).blob(0)).transpose()
    }

    fn count_persons(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM person", &[])
    }

    fn begin_import(&self, b: &NewBatch, audit: &AuditEntry) -> Result<BatchStart> {
        self.tx(|c| {
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
                    b.started_at.as_str().into(),
                    code(&b.mode).into(),
                ],
            )?)?;
            write_audit(c, audit)?;
            Ok(BatchStart::New(BatchId(id)))
        })
    }

    fn insert_records(&self, batch: Option<BatchId>, job: Option<JobId>, recs: &[NewRecord]) -> Result<u64> {
        self.tx(|c| insert_records_in(c, batch, job, recs))
    }

    fn import_rows(&self, batch: BatchId, recs: &[NewRecord], digests: &[u8], issues: &[ImportIssue]) -> Result<u64> {
        if digests.len() != recs.len() * ROW_DIGEST_LEN {
            return Err(StoreError::Invalid(format!(
                "{} records need {} digest bytes, got {}",
                recs.len(),
                recs.len() * ROW_DIGEST_LEN,
                digests.len()
            )));
        }
        self.tx(|c| {
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

    fn row_digests(&self, source: &str, as_of: Date) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for r in self.query(
            "SELECT digests FROM record_digest WHERE source = ? AND as_of = ? ORDER BY id",
            &[source.into(), as_of.to_string().into()],
        )? {
            out.extend_from_slice(&Row(&r).blob(0)?);
        }
        Ok(out)
    }

    fn insert_issues(&self, batch: BatchId, issues: &[ImportIssue]) -> Result<()> {
        self.tx(|c| insert_issues_in(c, batch, issues))
    }

    fn finish_import(&self, batch: BatchId, s: &BatchStats, finished_at: &str) -> Result<()> {
        self.lock()?.execute(
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

    fn batch(&self, id: BatchId) -> Result<Option<Batch>> {
        let rows = self.query(&format!("SELECT {BATCH_COLS} FROM import_batch WHERE id = ?"), &[id.0.into()])?;
        rows.first().map(|r| batch_from(r)).transpose()
    }

    fn batches(&self) -> Result<Vec<Batch>> {
        self.query(&format!("SELECT {BATCH_COLS} FROM import_batch ORDER BY id"), &[])?
            .iter()
            .map(|r| batch_from(r))
            .collect()
    }

    fn batch_issues(&self, id: BatchId) -> Result<Vec<ImportIssue>> {
        self.query(
            "SELECT line, severity, reason, raw_enc FROM import_issue WHERE batch_id = ? ORDER BY line, id",
            &[id.0.into()],
        )?
        .iter()
        .map(|r| {
            let r = Row(r);
            Ok(ImportIssue { line: r.i64(0)?, severity: r.code(1)?, reason: r.text(2)?, raw_enc: r.blob(3)? })
        })
        .collect()
    }

    fn batch_records(&self, batch: BatchId) -> Result<Vec<StoredRecord>> {
        self.query(&format!("SELECT {RECORD_COLS} FROM record WHERE batch_id = ? ORDER BY id"), &[batch.0.into()])?
            .iter()
            .map(|r| record_from(r))
            .collect()
    }

    fn records_for(&self, persons: &[PersonId]) -> Result<Vec<StoredRecord>> {
        let mut out = Vec::new();
        for chunk in persons.chunks(200) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let params: Vec<Value> = chunk.iter().map(|p| p.0.into()).collect();
            for r in self
                .query(&format!("SELECT {RECORD_COLS} FROM record WHERE person_id IN ({marks}) ORDER BY id"), &params)?
            {
                out.push(record_from(&r)?);
            }
        }
        Ok(out)
    }

    fn unresolved_by_name(&self, name_bidx: &[u8]) -> Result<Vec<StoredRecord>> {
        self.query(
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

    fn snapshots_in_force(&self, as_of: hedui_core::Date) -> Result<Vec<Batch>> {
        self.snapshots_in_force_sql(as_of)
    }

    fn records_in_force(&self, persons: &[PersonId], as_of: hedui_core::Date) -> Result<Vec<StoredRecord>> {
        self.records_in_force_sql(persons, as_of)
    }

    fn job_records(&self, job: JobId) -> Result<Vec<StoredRecord>> {
        self.job_records_sql(job)
    }

    fn count_records(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM record", &[])
    }

    fn create_household(&self, h: &NewHousehold, created_at: &str, audit: &AuditEntry) -> Result<HouseholdId> {
        self.tx(|c| {
            if !c.query("SELECT id FROM household WHERE number = ?", &[h.number.as_str().into()])?.is_empty() {
                return Err(StoreError::Conflict(format!("户编号 {}", h.number)));
            }
            let id = first_i64(&c.query(
                "INSERT INTO household (number, region, address_enc, programme, applied_on, declared_income, \
                 declared_assets, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    h.number.as_str().into(),
                    h.region.as_str().into(),
                    h.address_enc.as_slice().into(),
                    code(&h.programme).into(),
                    h.applied_on.to_string().into(),
                    h.declared_income.0.into(),
                    h.declared_assets.0.into(),
                    created_at.into(),
                ],
            )?)?;
            for m in &h.members {
                c.execute(
                    "INSERT INTO member (household_id, seq, person_id, name_enc, name_bidx, id_enc, id_note, relation, \
                     excluded, capacity, guardian_seq, declared_income) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &[
                        id.into(),
                        i64::from(m.seq).into(),
                        m.person.map(|p| p.0).into(),
                        m.name_enc.as_slice().into(),
                        m.name_bidx.as_slice().into(),
                        m.id_enc.as_slice().into(),
                        m.id_note.as_str().into(),
                        code(&m.relation).into(),
                        m.excluded.as_ref().map(to_json).transpose()?.into(),
                        code(&m.capacity).into(),
                        m.guardian_seq.map(i64::from).into(),
                        m.declared_income.0.into(),
                    ],
                )?;
            }
            for sp in &h.supporters {
                c.execute(
                    "INSERT INTO supporter (household_id, seq, person_id, name_enc, name_bidx, id_enc, id_note, duty) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    &[
                        id.into(),
                        i64::from(sp.seq).into(),
                        sp.person.map(|p| p.0).into(),
                        sp.name_enc.as_slice().into(),
                        sp.name_bidx.as_slice().into(),
                        sp.id_enc.as_slice().into(),
                        sp.id_note.as_str().into(),
                        sp.duty.as_str().into(),
                    ],
                )?;
            }
            write_audit(c, audit)?;
            Ok(HouseholdId(id))
        })
    }

    fn household(&self, id: HouseholdId) -> Result<Option<HouseholdRow>> {
        let rows = self.query(&format!("SELECT {HOUSEHOLD_COLS} FROM household WHERE id = ?"), &[id.0.into()])?;
        self.load_household(rows)
    }

    fn household_by_number(&self, number: &str) -> Result<Option<HouseholdRow>> {
        let rows = self.query(&format!("SELECT {HOUSEHOLD_COLS} FROM household WHERE number = ?"), &[number.into()])?;
        self.load_household(rows)
    }

    fn count_households(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM household", &[])
    }

    fn create_authorization(
        &self,
        a: &NewAuthorization,
        created_at: &str,
        audit: &AuditEntry,
    ) -> Result<AuthorizationId> {
        self.tx(|c| {
            if c.query("SELECT id FROM household WHERE id = ?", &[a.household.0.into()])?.is_empty() {
                return Err(StoreError::NotFound(format!("家庭 {}", a.household)));
            }
            if !c.query("SELECT id FROM authz_letter WHERE number = ?", &[a.number.as_str().into()])?.is_empty() {
                return Err(StoreError::Conflict(format!("授权书编号 {}", a.number)));
            }
            c.execute(
                "UPDATE authz_letter SET status = 'superseded', status_reason = ? WHERE household_id = ? AND status = 'active'",
                &[format!("被授权书 {} 替代", a.number).into(), a.household.0.into()],
            )?;
            let id = first_i64(&c.query(
                "INSERT INTO authz_letter (number, household_id, scopes, signatures, signed_on, status, created_at) \
                 VALUES (?, ?, ?, ?, ?, 'active', ?) RETURNING id",
                &[
                    a.number.as_str().into(),
                    a.household.0.into(),
                    to_json(&a.scopes)?.into(),
                    to_json(&a.signatures)?.into(),
                    a.signed_on.to_string().into(),
                    created_at.into(),
                ],
            )?)?;
            write_audit(c, audit)?;
            Ok(AuthorizationId(id))
        })
    }

    fn authorizations(&self, household: HouseholdId) -> Result<Vec<AuthorizationRow>> {
        self.query(
            &format!("SELECT {AUTHZ_COLS} FROM authz_letter WHERE household_id = ? ORDER BY id"),
            &[household.0.into()],
        )?
        .iter()
        .map(|r| authz_from(r))
        .collect()
    }

    fn set_authorization_status(
        &self,
        id: AuthorizationId,
        status: AuthorizationStatus,
        reason: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<()> {
        self.tx(|c| {
            let n = c.execute(
                "UPDATE authz_letter SET status = ?, status_reason = ? WHERE id = ?",
                &[status.code().into(), reason.into(), id.0.into()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("授权书 {id}")));
            }
            write_audit(c, audit)
        })
    }

    fn create_commission(&self, cm: &NewCommission, created_at: &str, audit: &AuditEntry) -> Result<JobId> {
        self.tx(|c| {
            if c.query("SELECT id FROM household WHERE id = ?", &[cm.household.0.into()])?.is_empty() {
                return Err(StoreError::NotFound(format!("家庭 {}", cm.household)));
            }
            if !c.query("SELECT id FROM commission WHERE number = ?", &[cm.number.as_str().into()])?.is_empty() {
                return Err(StoreError::Conflict(format!("委托编号 {}", cm.number)));
            }
            let cid = first_i64(&c.query(
                "INSERT INTO commission (number, kind, programme, household_id, department, note_enc, declared_enc, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    cm.number.as_str().into(),
                    code(&cm.kind).into(),
                    code(&cm.programme).into(),
                    cm.household.0.into(),
                    cm.department.as_str().into(),
                    cm.note_enc.as_deref().into(),
                    cm.declared_enc.as_deref().into(),
                    created_at.into(),
                ],
            )?)?;
            let jid = first_i64(&c.query(
                "INSERT INTO job (commission_id, household_id, state, as_of, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    cid.into(),
                    cm.household.0.into(),
                    JobState::Submitted.code().into(),
                    cm.as_of.to_string().into(),
                    created_at.into(),
                    created_at.into(),
                ],
            )?)?;
            write_audit(c, audit)?;
            Ok(JobId(jid))
        })
    }

    fn job(&self, id: JobId) -> Result<Option<JobRow>> {
        let rows = self.query(&format!("{JOB_SELECT} WHERE j.id = ?"), &[id.0.into()])?;
        rows.first().map(|r| job_from(r)).transpose()
    }

    fn jobs(&self, f: &JobFilter) -> Result<Vec<JobRow>> {
        let (w, mut p) = job_where(f);
        p.push((if f.limit > 0 { f.limit } else { 100 }).into());
        p.push(f.offset.max(0).into());
        self.query(&format!("{JOB_SELECT} WHERE {w} ORDER BY j.id DESC LIMIT ? OFFSET ?"), &p)?
            .iter()
            .map(|r| job_from(r))
            .collect()
    }

    fn count_jobs(&self, f: &JobFilter) -> Result<i64> {
        let (w, p) = job_where(f);
        self.count(
            &format!(
                "SELECT COUNT(*) FROM job j JOIN commission c ON c.id = j.commission_id \
                 JOIN household h ON h.id = j.household_id WHERE {w}"
            ),
            &p,
        )
    }

    fn transition_job(
        &self,
        id: JobId,
        from: JobState,
        to: JobState,
        authorization: Option<AuthorizationId>,
        at: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        self.tx(|c| {
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
            write_audit(c, audit)
        })
    }

    fn complete_report(
        &self,
        job: JobId,
        from: JobState,
        report: &NewReport,
        at: &str,
        audit: &AuditEntry,
    ) -> Result<i64> {
        self.tx(|c| {
            let n = c.execute(
                "UPDATE job SET state = ?, outcome = ?, updated_at = ? WHERE id = ? AND state = ?",
                &[
                    JobState::ReportIssued.code().into(),
                    report.outcome.code().into(),
                    at.into(),
                    job.0.into(),
                    from.code().into(),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::StateChanged { expected: from.code().into(), actual: "?".into() });
            }
            let version = first_i64(
                &c.query("SELECT COALESCE(MAX(version), 0) + 1 FROM report WHERE job_id = ?", &[job.0.into()])?,
            )?;
            if version != report.version {
                return Err(StoreError::StateChanged {
                    expected: format!("第 {} 版", report.version),
                    actual: format!("下一版为第 {version} 版"),
                });
            }
            let id = first_i64(&c.query(
                "INSERT INTO report (job_id, version, outcome, body_enc, body_sm3, created_at, completed_sig) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    job.0.into(),
                    version.into(),
                    report.outcome.code().into(),
                    report.body_enc.as_slice().into(),
                    report.body_sm3.as_str().into(),
                    at.into(),
                    report.completed_sig.as_str().into(),
                ],
            )?)?;
            write_audit(c, audit)?;
            Ok(id)
        })
    }

    fn issue_report(
        &self,
        report: i64,
        outcome: Outcome,
        issued_sig: &str,
        at: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        self.tx(|c| {
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
            c.execute(
                "UPDATE job SET outcome = ?, updated_at = ? WHERE id = ?",
                &[outcome.code().into(), at.into(), job.into()],
            )?;
            write_audit(c, audit)
        })
    }

    fn reports(&self, job: JobId) -> Result<Vec<ReportRow>> {
        self.query(
            "SELECT r.id, r.job_id, r.version, r.outcome, r.body_enc, r.body_sm3, r.created_at, r.completed_sig, \
             i.issued_sig, i.issued_at, r.signed_in_migration FROM report r \
             LEFT JOIN report_issue i ON i.report_id = r.id WHERE r.job_id = ? ORDER BY r.version",
            &[job.0.into()],
        )?
        .iter()
        .map(|r| {
            let r = Row(r);
            let oc = r.text(3)?;
            let issued_at = r.opt_text(9)?;
            Ok(ReportRow {
                id: r.i64(0)?,
                job: JobId(r.i64(1)?),
                version: r.i64(2)?,
                outcome: Outcome::from_code(&oc).ok_or_else(|| StoreError::Corrupt(format!("outcome {oc}")))?,
                body_enc: r.blob(4)?,
                body_sm3: r.text(5)?,
                created_at: r.text(6)?,
                state: if issued_at.is_some() { ReportState::Issued } else { ReportState::Completed },
                completed_sig: r.text(7)?,
                issued_sig: r.opt_text(8)?.unwrap_or_default(),
                issued_at,
                signed_in_migration: r.i64(10)? != 0,
            })
        })
        .collect()
    }

    fn unissued_reports(&self) -> Result<Vec<(i64, JobId)>> {
        self.query(
            "SELECT r.id, r.job_id FROM report r LEFT JOIN report_issue i ON i.report_id = r.id \
             WHERE i.report_id IS NULL ORDER BY r.id",
            &[],
        )?
        .iter()
        .map(|r| Ok((Row(r).i64(0)?, JobId(Row(r).i64(1)?))))
        .collect()
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.meta_in(key)
    }

    fn set_meta(&self, key: &str, value: &str, audit: &AuditEntry) -> Result<()> {
        self.set_meta_in(key, value, audit)
    }

    fn persons_page(&self, after: i64, limit: i64) -> Result<Vec<PersonRow>> {
        self.persons_page_in(after, limit)
    }

    fn records_page(&self, after: i64, limit: i64) -> Result<Vec<StoredRecord>> {
        self.query(
            &format!("SELECT {RECORD_COLS} FROM record WHERE id > ? ORDER BY id LIMIT ?"),
            &[after.into(), limit.into()],
        )?
        .iter()
        .map(|r| record_from(r))
        .collect()
    }

    fn issues_page(&self, after: i64, limit: i64) -> Result<Vec<IssueRow>> {
        self.issues_page_in(after, limit)
    }

    fn households_page(&self, after: i64, limit: i64) -> Result<Vec<HouseholdRow>> {
        let ids: Vec<i64> = self
            .query("SELECT id FROM household WHERE id > ? ORDER BY id LIMIT ?", &[after.into(), limit.into()])?
            .iter()
            .map(|r| Row(r).i64(0))
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.household(HouseholdId(id))?);
        }
        Ok(out)
    }

    fn reseal(&self, changes: &[Reseal], audit: &AuditEntry) -> Result<()> {
        self.tx(|c| {
            for ch in changes {
                crate::sealed::reseal_in(c, ch)?;
            }
            write_audit(c, audit)
        })
    }

    fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut g = self.lock()?;
        write_audit(g.as_mut(), entry)
    }

    fn audit_log(&self, object: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
        let (w, mut p): (&str, Vec<Value>) = match object {
            Some(o) => ("WHERE object = ?", vec![o.into()]),
            None => ("", vec![]),
        };
        p.push(limit.into());
        self.query(
            &format!(
                "SELECT id, at, actor, action, object, outcome, detail, request_id FROM audit {w} ORDER BY id DESC LIMIT ?"
            ),
            &p,
        )?
        .iter()
        .map(|r| {
            let r = Row(r);
            Ok(AuditRow {
                id: r.i64(0)?,
                entry: AuditEntry {
                    at: r.text(1)?,
                    actor: r.text(2)?,
                    action: r.text(3)?,
                    object: r.text(4)?,
                    outcome: r.code(5)?,
                    detail: r.text(6)?,
                    request_id: r.text(7)?,
                },
            })
        })
        .collect()
    }

    fn create_user(&self, u: &NewUser, created_at: &str, audit: &AuditEntry) -> Result<UserId> {
        self.tx(|c| {
            if !c.query("SELECT id FROM app_user WHERE login = ?", &[u.login.as_str().into()])?.is_empty() {
                return Err(StoreError::Conflict(format!("用户名 {}", u.login)));
            }
            let id = first_i64(&c.query(
                "INSERT INTO app_user (login, display_name, role, region, password_hash, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    u.login.as_str().into(),
                    u.display_name.as_str().into(),
                    u.role.as_str().into(),
                    u.region.as_str().into(),
                    u.password_hash.as_str().into(),
                    created_at.into(),
                ],
            )?)?;
            write_audit(c, audit)?;
            Ok(UserId(id))
        })
    }

    fn user_by_login(&self, login: &str) -> Result<Option<UserRow>> {
        let rows = self.query(&format!("SELECT {USER_COLS} FROM app_user WHERE login = ?"), &[login.into()])?;
        rows.first().map(|r| user_from(r)).transpose()
    }

    fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        let rows = self.query(&format!("SELECT {USER_COLS} FROM app_user WHERE id = ?"), &[id.0.into()])?;
        rows.first().map(|r| user_from(r)).transpose()
    }

    fn create_session(&self, token_sm3: &str, user: UserId, created_at: &str, expires_at: &str) -> Result<()> {
        self.lock()?.execute(
            "INSERT INTO app_session (token_sm3, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            &[token_sm3.into(), user.0.into(), created_at.into(), expires_at.into()],
        )?;
        Ok(())
    }

    fn session_user(&self, token_sm3: &str, now: &str) -> Result<Option<UserId>> {
        let rows = self.query(
            "SELECT user_id FROM app_session WHERE token_sm3 = ? AND expires_at > ?",
            &[token_sm3.into(), now.into()],
        )?;
        rows.first().map(|r| Row(r).i64(0).map(UserId)).transpose()
    }

    fn enqueue_queries(&self, queries: &[NewQuery], now: &str) -> Result<()> {
        self.tx(|c| enqueue_in(c, queries, now))
    }

    fn queued_queries(&self, limit: i64) -> Result<Vec<QueryRow>> {
        // The state is written out, not bound, so that the partial index applies.
        self.query(
            &format!("SELECT {QUERY_COLS} FROM exchange_query WHERE state = 'queued' ORDER BY id LIMIT ?"),
            &[limit.into()],
        )?
        .iter()
        .map(|r| query_from(r))
        .collect()
    }

    fn create_request(&self, r: &NewRequest, queries: &[i64], now: &str) -> Result<i64> {
        let ids = self.create_requests(&[(r.clone(), queries.to_vec())], now)?;
        ids.first().copied().ok_or_else(|| StoreError::Corrupt("no request created".into()))
    }

    fn create_requests(&self, batch: &[(NewRequest, Vec<i64>)], now: &str) -> Result<Vec<i64>> {
        let (sent, queued, pending) =
            (code(&QueryState::Sent), code(&QueryState::Queued), code(&RequestState::Pending));
        self.tx(|c| {
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
                        r.next_attempt_at.as_str().into(),
                        r.deadline_at.as_str().into(),
                        now.into(),
                        now.into(),
                    ],
                )?)?;
                // One statement per request (a request holds up to a source's batch size):
                // hundreds of thousands of one-row updates were most of a large collection's start.
                let mut moved = 0;
                for chunk in queries.chunks(500) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let mut params: Vec<Value> = vec![
                        id.into(),
                        sent.as_str().into(),
                        now.into(),
                        queued.as_str().into(),
                        r.source.as_str().into(),
                    ];
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
                out.push(id);
            }
            Ok(out)
        })
    }

    fn open_requests(&self, limit: i64) -> Result<Vec<RequestRow>> {
        self.query(
            &format!(
                "SELECT {REQUEST_COLS} FROM exchange_request WHERE state IN (?, ?) ORDER BY next_attempt_at, id LIMIT ?"
            ),
            &[code(&RequestState::Pending).into(), code(&RequestState::Accepted).into(), limit.into()],
        )?
        .iter()
        .map(|r| request_from(r))
        .collect()
    }

    fn request(&self, id: i64) -> Result<Option<RequestRow>> {
        let rows = self.query(&format!("SELECT {REQUEST_COLS} FROM exchange_request WHERE id = ?"), &[id.into()])?;
        rows.first().map(|r| request_from(r)).transpose()
    }

    fn request_by_message(&self, message_id: &str) -> Result<Option<RequestRow>> {
        let rows = self.query(
            &format!("SELECT {REQUEST_COLS} FROM exchange_request WHERE message_id = ?"),
            &[message_id.into()],
        )?;
        rows.first().map(|r| request_from(r)).transpose()
    }

    fn request_queries(&self, request: i64) -> Result<Vec<QueryRow>> {
        self.query(
            &format!("SELECT {QUERY_COLS} FROM exchange_query WHERE request_id = ? ORDER BY id"),
            &[request.into()],
        )?
        .iter()
        .map(|r| query_from(r))
        .collect()
    }

    fn retry_request(
        &self,
        id: i64,
        state: RequestState,
        attempts: i64,
        next_attempt_at: &str,
        error: &str,
        now: &str,
    ) -> Result<()> {
        self.tx(|c| {
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

    fn answer_request(
        &self,
        id: i64,
        outcomes: &[QueryOutcome],
        follow_ups: &[NewQuery],
        now: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.tx(|c| {
            if request_state_in(c, id)?.is_none_or(RequestState::is_final) {
                return Ok(false);
            }
            // The request's own queries, with their jobs: an outcome for any other query is refused.
            let jobs: std::collections::HashMap<i64, i64> = c
                .query("SELECT id, job_id FROM exchange_query WHERE request_id = ?", &[id.into()])?
                .iter()
                .map(|r| Ok((Row(r).i64(0)?, Row(r).i64(1)?)))
                .collect::<Result<_>>()?;
            let states: Vec<String> = outcomes.iter().map(|o| code(&o.state)).collect();
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
                    Param::Text(now),
                    Param::I64(o.query),
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

    fn give_up_request(
        &self,
        id: i64,
        state: RequestState,
        reason: &str,
        follow_ups: &[NewQuery],
        now: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let query_state = match state {
            RequestState::TimedOut => QueryState::TimedOut,
            _ => QueryState::Failed,
        };
        self.tx(|c| {
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

    fn job_queries(&self, job: JobId) -> Result<Vec<QueryRow>> {
        self.query(&format!("SELECT {QUERY_COLS} FROM exchange_query WHERE job_id = ? ORDER BY id"), &[job.0.into()])?
            .iter()
            .map(|r| query_from(r))
            .collect()
    }

    fn jobs_with_open_queries(&self) -> Result<Vec<JobId>> {
        self.query(
            "SELECT DISTINCT job_id FROM exchange_query WHERE state IN (?, ?) ORDER BY job_id",
            &[code(&QueryState::Queued).into(), code(&QueryState::Sent).into()],
        )?
        .iter()
        .map(|r| Row(r).i64(0).map(JobId))
        .collect()
    }

    fn open_queries_per_job(&self) -> Result<Vec<(JobId, i64)>> {
        self.query(
            "SELECT job_id, COUNT(*) FROM exchange_query WHERE state IN (?, ?) GROUP BY job_id ORDER BY job_id",
            &[code(&QueryState::Queued).into(), code(&QueryState::Sent).into()],
        )?
        .iter()
        .map(|r| Ok((JobId(Row(r).i64(0)?), Row(r).i64(1)?)))
        .collect()
    }

    fn query_counts(&self) -> Result<Vec<(String, QueryState, i64)>> {
        self.query(
            "SELECT source, state, COUNT(*) FROM exchange_query GROUP BY source, state ORDER BY source, state",
            &[],
        )?
        .iter()
        .map(|r| Ok((Row(r).text(0)?, Row(r).code(1)?, Row(r).i64(2)?)))
        .collect()
    }

    fn request_counts(&self) -> Result<Vec<(String, RequestState, i64)>> {
        self.query(
            "SELECT source, state, COUNT(*) FROM exchange_request GROUP BY source, state ORDER BY source, state",
            &[],
        )?
        .iter()
        .map(|r| Ok((Row(r).text(0)?, Row(r).code(1)?, Row(r).i64(2)?)))
        .collect()
    }

    fn delete_session(&self, token_sm3: &str) -> Result<()> {
        self.lock()?.execute("DELETE FROM app_session WHERE token_sm3 = ?", &[token_sm3.into()])?;
        Ok(())
    }
}
