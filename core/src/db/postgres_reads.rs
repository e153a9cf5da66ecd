//! Reads of content rows on PostgreSQL, on connections kept out of the pool between reads.
//!
//! SQLx tests every connection as it goes back to its pool: one more round trip to the
//! server (`Sync`, answered by `ReadyForQuery`) after each statement SeaORM runs. For a
//! read that is half its round trips, and about 12 µs of the server's CPU. Here a few
//! connections stay checked out of the pool and pass from one read to the next untested.
//! They still count against the pool's size, so the server sees no more connections than
//! before. At most a quarter of the pool is kept, and only while reads keep coming: a
//! connection unused for [`IDLE`] goes back, so other work finds the whole pool again
//! within a second of the reads stopping, and one kept for [`LIFETIME`] goes back too, so
//! that the pool's limit on a connection's age applies to it.
//!
//! A read the server refuses is answered with its error, as SeaORM would. One whose
//! connection broke, or with a value this path does not bind, declines, and the caller
//! runs the same statement through SeaORM.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgArguments, PgPool, PgRow};
use sea_orm::sqlx::{self, Arguments, Postgres};
use sea_orm::{ConnAcquireErr, DbBackend, DbErr, RuntimeErr, Statement};

/// A kept connection unused this long goes back to the pool.
const IDLE: Duration = Duration::from_secs(1);

/// A connection kept this long goes back to the pool at its next turn.
const LIFETIME: Duration = Duration::from_secs(300);

/// Why the caller should run a read through SeaORM instead; the detail is for the log.
#[derive(Debug)]
pub struct Declined(pub String);

/// A connection out of the pool: since when, and when it was last used.
struct Kept {
    conn: PoolConnection<Postgres>,
    since: Instant,
    used: Instant,
}

impl Kept {
    fn is_due_back(&self) -> bool {
        self.used.elapsed() >= IDLE || self.since.elapsed() >= LIFETIME
    }
}

#[derive(Default)]
struct Idle {
    kept: Vec<Kept>,
    /// Set as the handle closes: the pool waits for every connection out of it, so none
    /// may be kept from then on.
    closed: bool,
}

/// Content reads on connections kept out of one PostgreSQL pool.
pub struct PostgresReads {
    pool: PgPool,
    /// At most a quarter of the pool.
    most_kept: usize,
    idle: Mutex<Idle>,
    /// Reads answered here, reads that found a kept connection, and reads declined: for
    /// the tests that check this path is taken.
    answered: AtomicU64,
    reused: AtomicU64,
    declined: AtomicU64,
    /// The database handle's count of statements (see [`super::Db::statement_count`]).
    statements: Arc<AtomicU64>,
}

impl PostgresReads {
    /// Reads through `pool`, of `pool_size` connections; `None` if the pool is too small to
    /// keep any out of it. A task gives back connections left unused.
    pub fn new(
        pool: PgPool,
        pool_size: u32,
        statements: Arc<AtomicU64>,
    ) -> Option<Arc<PostgresReads>> {
        let most_kept = usize::try_from(pool_size / 4).unwrap_or_default();
        if most_kept == 0 {
            return None;
        }
        let reads = Arc::new(PostgresReads {
            pool,
            most_kept,
            idle: Mutex::new(Idle::default()),
            answered: AtomicU64::new(0),
            reused: AtomicU64::new(0),
            declined: AtomicU64::new(0),
            statements,
        });
        tokio::spawn(give_back_the_unused(Arc::downgrade(&reads)));
        Some(reads)
    }

    /// Reads answered here, since the handle opened.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Reads that found a kept connection waiting.
    pub fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// Reads sent back to SeaORM.
    pub fn declined(&self) -> u64 {
        self.declined.load(Ordering::Relaxed)
    }

