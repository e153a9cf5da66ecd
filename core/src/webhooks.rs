//! Webhooks: admins register endpoints for content events; each change writes its
//! deliveries to an outbox in the change's own transaction, and a background sender posts
//! them, signed, with retries and exponential backoff. A dead endpoint never slows editing,
//! and a restart never drops a pending delivery. Targets off the public internet are
//! refused unless allowed (see [`target`]).

mod target;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use hmac::{Hmac, KeyInit, Mac};
use quire_entity::webhook_delivery::DeliveryStatus;
use quire_entity::{webhook, webhook_delivery};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use sha2::Sha256;
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::audit::{self, Subject};
use crate::auth::Actor;
use crate::content::{Item, now};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
pub use target::Targets;

// The contract names these `CONTENT_*`, hence the shared prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    ContentPublished,
    ContentUnpublished,
    ContentUpdated,
    ContentDeleted,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::ContentPublished => "CONTENT_PUBLISHED",
            Event::ContentUnpublished => "CONTENT_UNPUBLISHED",
            Event::ContentUpdated => "CONTENT_UPDATED",
            Event::ContentDeleted => "CONTENT_DELETED",
        }
    }
}

/// How the sender retries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The wait before the first retry; each later one waits twice as long.
    pub base: Duration,
    pub max_attempts: i32,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How often to look for due deliveries when idle.
    pub poll_interval: Duration,
}

const SUBJECT: &str = "Webhook";

pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub struct NewWebhook {
    pub url: String,
    pub events: Vec<Event>,
    pub secret: String,
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    targets: Targets,
    new: NewWebhook,
) -> ApiResult<webhook::Model> {
    actor.require_admin()?;
    let url = url_checked(&new.url)?;
    if new.events.is_empty() {
        return Err(ApiError::bad_input("events", "name at least one event"));
    }
    if new.secret.chars().count() < 16 {
        return Err(ApiError::bad_input("secret", "a secret is at least 16 characters"));
    }
    target::check_url(&url, targets).await.map_err(|_| {
        ApiError::bad_input(
            "url",
            "a webhook may not post to a private, loopback or link-local address",
        )
    })?;
    let mut events: Vec<&str> = new.events.iter().map(|e| e.name()).collect();
    events.sort_unstable();
    events.dedup();
    let tx = db.write().await?;
    let created = webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(url.to_string()),
        events: Set(events.join(",")),
        secret: Set(new.secret),
        created_at: Set(now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        actor,
        "webhook.create",
        Some(Subject { type_name: SUBJECT, id: created.id }),
        Some(created.url.clone()),
    )
    .await?;
    tx.commit_private().await?;
    Ok(created)
}

fn url_checked(url: &str) -> ApiResult<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|_| ApiError::bad_input("url", "this is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::bad_input("url", "a webhook URL is http or https"));
    }
    Ok(parsed)
}

pub async fn list(db: &Db, actor: &Actor) -> ApiResult<Vec<webhook::Model>> {
    actor.require_admin()?;
    Ok(webhook::Entity::find().order_by_asc(webhook::Column::CreatedAt).all(db.conn()).await?)
}

pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> ApiResult<Uuid> {
    actor.require_admin()?;
    let tx = db.write().await?;
    let deleted = webhook::Entity::delete_by_id(id).exec(&*tx).await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found("webhook"));
    }
    audit::record(&*tx, actor, "webhook.delete", Some(Subject { type_name: SUBJECT, id }), None)
        .await?;
    tx.commit_private().await?;
    Ok(id)
}

pub async fn deliveries(
    db: &Db,
    actor: &Actor,
    webhook_id: Uuid,
    limit: u64,
) -> ApiResult<Vec<webhook_delivery::Model>> {
    actor.require_admin()?;
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db.conn())
        .await?)
}

