//! Scheduled publications and unpublications, carried out when their time comes, also
//! after a restart (the schedule is in the database), and exactly once when several Quire
//! processes share one PostgreSQL database (rows are claimed with `SKIP LOCKED`). The
//! scheduler worker calls [`run_due`] on a timer.

use quire_entity::content_item::{self, Column};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{now, write};
use crate::db::Db;
use crate::error::ApiResult;

/// Carries out every change that is due; returns how many this process did.
pub async fn run_due(db: &Db) -> ApiResult<usize> {
    let due: Vec<uuid::Uuid> = due_changes().into_tuple().all(db.conn()).await?;
    let mut done = 0;
    for id in due {
        // One item that fails must not hold up the others.
        match write::run_schedule(db, id).await {
            Ok(true) => {
                done += 1;
                ::metrics::counter!("quire_scheduled_changes_total").increment(1);
            }
            Ok(false) => {}
            Err(err) => tracing::error!(error = ?err, %id, "carrying out a scheduled change"),
        }
    }
    announce_due(db).await?;
    Ok(done)
}

/// The items whose scheduled change is due, first due first, a hundred at a time.
fn due_changes() -> sea_orm::Select<content_item::Entity> {
    content_item::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::ScheduledAt.lte(now()))
        .filter(Column::DeletedAt.is_null())
        .order_by_asc(Column::ScheduledAt)
        .limit(100)
}

/// The embargoed items whose time has come, first due first, a hundred at a time.
fn due_announcements() -> sea_orm::Select<content_item::Entity> {
    content_item::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::AnnounceAt.lte(now()))
        .order_by_asc(Column::AnnounceAt)
        .limit(100)
}

/// Embargoed items whose publication time has come enter the change journal, so delta sync,
/// live updates and caches hear of them though nobody edited them.
async fn announce_due(db: &Db) -> ApiResult<()> {
    let due: Vec<uuid::Uuid> = due_announcements().into_tuple().all(db.conn()).await?;
    for id in due {
        if let Err(err) = write::announce(db, id).await {
            tracing::error!(error = ?err, %id, "announcing an embargoed item");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;

    async fn sqlite_plan(db: &Db, query: sea_orm::Select<content_item::Entity>) -> Vec<String> {
        crate::db::sqlite_plan(db, query.build(DbBackend::Sqlite)).await
    }

    /// The scheduler looks every second. Through the index of every item's deletion time
    /// it read all live rows and sorted them (1.1 s a look at 10,000 items); through the
    /// index on `scheduled_at` it reads the due items alone, already in order.
    #[tokio::test]
    async fn sqlite_finds_due_changes_by_their_index() {
        let db = Db::connect_and_migrate("sqlite::memory:", 1).await.unwrap();
        let plan = sqlite_plan(&db, due_changes()).await;
        assert_eq!(
            plan,
            ["SEARCH content_items USING INDEX ix_content_items_scheduled (scheduled_at<?)"],
            "{plan:#?}"
        );
        let plan = sqlite_plan(&db, due_announcements()).await;
        assert_eq!(
            plan,
            ["SEARCH content_items USING INDEX ix_content_items_announce_at (announce_at<?)"],
            "{plan:#?}"
        );
    }
}
