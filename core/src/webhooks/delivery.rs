//! Sending the outbox: claiming due deliveries, posting each signed, and recording the
//! outcome with retries and exponential backoff. The loop that drives these is the webhook
//! sender worker.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use quire_entity::webhook_delivery::DeliveryStatus;
use quire_entity::{webhook, webhook_delivery};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use sha2::Sha256;
use uuid::Uuid;

pub use super::target::client;
use super::target::{self, Targets};
use crate::clock::now;
use crate::db::Db;
use crate::error::ApiResult;

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

pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts one delivery. What the log keeps of the answer is its status code and a few
/// fixed words: never the body, the reason phrase or a low-level error, which could tell
/// an admin what runs at an address they cannot otherwise reach.
pub async fn send(
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
pub async fn claim(
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

/// How many deliveries wait to be sent, for `/metrics`.
pub async fn backlog(db: &Db) -> ApiResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .count(db.conn())
        .await?)
}

/// Ends the claims on deliveries that were not finished.
pub async fn release(db: &Db, ids: Vec<Uuid>) -> ApiResult<()> {
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
