//! Webhooks: admins register endpoints for content events; each change writes its
//! deliveries to an outbox in the change's own transaction (`content::outbox`), and the
//! webhook sender posts them, signed, with retries and exponential backoff ([`delivery`]).
//! A dead endpoint never slows editing, and a restart never drops a pending delivery. Targets off the public internet are
//! refused unless allowed (see [`target`]).

pub mod delivery;
mod target;

use quire_entity::{webhook, webhook_delivery};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::clock::now;
pub use crate::content::outbox::Event;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
pub use delivery::RetryPolicy;
pub use target::Targets;

const SUBJECT: &str = "Webhook";

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
