//! Asset records: storing an upload, listing, finding who uses a file, deleting.

use quire_entity::{asset, content_item, site_setting};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use uuid::Uuid;

use super::storage::{Storage, key_for};
use super::{Media, ingest};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::clock::now;
use crate::commits::Scope;
use crate::content::{Item, Viewer, history};
use crate::db::{Db, RowSource};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Forward, Page};

const SUBJECT: &str = "Asset";
const MAX_ALT: usize = 1000;

fn check_alt(alt: Option<String>) -> ApiResult<Option<String>> {
    let alt = alt.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    if alt.as_ref().is_some_and(|a| a.chars().count() > MAX_ALT) {
        return Err(ApiError::bad_input("alt", format!("at most {MAX_ALT} characters")));
    }
    Ok(alt)
}

/// Whether `actor` may upload files: editors and admins. The HTTP layer asks before it reads
/// a multipart body.
pub fn may_upload(actor: &Actor) -> ApiResult<()> {
    actor.require_editor()
}

/// A file as it arrived: its name and its content.
pub struct Incoming {
    pub filename: String,
    pub content: std::fs::File,
}

/// Checks an uploaded file, stores its content (once per content), and records it. The
/// file is read from `file` once the caller may upload.
pub async fn upload(
    db: &Db,
    storage: &Storage,
    actor: &Actor,
    file: impl FnOnce() -> ApiResult<Incoming>,
    alt: Option<String>,
    max_bytes: u64,
) -> ApiResult<asset::Model> {
    upload_with_id(db, storage, actor, Uuid::now_v7(), file, alt, max_bytes).await
}

/// As [`upload`], with a chosen id (an import keeps the ids it derives).
pub async fn upload_with_id(
    db: &Db,
    storage: &Storage,
    actor: &Actor,
    id: Uuid,
    file: impl FnOnce() -> ApiResult<Incoming>,
    alt: Option<String>,
    max_bytes: u64,
) -> ApiResult<asset::Model> {
    may_upload(actor)?;
    let Incoming { filename, content } = file()?;
    let alt = check_alt(alt)?;
    let staging = storage.staging_dir().map_err(|e| ApiError::Internal(e.into()))?;
    let staged =
        tokio::task::spawn_blocking(move || ingest::stage(content, &filename, &staging, max_bytes))
            .await
            .map_err(|e| ApiError::Internal(e.into()))??;
    let ingest::Staged { file, filename, mime_type, sha256, byte_size, width, height, page_count } =
        staged;
    let key = key_for(&sha256);
    let as_i32 = |n: Option<u32>| n.and_then(|n| i32::try_from(n).ok());
    let tx = db.write().await?;
    // Stored under the content's lock, so a deletion of the same content cannot remove it
    // between this store and this row.
    lock_content(&*tx, &sha256).await?;
    storage.put(&key, file).await.map_err(|e| ApiError::Internal(e.into()))?;
    let created = asset::ActiveModel {
        id: Set(id),
        filename: Set(filename),
        mime_type: Set(mime_type.to_string()),
        byte_size: Set(i64::try_from(byte_size).unwrap_or(i64::MAX)),
        sha256: Set(sha256),
        storage_key: Set(key),
        alt: Set(alt),
        created_at: Set(now()),
        width: Set(as_i32(width)),
        height: Set(as_i32(height)),
        page_count: Set(as_i32(page_count)),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        actor,
        "asset.upload",
        Some(Subject { type_name: SUBJECT, id: created.id }),
        Some(created.filename.clone()),
    )
    .await?;
    tx.commit_within(Scope::OTHER).await?;
    tracing::info!(asset = %created.id, bytes = byte_size, mime = mime_type, "file uploaded");
    Ok(created)
}

pub async fn update_alt(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    alt: Option<String>,
) -> ApiResult<asset::Model> {
    actor.require_editor()?;
    let alt = check_alt(alt)?;
    let tx = db.write().await?;
    let found = find(&*tx, id).await?.ok_or_else(|| ApiError::not_found("asset"))?;
    let mut active: asset::ActiveModel = found.into();
    active.alt = Set(alt);
    let updated = active.update(&*tx).await?;
    audit::record(&*tx, actor, "asset.update", Some(Subject { type_name: SUBJECT, id }), None)
        .await?;
    // The items that show the image change with it: synced copies and caches hear of it.
    for item in users(&*tx, Viewer::Staff, id).await? {
        crate::content::journal::record(&*tx, Some(&item), Some(&item)).await?;
    }
    tx.commit_within(Scope::OTHER).await?;
    Ok(updated)
}

