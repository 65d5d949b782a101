//! PostgreSQL backend of the hedui store.
//!
//! It adapts the synchronous `postgres` client to [`Conn`]: `?` placeholders
//! become `$1, $2, …`, values are bound by their own type, and prepared
//! statements are cached per connection. The schema is standard PostgreSQL
//! (identity columns, BYTEA, TEXT, BIGINT), so Postgres-compatible engines can
//! host it. Call the store from a blocking context (e.g. `spawn_blocking`):
//! the client runs its own small runtime.

use std::collections::HashMap;
use std::error::Error as _;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use hedui_store::{Conn, Dialect, Param, SqlStore, StoreError, Value};

/// A bound parameter: our [`Value`] or [`Param`] written in whatever type the server expects.
#[derive(Debug)]
struct Bound<'a>(Param<'a>);

impl<'a> Bound<'a> {
    fn of(v: &'a Value) -> Bound<'a> {
        Bound(match v {
            Value::Null => Param::Null,
            Value::I64(i) => Param::I64(*i),
            Value::Text(s) => Param::Text(s),
            Value::Blob(b) => Param::Blob(b),
        })
    }
}

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::I64(v) => match *ty {
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Param::Text(s) => s.to_sql(ty, out),
            Param::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Types are checked by `to_sql` against the statement's parameter types.
        true
    }

    to_sql_checked!();
}

fn map_err(e: postgres::Error) -> StoreError {
    let text = match e.source() {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    };
    match e.code() {
        Some(c) if *c == postgres::error::SqlState::UNIQUE_VIOLATION => StoreError::Conflict(text),
        _ => StoreError::Backend(text),
    }
}

/// Rewrites `?` placeholders as `$1, $2, …` (our SQL never contains a literal `?`).
fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// A scratch schema (URL, name) to drop when the connection goes away.
    scratch: Option<(String, String)>,
}

impl Drop for PgConn {
    /// Drops a scratch schema. On a thread of its own, with a connection of its own: the client
    /// blocks on a runtime of its own, which may not run inside the caller's.
    fn drop(&mut self) {
        let Some((url, schema)) = self.scratch.take() else { return };
        let dropped = std::thread::spawn(move || {
            Client::connect(&url, NoTls)
                .and_then(|mut c| c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "a scratch schema could not be dropped: {dropped:?}");
        }
    }
}

impl PgConn {
    fn prepare(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let st = self.client.prepare(&number_placeholders(sql)).map_err(map_err)?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

fn read(row: &postgres::Row, i: usize) -> Result<Value, StoreError> {
    let ty = row.columns()[i].type_().clone();
    let v = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::I64)),
        Type::INT4 => row.try_get::<_, Option<i32>>(i).map(|v| v.map(|x| Value::I64(x.into()))),
        Type::INT2 => row.try_get::<_, Option<i16>>(i).map(|v| v.map(|x| Value::I64(x.into()))),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map(|v| v.map(Value::Blob)),
        _ => row.try_get::<_, Option<String>>(i).map(|v| v.map(Value::Text)),
    };
    Ok(v.map_err(map_err)?.unwrap_or(Value::Null))
}

impl Conn for PgConn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let st = self.prepare(sql)?;
        let bound: Vec<Bound<'_>> = params.iter().map(Bound::of).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client.execute(&st, &refs).map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let st = self.prepare(sql)?;
        let bound: Vec<Bound<'_>> = params.iter().map(Bound::of).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(&st, &refs).map_err(map_err)?;
        rows.iter().map(|r| (0..r.len()).map(|i| read(r, i)).collect()).collect()
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(map_err)
    }

    fn execute_rows(&mut self, sql: &str, width: usize, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let st = self.prepare(sql)?;
        let mut n = 0;
        for row in params.chunks(width) {
            let bound: Vec<Bound<'_>> = row.iter().map(|p| Bound(*p)).collect();
            let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            n += self.client.execute(&st, &refs).map_err(map_err)?;
        }
        Ok(n)
    }
}

/// Connects with a libpq-style URL, e.g. `postgres://hedui:secret@localhost/hedui`.
pub fn open(url: &str) -> Result<SqlStore, StoreError> {
    let client = Client::connect(url, NoTls).map_err(map_err)?;
    Ok(SqlStore::new(Box::new(PgConn { client, statements: HashMap::new(), scratch: None }), Dialect::Postgres))
}

