//! The one SQL implementation of [`Store`], over a minimal [`Conn`] that each backend provides.
//!
//! Statements are written once, with `?` placeholders; the PostgreSQL
//! connection numbers them. Migrations are shared too, with `{{id}}` and
//! `{{blob}}` filled in per [`Dialect`]. Keeping one implementation is what
//! lets one contract suite prove both backends equivalent.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use hedui_core::authorization::AuthorizationStatus;
use hedui_core::catalog::Category;
use hedui_core::date::Iso;
use hedui_core::fact::Observation;
use hedui_core::job::JobState;
use hedui_core::{
    AuthorizationId, BatchId, BlindIndex, Date, Fen, HouseholdId, JobId, Month, PersonId, QueryId, RecordId, ReportId,
    RequestId, Sealed, Timestamp, UserId,
};
use hedui_means::Outcome;

mod admin;
mod audit;
mod cases;
mod exchange;
mod intake;
mod jobs;
mod mirror;
mod persons;
mod rekey;
mod retention;
mod store;

use cases::member_from;

use crate::accounts::*;
use crate::audit::*;
use crate::rekey::{KeyEpochRow, RekeyRow, RekeyTable};
use crate::retention::{Cutoffs, DataClass};
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
macro_rules! id_values {
    ($($id:ty),*) => {$(
        impl From<$id> for Value {
            fn from(v: $id) -> Value {
                Value::I64(v.0)
            }
        }
    )*};
}
id_values!(QueryId, RecordId, ReportId, RequestId);

impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<&Sealed> for Value {
    fn from(v: &Sealed) -> Value {
        Value::Blob(v.to_vec())
    }
}

impl From<&BlindIndex> for Value {
    fn from(v: &BlindIndex) -> Value {
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
    /// The MAC the audit chain is made with, inside a transaction of a store that has one.
    fn audit_mac(&self) -> Option<&dyn crate::chain::AuditMac> {
        None
    }
}

/// A connection inside a transaction, carrying the store's audit MAC to [`write_audit`].
struct ChainConn<'a> {
    inner: &'a mut dyn Conn,
    mac: Option<std::sync::Arc<dyn crate::chain::AuditMac>>,
}

impl Conn for ChainConn<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.inner.execute(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        self.inner.query(sql, params)
    }
    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.inner.execute_batch(sql)
    }
    fn execute_rows(&mut self, sql: &str, width: usize, params: &[Param<'_>]) -> Result<u64> {
        self.inner.execute_rows(sql, width, params)
    }
    fn audit_mac(&self) -> Option<&dyn crate::chain::AuditMac> {
        self.mac.as_deref()
    }
}

/// The embedded migrations, in order. Never edit one that has been released.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "exchange", include_str!("../migrations/0002_exchange.sql")),
    (3, "snapshot_mode", include_str!("../migrations/0003_snapshot_mode.sql")),
    (4, "commission_declared", include_str!("../migrations/0004_commission_declared.sql")),
    (5, "bound_seals", include_str!("../migrations/0005_bound_seals.sql")),
    (6, "bulk_indexes", include_str!("../migrations/0006_bulk_indexes.sql")),
    (7, "caseload", include_str!("../migrations/0007_caseload.sql")),
    (8, "record_form", include_str!("../migrations/0008_record_form.sql")),
    (9, "supporter_letters", include_str!("../migrations/0009_supporter_letters.sql")),
    (10, "login_guard", include_str!("../migrations/0010_login_guard.sql")),
    (11, "access", include_str!("../migrations/0011_access.sql")),
    (12, "audit_chain", include_str!("../migrations/0012_audit_chain.sql")),
    (13, "node_keys", include_str!("../migrations/0013_node_keys.sql")),
    (14, "key_epochs", include_str!("../migrations/0014_key_epochs.sql")),
    (15, "intake", include_str!("../migrations/0015_intake.sql")),
    (16, "review", include_str!("../migrations/0016_review.sql")),
    (17, "receipts", include_str!("../migrations/0017_receipts.sql")),
    (18, "objection_files", include_str!("../migrations/0018_objection_files.sql")),
    (19, "reminders", include_str!("../migrations/0019_reminders.sql")),
    (20, "linkage", include_str!("../migrations/0020_linkage.sql")),
    (21, "packed_digest", include_str!("../migrations/0021_packed_digest.sql")),
];

