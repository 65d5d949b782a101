//! SQLite backend of the hedui store: the embedded default that needs no other service.
//!
//! It only adapts `rusqlite` to [`Conn`]; every statement lives in
//! `hedui-store`, so this backend and PostgreSQL run the same SQL.

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, params_from_iter};

use hedui_store::{Conn, Dialect, Param, SqlStore, StoreError, Value};

/// The connection, and for a database file the thread that checkpoints its WAL (stopped when
/// the connection is dropped).
struct SqliteConn {
    conn: Connection,
    _checkpointer: Option<Checkpointer>,
}

/// Copies the WAL back into the database file from a connection of its own, every
/// [`CHECKPOINT_EVERY`], so that no request does it. SQLite's own checkpoint runs in the commit
/// that crosses `wal_autocheckpoint`, and the store's one connection is held meanwhile: every
/// request waited for tens of megabytes to be copied and synced (the longest waits of issue 14's
/// open-loop benchmark, up to 150 ms). A passive checkpoint waits for no reader or writer.
/// `wal_autocheckpoint` stays, far higher, as a bound should this thread fall behind.
struct Checkpointer {
    stop: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path).map_err(map_err)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000;").map_err(map_err)?;
        let stop = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let (lock, cv) = &*flag;
                let Ok(mut stopped) = lock.lock() else { return };
                while !*stopped {
                    let Ok((s, _)) = cv.wait_timeout(stopped, CHECKPOINT_EVERY) else { return };
                    stopped = s;
                    // A failed checkpoint (the file busy, a disk error) is tried again next time;
                    // SQLite's own bound still holds.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| StoreError::Backend(format!("starting the checkpoint thread: {e}")))?;
        Ok(Checkpointer { stop, thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
            cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

fn bind(params: &[Value]) -> impl Iterator<Item = ToSqlOutput<'_>> {
    params.iter().map(|v| {
        ToSqlOutput::Borrowed(match v {
            Value::Null => ValueRef::Null,
            Value::I64(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        })
    })
}

fn read(v: ValueRef<'_>) -> Result<Value, StoreError> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::I64(i),
        ValueRef::Text(t) => {
            Value::Text(std::str::from_utf8(t).map_err(|e| StoreError::Corrupt(e.to_string()))?.to_string())
        }
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        ValueRef::Real(_) => return Err(StoreError::Corrupt("floating-point value in the store".into())),
    })
}

impl Conn for SqliteConn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        stmt.execute(params_from_iter(bind(params))).map(|n| n as u64).map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        let cols = stmt.column_count();
        let mut rows = stmt.query(params_from_iter(bind(params))).map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_err)? {
            let mut r = Vec::with_capacity(cols);
            for i in 0..cols {
                r.push(read(row.get_ref(i).map_err(map_err)?)?);
            }
            out.push(r);
        }
        Ok(out)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(map_err)
    }

    fn execute_rows(&mut self, sql: &str, width: usize, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        let mut n = 0;
        for row in params.chunks(width) {
            let bound = row.iter().map(|p| {
                ToSqlOutput::Borrowed(match *p {
                    Param::Null => ValueRef::Null,
                    Param::I64(i) => ValueRef::Integer(i),
                    Param::Text(s) => ValueRef::Text(s.as_bytes()),
                    Param::Blob(b) => ValueRef::Blob(b),
                })
            });
            n += stmt.execute(params_from_iter(bound)).map_err(map_err)? as u64;
        }
        Ok(n)
    }
}

fn configure(conn: Connection, checkpointer: Option<Checkpointer>) -> Result<SqlStore, StoreError> {
    // WAL lets readers proceed during an import; NORMAL sync is durable across application crashes.
    // A 64 MiB page cache keeps the person and record indexes in memory during large imports. A
    // database file's WAL is checkpointed by its own thread (`Checkpointer`); SQLite's checkpoint
    // in a commit is the bound should it fall behind (400 MiB of WAL).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
         PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 100000;",
    )
    .map_err(map_err)?;
    // The query planner's stability guarantee: a plan does not depend on the values bound to it.
    // Without it, SQLite marks a statement to be prepared again whenever a new value is bound to
    // a parameter that might change its plan (an id, a LIMIT), and the statement cache's
    // clearing of the bindings then threw each cached statement away: every read of a report
    // parsed and planned its SQL again, a tenth of the page's CPU (issue 14's benchmark).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(map_err)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(SqlStore::new(Box::new(SqliteConn { conn, _checkpointer: checkpointer }), Dialect::Sqlite))
}

/// Opens (creating if needed) a database file. Call `migrate()` before use.
pub fn open(path: &Path) -> Result<SqlStore, StoreError> {
    let conn = Connection::open(path).map_err(map_err)?;
    // The file is in WAL mode (set on the first connection) before the checkpointer opens it.
    conn.execute_batch("PRAGMA journal_mode = WAL;").map_err(map_err)?;
    let checkpointer = Checkpointer::start(path)?;
    configure(conn, Some(checkpointer))
}

/// A private in-memory database, for tests.
pub fn open_in_memory() -> Result<SqlStore, StoreError> {
    configure(Connection::open_in_memory().map_err(map_err)?, None)
}
