//! Booklet download counts, kept in memory on the download path and added to the database
//! in batches, so that serving a file never waits for a write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quire_entity::content_item;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::watch;
use uuid::Uuid;

use crate::db::Db;
use crate::error::ApiResult;

#[derive(Clone, Default)]
pub struct DownloadCounter {
    pending: Arc<Mutex<HashMap<Uuid, i64>>>,
}

impl DownloadCounter {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, i64>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn count(&self, booklet: Uuid) {
        *self.pending().entry(booklet).or_default() += 1;
    }

    /// Adds the counts so far to the database; on failure they are kept for the next try.
    pub async fn flush(&self, db: &Db) -> ApiResult<()> {
        let batch = std::mem::take(&mut *self.pending());
        if batch.is_empty() {
            return Ok(());
        }
        let result = async {
            let tx = db.write().await?;
            for (id, n) in &batch {
                content_item::Entity::update_many()
                    .col_expr(
                        content_item::Column::DownloadCount,
                        Expr::col(content_item::Column::DownloadCount).add(*n),
                    )
                    .filter(content_item::Column::Id.eq(*id))
                    .exec(&*tx)
                    .await?;
            }
            tx.commit().await?;
            ApiResult::Ok(())
        }
        .await;
        if result.is_err() {
            let mut pending = self.pending();
            for (id, n) in batch {
                *pending.entry(id).or_default() += n;
            }
        }
        result
    }

    /// Flushes every `interval` until `stop`, then once more.
    pub async fn run(self, db: Db, interval: Duration, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
            if let Err(err) = self.flush(&db).await {
                tracing::error!(error = ?err, "saving download counts");
            }
        }
        if let Err(err) = self.flush(&db).await {
            tracing::error!(error = ?err, "saving download counts at shutdown");
        }
    }
}
