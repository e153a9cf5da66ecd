//! The live listener: turns the change journal's new rows into events for subscriptions,
//! woken by this process's commits, other processes' `NOTIFY`, or a poll.

use std::time::Duration;

use quire_core::commits::CHANNEL;
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
        // What woke the pump decides whether the generation moves: a local commit moved it
        // already; another process's notification, or rows found by the poll (in case a
        // notification was lost), move it here.
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.map(|n| n.payload() != commits.tag()),
                None => std::future::pending().await,
            }
        };
        let woken = tokio::select! {
            () = commits.next_local() => Wake::Local,
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
        let pulled = live::pull(&db, last).await;
        let found = matches!(&pulled, Ok(rows) if !rows.is_empty());
        if woken == Wake::Foreign || (woken == Wake::Poll && found) {
            commits.committed_elsewhere();
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