    /// The rows of `statement`, each made by `decode`, or the error SeaORM would give; or
    /// why SeaORM should run it.
    pub async fn query<T>(
        &self,
        statement: &Statement,
        decode: impl FnMut(&PgRow) -> Result<T, DbErr>,
    ) -> Result<Result<Vec<T>, DbErr>, Declined> {
        debug_assert_eq!(statement.db_backend, DbBackend::Postgres);
        let declined = |reason: String| {
            self.declined.fetch_add(1, Ordering::Relaxed);
            Err(Declined(reason))
        };
        let Some(arguments) = arguments(statement) else {
            return declined("a value this path does not bind".into());
        };
        let (mut conn, since) = match self.take() {
            Some(kept) => {
                self.reused.fetch_add(1, Ordering::Relaxed);
                (kept.conn, kept.since)
            }
            None => match self.pool.acquire().await {
                Ok(conn) => (conn, Instant::now()),
                Err(err) => return Ok(Err(acquire_error(err))),
            },
        };
        let started = Instant::now();
        let query = sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.as_str()), arguments);
        let rows = query.fetch_all(&mut *conn).await;
        if super::counted() {
            self.statements.fetch_add(1, Ordering::Relaxed);
        }
        tracing::trace!(target: "quire::sql", elapsed = ?started.elapsed(), failed = rows.is_err(), sql = %statement.sql, "statement");
        // On an error the connection goes back to the pool, which tests it.
        let rows = match rows {
            Ok(rows) => rows,
            Err(err @ sqlx::Error::Database(_)) => {
                return Ok(Err(DbErr::Query(RuntimeErr::SqlxError(err.into()))));
            }
            Err(err) => return declined(err.to_string()),
        };
        let items = rows.iter().map(decode).collect::<Result<Vec<T>, DbErr>>();
        self.keep(conn, since);
        self.answered.fetch_add(1, Ordering::Relaxed);
        Ok(items)
    }

    /// Gives every kept connection back to the pool, and keeps none from now on (before
    /// the pool closes).
    pub fn give_back(&self) {
        let kept = {
            let mut idle = self.idle();
            idle.closed = true;
            std::mem::take(&mut idle.kept)
        };
        drop(kept);
    }

    fn idle(&self) -> MutexGuard<'_, Idle> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most recently used kept connection, once those due back have gone.
    fn take(&self) -> Option<Kept> {
        self.give_back_the_due();
        self.idle().kept.pop()
    }

    /// Keeps `conn` for the next read if there is room; otherwise it goes back to the pool.
    fn keep(&self, conn: PoolConnection<Postgres>, since: Instant) {
        let mut idle = self.idle();
        if idle.kept.len() < self.most_kept && !idle.closed {
            idle.kept.push(Kept { conn, since, used: Instant::now() });
        }
    }

    /// Gives back the connections due back.
    fn give_back_the_due(&self) {
        // Taken out under the lock, given back (a task each) after it.
        let due: Vec<Kept> = self.idle().kept.extract_if(.., |kept| kept.is_due_back()).collect();
        drop(due);
    }
}

/// Every [`IDLE`], gives back what the reads left unused, for as long as they exist.
async fn give_back_the_unused(reads: Weak<PostgresReads>) {
    let mut ticks = tokio::time::interval(IDLE);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match reads.upgrade() {
            Some(reads) => reads.give_back_the_due(),
            None => return,
        }
    }
}

/// The error SeaORM gives when the pool has no connection to give.
fn acquire_error(err: sqlx::Error) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        err => DbErr::Conn(RuntimeErr::SqlxError(err.into())),
    }
}

/// `statement`'s values bound as SeaORM binds them (through sea-query-sqlx), for the
/// types content reads use; `None` for any other.
fn arguments(statement: &Statement) -> Option<PgArguments> {
    let mut arguments = PgArguments::default();
    for value in statement.values.iter().flat_map(|values| values.0.iter()) {
        let added = match value {
            Value::String(text) => arguments.add(text.as_deref()),
            Value::Enum(OptionEnum::Some(variant)) => arguments.add(Some(&*variant.value)),
            Value::Enum(OptionEnum::None(_)) => arguments.add(None::<&str>),
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
