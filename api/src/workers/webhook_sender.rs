//! The webhook sender: takes due deliveries from the outbox, at most one at a time per
//! endpoint, and posts them through [`quire_core::webhooks::delivery`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use quire_core::db::Db;
use quire_core::webhooks::Targets;
use quire_core::webhooks::delivery::{self, RetryPolicy};
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

/// Deliveries in flight at once, across all endpoints.
const MAX_IN_FLIGHT: usize = 16;

/// The deliveries being sent, by endpoint: one at a time per endpoint, so a hung endpoint
/// holds one slot only and each endpoint gets its events in order.
type InFlight = Arc<Mutex<HashMap<Uuid, Uuid>>>;

/// Sends due deliveries until `stop` turns true.
pub async fn run(db: Db, policy: RetryPolicy, targets: Targets, mut stop: watch::Receiver<bool>) {
    let client = match delivery::client(targets, policy.timeout) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "cannot build the webhook HTTP client");
            return;
        }
    };
    let in_flight: InFlight = Arc::default();
    let mut tasks = JoinSet::new();
    while !*stop.borrow() {
        while tasks.try_join_next().is_some() {}
        let free = MAX_IN_FLIGHT.saturating_sub(tasks.len());
        let busy: HashSet<Uuid> = lock(&in_flight).keys().copied().collect();
        let claimed = match delivery::claim(&db, policy, &busy, free).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::error!(error = ?err, "claiming webhook deliveries");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        for (delivery, hook) in claimed {
            lock(&in_flight).insert(hook.id, delivery.id);
            let (db, client, in_flight) = (db.clone(), client.clone(), in_flight.clone());
            tasks.spawn(async move {
                if let Err(err) =
                    delivery::send(&db, &client, targets, &delivery, &hook, policy).await
                {
                    tracing::error!(error = ?err, delivery = %delivery.id, "sending a webhook");
                }
                lock(&in_flight).remove(&hook.id);
            });
        }
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(policy.poll_interval) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
    }
    // Whatever is still being sent is given back at once, for the next start to send.
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let held: Vec<Uuid> = lock(&in_flight).values().copied().collect();
    if let Err(err) = delivery::release(&db, held).await {
        tracing::warn!(error = ?err, "releasing webhook deliveries at shutdown");
    }
}

fn lock(in_flight: &InFlight) -> std::sync::MutexGuard<'_, HashMap<Uuid, Uuid>> {
    in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
