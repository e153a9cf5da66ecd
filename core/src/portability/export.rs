//! `quire export DIR`: the whole site as it was at one moment, read in one read-only
//! transaction while Quire goes on serving (PostgreSQL: `REPEATABLE READ`; SQLite: one read
//! transaction, which sees one snapshot in WAL mode). Rows are streamed to their files and
//! stored files copied a chunk at a time, so memory stays flat whatever the site's size.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use quire_entity::asset;
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::manifest::{Hashing, Manifest};
use super::{KINDS, export_kind, markdown};
use crate::db::Db;
use crate::media::Storage;

/// Assets read from the database at a time.
const ASSET_BATCH: u64 = 100;

/// A finished export.
#[derive(Debug)]
pub struct Exported {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

/// Opens a file of the export for writing, its folder made if need be.
pub(super) fn create(dir: &Path, name: &str) -> anyhow::Result<Hashing<BufWriter<File>>> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok(Hashing::new(BufWriter::new(file)))
}

/// Exports the site in `db`, with its files from `storage`, into `dir`, which must be empty
/// or not yet exist. The manifest is written last.
pub async fn export(db: &Db, storage: &Storage, dir: &Path) -> anyhow::Result<Exported> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty; export into a new or empty folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let conn = db.conn();
    let tx = match db.backend() {
        DbBackend::Postgres => {
            conn.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
                .await?
        }
        _ => conn.begin().await?,
    };
    let mut manifest = Manifest::new();
    for kind in KINDS {
        let name = format!("{kind}.jsonl");
        let mut out = create(dir, &name)?;
        let count =
            export_kind(kind, &tx, &mut out).await.with_context(|| format!("exporting {kind}"))?;
        manifest.kinds.insert(kind.to_string(), count);
        manifest.checksums.insert(name, out.finish()?);
    }
    copy_files(&tx, storage, dir, &mut manifest).await?;
    markdown::write(&tx, dir, &mut manifest).await.context("writing the content as Markdown")?;
    tx.rollback().await?;
    manifest.write(dir)?;
    tracing::info!(dir = %dir.display(), files = manifest.files, "site exported");
    Ok(Exported { dir: dir.to_path_buf(), manifest })
}

/// Copies every asset's stored file to `files/<asset id>`, checking it against the SHA-256
/// it was stored under.
async fn copy_files(
    tx: &DatabaseTransaction,
    storage: &Storage,
    dir: &Path,
    manifest: &mut Manifest,
) -> anyhow::Result<()> {
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = asset::Entity::find().order_by_asc(asset::Column::Id).limit(ASSET_BATCH);
        if let Some(after) = after {
            query = query.filter(asset::Column::Id.gt(after));
        }
        let batch = query.all(tx).await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.id);
        for asset in &batch {
            let name = format!("files/{}", asset.id);
            let mut out = create(dir, &name)?;
            let mut stream = storage
                .read(&asset.storage_key, None)
                .await
                .with_context(|| format!("reading the stored file of asset {}", asset.id))?;
            while let Some(chunk) = stream.next().await {
                out.write_all(&chunk.with_context(|| format!("reading asset {}", asset.id))?)?;
            }
            let sum = out.finish()?;
            if sum.sha256 != asset.sha256 {
                bail!("the stored file of asset {} does not match its SHA-256", asset.id);
            }
            manifest.checksums.insert(name, sum);
            manifest.files += 1;
        }
    }
}
