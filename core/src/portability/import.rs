//! `quire import DIR`: an export into an empty database. Everything is checked before
//! anything is written (the format version, every checksum, each asset's file, that the
//! database is empty); the stored files go in first, then every row in one transaction, so
//! a failed import leaves no row behind and an interrupted one can simply be run again.
//! Ids, versions, dates, revisions and the hashes of passwords, sessions and tokens are
//! kept as they were, so links, sign-ins and API clients go on working.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::manifest::Manifest;
use super::{KINDS, count_kind, import_kind};
use crate::db::Db;
use crate::media::Storage;
use crate::search;

/// Kinds a new database may hold before any import (the signing keys `quire serve` makes at
/// its first start): they do not make it a site, and the export's replace them.
const REPLACED: &[&str] = &["settings"];

/// A finished import: rows per kind, and stored files.
#[derive(Debug)]
pub struct Imported {
    pub kinds: BTreeMap<String, u64>,
    pub files: u64,
}

/// What the import reads of an asset's row before writing any.
#[derive(Deserialize)]
struct AssetRow {
    id: Uuid,
    sha256: String,
    storage_key: String,
}

fn lines(dir: &Path, kind: &str) -> anyhow::Result<std::io::Lines<BufReader<File>>> {
    let path = dir.join(format!("{kind}.jsonl"));
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    Ok(BufReader::new(file).lines())
}

/// Checks the export in `dir` whole; returns its assets' stored keys by id.
fn check(dir: &Path, manifest: &Manifest) -> anyhow::Result<Vec<AssetRow>> {
    for kind in manifest.kinds.keys() {
        if !KINDS.contains(&kind.as_str()) {
            bail!("this Quire has no table `{kind}`: the export is from a newer Quire");
        }
        if !manifest.checksums.contains_key(&format!("{kind}.jsonl")) {
            bail!("the manifest has no checksum for {kind}.jsonl");
        }
    }
    manifest.verify(dir)?;
    let mut assets = Vec::new();
    if manifest.kinds.contains_key("assets") {
        for (number, line) in lines(dir, "assets")?.enumerate() {
            let asset: AssetRow = serde_json::from_str(&line?)
                .with_context(|| format!("assets.jsonl, line {}", number + 1))?;
            let listed = manifest.checksums.get(&format!("files/{}", asset.id));
            if listed.is_none_or(|sum| sum.sha256 != asset.sha256) {
                bail!(
                    "the file of asset {} is missing from the export or is not its own",
                    asset.id
                );
            }
            assets.push(asset);
        }
    }
    if assets.len() as u64 != manifest.files {
        bail!("the manifest counts {} files, the export has {}", manifest.files, assets.len());
    }
    Ok(assets)
}

/// Imports the export in `dir` into `db`, which must hold no site yet, its files into
/// `storage`.
pub async fn import(db: &Db, storage: &Storage, dir: &Path) -> anyhow::Result<Imported> {
    let manifest = Manifest::read(dir)?;
    let assets = check(dir, &manifest)?;

    let tx = db.write().await?;
    let mut found = Vec::new();
    for kind in KINDS.iter().filter(|k| !REPLACED.contains(k)) {
        let count = count_kind(kind, &tx).await?;
        if count > 0 {
            found.push(format!("{count} {kind}"));
        }
    }
    if !found.is_empty() {
        bail!(
            "the database is not empty ({}): import only into a new database; nothing was \
             imported",
            found.join(", ")
        );
    }

    for asset in &assets {
        store(storage, dir, asset).await.with_context(|| format!("storing asset {}", asset.id))?;
    }

    for kind in REPLACED {
        tx.execute_unprepared(&format!("DELETE FROM \"{kind}\"")).await?;
    }
    let mut kinds = BTreeMap::new();
    for kind in KINDS {
        let Some(&expected) = manifest.kinds.get(*kind) else {
            continue;
        };
        let mut rows = lines(dir, kind)?;
        let count =
            import_kind(kind, &tx, &mut rows).await.with_context(|| format!("importing {kind}"))?;
        if count != expected {
            bail!("{kind}.jsonl has {count} rows, the manifest says {expected}");
        }
        kinds.insert(kind.to_string(), count);
    }
    search::fill(&*tx).await.map_err(crate::error::ApiError::into_anyhow)?;
    tx.commit().await?;
    tracing::info!(dir = %dir.display(), files = assets.len(), "site imported");
    Ok(Imported { kinds, files: assets.len() as u64 })
}

/// Stores an asset's file from the export under the key it had.
async fn store(storage: &Storage, dir: &Path, asset: &AssetRow) -> anyhow::Result<()> {
    if storage.exists(&asset.storage_key).await? {
        return Ok(());
    }
    let staging = storage.staging_dir()?;
    let from = dir.join(format!("files/{}", asset.id));
    let staged = tokio::task::spawn_blocking(move || -> std::io::Result<tempfile::TempPath> {
        let mut staged = tempfile::NamedTempFile::new_in(staging)?;
        std::io::copy(&mut File::open(from)?, &mut staged)?;
        staged.as_file().sync_all()?;
        Ok(staged.into_temp_path())
    })
    .await??;
    storage.put(&asset.storage_key, staged).await?;
    Ok(())
}
