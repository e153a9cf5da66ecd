//! Connecting to SQLite or PostgreSQL, migrating, and opening write transactions.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use quire_migration::MigratorTrait;
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::{PgConnection, PgSslMode};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, Statement, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::commits::CHANNEL;
use crate::commits::{Commits, Scope};
use crate::content::Viewer;
use crate::content::batches::Batches;
use crate::site::settings::Defaults;

pub mod postgres_reads;
pub mod sqlite_reads;
pub use postgres_reads::PostgresReads;
pub use sqlite_reads::SqliteReads;

/// A database handle: the pool, a count of the SQL statements it has run (for tests and
/// metrics), and on SQLite a lock that lets one write transaction run at a time.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// A read replica for the public's reads, if one is configured.
    replica: Option<DatabaseConnection>,
    /// On a SQLite file, content rows read on the asking thread (see [`sqlite_reads`]).
    sqlite_reads: Option<Arc<SqliteReads>>,
    /// On PostgreSQL, the public's lookups read together (see [`Batches`]).
    batches: Option<Batches>,
    /// On PostgreSQL, content read on connections kept out of the pool (see
    /// [`postgres_reads`]); reads of the primary only.
    postgres_reads: Option<Arc<PostgresReads>>,
    /// SQLite allows one writer; taking turns in-process avoids `SQLITE_BUSY` when two
    /// transactions would both upgrade from read to write.
    write_lock: Option<Arc<Mutex<()>>>,
    statements: Arc<AtomicU64>,
    commits: Commits,
    /// What the site settings are where editors set nothing: every service that makes a
    /// front-end address reads the settings over these.
    site_defaults: Arc<Defaults>,
}

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `work` without counting its statements: the count is of the statements requests
/// cause, and background polling would blur it.
pub async fn background<F: std::future::Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

/// A write transaction, holding the SQLite write turn until it ends.
pub struct WriteTx {
    tx: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
    commits: Commits,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    /// Commits a write that may change any public answer, and tells the rest of the
    /// process before the caller goes on, so no cached answer from before the write is
    /// served after it. Writes that know what they change say so with
    /// [`WriteTx::commit_within`].
    pub async fn commit(self) -> Result<(), DbErr> {
        self.commit_within(Scope::EVERYTHING).await
    }

    /// Commits a write that may change public answers within `scope` only: cached answers
    /// that read nothing within it stay good. On PostgreSQL the commit notifies the other
    /// Quire processes on the database too, naming this one (so that it can tell its own
    /// notifications from theirs) and the scope.
    pub async fn commit_within(self, scope: Scope) -> Result<(), DbErr> {
        if scope.is_nothing() {
            return self.tx.commit().await;
        }
        if self.tx.get_database_backend() == DbBackend::Postgres {
            let notify =
                format!("SELECT pg_notify('{CHANNEL}', '{}')", self.commits.payload(scope));
            self.tx.execute_unprepared(&notify).await?;
        }
        self.tx.commit().await?;
        self.commits.committed(scope);
        Ok(())
    }

    /// Commits a write that no public answer shows (users, sign-ins, tokens, webhooks,
    /// newsletter subscribers, preview keys): cached public answers stay good.
    pub async fn commit_private(self) -> Result<(), DbErr> {
        self.commit_within(Scope::NOTHING).await
    }
}

/// Each pooled SQLite connection's page cache, as `PRAGMA cache_size` takes it: 512 KB,
/// not SQLite's 2 MB. The file is in the system's page cache anyway, and with the reads of
/// content on connections of their own (see [`sqlite_reads`]) the pool's connections
/// serve mostly writes. Four connections with 2 MB each took 9 MB of a 54 MB process under load.
const POOL_CACHE_SIZE: &str = "-512";

