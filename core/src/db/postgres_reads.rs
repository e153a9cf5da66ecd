//! Reads of content rows on PostgreSQL, on connections kept out of the pool between reads.
//!
//! SQLx tests every connection as it goes back to its pool: one more round trip to the
//! server (`Sync`, answered by `ReadyForQuery`) after each statement SeaORM runs. For a
//! read that is half its round trips, and about 12 µs of the server's CPU. Here a few
//! connections stay checked out of the pool and pass from one read to the next untested.
//! They still count against the pool's size, so the server sees no more connections than
//! before, and only a quarter of the pool may wait here, so writes always find room.
//!
//! A kept connection goes back to the pool, to be tested there, when a read on it fails or
//! is cut short, when it has been idle for [`STALE_AFTER`], and when the database handle
//! closes. Anything this path cannot do (a value it does not bind, a connection that broke,
//! an error of any kind) declines, and the caller runs the same statement through SeaORM.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgArguments, PgPool, PgRow};
use sea_orm::sqlx::{self, Arguments, Postgres};
use sea_orm::{DbBackend, DbErr, Statement};

/// A kept connection idle this long may have been dropped by the server or a proxy; it goes
/// back to the pool, which tests it (as the pool tests its own idle connections).
const STALE_AFTER: Duration = Duration::from_secs(30);

/// Why the caller should run a read through SeaORM instead; the detail is for the log.
#[derive(Debug)]
pub struct Declined(pub String);

/// Content reads on connections kept out of one PostgreSQL pool.
pub struct PostgresReads {
    pool: PgPool,
    /// At most a quarter of the pool.
    most_kept: usize,
    idle: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    /// Set as the handle closes: the pool waits for every connection out of it, so none
    /// may be kept from then on.
    closed: AtomicBool,
    /// Reads answered here, for the tests that check this path is taken.
    answered: AtomicU64,
    /// The database handle's count of statements (see [`super::Db::statement_count`]).
    statements: Arc<AtomicU64>,
}

impl PostgresReads {
    /// Reads through `pool`, of `pool_size` connections; `None` if the pool is too small to
    /// keep any out of it.
    pub fn new(pool: PgPool, pool_size: u32, statements: Arc<AtomicU64>) -> Option<PostgresReads> {
        let most_kept = usize::try_from(pool_size / 4).unwrap_or_default();
        (most_kept > 0).then(|| PostgresReads {
            pool,
            most_kept,
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            answered: AtomicU64::new(0),
            statements,
        })
    }

    /// Reads answered here since the process started.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// The rows of `statement`, each made by `decode`; or why SeaORM should run it.
    pub async fn query<T>(
        &self,
        statement: &Statement,
        decode: impl FnMut(&PgRow) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, Declined> {
        debug_assert_eq!(statement.db_backend, DbBackend::Postgres);
        let Some(arguments) = arguments(statement) else {
            return Err(Declined("a value this path does not bind".into()));
        };
        let mut conn = match self.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await.map_err(|err| Declined(err.to_string()))?,
        };
        let started = Instant::now();
        let query = sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.as_str()), arguments);
        let rows = query.fetch_all(&mut *conn).await;
        if super::counted() {
            self.statements.fetch_add(1, Ordering::Relaxed);
        }
        tracing::trace!(target: "quire::sql", elapsed = ?started.elapsed(), failed = rows.is_err(), sql = %statement.sql, "statement");
        // On an error the connection goes back to the pool, which tests it.
        let rows = rows.map_err(|err| Declined(err.to_string()))?;
        let items = rows.iter().map(decode).collect::<Result<Vec<T>, DbErr>>();
        self.keep(conn);
        let items = items.map_err(|err| Declined(err.to_string()))?;
        self.answered.fetch_add(1, Ordering::Relaxed);
        Ok(items)
    }

    /// Gives every kept connection back to the pool (before it closes).
    pub fn give_back(&self) {
        let mut idle = self.kept();
        self.closed.store(true, Ordering::Relaxed);
        idle.clear();
    }

    fn kept(&self) -> MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most recently used kept connection that is not stale; the stale go back.
    fn take(&self) -> Option<PoolConnection<Postgres>> {
        let mut stale = Vec::new();
        let found = {
            let mut idle = self.kept();
            let fresh = idle.iter().position(|(_, since)| since.elapsed() < STALE_AFTER);
            // Kept in order of use, so every one before the first fresh one is stale.
            let fresh = fresh.unwrap_or(idle.len());
            stale.extend(idle.drain(..fresh));
            idle.pop().map(|(conn, _)| conn)
        };
        drop(stale);
        found
    }

    /// Keeps `conn` for the next read if there is room; otherwise it goes back to the pool.
    fn keep(&self, conn: PoolConnection<Postgres>) {
        let mut idle = self.kept();
        if idle.len() < self.most_kept && !self.closed.load(Ordering::Relaxed) {
            idle.push((conn, Instant::now()));
        }
    }
}

/// `statement`'s values as SQLx binds them, for the types content reads use; `None` for
/// any other.
fn arguments(statement: &Statement) -> Option<PgArguments> {
    let mut arguments = PgArguments::default();
    for value in statement.values.iter().flat_map(|values| values.0.iter()) {
        let added = match value {
            Value::String(text) => arguments.add(text.as_deref()),
            Value::Enum(OptionEnum::Some(variant)) => arguments.add(&*variant.value),
            Value::Bool(flag) => arguments.add(*flag),
            Value::Int(number) => arguments.add(*number),
            Value::BigInt(number) => arguments.add(*number),
            Value::BigUnsigned(number) => {
                arguments.add(number.map(i64::try_from).transpose().ok()?)
            }
            Value::Uuid(id) => arguments.add(*id),
            Value::ChronoDateTimeUtc(at) => arguments.add(*at),
            _ => return None,
        };
        added.ok()?;
    }
    Some(arguments)
}
