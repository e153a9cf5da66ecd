//! The scheduler: looks for due scheduled changes on a timer and has the core carry them
//! out ([`quire_core::content::schedule`]).

use std::time::Duration;

use quire_core::content::schedule;
use quire_core::db::Db;
use tokio::sync::watch;

pub async fn run(db: Db, interval: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(err) = schedule::run_due(&db).await {
            tracing::error!(error = ?err, "running scheduled changes");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
