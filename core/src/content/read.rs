//! Reading single items and batches (for DataLoaders). Every query adds the viewer's
//! visibility condition.

use std::collections::HashMap;

use quire_entity::content_item::{self, Column};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::rows::{self, Columns};
use super::{ContentType, Item, Viewer};
use crate::db::RowSource;
use crate::error::ApiResult;

fn visible(viewer: Viewer) -> sea_orm::Select<content_item::Entity> {
    content_item::Entity::find().filter(viewer.condition())
}

/// The first row of `query`, decoded by position.
async fn one(
    conn: &impl RowSource,
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
) -> ApiResult<Option<Item>> {
    Ok(rows::one(conn, query, columns).await?)
}

pub async fn find(
    conn: &impl RowSource,
    viewer: Viewer,
    kind: Option<ContentType>,
    id: Uuid,
) -> ApiResult<Option<Item>> {
    let mut query = visible(viewer).filter(Column::Id.eq(id));
    if let Some(kind) = kind {
        query = query.filter(Column::ContentType.eq(kind));
    }
    one(conn, query, Columns::ALL).await
}

/// An item by slug, reading `columns` of it (see [`Columns`]).
pub async fn find_by_slug(
    conn: &impl RowSource,
    viewer: Viewer,
    kind: ContentType,
    slug: &str,
    columns: Columns,
) -> ApiResult<Option<Item>> {
    let query = visible(viewer).filter(Column::ContentType.eq(kind)).filter(Column::Slug.eq(slug));
    one(conn, query, columns).await
}

/// Finds a page by path, reading `columns` of it; leading and trailing slashes are ignored.
pub async fn find_by_path(
    conn: &impl RowSource,
    viewer: Viewer,
    path: &str,
    columns: Columns,
) -> ApiResult<Option<Item>> {
    let query = visible(viewer)
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(Column::Path.eq(path.trim_matches('/')));
    one(conn, query, columns).await
}

/// Many items by id, in one query.
pub async fn by_ids(
    conn: &impl RowSource,
    viewer: Viewer,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Item>> {
    let query = visible(viewer).filter(Column::Id.is_in(ids.iter().copied()));
    let rows = rows::all(conn, query, Columns::ALL).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The child pages of many pages, in one query, each list in sibling order.
pub async fn children_of(
    conn: &impl RowSource,
    viewer: Viewer,
    parent_ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<Item>>> {
    let query = visible(viewer)
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(Column::ParentId.is_in(parent_ids.iter().copied()))
        .order_by_asc(Column::Position)
        .order_by_asc(Column::Title)
        .order_by_asc(Column::Id);
    let rows = rows::all(conn, query, Columns::ALL).await?;
    let mut out: HashMap<Uuid, Vec<Item>> = HashMap::new();
    for row in rows {
        if let Some(parent) = row.parent_id {
            out.entry(parent).or_default().push(row);
        }
    }
    Ok(out)
}
