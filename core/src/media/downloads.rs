//! Booklet download counts, kept in memory on the download path and added to the database
//! in batches, so that serving a file never waits for a write. Saved counts are shown to
//! the public's cached answers at most every `staleness`: a save that every public answer
//! heard of would empty the response cache every few seconds on a busy site.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quire_entity::content_item;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::commits::Scope;
use crate::db::Db;
use crate::error::ApiResult;

/// Download counts are shown on booklets only.
const SHOWN_IN: Scope = Scope::content(quire_entity::content_item::ContentType::Booklet);

#[derive(Clone)]
pub struct DownloadCounter {
    pending: Arc<Mutex<HashMap<Uuid, i64>>>,
    shown: Arc<Mutex<Shown>>,
    staleness: Duration,
}

/// When saved counts were last shown to the public's cached answers, and whether some have
/// been saved since.
struct Shown {
    at: Option<Instant>,
    hidden: bool,
}

impl DownloadCounter {
    /// Counts shown to the public at most `staleness` after they are saved.
    pub fn new(staleness: Duration) -> DownloadCounter {
        DownloadCounter {
            pending: Arc::default(),
            shown: Arc::new(Mutex::new(Shown { at: None, hidden: false })),
            staleness,
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, i64>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn shown(&self) -> std::sync::MutexGuard<'_, Shown> {
        self.shown.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn count(&self, booklet: Uuid) {
        *self.pending().entry(booklet).or_default() += 1;
    }

    /// Adds the counts so far to the database; on failure they are kept for the next try.
    /// They are shown to the public's cached answers if that is due.
    pub async fn flush(&self, db: &Db) -> ApiResult<()> {
        self.save(db, false).await
    }

    /// As [`Self::flush`], showing every saved count now (at shutdown).
    pub async fn flush_and_show(&self, db: &Db) -> ApiResult<()> {
        self.save(db, true).await
    }

    async fn save(&self, db: &Db, show_now: bool) -> ApiResult<()> {
        let show = show_now || self.shown().at.is_none_or(|at| at.elapsed() >= self.staleness);
        let batch = std::mem::take(&mut *self.pending());
        if batch.is_empty() {
            if show && self.shown().hidden {
                // Nothing to write: a commit alone tells every cache (in other processes
                // too) that public answers moved on.
                db.write().await?.commit_within(SHOWN_IN).await?;
                self.was_shown();
            }
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
            if show {
                tx.commit_within(SHOWN_IN).await?;
            } else {
                tx.commit_private().await?;
            }
            ApiResult::Ok(())
        }
        .await;
        match result {
            Ok(()) if show => self.was_shown(),
            Ok(()) => self.shown().hidden = true,
            Err(_) => {
                let mut pending = self.pending();
                for (id, n) in batch {
                    *pending.entry(id).or_default() += n;
                }
            }
        }
        result
    }

    fn was_shown(&self) {
        *self.shown() = Shown { at: Some(Instant::now()), hidden: false };
    }
}