/// [`Store`] over one connection.
pub struct SqlStore {
    conn: Mutex<Box<dyn Conn>>,
    dialect: Dialect,
    /// The audit chain's MAC, once the application has given it.
    audit_mac: std::sync::RwLock<Option<std::sync::Arc<dyn crate::chain::AuditMac>>>,
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
    /// A timestamp column.
    pub(crate) fn ts(&self, i: usize) -> Result<Timestamp> {
        let s = self.text(i)?;
        Timestamp::parse(&s).map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
    }

    pub(crate) fn opt_ts(&self, i: usize) -> Result<Option<Timestamp>> {
        self.opt_text(i)?
            .map(|s| Timestamp::parse(&s).map_err(|e| StoreError::Corrupt(format!("column {i}: {e}"))))
            .transpose()
    }

    /// A sealed column.
    pub(crate) fn sealed(&self, i: usize) -> Result<Sealed> {
        Ok(Sealed::from_ciphertext(self.blob(i)?))
    }

    pub(crate) fn opt_sealed(&self, i: usize) -> Result<Option<Sealed>> {
        Ok(self.opt_blob(i)?.map(Sealed::from_ciphertext))
    }

    /// A blind-index column.
    pub(crate) fn bidx(&self, i: usize) -> Result<BlindIndex> {
        let b = self.blob(i)?;
        BlindIndex::from_stored(&b)
            .ok_or_else(|| StoreError::Corrupt(format!("column {i}: a blind index of {} bytes", b.len())))
    }

    pub(crate) fn opt_bidx(&self, i: usize) -> Result<Option<BlindIndex>> {
        match self.opt_blob(i)? {
            None => Ok(None),
            Some(b) => BlindIndex::from_stored(&b)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(format!("column {i}: a blind index of {} bytes", b.len()))),
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

/// Keeps the `{{keep}}…{{/keep}}` blocks of a migration (without their markers) and removes the
/// `{{drop}}…{{/drop}}` ones: statements that only one dialect can say (triggers, functions).
fn dialect_blocks(sql: &str, keep: &str, drop: &str) -> String {
    let (open, close) = (format!("{{{{{drop}}}}}"), format!("{{{{/{drop}}}}}"));
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        rest = rest[start..].find(&close).map_or("", |end| &rest[start + end + close.len()..]);
    }
    out.push_str(rest);
    out.replace(&format!("{{{{{keep}}}}}"), "").replace(&format!("{{{{/{keep}}}}}"), "")
}

pub(crate) fn first_i64(rows: &[Vec<Value>]) -> Result<i64> {
    rows.first().map(|r| Row(r).i64(0)).unwrap_or_else(|| Err(StoreError::Corrupt("no row returned".into())))
}

/// Appends an audit row to the chain, inside the caller's transaction. The head is updated first,
/// which serializes appends across processes; the row's MAC and link are made with the store's
/// audit MAC (a store without one writes rows the chain does not protect, which `verify` names).
pub(crate) fn write_audit(c: &mut dyn Conn, a: &AuditEntry) -> Result<()> {
    let chain = crate::chain::chain_of(&a.action);
    let head = c.query("UPDATE audit_head SET seq = seq + 1 WHERE chain = ? RETURNING seq, link", &[chain.into()])?;
    let head = head.first().ok_or_else(|| StoreError::Corrupt(format!("the audit chain {chain} has no head")))?;
    let (seq, previous) = (Row(head).i64(0)?, Row(head).opt_blob(1)?);
    let sealed = c.audit_mac().and_then(|m| {
        let epoch = m.epoch();
        let mac = m.mac(epoch, &crate::chain::content(chain, seq, epoch, a, m))?;
        let link = m.mac(epoch, &crate::chain::link_input(previous.as_deref(), &mac))?;
        Some((epoch, mac, link))
    });
    let (epoch, mac, link) = match &sealed {
        Some((e, m, l)) => (Value::I64(*e), Value::Blob(m.to_vec()), Value::Blob(l.to_vec())),
        None => (Value::Null, Value::Null, Value::Null),
    };
    c.execute(
        "INSERT INTO audit (at, actor, action, object, outcome, detail, request_id, client, basis, search, \
         search_bidx, search_enc, note_enc, chain, seq, key_epoch, mac, link) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            a.at.into(),
            a.actor.as_str().into(),
            a.action.as_str().into(),
            a.object.as_str().into(),
            code(&a.outcome).into(),
            a.detail.as_str().into(),
            a.request_id.as_str().into(),
            a.client.as_str().into(),
            a.basis.as_str().into(),
            a.search.as_str().into(),
            a.search_bidx.as_ref().into(),
            a.search_enc.as_ref().into(),
            a.note_enc.as_ref().into(),
            chain.into(),
            seq.into(),
            epoch,
            mac,
            link.clone(),
        ],
    )?;
    if sealed.is_some() {
        c.execute("UPDATE audit_head SET link = ? WHERE chain = ?", &[link, chain.into()])?;
    }
    Ok(())
}

