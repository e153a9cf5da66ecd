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
    let due: Vec<uuid::Uuid> = content_item::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::ScheduledAt.lte(now()))
        .filter(Column::DeletedAt.is_null())
        .order_by_asc(Column::ScheduledAt)
        .limit(100)
        .into_tuple()
        .all(db.conn())
        .await?;
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

/// Embargoed items whose publication time has come enter the change journal, so delta sync,
/// live updates and caches hear of them though nobody edited them.
async fn announce_due(db: &Db) -> ApiResult<()> {
    let due: Vec<uuid::Uuid> = content_item::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::AnnounceAt.lte(now()))
        .order_by_asc(Column::AnnounceAt)
        .limit(100)
        .into_tuple()
        .all(db.conn())
        .await?;
    for id in due {
        if let Err(err) = write::announce(db, id).await {
            tracing::error!(error = ?err, %id, "announcing an embargoed item");
        }
    }
    Ok(())
}