/// The pool's default pings every connection before handing it out, a round trip per
/// statement. An embedded SQLite file cannot hang up; a PostgreSQL connection idle for a
/// while may have been dropped by the server or a proxy, so only those are checked.
fn check_only_stale_connections(options: &mut ConnectOptions, is_sqlite: bool) {
    if is_sqlite {
        options.test_before_acquire(false);
    } else {
        options.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
}

/// PostgreSQL plans a prepared statement again at every run for as long as it judges the
/// plans for each run's values better than one generic plan, and Quire's reads (the
/// visibility rule's times, the page ancestors' subquery) kept it planning every time:
/// planning was most of the server's work for a list of 20, which ran at half the speed.
/// As SQLite's stable plans do, each connection plans a statement once.
fn with_generic_plans(options: &mut ConnectOptions) {
    options.map_sqlx_postgres_pool_opts(|pool| {
        pool.after_connect(|conn, _| {
            Box::pin(async move {
                use sea_orm::sqlx::Executor;
                conn.execute("SET plan_cache_mode = force_generic_plan").await.map(|_| ())
            })
        })
    });
}

/// TLS to a PostgreSQL server on this machine protects nothing (its traffic never leaves
/// the machine) and cost a fifth of a lookup's throughput in the benchmark, where the
/// driver's default (`prefer`) encrypts whenever the server can. So where neither the URL
/// nor `PGSSLMODE` says, a loopback address or a socket is connected to without it.
fn plain_on_loopback(options: &mut ConnectOptions, url: &str) {
    if url.contains("sslmode=") || std::env::var_os("PGSSLMODE").is_some() {
        return;
    }
    options.map_sqlx_postgres_opts(|opts| {
        if is_on_this_machine(opts.get_host()) { opts.ssl_mode(PgSslMode::Disable) } else { opts }
    });
}

/// A loopback address, `localhost`, or a Unix socket's folder.
fn is_on_this_machine(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            create_sqlite_parent_dir(url)?;
        }
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .pragma("cache_size", POOL_CACHE_SIZE)
            });
        check_only_stale_connections(&mut options, is_sqlite);
        with_generic_plans(&mut options);
        plain_on_loopback(&mut options, url);
        let mut conn = Database::connect(options)
            .await
            .with_context(|| format!("connecting to the database at {}", redact(url)))?;
        if is_sqlite && !has_stable_plans(&conn).await {
            tracing::warn!(
                "SQLite was built without SQLITE_ENABLE_QPSG (see .cargo/config.toml): \
                 every query will be compiled again each time it runs, several times slower"
            );
        }
        let statements = Arc::new(AtomicU64::new(0));
        count_statements(&mut conn, &statements);
        let write_lock = is_sqlite.then(|| Arc::new(Mutex::new(())));
        // `sqlite_file` is `None` for PostgreSQL and for an in-memory SQLite database, which
        // other connections cannot open.
        let sqlite_reads =
            sqlite_file(url).map(|path| Arc::new(SqliteReads::new(path, statements.clone())));
        let batches = (!is_sqlite).then(Batches::default);
        let postgres_reads = if is_sqlite {
            None
        } else {
            let pool = conn.get_postgres_connection_pool().clone();
            PostgresReads::new(pool, max_connections, statements.clone())
        };
        Ok(Db {
            conn,
            replica: None,
            sqlite_reads,
            batches,
            postgres_reads,
            write_lock,
            statements,
            commits: Commits::default(),
            site_defaults: Arc::new(Defaults::default()),
        })
    }

    /// Sends the public's reads to a read replica of this (PostgreSQL) database.
    pub async fn with_replica(mut self, url: &str, max_connections: u32) -> anyhow::Result<Db> {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        check_only_stale_connections(&mut options, false);
        with_generic_plans(&mut options);
        plain_on_loopback(&mut options, url);
        let mut replica = Database::connect(options)
            .await
            .with_context(|| format!("connecting to the read replica at {}", redact(url)))?;
        count_statements(&mut replica, &self.statements);
        self.replica = Some(replica);
        // The public's lookups now read the replica: none waiting may go there from here.
        self.batches = self.batches.as_ref().map(|_| Batches::default());
        // With the public on the replica, connections kept out of the primary's pool would
        // serve editors' reads alone, and cost writes their room.
        Ok(self.without_postgres_reads())
    }

    /// Where `viewer`'s reads go: the public's to the read replica when there is one; staff
    /// always read the primary, so they see their own writes at once.
    pub fn reads_for(&self, viewer: Viewer) -> &DatabaseConnection {
        match (&self.replica, viewer) {
            (Some(replica), Viewer::Public) => replica,
            _ => &self.conn,
        }
    }

    /// Where `viewer`'s reads of content rows go: as [`Db::reads_for`]; on a SQLite file
    /// straight to SQLite where a read is short (see [`sqlite_reads`]); on PostgreSQL on
    /// connections kept out of the pool (see [`postgres_reads`]).
    pub fn rows_for(&self, viewer: Viewer) -> Reads<'_> {
        Reads {
            pool: self.reads_for(viewer),
            direct: self.sqlite_reads.as_deref(),
            batches: self.batches.as_ref().filter(|_| viewer == Viewer::Public),
            // Only without a replica (see `with_replica`): all reads are of the primary.
            postgres: self.postgres_reads.as_ref(),
        }
    }

    /// Sends every content read through SeaORM's pool (`--postgres-kept-connections false`).
    pub fn without_postgres_reads(mut self) -> Db {
        if let Some(reads) = self.postgres_reads.take() {
            reads.give_back();
        }
        self
    }

    /// The content reads on kept connections, on PostgreSQL.
    pub fn postgres_reads(&self) -> Option<&PostgresReads> {
        self.postgres_reads.as_deref()
    }

    /// Sends every read through the pool (`--sqlite-direct-reads false`).
    pub fn without_sqlite_reads(mut self) -> Db {
        self.sqlite_reads = None;
        self
    }

    /// The public's lookups read together, on PostgreSQL (for the tests that watch them).
    pub fn batches(&self) -> Option<&Batches> {
        self.batches.as_ref()
    }

    /// The direct SQLite reads, on a SQLite file.
    pub fn sqlite_reads(&self) -> Option<&SqliteReads> {
        self.sqlite_reads.as_deref()
    }

    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    pub async fn connect_and_migrate(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        let db = Db::connect(url, max_connections).await?;
        let lock = MigrationLock::acquire(url).await?;
        let migrated = db.migrate().await;
        lock.release().await;
        migrated?;
        Ok(db)
    }

    /// Applies pending migrations; hold a [`MigrationLock`] around it.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        quire_migration::Migrator::up(&self.conn, None).await.context("migrating the database")
    }

    /// True when the database answers and no migration is pending.
    pub async fn is_ready(&self) -> bool {
        if self.conn.ping().await.is_err() {
            return false;
        }
        matches!(quire_migration::Migrator::get_pending_migrations(&self.conn).await, Ok(p) if p.is_empty())
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The signal this process's commits give (and other processes', through `live`).
    pub fn commits(&self) -> &Commits {
        &self.commits
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Connections in the pool, and how many of them are idle.
    pub fn pool_state(&self) -> (u32, usize) {
        match self.backend() {
            DbBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DbBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        }
    }

    /// Sets what the site settings are where editors set nothing (from the command line).
    pub fn with_site_defaults(mut self, defaults: Defaults) -> Db {
        self.site_defaults = Arc::new(defaults);
        self
    }

    pub fn site_defaults(&self) -> &Defaults {
        &self.site_defaults
    }

    /// SQL statements run through this handle since it was opened, but for background
    /// polling.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub async fn write(&self) -> Result<WriteTx, DbErr> {
        let turn = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        Ok(WriteTx {
            tx: begin_to_the_end(&self.conn).await?,
            _turn: turn,
            commits: self.commits.clone(),
        })
    }

    pub async fn close(self) {
        if let Some(reads) = &self.postgres_reads {
            reads.give_back();
        }
        if let Err(err) = self.conn.close().await {
            tracing::warn!(error = %err, "closing the database");
        }
    }
}

