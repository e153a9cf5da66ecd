//! The download counter: saves booklets' download counts, kept in memory, every interval
//! and once more at shutdown.

use std::time::Duration;

use quire_core::db::Db;
use quire_core::media::downloads::DownloadCounter;
use tokio::sync::watch;

/// Saves every `interval` until `stop`, then once more.
pub async fn run(
    counter: DownloadCounter,
    db: Db,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
        if let Err(err) = counter.flush(&db).await {
            tracing::error!(error = ?err, "saving download counts");
        }
    }
    if let Err(err) = counter.flush_and_show(&db).await {
        tracing::error!(error = ?err, "saving download counts at shutdown");
    }
}