/// Serialises uploads and deletions of one content until the transaction ends. On
/// PostgreSQL an advisory lock keyed by the hash (processes may share the database and the
/// storage); on SQLite write transactions already take turns.
async fn lock_content(conn: &impl ConnectionTrait, sha256: &str) -> ApiResult<()> {
    if conn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let key = i64::from_str_radix(sha256.get(..15).unwrap_or("0"), 16).unwrap_or(0);
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// The assets among `ids`, in one query (for loaders; who may see them is the caller's
/// viewer's business, through the content that uses them). On a SQLite file they are read
/// on the asking thread, as content rows are (see [`crate::db::sqlite_reads`]): through
/// the pool, the home page's one asset read cost more than its five content reads.
pub async fn by_ids(source: &impl RowSource, ids: Vec<Uuid>) -> ApiResult<Vec<asset::Model>> {
    let query = asset::Entity::find().filter(asset::Column::Id.is_in(ids));
    if let Some(direct) = source.direct() {
        let statement = query.clone().build(DbBackend::Sqlite);
        if let Ok(found) = direct.query(&statement, read_directly) {
            return Ok(found);
        }
    }
    Ok(query.all(source.pool()).await?)
}

/// An `assets` row as [`asset::Entity::find`] selects it: every column, in the entity's order.
fn read_directly(row: &rusqlite::Row<'_>) -> rusqlite::Result<asset::Model> {
    let time = |index: usize| {
        crate::content::rows::direct_time(row.get_ref(index)?).map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                err.into(),
            )
        })
    };
    Ok(asset::Model {
        id: row.get(0)?,
        filename: row.get(1)?,
        mime_type: row.get(2)?,
        byte_size: row.get(3)?,
        sha256: row.get(4)?,
        storage_key: row.get(5)?,
        alt: row.get(6)?,
        created_at: time(7)?,
        width: row.get(8)?,
        height: row.get(9)?,
        page_count: row.get(10)?,
    })
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<asset::Model>> {
    Ok(asset::Entity::find_by_id(id).one(conn).await?)
}

/// Every file, newest first (staff only); ids are UUID v7, so they sort by time and serve
/// as the cursor.
/// The longest text `assets(search:)` takes.
const MAX_SEARCH: usize = 200;

pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    page: Forward,
    search: Option<&str>,
) -> ApiResult<Page<asset::Model>> {
    actor.require_staff()?;
    let window = page.check::<Uuid>()?;
    let mut query = asset::Entity::find();
    if let Some(text) = search.map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(matching(text)?);
    }
    if let Some(before) = window.cursor {
        query = query.filter(asset::Column::Id.lt(before));
    }
    let rows = query.order_by_desc(asset::Column::Id).limit(window.fetch()).all(conn).await?;
    Ok(window.page(rows, |a| a.id))
}

/// Files whose name or alt text contains `text`, in any case; `%` and `_` are themselves.
fn matching(text: &str) -> ApiResult<Condition> {
    if text.chars().count() > MAX_SEARCH {
        return Err(ApiError::bad_input("search", "search for 200 characters at most"));
    }
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let contains = |column: asset::Column| {
        let pattern = LikeExpr::new(format!("%{escaped}%")).escape('\\');
        Expr::expr(Func::lower(Expr::col(column))).like(pattern)
    };
    Ok(Condition::any().add(contains(asset::Column::Filename)).add(contains(asset::Column::Alt)))
}

/// The files an item uses: its file, cover, hero image and SEO image.
fn used_by(item: &Item) -> [Option<Uuid>; 4] {
    [item.file_id, item.cover_id, item.hero_image_id, item.seo_image_id]
}

/// Items that use any of `ids`, by the same columns as [`used_by`].
fn uses(ids: &[Uuid]) -> Condition {
    use content_item::Column;
    [Column::FileId, Column::CoverId, Column::HeroImageId, Column::SeoImageId]
        .into_iter()
        .fold(Condition::any(), |any, column| any.add(column.is_in(ids.iter().copied())))
}