/// Begins a transaction, and finishes beginning it even if the caller stops waiting (a
/// client hanging up drops its request). SQLx counts a transaction only once the answer to
/// its `BEGIN` has come, so a `BEGIN` cut short after it was sent left the server inside a
/// transaction the driver did not know of; the connection went back to the pool inside it,
/// and the next statements on it ran uncommitted. Run to its end on a task of its own, a
/// transaction nobody takes is rolled back as it is dropped.
async fn begin_to_the_end(
    conn: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    let conn = conn.clone();
    tokio::spawn(async move { conn.begin().await })
        .await
        .map_err(|err| DbErr::Custom(format!("beginning a transaction: {err}")))?
}

/// Where reads of content rows go (see [`Db::rows_for`]).
#[derive(Clone, Copy)]
pub struct Reads<'a> {
    pool: &'a DatabaseConnection,
    direct: Option<&'a SqliteReads>,
    batches: Option<&'a Batches>,
    postgres: Option<&'a Arc<PostgresReads>>,
}

impl Reads<'_> {
    /// Where these reads go but for SQLite's direct reads and the batches, for a task of
    /// its own to hold (the batched lookups' task).
    pub fn for_task(&self) -> OwnedReads {
        OwnedReads { pool: self.pool.clone(), postgres: self.postgres.cloned() }
    }
}

