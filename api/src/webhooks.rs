//! Webhooks: admins register endpoints for content events; each change writes its
//! deliveries to an outbox in the change's own transaction, and a background sender posts
//! them, signed, with retries and exponential backoff. A dead endpoint never slows editing,
//! and a restart never drops a pending delivery.

use std::time::Duration;

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
use uuid::Uuid;

use crate::audit::{self, Subject};
use crate::auth::Actor;
use crate::content::{Item, now};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// The contract names these `CONTENT_*`, hence the shared prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
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

pub async fn create(db: &Db, actor: &Actor, new: NewWebhook) -> ApiResult<webhook::Model> {
    actor.require_admin()?;
    let url = url_checked(&new.url)?;
    if new.events.is_empty() {
        return Err(ApiError::bad_input("events", "name at least one event"));
    }
    if new.secret.chars().count() < 16 {
        return Err(ApiError::bad_input("secret", "a secret is at least 16 characters"));
    }
    let mut events: Vec<&str> = new.events.iter().map(|e| e.name()).collect();
    events.sort_unstable();
    events.dedup();
    let tx = db.write().await?;
    let created = webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(url),
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
    tx.commit().await?;
    Ok(created)
}

fn url_checked(url: &str) -> ApiResult<String> {
    let url = url.trim();
    let parsed =
        reqwest::Url::parse(url).map_err(|_| ApiError::bad_input("url", "this is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::bad_input("url", "a webhook URL is http or https"));
    }
    Ok(url.to_string())
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
    tx.commit().await?;
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
                "id": crate::graphql::global_id(type_name, item.id).to_string(),
                "type": type_name,
                "slug": item.slug,
                "path": item.path,
                "status": format!("{:?}", item.status).to_uppercase(),
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

/// Sends due deliveries until `stop` turns true.
pub async fn run_sender(db: Db, policy: RetryPolicy, mut stop: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder().timeout(policy.timeout).build() {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "cannot build the webhook HTTP client");
            return;
        }
    };
    loop {
        let sent = match send_due(&db, &client, policy).await {
            Ok(sent) => sent,
            Err(err) => {
                tracing::error!(error = ?err, "sending webhooks");
                0
            }
        };
        // Busy: look again at once. Idle: wait a little, or stop.
        if sent > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(policy.poll_interval) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Claims due deliveries one at a time and sends them; returns how many were attempted.
async fn send_due(db: &Db, client: &reqwest::Client, policy: RetryPolicy) -> ApiResult<usize> {
    let mut attempted = 0;
    while let Some((delivery, hook)) = claim(db, policy).await? {
        attempted += 1;
        let result = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("user-agent", "Quire-Webhooks")
            .header("x-quire-event", &delivery.event)
            .header("x-quire-delivery", delivery.id.to_string())
            .header("x-quire-signature", signature(&hook.secret, delivery.payload.as_bytes()))
            .body(delivery.payload.clone())
            .send()
            .await;
        let (status_code, error) = match result {
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), None)
            }
            Ok(response) => {
                (Some(response.status().as_u16()), Some(format!("answered {}", response.status())))
            }
            Err(err) => (None, Some(err.without_url().to_string())),
        };
        finish(db, &delivery, status_code, error, policy).await?;
        if attempted >= 50 {
            break;
        }
    }
    Ok(attempted)
}

/// Takes one due delivery for a while. On PostgreSQL, `SKIP LOCKED` lets several Quire
/// processes send side by side without sending anything twice.
async fn claim(
    db: &Db,
    policy: RetryPolicy,
) -> ApiResult<Option<(webhook_delivery::Model, webhook::Model)>> {
    use sea_orm::sea_query::{LockBehavior, LockType};
    let tx = db.write().await?;
    let now = now();
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(webhook_delivery::Column::ClaimedUntil.is_null())
                .add(webhook_delivery::Column::ClaimedUntil.lt(now)),
        )
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(1);
    if db.backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(delivery) = query.one(&*tx).await? else { return Ok(None) };
    let Some(hook) = webhook::Entity::find_by_id(delivery.webhook_id).one(&*tx).await? else {
        return Ok(None);
    };
    let lease =
        chrono::Duration::from_std(policy.timeout * 3).unwrap_or(chrono::Duration::seconds(30));
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::ClaimedUntil, Expr::value(now + lease))
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(Some((delivery, hook)))
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
    tx.commit().await?;
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
