//! Short reads on SQLite, run where they are asked, on connections of their own.
//!
//! SQLx runs each SQLite connection on a thread of its own and hands every row to the
//! asking task across a channel: a query costs at least two task switches and a futex wake
//! each way, and a list one more per row. For a list of 20 that SQLite answers from its page
//! cache in some tens of microseconds, the switching was about a sixth of the process's
//! time. Here a read runs on the calling thread, straight from SQLite's statement into the
//! caller's decoder.
//!
//! Two rules keep this from ever answering differently or stalling the runtime:
//! - a read may take [`BUDGET`] at most: SQLite's progress handler stops it there, and
//!   the caller runs it again through the pool, on SQLx's thread, where it may take as
//!   long as it needs;
//! - anything else it cannot do (a busy database, a value it does not bind) sends the read
//!   the same way. The statement is the one the pool would run, built by the same code.
//!
//! The connections are read-only (`query_only`) and see what the pool has committed, as the
//! pool's own connections do in WAL mode.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::{DbBackend, Statement};

/// How long a read may run on the calling thread before it is handed to the pool.
pub const BUDGET: Duration = Duration::from_millis(2);

/// SQLite's virtual machine steps between two looks at the clock.
const STEPS_BETWEEN_CHECKS: i32 = 1_000;

/// Idle connections kept; reads run on the runtime's threads, so about as many run at once.
const MAX_IDLE: usize = 8;

/// Each connection's page cache, as `PRAGMA cache_size` takes it: 1 MB.
const CACHE_SIZE: i32 = -1024;

/// Prepared statements kept per connection: a site's lists and lookups are a few dozen shapes.
const STATEMENTS_PER_CONNECTION: usize = 64;

/// Why a read went to the pool instead.
#[derive(Debug)]
pub enum Declined {
    /// It ran past [`BUDGET`].
    TooLong,
    /// SQLite or a value said no; the detail is for the log.
    Failed(String),
}

/// Direct reads of one SQLite file.
pub struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Reads answered here, for the tests that check this path is taken.
    answered: AtomicU64,
    /// The database handle's count of statements (see [`super::Db::statement_count`]).
    statements: Arc<AtomicU64>,
}

impl SqliteReads {
    pub fn new(path: PathBuf, statements: Arc<AtomicU64>) -> SqliteReads {
        SqliteReads { path, idle: Mutex::new(Vec::new()), answered: AtomicU64::new(0), statements }
    }

    /// Reads answered here since the process started.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// The rows of `statement`, each made by `decode`; or why the pool should run it.
    pub fn query<T, E: std::fmt::Display>(
        &self,
        statement: &Statement,
        mut decode: impl FnMut(&Row<'_>) -> Result<T, E>,
    ) -> Result<Vec<T>, Declined> {
        debug_assert_eq!(statement.db_backend, DbBackend::Sqlite);
        let conn = self.take()?;
        let started = Instant::now();
        let rows = run(&conn, statement, started, &mut decode);
        // A statement stopped midway was reset as it went back to the connection's cache;
        // the connection itself stays good.
        self.give_back(conn);
        match &rows {
            Ok(_) => {
                self.answered.fetch_add(1, Ordering::Relaxed);
                if super::counted() {
                    self.statements.fetch_add(1, Ordering::Relaxed);
                }
                tracing::trace!(target: "quire::sql", elapsed = ?started.elapsed(), sql = %statement.sql, "direct read");
            }
            // The pool runs it next and counts it then.
            Err(declined) => {
                tracing::debug!(target: "quire::sql", ?declined, sql = %statement.sql, "direct read declined")
            }
        }
        rows
    }

    fn take(&self) -> Result<Connection, Declined> {
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open(&self.path).map_err(|err| Declined::Failed(err.to_string())),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.pragma_update(None, "query_only", true)?;
    // A read that would wait for a lock goes to the pool, which waits off the runtime.
    conn.busy_timeout(Duration::ZERO)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS_PER_CONNECTION);
    // 1 MB of pages rather than SQLite's 2 MB (`-KB`): the file is in the system's page
    // cache anyway, and each connection's own copy counts in the process's memory.
    conn.pragma_update(None, "cache_size", CACHE_SIZE)?;
    Ok(conn)
}

fn run<T, E: std::fmt::Display>(
    conn: &Connection,
    statement: &Statement,
    started: Instant,
    decode: &mut impl FnMut(&Row<'_>) -> Result<T, E>,
) -> Result<Vec<T>, Declined> {
    let failed = |err: rusqlite::Error| match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::OperationInterrupted) => Declined::TooLong,
        _ => Declined::Failed(err.to_string()),
    };
    conn.progress_handler(STEPS_BETWEEN_CHECKS, Some(move || started.elapsed() > BUDGET))
        .map_err(failed)?;
    let mut prepared = conn.prepare_cached(&statement.sql).map_err(failed)?;
    if let Some(values) = &statement.values {
        for (at, value) in values.0.iter().enumerate() {
            prepared.raw_bind_parameter(at + 1, bind(value)?).map_err(failed)?;
        }
    }
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        out.push(decode(row).map_err(|err| Declined::Failed(err.to_string()))?);
    }
    Ok(out)
}