/// [`Reads`] of content without the SQLite path or the batches, owned.
pub struct OwnedReads {
    pool: DatabaseConnection,
    postgres: Option<Arc<PostgresReads>>,
}

impl RowSource for OwnedReads {
    type Pool = DatabaseConnection;
    fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }
    fn postgres(&self) -> Option<&PostgresReads> {
        self.postgres.as_deref()
    }
}

/// What content rows can be read from: any connection or transaction, or [`Reads`], which
/// may read some straight from SQLite.
pub trait RowSource {
    type Pool: ConnectionTrait;
    /// Where every read can go.
    fn pool(&self) -> &Self::Pool;
    /// Where short reads go first, if anywhere.
    fn direct(&self) -> Option<&SqliteReads> {
        None
    }
    /// Where the public's lookups go to be read together, and where they read from.
    fn batches(&self) -> Option<(&Batches, Reads<'_>)> {
        None
    }
    /// On PostgreSQL, where reads go first, if anywhere.
    fn postgres(&self) -> Option<&PostgresReads> {
        None
    }
}

impl RowSource for Reads<'_> {
    type Pool = DatabaseConnection;
    fn pool(&self) -> &DatabaseConnection {
        self.pool
    }
    fn direct(&self) -> Option<&SqliteReads> {
        self.direct
    }
    fn batches(&self) -> Option<(&Batches, Reads<'_>)> {
        self.batches.map(|batches| (batches, *self))
    }
    fn postgres(&self) -> Option<&PostgresReads> {
        self.postgres.map(|reads| &**reads)
    }
}

/// Any connection or transaction reads everything through itself.
impl<C: ConnectionTrait> RowSource for C {
    type Pool = C;
    fn pool(&self) -> &C {
        self
    }
}

/// Whether the running task's statements count (see [`background`]).
fn counted() -> bool {
    BACKGROUND.try_with(|_| ()).is_err()
}

/// The key of the PostgreSQL advisory lock held while migrating ("quire_mg").
const MIGRATION_LOCK_KEY: i64 = 0x7175_6972_655f_6d67;

/// Lets one process at a time migrate a PostgreSQL database: two Quire processes starting
/// together would otherwise both find a migration pending and both apply it. The lock is a
/// session advisory lock on a connection of its own, so it ends with that connection even if
/// the process dies. SQLite needs none: one file, and its own write lock.
pub struct MigrationLock(Option<PgConnection>);

impl MigrationLock {
    /// Waits until no other process migrates the database at `url`.
    pub async fn acquire(url: &str) -> anyhow::Result<MigrationLock> {
        if !url.starts_with("postgres") {
            return Ok(MigrationLock(None));
        }
        let locking = || format!("taking the migration lock on {}", redact(url));
        let mut conn = PgConnection::connect(url).await.with_context(locking)?;
        let taken: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .fetch_one(&mut conn)
            .await
            .with_context(locking)?;
        if !taken {
            tracing::info!("another process is migrating the database; waiting for it");
            sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut conn)
                .await
                .with_context(locking)?;
        }
        Ok(MigrationLock(Some(conn)))
    }

    /// Ends the lock; closing its connection would end it too.
    pub async fn release(self) {
        let Some(mut conn) = self.0 else {
            return;
        };
        let unlocked = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut conn)
            .await;
        if let Err(err) = unlocked {
            tracing::warn!(error = %err, "releasing the migration lock");
        }
        if let Err(err) = conn.close().await {
            tracing::warn!(error = %err, "closing the migration lock's connection");
        }
    }
}

