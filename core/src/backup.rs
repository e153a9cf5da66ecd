//! `quire backup`: a consistent copy of a SQLite database, safe to take while Quire serves
//! from the same file. PostgreSQL has `pg_dump` for this.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{Connection, SqliteConnection};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::db::{self, Db};

/// A finished backup.
#[derive(Debug)]
pub struct Backup {
    pub source: PathBuf,
    pub path: PathBuf,
    pub bytes: u64,
}

/// Copies the SQLite database at `url` to `target`. An existing `target` is refused unless
/// `force`. The copy is written under a temporary name beside `target`, synced, checked with
/// `PRAGMA integrity_check`, and only then given its name, so a half-written or damaged
/// copy never carries it.
pub async fn sqlite(url: &str, target: &Path, force: bool) -> anyhow::Result<Backup> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        bail!(
            "quire backup copies SQLite databases; back up PostgreSQL with pg_dump, such as \
             `pg_dump --format=custom --file quire.dump \"$QUIRE_DATABASE_URL\"`"
        );
    }
    let source = db::sqlite_file(url).context("quire backup copies SQLite database files")?;
    // Connecting would create an empty database where none is.
    if !source.is_file() {
        bail!("there is no database at {}", source.display());
    }
    if !force && target.exists() {
        bail!("{} already exists; pass --force to replace it", target.display());
    }
    let name = target.file_name().context("the backup needs a file name")?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;

    // Removed on drop, so a failed backup leaves nothing behind.
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    let partial_path = partial.path().to_str().context("the backup's path must be UTF-8")?;

    let db = Db::connect(url, 1).await?;
    // VACUUM INTO reads in one transaction: the copy is the database as committed when it
    // began, while Quire goes on writing beside it (WAL). The empty file it is given is
    // allowed as a target.
    let copied = db
        .conn()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [partial_path.into()],
        ))
        .await;
    db.close().await;
    copied.context("copying the database")?;

    // SQLite does not sync the file VACUUM INTO writes.
    std::fs::File::open(partial.path())
        .and_then(|file| file.sync_all())
        .context("syncing the backup to disk")?;
    integrity_check(partial.path()).await?;
    let bytes = std::fs::metadata(partial.path())?.len();

    let persisted = if force {
        partial.persist(target).map_err(|e| e.error)
    } else {
        // Fails, rather than replaces, when another backup took the name meanwhile.
        partial.persist_noclobber(target).map_err(|e| e.error)
    };
    persisted.with_context(|| format!("naming the backup {}", target.display()))?;
    sync_dir(dir);
    Ok(Backup { source, path: target.to_path_buf(), bytes })
}

/// Opens the copy read-only, so checking it leaves no journal beside it.
async fn integrity_check(path: &Path) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn =
        SqliteConnection::connect_with(&options).await.context("opening the backup to check it")?;
    let found: Vec<String> = sea_orm::sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .context("checking the backup")?;
    let _ = conn.close().await;
    if found != ["ok"] {
        bail!("the backup failed its integrity check: {}", found.join("; "));
    }
    Ok(())
}

/// Makes the new name itself durable; best effort, as not every platform can sync a folder.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(err) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(error = %err, "syncing the backup's folder");
    }
    #[cfg(not(unix))]
    let _ = dir;
}
