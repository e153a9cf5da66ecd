//! The change journal: every change to a content item adds a row, numbered in commit order,
//! in the transaction that makes the change. Delta sync, live updates and cache invalidation
//! all read it, so none of them can miss a change that committed.
//!
//! Commit order matters: on PostgreSQL two transactions can take sequence numbers in one
//! order and commit in the other, and a reader between the two commits would step past the
//! later number for good. Journal writers therefore take one transaction-scoped advisory lock
//! before numbering their row, held to commit: numbers are handed out in commit order. SQLite
//! has one writer at a time already.

use chrono::{DateTime, Utc};
use quire_entity::content_change;
use sea_orm::{ActiveValue, ConnectionTrait, DbBackend, EntityTrait};

use super::{Item, Status, now};
use crate::error::ApiResult;

/// Any number unlikely to clash with another application's advisory locks ("QUIRE").
const ORDER_LOCK: i64 = 0x51_55_49_52_45;

/// Whether the public sees `item` now by its own state: the rule of
/// [`super::Viewer::Public`] but for the pages above a page (see [`super::sections::in_view`]).
pub fn in_public_view(item: &Item, at: DateTime<Utc>) -> bool {
    item.deleted_at.is_none()
        && item.status == Status::Published
        && item.published_at.is_some_and(|p| p <= at)
        && item.scheduled_at.is_none_or(|s| s > at)
}

/// Whether the public may have been shown `item` as it was before a change: published and
/// its time come, even if a due unpublication has already hidden it.
fn was_in_public_view(item: &Item, at: DateTime<Utc>) -> bool {
    item.deleted_at.is_none()
        && item.status == Status::Published
        && item.published_at.is_some_and(|p| p <= at)
}

/// When an item published with a future date (an embargo) comes into public view; the
/// scheduler journals its arrival then.
pub fn announcement(item: &Item) -> Option<DateTime<Utc>> {
    let published = item.deleted_at.is_none() && item.status == Status::Published;
    item.published_at.filter(|at| published && *at > now())
}

/// Journals a change from `before` (none for a new item) to `after` (none for a purge).
pub async fn record(
    conn: &impl ConnectionTrait,
    before: Option<&Item>,
    after: Option<&Item>,
) -> ApiResult<()> {
    let Some(item) = after.or(before) else { return Ok(()) };
    let at = now();
    let public = before.is_some_and(|b| was_in_public_view(b, at))
        || after.is_some_and(|a| in_public_view(a, at));
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({ORDER_LOCK})")).await?;
    }
    let row = content_change::ActiveModel {
        seq: ActiveValue::NotSet,
        content_id: ActiveValue::Set(item.id),
        content_type: ActiveValue::Set(item.content_type),
        public: ActiveValue::Set(public),
        at: ActiveValue::Set(at),
    };
    content_change::Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn item(status: Status, published: Option<i64>, scheduled: Option<i64>) -> Item {
        let base = now();
        let mut item: Item = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::now_v7(), "contentType": "NEWS_ARTICLE", "status": "DRAFT",
            "position": 0, "featured": false, "createdAt": base, "updatedAt": base,
            "version": 1, "downloadCount": 0
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        item.status = status;
        item.published_at = published.map(|s| base + Duration::seconds(s));
        item.scheduled_at = scheduled.map(|s| base + Duration::seconds(s));
        item
    }

    #[test]
    fn public_view_follows_status_dates_and_schedules() {
        let at = now();
        assert!(in_public_view(&item(Status::Published, Some(-10), None), at));
        assert!(!in_public_view(&item(Status::Draft, Some(-10), None), at));
        assert!(!in_public_view(&item(Status::Published, Some(60), None), at));
        // A due unpublication hides the item before the scheduler gets to it, but the
        // public may have seen it.
        let due = item(Status::Published, Some(-10), Some(-1));
        assert!(!in_public_view(&due, at));
        assert!(was_in_public_view(&due, at));
    }

    #[test]
    fn only_embargoed_published_items_are_announced_later() {
        assert!(announcement(&item(Status::Published, Some(60), None)).is_some());
        assert!(announcement(&item(Status::Published, Some(-60), None)).is_none());
        assert!(announcement(&item(Status::Scheduled, Some(60), Some(60))).is_none());
    }
}