/// Writes one delivery per subscribed webhook, inside the caller's transaction.
pub async fn enqueue(conn: &impl ConnectionTrait, event: Event, item: &Item) -> ApiResult<()> {
    let hooks = webhook::Entity::find().all(conn).await?;
    let subscribed: Vec<_> =
        hooks.into_iter().filter(|h| h.events.split(',').any(|e| e == event.name())).collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let type_name = crate::content::history::type_name(item.content_type);
    let now = now();
    for hook in subscribed {
        let id = Uuid::now_v7();
        let payload = serde_json::json!({
            "id": id,
            "event": event.name(),
            "occurredAt": now,
            "subject": {
                "id": crate::ids::encode(type_name, item.id),
                "type": type_name,
                "slug": item.slug,
                "path": item.path,
                "status": format!("{:?}", item.status).to_uppercase(),
                "publishedAt": item.published_at,
                "version": item.version,
            },
        });
        webhook_delivery::ActiveModel {
            id: Set(id),
            webhook_id: Set(hook.id),
            event: Set(event.name().to_string()),
            payload: Set(payload.to_string()),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Deliveries in flight at once, across all endpoints.
const MAX_IN_FLIGHT: usize = 16;

/// The deliveries being sent, by endpoint: one at a time per endpoint, so a hung endpoint
/// holds one slot only and each endpoint gets its events in order.
type InFlight = Arc<Mutex<HashMap<Uuid, Uuid>>>;

/// Sends due deliveries until `stop` turns true.
pub async fn run_sender(
    db: Db,
    policy: RetryPolicy,
    targets: Targets,
    mut stop: watch::Receiver<bool>,
) {
    let client = match target::client(targets, policy.timeout) {
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
        let claimed = match claim(&db, policy, &busy, free).await {
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
                if let Err(err) = send(&db, &client, targets, &delivery, &hook, policy).await {
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
    if let Err(err) = release(&db, held).await {
        tracing::warn!(error = ?err, "releasing webhook deliveries at shutdown");
    }
}

fn lock(in_flight: &InFlight) -> std::sync::MutexGuard<'_, HashMap<Uuid, Uuid>> {
    in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Posts one delivery. What the log keeps of the answer is its status code and a few
/// fixed words: never the body, the reason phrase or a low-level error, which could tell
/// an admin what runs at an address they cannot otherwise reach.
async fn send(
    db: &Db,
    client: &reqwest::Client,
    targets: Targets,
    delivery: &webhook_delivery::Model,
    hook: &webhook::Model,
    policy: RetryPolicy,
) -> ApiResult<()> {
    let refused = || (None, Some(REFUSED.to_string()));
    let (status_code, error) = match reqwest::Url::parse(&hook.url) {
        Err(_) => (None, Some("the URL is not valid".to_string())),
        Ok(url) if target::check_literal(&url, targets).is_err() => refused(),
        Ok(url) => {
            let result = client
                .post(url)
                .header("content-type", "application/json")
                .header("user-agent", "Quire-Webhooks")
                .header("x-quire-event", &delivery.event)
                .header("x-quire-delivery", delivery.id.to_string())
                .header("x-quire-signature", signature(&hook.secret, delivery.payload.as_bytes()))
                .body(delivery.payload.clone())
                .send()
                .await;
            match result {
                Ok(response) => outcome(response.status()),
                Err(err) if target::is_refusal(&err) => refused(),
                Err(err) => {
                    tracing::info!(delivery = %delivery.id, error = ?err, "webhook request failed");
                    let what = if err.is_timeout() {
                        "no answer in time"
                    } else if err.is_connect() {
                        "could not connect"
                    } else {
                        "the request failed"
                    };
                    (None, Some(what.to_string()))
                }
            }
        }
    };
    finish(db, delivery, status_code, error, policy).await
}

const REFUSED: &str = "refused: the target is a private, loopback or link-local address";

/// The status code, and why it is a failure when it is one.
fn outcome(status: reqwest::StatusCode) -> (Option<u16>, Option<String>) {
    let code = status.as_u16();
    let error = if status.is_success() {
        None
    } else if status.is_redirection() {
        Some(format!("answered {code}: redirects are not followed"))
    } else {
        Some(format!("answered {code}"))
    };
    (Some(code), error)
}

fn due(now: DateTime<Utc>, busy: &HashSet<Uuid>) -> sea_orm::Select<webhook_delivery::Entity> {
    use webhook_delivery::Column;
    let mut query = webhook_delivery::Entity::find()
        .filter(Column::Status.eq(DeliveryStatus::Pending))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any().add(Column::ClaimedUntil.is_null()).add(Column::ClaimedUntil.lt(now)),
        );
    if !busy.is_empty() {
        query = query.filter(Column::WebhookId.is_not_in(busy.iter().copied()));
    }
    query.order_by_asc(Column::NextAttemptAt).order_by_asc(Column::Id)
}

/// Takes up to `limit` due deliveries, one per endpoint, for a while. On PostgreSQL,
/// `SKIP LOCKED` lets several Quire processes send side by side without sending anything
/// twice. A plain read first keeps an idle sender from taking SQLite's write turn.
async fn claim(
    db: &Db,
    policy: RetryPolicy,
    busy: &HashSet<Uuid>,
    limit: usize,
) -> ApiResult<Vec<(webhook_delivery::Model, webhook::Model)>> {
    use sea_orm::sea_query::{LockBehavior, LockType};
    if limit == 0 || due(now(), busy).one(db.conn()).await?.is_none() {
        return Ok(Vec::new());
    }
    let tx = db.write().await?;
    let now = now();
    let mut query = due(now, busy).limit(limit as u64 * 4);
    if db.backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut endpoints = HashSet::new();
    let chosen: Vec<webhook_delivery::Model> = query
        .all(&*tx)
        .await?
        .into_iter()
        .filter(|d| endpoints.insert(d.webhook_id))
        .take(limit)
        .collect();
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let hooks: HashMap<Uuid, webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(endpoints))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let lease =
        chrono::Duration::from_std(policy.timeout * 3).unwrap_or(chrono::Duration::seconds(30));
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::ClaimedUntil, Expr::value(now + lease))
        .filter(webhook_delivery::Column::Id.is_in(chosen.iter().map(|d| d.id)))
        .exec(&*tx)
        .await?;
    tx.commit_private().await?;
    Ok(chosen
        .into_iter()
        .filter_map(|d| hooks.get(&d.webhook_id).cloned().map(|h| (d, h)))
        .collect())
}

/// Ends the claims on deliveries that were not finished.
async fn release(db: &Db, ids: Vec<Uuid>) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let tx = db.write().await?;
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook_delivery::Column::Id.is_in(ids))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(&*tx)
        .await?;
    tx.commit_private().await?;
    Ok(())
}

async fn finish(
    db: &Db,
    delivery: &webhook_delivery::Model,
    status_code: Option<u16>,
    error: Option<String>,
    policy: RetryPolicy,
) -> ApiResult<()> {
    let attempts = delivery.attempts + 1;
    let now = now();
    let mut update = webhook_delivery::ActiveModel {
        id: Set(delivery.id),
        attempts: Set(attempts),
        claimed_until: Set(None),
        last_status_code: Set(status_code.map(i32::from)),
        last_error: Set(error.clone()),
        ..Default::default()
    };
    match error {
        None => {
            update.status = Set(DeliveryStatus::Delivered);
            update.delivered_at = Set(Some(now));
            tracing::info!(delivery = %delivery.id, event = %delivery.event, "webhook delivered");
        }
        Some(err) if attempts >= policy.max_attempts => {
            update.status = Set(DeliveryStatus::Failed);
            tracing::warn!(delivery = %delivery.id, error = %err, "webhook failed for good");
        }
        Some(err) => {
            let wait =
                policy.base.saturating_mul(2u32.saturating_pow((attempts - 1).clamp(0, 20) as u32));
            let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
            update.next_attempt_at = Set(now + wait);
            tracing::info!(delivery = %delivery.id, error = %err, attempts, "webhook will be retried");
        }
    }
    let tx = db.write().await?;
    update.update(&*tx).await?;
    tx.commit_private().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