fn count_statements(conn: &mut DatabaseConnection, statements: &Arc<AtomicU64>) {
    let counter = statements.clone();
    conn.set_metric_callback(move |info| {
        if counted() {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        // The SQL alone: formatting the statement with its values panics in sea-query when
        // a statement's text holds a `?` that is not a parameter.
        tracing::trace!(target: "quire::sql", elapsed = ?info.elapsed, failed = info.failed, sql = %info.statement.sql, "statement");
    });
}

/// The file of a `sqlite:` URL; `None` for an in-memory database or another backend.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

fn create_sqlite_parent_dir(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the data directory {}", dir.display()))?;
    }
    Ok(())
}

/// Hides a password in a database URL before it is logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether SQLite keeps one plan per statement whatever its parameters. Without that
/// guarantee a statement whose parameters may sway its plan (`LIMIT ?` always does) is
/// compiled again at every run.
async fn has_stable_plans(conn: &DatabaseConnection) -> bool {
    let options = conn
        .query_all_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA compile_options"))
        .await
        .unwrap_or_default();
    options
        .iter()
        .any(|row| row.try_get_by_index::<String>(0).is_ok_and(|option| option == "ENABLE_QPSG"))
}

/// The plan SQLite makes for `statement`, a step a line (for tests that hold a read to
/// its index).
#[cfg(test)]
pub(crate) async fn sqlite_plan(db: &Db, mut statement: Statement) -> Vec<String> {
    statement.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
    let rows = db.conn().query_all_raw(statement).await.unwrap_or_else(|e| panic!("{e}"));
    rows.iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[tokio::test]
    async fn sqlite_is_built_to_keep_its_plans() {
        let db = super::Db::connect("sqlite::memory:", 1).await.expect("an in-memory database");
        assert!(super::has_stable_plans(db.conn()).await);
    }

    /// `.cargo/config.toml` turns SQLite's memory statistics off, and with them the global
    /// mutex every allocation would take.
    #[tokio::test]
    async fn sqlite_is_built_without_memory_statistics() {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let db = super::Db::connect("sqlite::memory:", 1).await.expect("an in-memory database");
        let options = db
            .conn()
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA compile_options"))
            .await
            .expect("compile options");
        let options: Vec<String> =
            options.iter().filter_map(|row| row.try_get_by_index(0).ok()).collect();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    }

    /// The pool's connections and the direct reads' keep small page caches of their own.
    #[tokio::test]
    async fn sqlite_connections_keep_small_page_caches() {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("caches.db").display());
        let db = super::Db::connect(&url, 1).await.unwrap();
        let sql = Statement::from_string(DbBackend::Sqlite, "PRAGMA cache_size");
        let pooled = db.conn().query_one_raw(sql.clone()).await.unwrap().unwrap();
        assert_eq!(pooled.try_get_by_index::<i64>(0).unwrap(), -512);
        let direct = db.sqlite_reads().unwrap().query(&sql, |row| row.get::<_, i64>(0));
        assert_eq!(direct.unwrap(), vec![-1024]);
    }

    #[test]
    fn only_this_machines_addresses_are_local() {
        use super::is_on_this_machine;
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2", "/var/run/postgresql"] {
            assert!(is_on_this_machine(host), "{host}");
        }
        for host in ["10.0.0.5", "db.example.org", "2001:db8::1", "localhost.example.org"] {
            assert!(!is_on_this_machine(host), "{host}");
        }
    }

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/quire.db"), "sqlite://data/quire.db");
    }
}
