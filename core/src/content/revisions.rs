//! The versions of an item. Restoring one is a write: [`super::write::restore_revision`].

use quire_entity::revision;
use sea_orm::ConnectionTrait;

use super::history;
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Forward, Page};

/// The type name in a revision's id.
pub const TYPE_NAME: &str = "Revision";

/// The versions of an item, newest first: for editors and admins, and for the author who
/// created it. `id` is the item's id as the client gave it.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
    page: Forward,
) -> ApiResult<Page<revision::Model>> {
    actor.require_staff()?;
    let id = super::any_item_id(id)?;
    let window = page.check()?;
    let item =
        history::item_exists(conn, id).await?.ok_or_else(|| ApiError::not_found("content item"))?;
    actor.require_owner_or_editor(item.created_by)?;
    history::list(conn, id, &window).await
}
