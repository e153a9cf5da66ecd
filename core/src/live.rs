//! What a running server hears of committed changes: the change journal's new rows as
//! events for live subscriptions, and the write generation ([`crate::commits`]) moved on
//! for other processes' writes. Rows journaled by other Quire processes on the same
//! PostgreSQL database arrive through `LISTEN/NOTIFY` (the live listener worker), with a
//! poll behind it in case a notification is lost while the listening connection reconnects. Subscribers share what
//! each change loads ([`fanout`]).

mod fanout;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use quire_entity::content_change::{self, Column};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::content::ContentType;
use crate::db::Db;
use crate::error::ApiResult;
pub use fanout::{Delivery, Fanout};

/// A change as it was journaled.
#[derive(Debug, Clone)]
pub struct Event {
    pub seq: i64,
    pub content_id: Uuid,
    pub content_type: ContentType,
    /// Whether the public may hear of it.
    pub public: bool,
    pub at: DateTime<Utc>,
}

impl From<content_change::Model> for Event {
    fn from(row: content_change::Model) -> Self {
        Event {
            seq: row.seq,
            content_id: row.content_id,
            content_type: row.content_type,
            public: row.public,
            at: row.at,
        }
    }
}

#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    events: broadcast::Sender<Event>,
    fanout: Fanout,
}

/// Subscribers further behind than this miss events (and are told so); they catch up with
/// `changes(after:)`.
const BACKLOG: usize = 1024;
const BATCH: u64 = 500;

impl Default for Live {
    fn default() -> Self {
        Live {
            inner: Arc::new(Inner {
                events: broadcast::channel(BACKLOG).0,
                fanout: Fanout::default(),
            }),
        }
    }
}

impl Live {
    /// Passes a journaled change on to every subscriber.
    pub fn publish(&self, event: Event) {
        // No subscribers is not an error.
        let _ = self.inner.events.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Changes as subscribers see them, loaded once for all.
    pub fn fanout(&self) -> &Fanout {
        &self.inner.fanout
    }
}

/// The journal's last sequence number: events are for changes after it.
pub async fn newest(db: &Db) -> ApiResult<i64> {
    let seq: Option<i64> = content_change::Entity::find()
        .select_only()
        .column_as(Column::Seq.max(), "seq")
        .into_tuple()
        .one(db.conn())
        .await?
        .flatten();
    Ok(seq.unwrap_or(0))
}

/// Up to a batch of the journal's rows after `after`, in order.
pub async fn pull(db: &Db, after: i64) -> ApiResult<Vec<content_change::Model>> {
    Ok(content_change::Entity::find()
        .filter(Column::Seq.gt(after))
        .order_by_asc(Column::Seq)
        .limit(BATCH)
        .all(db.conn())
        .await?)
}
