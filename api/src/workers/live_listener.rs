//! The live listener: turns the change journal's new rows into events for subscriptions,
//! woken by this process's commits, other processes' `NOTIFY`, or a poll.

use std::time::Duration;

use quire_core::commits::{CHANNEL, Scope};
use quire_core::db::Db;
use quire_core::live::{self, Event, Live};
use sea_orm::DbBackend;
use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::watch;

const POLL: Duration = Duration::from_secs(1);

/// Reads the journal's new rows as they commit, here or in another process, and passes
/// them on; runs until `stop`.
pub async fn run(db: Db, live: Live, mut stop: watch::Receiver<bool>) {
    let commits = db.commits().clone();
    // Where the journal ends now: events are for changes from here on, never a replay.
    let mut last = loop {
        match live::newest(&db).await {
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
        // What woke the pump decides whether the counts move: a local commit moved them
        // already; another process's notification (by what it says it changed), or rows
        // found by the poll (in case a notification was lost), move them here.
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.map(|n| commits.heard(n.payload())),
                None => std::future::pending().await,
            }
        };
        let woken = tokio::select! {
            () = commits.next_local() => Wake::Local,
            heard = notified => match heard {
                Ok(Some(scope)) => Wake::Foreign(scope),
                Ok(None) => Wake::Local,
                Err(err) => {
                    tracing::warn!(error = %err, "listening for changes; polling until reconnected");
                    listener = None;
                    Wake::Poll
                }
            },
            () = tokio::time::sleep(POLL) => Wake::Poll,
            _ = stop.changed() => return,
        };
        let pulled = live::pull(&db, last).await;
        match (&woken, &pulled) {
            (Wake::Foreign(scope), _) => commits.committed_elsewhere(*scope),
            (Wake::Poll, Ok(rows)) if !rows.is_empty() => commits.committed_elsewhere(found(rows)),
            _ => {}
        }
        match pulled {
            Ok(rows) => {
                for row in rows {
                    last = row.seq;
                    live.publish(Event::from(row));
                }
            }
            Err(err) => tracing::error!(error = ?err, "reading the change journal"),
        }
    }
}

/// What the journal's rows found by the poll may have changed: their items' types, and
/// whatever else public answers show beside them (media, redirects, the search index).
fn found(rows: &[quire_entity::content_change::Model]) -> Scope {
    rows.iter().fold(Scope::OTHER, |scope, row| scope.union(Scope::content(row.content_type)))
}

/// Why the pump woke.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// A commit here, or this server's own notification.
    Local,
    /// Another Quire server's notification, and what it changed.
    Foreign(Scope),
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
