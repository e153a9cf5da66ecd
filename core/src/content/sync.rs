//! Delta sync: the changes after a point in the journal, one per item (its latest), each
//! with the item as the viewer may see it now. For the public, an item that has left public
//! view (unpublished, trashed, purged, or hidden by a due unpublication) is a tombstone.

use chrono::{DateTime, Utc};
use quire_entity::content_change::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{ContentType, Item, Viewer, read};
use crate::error::ApiResult;

pub struct Change {
    pub seq: i64,
    pub content_id: Uuid,
    pub content_type: ContentType,
    pub at: DateTime<Utc>,
    /// The item now, or `None` when it is gone for this viewer.
    pub item: Option<Item>,
}

pub struct ChangePage {
    pub changes: Vec<Change>,
    pub has_next_page: bool,
}

/// The latest change of each item changed after `after`, oldest first. An item changed again
/// later appears only at its latest change, which a later page (or sync) returns.
pub async fn after(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    after: i64,
    limit: u64,
    types: &[ContentType],
) -> ApiResult<ChangePage> {
    let public = viewer == Viewer::Public;
    let mut query = content_change::Entity::find().filter(Column::Seq.gt(after));
    if public {
        query = query.filter(Column::Public.eq(true));
    }
    if !types.is_empty() {
        query = query.filter(Column::ContentType.is_in(types.iter().copied()));
    }
    let later = if public { " AND later.public" } else { "" };
    let rows = query
        .filter(Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM content_changes later \
             WHERE later.content_id = content_changes.content_id \
             AND later.seq > content_changes.seq{later})"
        )))
        .order_by_asc(Column::Seq)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let has_next_page = rows.len() as u64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.content_id).collect();
    let mut items = read::by_ids(conn, viewer, &ids).await?;
    let changes = rows
        .into_iter()
        .map(|row| Change {
            seq: row.seq,
            content_id: row.content_id,
            content_type: row.content_type,
            at: row.at,
            item: items.remove(&row.content_id),
        })
        .collect();
    Ok(ChangePage { changes, has_next_page })
}

/// One journaled change with the item as `viewer` may see it now.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    event: &crate::live::Event,
) -> ApiResult<Change> {
    let item = read::find(conn, viewer, Some(event.content_type), event.content_id).await?;
    Ok(Change {
        seq: event.seq,
        content_id: event.content_id,
        content_type: event.content_type,
        at: event.at,
        item,
    })
}
