//! Related content: editor-chosen links from one item to others, in order. A viewer sees
//! only the related items they may see.

use std::collections::HashMap;

use quire_entity::{content_item, content_relation};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::content::{Item, Viewer, read};
use crate::error::{ApiError, ApiResult};

const MAX_RELATED: usize = 50;

/// Replaces an item's related items with `related`, in that order.
pub async fn replace(
    conn: &impl ConnectionTrait,
    content_id: Uuid,
    related: &[Uuid],
) -> ApiResult<()> {
    if related.len() > MAX_RELATED {
        return Err(ApiError::bad_input(
            "relatedIds",
            format!("at most {MAX_RELATED} related items"),
        ));
    }
    let mut seen = related.to_vec();
    seen.sort();
    seen.dedup();
    if seen.len() != related.len() {
        return Err(ApiError::bad_input("relatedIds", "an item is named twice"));
    }
    if related.contains(&content_id) {
        return Err(ApiError::bad_input("relatedIds", "an item cannot be related to itself"));
    }
    if !related.is_empty() {
        let live = content_item::Entity::find()
            .filter(content_item::Column::Id.is_in(seen))
            .filter(content_item::Column::DeletedAt.is_null())
            .count(conn)
            .await?;
        if live != related.len() as u64 {
            return Err(ApiError::bad_input("relatedIds", "no such content item"));
        }
    }
    content_relation::Entity::delete_many()
        .filter(content_relation::Column::ContentId.eq(content_id))
        .exec(conn)
        .await?;
    if !related.is_empty() {
        let rows = related.iter().zip(0..).map(|(id, position)| {
            content_relation::ActiveModel::from(content_relation::Model {
                content_id,
                position,
                related_id: *id,
            })
        });
        content_relation::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Removes every link from or to a purged item.
pub async fn forget(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    content_relation::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(content_relation::Column::ContentId.eq(id))
                .add(content_relation::Column::RelatedId.eq(id)),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// The related items of many items that `viewer` may see, each list in order: two
/// queries whatever the number of items.
pub async fn of_items(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<Item>>> {
    let links = content_relation::Entity::find()
        .filter(content_relation::Column::ContentId.is_in(ids.iter().copied()))
        .order_by_asc(content_relation::Column::ContentId)
        .order_by_asc(content_relation::Column::Position)
        .all(conn)
        .await?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let targets: Vec<Uuid> = links.iter().map(|l| l.related_id).collect();
    let found = read::by_ids(conn, viewer, &targets).await?;
    let mut out: HashMap<Uuid, Vec<Item>> = HashMap::new();
    for link in links {
        if let Some(item) = found.get(&link.related_id) {
            out.entry(link.content_id).or_default().push(item.clone());
        }
    }
    Ok(out)
}

/// The ids an item links to, in order, whatever their state (for editors' forms).
pub async fn ids_of(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(content_relation::Entity::find()
        .filter(content_relation::Column::ContentId.eq(id))
        .order_by_asc(content_relation::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.related_id)
        .collect())
}
