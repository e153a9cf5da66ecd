//! The trash. Restoring from it and purging it are writes: [`super::write::restore_from_trash`]
//! and [`super::write::purge`].

use chrono::{DateTime, Utc};
use quire_entity::content_item::{self, Column};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Item;
use crate::actor::Actor;
use crate::error::ApiResult;
use crate::pagination::{Forward, Page};

/// Items in the trash, most recently deleted first (editors and admins); the cursor is an
/// item's deletion time and id.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    page: Forward,
) -> ApiResult<Page<Item>> {
    actor.require_editor()?;
    let window = page.check::<(DateTime<Utc>, Uuid)>()?;
    let mut query = content_item::Entity::find().filter(Column::DeletedAt.is_not_null());
    if let Some((at, id)) = window.cursor {
        query = query.filter(
            Condition::any()
                .add(Column::DeletedAt.lt(at))
                .add(Condition::all().add(Column::DeletedAt.eq(at)).add(Column::Id.lt(id))),
        );
    }
    let rows = query
        .order_by_desc(Column::DeletedAt)
        .order_by_desc(Column::Id)
        .limit(window.fetch())
        .all(conn)
        .await?;
    Ok(window.page(rows, |item| (item.deleted_at, item.id)))
}
