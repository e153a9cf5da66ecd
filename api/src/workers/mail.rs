//! The mail worker: sends the newsletter's queued mail, and at shutdown what is still
//! queued, for a while.

use std::time::Duration;

use quire_core::newsletter::mail::MailWorker;
use tokio::sync::watch;

/// How long queued mail may take to go out at shutdown.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Sends queued mail until `stop` turns true, then what is still queued, for a while.
pub async fn run(mut mail: MailWorker, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        tokio::select! {
            message = mail.next() => match message {
                Some(message) => mail.deliver(message).await,
                None => return,
            },
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    mail.close();
    let drained = tokio::time::timeout(DRAIN_LIMIT, async {
        while let Some(message) = mail.next().await {
            mail.deliver(message).await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("stopped before all queued mail was sent");
    }
}
