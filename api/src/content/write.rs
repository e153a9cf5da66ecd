//! Creating, changing, publishing and deleting content. Every write runs in one transaction
//! and changes an existing row only if its `version` is still the one that was read, so two
//! editors can never overwrite each other silently.

use quire_entity::{asset, content_item};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{BinOper, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::changes::Changes;
use super::{ContentType, Item, Status, label, markdown, now, slugs, tags, validate};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

use content_item::Column;

/// Unique indexes that a write may hit, with the field each one stands for.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("ux_content_items_slug", "content_items.slug", "slug"),
    ("ux_content_items_path", "content_items.path", "slug"),
];

fn blank(kind: ContentType) -> Item {
    let now = now();
    Item {
        id: Uuid::now_v7(),
        content_type: kind,
        status: Status::Draft,
        slug: None,
        title: None,
        path: None,
        parent_id: None,
        position: 0,
        summary: None,
        body: None,
        body_html: None,
        seo_title: None,
        seo_description: None,
        author_name: None,
        hero_image_id: None,
        notes_to_editors: None,
        notes_to_editors_html: None,
        location: None,
        quote: None,
        author_role: None,
        organisation: None,
        featured: false,
        file_id: None,
        cover_id: None,
        published_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

pub async fn create(db: &Db, kind: ContentType, changes: Changes) -> ApiResult<Item> {
    create_with_id(db, kind, Uuid::now_v7(), changes).await
}

/// Creates an item with a chosen id (the example site keeps stable ids).
pub async fn create_with_id(
    db: &Db,
    kind: ContentType,
    id: Uuid,
    changes: Changes,
) -> ApiResult<Item> {
    let tx = db.write().await?;
    let mut item = blank(kind);
    item.id = id;
    changes.apply_to(&mut item);
    let tags = derive(&*tx, &mut item, &changes, None).await?;
    content_item::Entity::insert(item.clone().into_active_model().reset_all())
        .exec_without_returning(&*tx)
        .await
        .map_err(|e| ApiError::from_db_unique(e, UNIQUE_FIELDS))?;
    if let Some(tags) = &tags {
        tags::replace(&*tx, item.id, tags).await?;
    }
    tx.commit().await?;
    tracing::info!(id = %item.id, kind = label(kind), "content created");
    Ok(item)
}

pub async fn update(
    db: &Db,
    kind: ContentType,
    id: Uuid,
    changes: Changes,
    expected_version: Option<i32>,
) -> ApiResult<Item> {
    let tx = db.write().await?;
    let current = find_for_write(&*tx, kind, id).await?;
    if let Some(expected) = expected_version
        && expected != current.version
    {
        return Err(stale(&current));
    }
    let mut next = current.clone();
    changes.apply_to(&mut next);
    let tags = derive(&*tx, &mut next, &changes, Some(&current)).await?;
    save(&*tx, next.clone(), &current).await?;
    if let (Some(old), Some(new)) = (&current.path, &next.path)
        && old != new
    {
        move_descendants(&*tx, old, new).await?;
    }
    if let Some(tags) = &tags {
        tags::replace(&*tx, id, tags).await?;
    }
    tx.commit().await?;
    tracing::info!(%id, kind = label(kind), version = current.version + 1, "content updated");
    find_after_write(db, id).await
}

pub async fn set_status(db: &Db, kind: ContentType, id: Uuid, status: Status) -> ApiResult<Item> {
    let tx = db.write().await?;
    let current = find_for_write(&*tx, kind, id).await?;
    if current.status == status {
        return Ok(current);
    }
    let mut next = current.clone();
    next.status = status;
    if status == Status::Published && next.published_at.is_none() {
        next.published_at = Some(now());
    }
    save(&*tx, next.clone(), &current).await?;
    tx.commit().await?;
    tracing::info!(%id, kind = label(kind), status = ?status, "content status changed");
    find_after_write(db, id).await
}

pub async fn delete(db: &Db, kind: ContentType, id: Uuid) -> ApiResult<Uuid> {
    let tx = db.write().await?;
    find_for_write(&*tx, kind, id).await?;
    if kind == ContentType::Page {
        let children = content_item::Entity::find()
            .filter(Column::ParentId.eq(id))
            .count(&*tx)
            .await?;
        if children > 0 {
            return Err(ApiError::bad_input(
                "id",
                "this page has child pages: move or delete them first",
            ));
        }
    }
    content_item::Entity::delete_by_id(id).exec(&*tx).await?;
    tx.commit().await?;
    tracing::info!(%id, kind = label(kind), "content deleted");
    Ok(id)
}

async fn find_for_write(
    conn: &impl ConnectionTrait,
    kind: ContentType,
    id: Uuid,
) -> ApiResult<Item> {
    content_item::Entity::find_by_id(id)
        .filter(Column::ContentType.eq(kind))
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::not_found(label(kind)))
}

async fn find_after_write(db: &Db, id: Uuid) -> ApiResult<Item> {
    content_item::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("item {id} vanished after a write")))
}

