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

/// On PostgreSQL, starts listening for other processes' notifications: called before the
/// server answers its first request, so that no answer is cached before it listens.
pub async fn subscribe(db: &Db) -> Option<PgListener> {
    if db.backend() == DbBackend::Postgres { listen(db).await } else { None }
}

/// Reads the journal's new rows as they commit, here or in another process, and passes
/// them on; runs until `stop`. `listener` is what [`subscribe`] gave.
pub async fn run(
    db: Db,
    live: Live,
    mut listener: Option<PgListener>,
    mut stop: watch::Receiver<bool>,
) {
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
    loop {
        if listener.is_none() && db.backend() == DbBackend::Postgres {
            listener = listen(&db).await;
            if listener.is_some() {
                // Listening again: notifications sent while no one listened are lost, and
                // writes that are not journaled (settings, menus, files) the poll cannot find.
                commits.committed_elsewhere(Scope::EVERYTHING);
            }
        }
        // What woke the pump decides whether the counts move: a local commit moved them
        // already; another process's notification (by what it says it changed), or rows
        // found by the poll (in case a notification was lost), move them here.
        let notified = async {
            match listener.as_mut() {
                // `None`: the connection was lost and is made again at the next call; what
                // was sent meanwhile is lost, so anything may have changed.
                Some(l) => l.try_recv().await.map(|n| match n {
                    Some(n) => commits.heard(n.payload()),
                    None => Some(Scope::EVERYTHING),
                }),
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
        // Before the pull, which may wait for a connection: cached answers the other
        // process's write may have changed stop being served at once.
        if let Wake::Foreign(scope) = woken {
            commits.committed_elsewhere(scope);
        }
        let pulled = live::pull(&db, last).await;
        if let (Wake::Poll, Ok(rows)) = (&woken, &pulled)
            && !rows.is_empty()
        {
            commits.committed_elsewhere(found(rows));
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
/// whatever else public answers show beside them (media, the search index). Writes that
/// are not journaled are heard by notification only; a lost connection counts as all.
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
