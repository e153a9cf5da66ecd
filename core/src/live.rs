//! What a running server hears of committed changes: a generation number that every write
//! moves on (the public response cache keys on it), and the change journal's new rows as
//! events for live subscriptions. Rows journaled by other Quire processes on the same
//! PostgreSQL database arrive through `LISTEN/NOTIFY`, with a poll behind it in case a
//! notification is lost while the listening connection reconnects. Subscribers share what
//! each change loads ([`fanout`]).

mod fanout;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use quire_entity::content_change::{self, Column};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::{Notify, broadcast, watch};
use uuid::Uuid;

use crate::content::ContentType;
use crate::content::journal::CHANNEL;
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
    /// Names this server in its notifications.
    tag: String,
    generation: AtomicU64,
    wake: Notify,
    events: broadcast::Sender<Event>,
    fanout: Fanout,
}

/// Subscribers further behind than this miss events (and are told so); they catch up with
/// `changes(after:)`.
const BACKLOG: usize = 1024;
const POLL: Duration = Duration::from_secs(1);
const BATCH: u64 = 500;

impl Default for Live {
    fn default() -> Self {
        Live {
            inner: Arc::new(Inner {
                tag: Uuid::now_v7().simple().to_string(),
                generation: AtomicU64::new(0),
                wake: Notify::new(),
                events: broadcast::channel(BACKLOG).0,
                fanout: Fanout::default(),
            }),
        }
    }
}

impl Live {
    /// Moves on with every committed write; anything computed under an earlier generation
    /// may be stale.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Called when a write transaction has committed, before its caller hears so.
    pub fn committed(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.wake.notify_one();
    }

    /// What this server's notifications carry: a random name of its own.
    pub fn tag(&self) -> &str {
        &self.inner.tag
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Changes as subscribers see them, loaded once for all.
    pub fn fanout(&self) -> &Fanout {
        &self.inner.fanout
    }
}

/// Reads the journal's new rows as they commit, here or in another process, and passes
/// them on; runs until `stop`.
pub async fn run(db: Db, mut stop: watch::Receiver<bool>) {
    let live = db.live().clone();
    // Where the journal ends now: events are for changes from here on, never a replay.
    let mut last = loop {
        match newest(&db).await {
            Ok(seq) => break seq,
            Err(err) => tracing::error!(error = ?err, "reading the change journal; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
    };
    let mut listener = None;
    loop {
        if listener.is_none() && db.backend() == DbBackend::Postgres {
            listener = listen(&db).await;
        }
        // What woke the pump decides whether the generation moves: a local commit moved it
        // already; another process's notification, or rows found by the poll (in case a
        // notification was lost), move it here.
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.map(|n| n.payload() != live.tag()),
                None => std::future::pending().await,
            }
        };
        let woken = tokio::select! {
            () = live.inner.wake.notified() => Wake::Local,
            heard = notified => match heard {
                Ok(true) => Wake::Foreign,
                Ok(false) => Wake::Local,
                Err(err) => {
                    tracing::warn!(error = %err, "listening for changes; polling until reconnected");
                    listener = None;
                    Wake::Poll
                }
            },
            () = tokio::time::sleep(POLL) => Wake::Poll,
            _ = stop.changed() => return,
        };
        let pulled = pull(&db, last).await;
        let found = matches!(&pulled, Ok(rows) if !rows.is_empty());
        if woken == Wake::Foreign || (woken == Wake::Poll && found) {
            live.inner.generation.fetch_add(1, Ordering::AcqRel);
        }
        match pulled {
            Ok(rows) => {
                for row in rows {
                    last = row.seq;
                    // No subscribers is not an error.
                    let _ = live.inner.events.send(Event::from(row));
                }
            }
            Err(err) => tracing::error!(error = ?err, "reading the change journal"),
        }
    }
}

/// Why the pump woke.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// A commit here, or this server's own notification.
    Local,
    /// Another Quire server's notification.
    Foreign,
    /// The poll.
    Poll,
}

async fn listen(db: &Db) -> Option<PgListener> {
    let pool = db.conn().get_postgres_connection_pool();
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for changes; polling");
            return None;
        }
    };
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for changes; polling");
            None
        }
    }
}

async fn newest(db: &Db) -> ApiResult<i64> {
    let seq: Option<i64> = content_change::Entity::find()
        .select_only()
        .column_as(Column::Seq.max(), "seq")
        .into_tuple()
        .one(db.conn())
        .await?
        .flatten();
    Ok(seq.unwrap_or(0))
}

async fn pull(db: &Db, after: i64) -> ApiResult<Vec<content_change::Model>> {
    Ok(content_change::Entity::find()
        .filter(Column::Seq.gt(after))
        .order_by_asc(Column::Seq)
        .limit(BATCH)
        .all(db.conn())
        .await?)
}