/// `value` as SQLx binds it on SQLite (see sea-query's SQLx binding): times as RFC 3339
/// text, UUIDs as 16 bytes, enums as their text. Text and bytes are lent, not copied.
fn bind(value: &Value) -> Result<ToSqlOutput<'_>, Declined> {
    let owned = |value: Option<SqlValue>| ToSqlOutput::Owned(value.unwrap_or(SqlValue::Null));
    let integer = |value: Option<i64>| owned(value.map(SqlValue::Integer));
    Ok(match value {
        Value::Bool(b) => integer(b.map(i64::from)),
        Value::TinyInt(i) => integer(i.map(i64::from)),
        Value::SmallInt(i) => integer(i.map(i64::from)),
        Value::Int(i) => integer(i.map(i64::from)),
        Value::BigInt(i) => integer(*i),
        Value::TinyUnsigned(i) => integer(i.map(i64::from)),
        Value::SmallUnsigned(i) => integer(i.map(i64::from)),
        Value::Unsigned(i) => integer(i.map(i64::from)),
        // `LIMIT` takes one.
        Value::BigUnsigned(Some(i)) => match i64::try_from(*i) {
            Ok(i) => integer(Some(i)),
            Err(_) => return Err(Declined::Failed(format!("{i} is out of SQLite's range"))),
        },
        Value::BigUnsigned(None) => integer(None),
        Value::Double(d) => owned(d.map(SqlValue::Real)),
        Value::String(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Value::Enum(OptionEnum::Some(e)) => {
            ToSqlOutput::Borrowed(ValueRef::Text(e.value.as_bytes()))
        }
        Value::Bytes(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        Value::Uuid(Some(id)) => ToSqlOutput::Borrowed(ValueRef::Blob(id.as_bytes())),
        Value::ChronoDateTimeUtc(at) => owned(
            at.map(|at| SqlValue::Text(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))),
        ),
        Value::String(None) | Value::Enum(OptionEnum::None(_)) => owned(None),
        Value::Bytes(None) | Value::Uuid(None) => owned(None),
        other => return Err(Declined::Failed(format!("no direct binding for {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads() -> (tempfile::TempDir, SqliteReads) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reads.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER);").unwrap();
        (dir, SqliteReads::new(path, Arc::default()))
    }

    fn statement(sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
    }

    #[test]
    fn a_read_binds_values_as_the_pool_does() {
        let (_dir, reads) = reads();
        let id = uuid::Uuid::from_u128(7);
        let at = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.5Z").unwrap().to_utc();
        let sql = "SELECT ?, ?, typeof(?), ?, ?";
        let values = vec![
            Value::Bool(Some(true)),
            Value::String(Some("text".into())),
            Value::Uuid(Some(id)),
            Value::ChronoDateTimeUtc(Some(at)),
            Value::Int(None),
        ];
        let rows = reads
            .query(&statement(sql, values), |row| {
                Ok::<_, rusqlite::Error>((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                ))
            })
            .unwrap();
        assert_eq!(
            rows,
            vec![(1, "text".into(), "blob".into(), "2026-01-02T03:04:05.500+00:00".into(), None)]
        );
        assert_eq!(reads.answered(), 1);
    }

    #[test]
    fn a_long_read_is_stopped_and_declined() {
        let (_dir, reads) = reads();
        let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                   SELECT count(*) FROM (SELECT x FROM c LIMIT 100000000)";
        let started = Instant::now();
        let declined = reads.query(&statement(sql, vec![]), |row| row.get::<_, i64>(0));
        assert!(matches!(declined, Err(Declined::TooLong)), "{declined:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        assert_eq!(reads.answered(), 0);
        // The connection it ran on serves the next read.
        let rows = reads.query(&statement("SELECT 2", vec![]), |row| row.get::<_, i64>(0));
        assert_eq!(rows.unwrap(), vec![2]);
    }

    #[test]
    fn a_read_cannot_write() {
        let (_dir, reads) = reads();
        let declined = reads
            .query(&statement("INSERT INTO t VALUES (1) RETURNING n", vec![]), |row| {
                row.get::<_, i64>(0)
            });
        assert!(matches!(declined, Err(Declined::Failed(_))), "{declined:?}");
    }
}