fn stale(current: &Item) -> ApiError {
    ApiError::Conflict(format!(
        "this {} was changed by someone else (it is now at version {}): reload it and try again",
        label(current.content_type),
        current.version
    ))
}

/// Writes `next` over `current` only if nobody changed the row since it was read.
async fn save(conn: &impl ConnectionTrait, mut next: Item, current: &Item) -> ApiResult<()> {
    next.version = current.version + 1;
    next.updated_at = now();
    let result = content_item::Entity::update_many()
        .set(next.into_active_model().reset_all())
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(conn)
        .await
        .map_err(|e| ApiError::from_db_unique(e, UNIQUE_FIELDS))?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(stale(current))
    }
}

/// Fills in what follows from the fields: slug, page path, rendered HTML; checks the rules
/// that need the database (unique slugs and paths, parents, files); returns the normalised
/// tags when they change.
async fn derive(
    conn: &impl ConnectionTrait,
    item: &mut Item,
    changes: &Changes,
    current: Option<&Item>,
) -> ApiResult<Option<Vec<String>>> {
    validate::item(item)?;
    let tags = changes.tags.as_deref().map(tags::normalise).transpose()?;
    if item.content_type != ContentType::Testimonial {
        item.slug = match (&changes.slug, current) {
            (Some(given), _) => Some(slugs::check(given)?),
            (None, Some(current)) => current.slug.clone(),
            (None, None) => Some(slugs::from_title(
                item.title.as_deref().unwrap_or_default(),
            )?),
        };
    }
    if item.content_type == ContentType::Page {
        item.path = Some(page_path(conn, item).await?);
    } else if let Some(slug) = &item.slug {
        let clash = content_item::Entity::find()
            .filter(Column::ContentType.eq(item.content_type))
            .filter(Column::Slug.eq(slug.as_str()))
            .filter(Column::Id.ne(item.id))
            .count(conn)
            .await?;
        if clash > 0 {
            return Err(ApiError::bad_input(
                "slug",
                format!(
                    "another {} already has the slug `{slug}`",
                    label(item.content_type)
                ),
            ));
        }
    }
    for (field, id) in [
        ("heroImageId", changes.hero_image_id),
        ("fileId", changes.file_id),
        ("coverId", changes.cover_id),
    ] {
        if let Some(Some(id)) = id
            && asset::Entity::find_by_id(id).one(conn).await?.is_none()
        {
            return Err(ApiError::bad_input(field, "no such asset"));
        }
    }
    item.body_html = item.body.as_deref().map(markdown::to_safe_html);
    item.notes_to_editors_html = item.notes_to_editors.as_deref().map(markdown::to_safe_html);
    Ok(tags)
}

/// A page's path is its parent's path and its own slug; it must be unique and the parent
/// must be another page that is not below this one.
async fn page_path(conn: &impl ConnectionTrait, page: &Item) -> ApiResult<String> {
    let slug = page.slug.clone().unwrap_or_default();
    let path = match page.parent_id {
        None => slug,
        Some(parent_id) => {
            let parent = content_item::Entity::find_by_id(parent_id)
                .filter(Column::ContentType.eq(ContentType::Page))
                .one(conn)
                .await?
                .ok_or_else(|| ApiError::bad_input("parentId", "no such page"))?;
            let parent_path = parent.path.unwrap_or_default();
            if let Some(own) = &page.path
                && (parent.id == page.id || parent_path.starts_with(&format!("{own}/")))
            {
                return Err(ApiError::bad_input(
                    "parentId",
                    "a page cannot be moved below itself",
                ));
            }
            format!("{parent_path}/{slug}")
        }
    };
    let clash = content_item::Entity::find()
        .filter(Column::Path.eq(path.as_str()))
        .filter(Column::Id.ne(page.id))
        .count(conn)
        .await?;
    if clash > 0 {
        return Err(ApiError::bad_input(
            "slug",
            format!("another page already has the path `{path}`"),
        ));
    }
    Ok(path)
}

/// Re-roots the paths of every page below a page whose path changed.
async fn move_descendants(conn: &impl ConnectionTrait, old: &str, new: &str) -> ApiResult<()> {
    let remainder_start = i32::try_from(old.chars().count() + 1).unwrap_or(i32::MAX);
    content_item::Entity::update_many()
        .col_expr(
            Column::Path,
            Expr::val(new).binary(
                BinOper::Custom("||"),
                Func::cust("substr")
                    .arg(Expr::col(Column::Path))
                    .arg(remainder_start),
            ),
        )
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::val(now()))
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(Column::Path.like(format!("{old}/%")))
        .exec(conn)
        .await
        .map_err(|e| ApiError::from_db_unique(e, UNIQUE_FIELDS))?;
    Ok(())
}