pub(crate) const RECORD_COLS: &str = "id, batch_id, job_id, source, kind, person_id, raw_id_enc, name_bidx, as_of, period_from, \
     period_to, on_date, amount, quantity, category, status, item_key, detail_enc, line, form";

const QUERY_COLS: &str = "id, job_id, source, member_seq, person_id, query_date, request_id, state, reason, created_at";

const REQUEST_COLS: &str = "id, source, message_id, transaction_id, query_date, state, attempts, next_attempt_at, \
     deadline_at, last_error";

pub(crate) fn record_from(r: &[Value]) -> Result<StoredRecord> {
    let r = Row(r);
    let category = Category::new(&r.text(4)?);
    let period = match (r.opt_month(9)?, r.opt_month(10)?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(StoredRecord {
        id: RecordId(r.i64(0)?),
        batch: r.opt_i64(1)?.map(BatchId),
        job: r.opt_i64(2)?.map(JobId),
        rec: NewRecord {
            source: r.text(3)?,
            obs: Observation {
                category,
                period,
                on: r.opt_date(11)?,
                amount: Fen(r.i64(12)?),
                quantity: r.i64(13)?,
                code: r.text(14)?,
                form: r.text(19)?,
                status: r.text(15)?,
                key: r.text(16)?,
            },
            person: r.opt_i64(5)?.map(PersonId),
            raw_id_enc: r.opt_sealed(6)?,
            name_bidx: r.opt_bidx(7)?,
            as_of: r.date(8)?,
            detail_enc: r.sealed(17)?,
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
        started_at: r.ts(11)?,
        finished_at: r.opt_ts(12)?,
        columns: from_json(&r.text(13)?)?,
        mode: r.code(14)?,
    })
}

const HOUSEHOLD_COLS: &str =
    "id, number, region, address_enc, programme, applied_on, declared_income, declared_assets, created_at";

const MEMBER_COLS: &str = "seq, person_id, name_enc, name_bidx, id_enc, id_note, relation, excluded, capacity, \
     guardian_seq, declared_income";

const AUTHZ_COLS: &str =
    "id, number, household_id, scopes, signatures, signed_on, status, status_reason, created_at, supporter_seq";

const JOB_SELECT: &str = "SELECT j.id, j.commission_id, c.number, c.kind, c.programme, c.department, j.household_id, \
     h.number, h.region, j.authorization_id, j.state, j.as_of, j.outcome, j.created_at, j.updated_at, c.note_enc, \
     c.declared_enc FROM job j JOIN commission c ON c.id = j.commission_id JOIN household h ON h.id = j.household_id";

const USER_COLS: &str = "id, login, display_name, role, region, password_hash, created_at, failed_logins, locked_until, organization, demo, disabled, must_change, \
     password_changed_at";

impl SqlStore {
    pub fn new(conn: Box<dyn Conn>, dialect: Dialect) -> SqlStore {
        SqlStore { conn: Mutex::new(conn), dialect, audit_mac: std::sync::RwLock::new(None) }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Box<dyn Conn>>> {
        self.conn.lock().map_err(|_| StoreError::Backend("connection lock poisoned".into()))
    }

    /// Runs `f` in one transaction: all of it is stored, or none of it.
    pub(crate) fn tx<T>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mac = self.audit_mac.read().map_err(|_| StoreError::Backend("audit MAC lock poisoned".into()))?.clone();
        let mut guard = self.lock()?;
        let c = &mut ChainConn { inner: guard.as_mut(), mac };
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
        let sql = sql.replace("{{id}}", id).replace("{{blob}}", blob);
        let (keep, drop) = match self.dialect {
            Dialect::Sqlite => ("sqlite", "postgres"),
            Dialect::Postgres => ("postgres", "sqlite"),
        };
        dialect_blocks(&sql, keep, drop)
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
                    name_enc: r.sealed(2)?,
                    name_bidx: r.bidx(3)?,
                    id_enc: r.sealed(4)?,
                    id_note: r.text(5)?,
                    duty: r.text(6)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(HouseholdRow {
            id,
            created_at: r.ts(8)?,
            household: NewHousehold {
                number: r.text(1)?,
                region: r.text(2)?,
                address_enc: r.sealed(3)?,
                programme: r.code(4)?,
                applied_on: r.date(5)?,
                declared_income: Fen(r.i64(6)?),
                declared_assets: Fen(r.i64(7)?),
                members,
                supporters,
            },
        }))
    }
}