/// Whether the site's settings show the asset (its logo): the public sees it then.
pub async fn is_site_logo(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<bool> {
    Ok(site_setting::Entity::find().filter(site_setting::Column::LogoId.eq(id)).count(conn).await?
        > 0)
}

/// For each of `ids`, the content items that use it and that `viewer` may see, in one query.
pub async fn users_of(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, Vec<Item>>> {
    let items = content_item::Entity::find()
        .filter(uses(ids))
        .filter(viewer.condition())
        .order_by_asc(content_item::Column::Id)
        .all(conn)
        .await?;
    let mut found: std::collections::HashMap<Uuid, Vec<Item>> = std::collections::HashMap::new();
    for item in items {
        let used: std::collections::BTreeSet<Uuid> = used_by(&item).into_iter().flatten().collect();
        for id in used.into_iter().filter(|id| ids.contains(id)) {
            found.entry(id).or_default().push(item.clone());
        }
    }
    Ok(found)
}

/// The content items that use an asset and that `viewer` may see. The public may see a
/// file only through published content.
pub async fn users(conn: &impl ConnectionTrait, viewer: Viewer, id: Uuid) -> ApiResult<Vec<Item>> {
    Ok(users_of(conn, viewer, &[id]).await?.remove(&id).unwrap_or_default())
}

/// Whether `viewer` may see the asset at all.
pub async fn visible(conn: &impl ConnectionTrait, viewer: Viewer, id: Uuid) -> ApiResult<bool> {
    Ok(match viewer {
        Viewer::Staff => true,
        Viewer::Public => {
            content_item::Entity::find()
                .filter(uses(&[id]))
                .filter(viewer.condition())
                .count(conn)
                .await?
                > 0
                || is_site_logo(conn, id).await?
        }
    })
}

/// Deletes an asset no content uses (in the trash or not), and its content from storage
/// unless another asset has the same content.
pub async fn delete(db: &Db, media: &Media, actor: &Actor, id: Uuid) -> ApiResult<Uuid> {
    actor.require_editor()?;
    let tx = db.write().await?;
    let found = find(&*tx, id).await?.ok_or_else(|| ApiError::not_found("asset"))?;
    lock_content(&*tx, &found.sha256).await?;
    if is_site_logo(&*tx, id).await? {
        return Err(ApiError::bad_input("id", "the site settings use this asset as the logo"));
    }
    let users = content_item::Entity::find().filter(uses(&[id])).all(&*tx).await?;
    if !users.is_empty() {
        let names: Vec<String> = users
            .iter()
            .map(|item| {
                let type_name = history::type_name(item.content_type);
                let title =
                    item.title.as_deref().or(item.author_name.as_deref()).unwrap_or("untitled");
                let trashed = if item.deleted_at.is_some() { ", in the trash" } else { "" };
                format!(
                    "{type_name} “{title}” ({}{trashed})",
                    crate::ids::encode(type_name, item.id)
                )
            })
            .collect();
        return Err(ApiError::bad_input(
            "id",
            format!("this file is still used by {}", names.join(", ")),
        ));
    }
    asset::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &*tx,
        actor,
        "asset.delete",
        Some(Subject { type_name: SUBJECT, id }),
        Some(found.filename.clone()),
    )
    .await?;
    tx.commit_within(Scope::OTHER).await?;
    // Only now: a deletion the database refuses, even at its commit, leaves the file served.
    if let Err(err) = remove_unused_content(db, media, &found).await {
        tracing::error!(error = ?err, asset = %id, "removing a deleted asset's content; it stays, unused");
    }
    Ok(id)
}

/// Removes an asset's content from storage, with its variants, unless another asset has the
/// same content. Under the content's lock, so that an upload of the same content either
/// finds it still there or stores it again after.
async fn remove_unused_content(db: &Db, media: &Media, found: &asset::Model) -> ApiResult<()> {
    let tx = db.write().await?;
    lock_content(&*tx, &found.sha256).await?;
    let shared =
        asset::Entity::find().filter(asset::Column::Sha256.eq(&found.sha256)).count(&*tx).await?
            > 0;
    if !shared {
        media.storage.delete(&found.storage_key).await.map_err(|e| ApiError::Internal(e.into()))?;
        media.variants.forget(&found.sha256, &found.storage_key).await;
    }
    tx.commit_private().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Viewer;

    fn an_asset(n: u128, alt: Option<&str>, width: Option<i32>) -> asset::Model {
        let created_at = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z").unwrap();
        asset::Model {
            id: Uuid::from_u128(n),
            filename: format!("file-{n}.png"),
            mime_type: "image/png".into(),
            byte_size: 12_345_678_901,
            sha256: "ab".repeat(32),
            storage_key: format!("ab/{n}"),
            alt: alt.map(str::to_string),
            created_at: created_at.to_utc(),
            width,
            height: width.map(|w| w / 2),
            page_count: None,
        }
    }

    /// Read straight from SQLite, assets decode as SeaORM decodes them through the pool,
    /// NULLs included.
    #[tokio::test]
    async fn assets_read_directly_as_through_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("assets.db").display());
        let db = Db::connect_and_migrate(&url, 1).await.unwrap();
        let stored = [an_asset(1, Some("A map"), Some(640)), an_asset(2, None, None)];
        for asset in &stored {
            asset::ActiveModel::from(asset.clone()).insert(db.conn()).await.unwrap();
        }
        let direct = db.sqlite_reads().expect("direct reads on a file");
        let ids = vec![Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let mut read = by_ids(&db.rows_for(Viewer::Public), ids.clone()).await.unwrap();
        assert_eq!(direct.answered(), 1);
        let mut pooled = by_ids(db.conn(), ids).await.unwrap();
        read.sort_by_key(|a| a.id);
        pooled.sort_by_key(|a| a.id);
        assert_eq!(read, pooled);
        assert_eq!(read, stored);
    }
}