/// Connects and works inside an existing `schema` (a role that may not create one).
pub fn open_in_schema(url: &str, schema: &str) -> Result<SqlStore, StoreError> {
    if !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::Backend(format!("bad schema name {schema:?}")));
    }
    let mut client = Client::connect(url, NoTls).map_err(map_err)?;
    client.batch_execute(&format!("SET search_path TO {schema}")).map_err(map_err)?;
    Ok(SqlStore::new(Box::new(PgConn { client, statements: HashMap::new(), scratch: None }), Dialect::Postgres))
}

/// The grants that divide a deployment's database between three roles: the owner (who runs
/// `hedui migrate`), the application's role `app` (everything it needs, but audit rows only
/// inserted and read) and the purge role `purge` (a retention run: it reads and deletes audit
/// rows, and moves the chain's head; a key rotation: it re-seals audit rows' sealed text, and
/// nothing else of them). Run by the owner after each migration; `hedui db grants`
/// prints it.
pub fn role_grants(schema: &str, app: &str, purge: &str) -> String {
    format!(
        "GRANT USAGE ON SCHEMA {schema} TO {app}, {purge};\n\
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app};\n\
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}, {purge};\n\
         REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit, {schema}.audit_checkpoint FROM {app};\n\
         REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.schema_migrations FROM {app};\n\
         GRANT SELECT, DELETE ON {schema}.audit TO {purge};\n\
         GRANT UPDATE (search_enc, note_enc) ON {schema}.audit TO {purge};\n\
         GRANT SELECT, UPDATE ON {schema}.audit_head TO {purge};\n\
         GRANT SELECT, INSERT ON {schema}.audit_checkpoint TO {purge};\n\
         GRANT SELECT ON {schema}.schema_migrations TO {purge};\n"
    )
}

/// Connects and works inside `schema`, created empty: used to give every test its own database namespace.
pub fn open_fresh_schema(url: &str, schema: &str) -> Result<SqlStore, StoreError> {
    if !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::Backend(format!("bad schema name {schema:?}")));
    }
    let mut client = Client::connect(url, NoTls).map_err(map_err)?;
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema}"
        ))
        .map_err(map_err)?;
    Ok(SqlStore::new(Box::new(PgConn { client, statements: HashMap::new(), scratch: None }), Dialect::Postgres))
}

/// Like [`open_fresh_schema`], but the schema is dropped when the store is: a test's database
/// namespace that leaves nothing behind.
pub fn open_scratch_schema(url: &str, schema: &str) -> Result<SqlStore, StoreError> {
    let store = open_fresh_schema(url, schema)?;
    drop(store);
    let mut client = Client::connect(url, NoTls).map_err(map_err)?;
    client.batch_execute(&format!("SET search_path TO {schema}")).map_err(map_err)?;
    let scratch = Some((url.to_string(), schema.to_string()));
    Ok(SqlStore::new(Box::new(PgConn { client, statements: HashMap::new(), scratch }), Dialect::Postgres))
}

/// Drops `schema` and everything in it: the end of a test that made one with [`open_fresh_schema`].
pub fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
    if !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::Backend(format!("bad schema name {schema:?}")));
    }
    let mut client = Client::connect(url, NoTls).map_err(map_err)?;
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).map_err(map_err)
}

/// The database for PostgreSQL tests: `HEDUI_TEST_PG_URL`, or the local test database that
/// `.ci/run` creates, when it answers. `None` means the tests should say loudly that they skipped;
/// with `HEDUI_REQUIRE_PG=1` (set in CI) a missing database is a failure instead.
pub fn test_url() -> Option<String> {
    let url = std::env::var("HEDUI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://hedui:hedui@localhost/hedui_test?connect_timeout=2".to_string());
    let reachable = Client::connect(&url, NoTls).is_ok();
    if !reachable && std::env::var("HEDUI_REQUIRE_PG").is_ok_and(|v| v == "1") {
        panic!("HEDUI_REQUIRE_PG=1 but PostgreSQL at {url} cannot be reached");
    }
    reachable.then_some(url)
}

/// Tells the person running the tests that a PostgreSQL test was skipped. It writes to the
/// process's stderr directly, past the test harness's output capture, so it shows even when the
/// test passes.
pub fn skip_notice(what: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED on PostgreSQL: {what}: no database (set HEDUI_TEST_PG_URL, or run .ci/run) ***\n"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(super::number_placeholders("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
    }
}
