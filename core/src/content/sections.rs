//! Sections: a page and the pages below it. A page's path names every page above it, so
//! the public sees a page only while it sees all of them (the rule is in
//! [`super::visibility`]). Here: the check that keeps an editor from publishing a page below
//! one the public cannot see, and what follows when pages come into public view, or leave
//! it, because a page above them did.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use quire_entity::content_item::{self, Column, ScheduledAction};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{ContentType, Item, Status, Viewer, history, journal, now, read, visibility};
use crate::error::{ApiError, ApiResult};
use crate::search;

/// When an item headed for public view gets there by its own state: a published item at
/// its publication time, a scheduled one at its schedule.
fn public_from(item: &Item) -> Option<DateTime<Utc>> {
    if item.deleted_at.is_some() {
        return None;
    }
    match (item.status, item.scheduled_action) {
        (Status::Published, _) => item.published_at,
        (Status::Scheduled, Some(ScheduledAction::Publish)) => item.scheduled_at,
        _ => None,
    }
}

/// Whether `item`'s own state, as planned now, has it in public view at `at`.
fn planned_public_at(item: &Item, at: DateTime<Utc>) -> bool {
    let until = match (item.status, item.scheduled_action) {
        (Status::Published, Some(ScheduledAction::Unpublish)) => item.scheduled_at,
        _ => None,
    };
    public_from(item).is_some_and(|from| from <= at) && until.is_none_or(|until| until > at)
}

/// The paths of the pages above a path: `a/b/c` gives `a` and `a/b`.
fn paths_above(path: &str) -> Vec<String> {
    path.match_indices('/').map(|(i, _)| path[..i].to_string()).collect()
}

/// A page headed for public view (published, perhaps with a later date, or scheduled) must
/// have every page above it public by the time it gets there: otherwise the public would
/// find its address naming a page it cannot see, or find it gone when that page is.
pub async fn check_ancestors(conn: &impl ConnectionTrait, page: &Item) -> ApiResult<()> {
    if page.content_type != ContentType::Page || page.parent_id.is_none() {
        return Ok(());
    }
    let Some(from) = public_from(page) else { return Ok(()) };
    let now = now();
    let at = from.max(now);
    let above_paths = paths_above(page.path.as_deref().unwrap_or_default());
    let above = content_item::Entity::find()
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(Column::DeletedAt.is_null())
        .filter(Column::Path.is_in(above_paths.iter().cloned()))
        .all(conn)
        .await?;
    for path in &above_paths {
        let public =
            above.iter().any(|p| p.path.as_deref() == Some(path) && planned_public_at(p, at));
        if !public {
            let message = if at > now {
                format!(
                    "the page `{path}` above this one is not public by then: publish or schedule it first"
                )
            } else {
                format!("the page `{path}` above this one is not public: publish it first")
            };
            return Err(ApiError::bad_input("parentId", message));
        }
    }
    Ok(())
}

/// Whether the public sees `item` now, the pages above it included.
pub async fn in_view(conn: &impl ConnectionTrait, item: &Item) -> ApiResult<bool> {
    if !journal::in_public_view(item, now()) {
        return Ok(false);
    }
    if item.content_type != ContentType::Page || item.parent_id.is_none() {
        return Ok(true);
    }
    Ok(read::find(conn, Viewer::Public, Some(ContentType::Page), item.id).await?.is_some())
}

/// Whether a change from `a` to `b` may change who sees the item (and the pages below it).
pub fn view_may_differ(a: &Item, b: &Item) -> bool {
    a.status != b.status
        || a.deleted_at != b.deleted_at
        || a.published_at != b.published_at
        || a.scheduled_at != b.scheduled_at
        || a.scheduled_action != b.scheduled_action
        || a.parent_id != b.parent_id
        || a.path != b.path
}

/// Which of a page and the pages below it the public saw at some time (ids).
#[derive(Debug, Default)]
pub struct Seen(HashSet<Uuid>);

impl Seen {
    pub fn contains(&self, id: Uuid) -> bool {
        self.0.contains(&id)
    }
}

/// Which of `page` and the pages below it the public sees at `at`, by their rows as they
/// are now; `None` for other kinds, which have nothing below them.
pub async fn seen(
    conn: &impl ConnectionTrait,
    page: &Item,
    at: DateTime<Utc>,
) -> ApiResult<Option<Seen>> {
    if page.content_type != ContentType::Page {
        return Ok(None);
    }
    let mut section = Condition::any().add(Column::Id.eq(page.id));
    if let Some(path) = &page.path {
        // Paths hold letters, digits, `-` and `/` only: nothing in them is a wildcard.
        section = section.add(Column::Path.like(format!("{path}/%")));
    }
    let ids: Vec<Uuid> = content_item::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(section)
        .filter(visibility::public_at(at))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(Some(Seen(ids.into_iter().collect())))
}

/// After a change to `page` (saved, in this transaction), the pages below it that came
/// into public view or left it with the change are journaled (so delta sync, live updates
/// and caches hear of them), put in or taken out of the public search index, and announced
/// to webhooks as published or unpublished. `before` is what the public saw before the
/// change; `lifted` says the page's own embargo has just ended.
pub async fn follow(
    conn: &impl ConnectionTrait,
    page: &Item,
    before: &Seen,
    lifted: bool,
) -> ApiResult<()> {
    let Some(after) = seen(conn, page, now()).await? else { return Ok(()) };
    let changed: Vec<Uuid> =
        before.0.symmetric_difference(&after.0).filter(|id| **id != page.id).copied().collect();
    if changed.is_empty() {
        return Ok(());
    }
    let below = content_item::Entity::find().filter(Column::Id.is_in(changed)).all(conn).await?;
    for item in below {
        let entered = after.contains(item.id);
        journal::record(conn, Some(&item), Some(&item)).await?;
        search::set_public(conn, &item, entered).await?;
        // A page whose own embargo has ended (or ends with this page's) announces itself.
        let announces_itself =
            item.announce_at.is_some() || (lifted && item.published_at >= page.published_at);
        if !(entered && announces_itself) {
            history::announce_view(conn, &item, entered).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_above_a_path_are_its_prefixes() {
        assert_eq!(paths_above("a/b/c"), ["a", "a/b"]);
        assert!(paths_above("top").is_empty());
    }
}
