//! The outbox of content events: each change writes one delivery per subscribed webhook in
//! its own transaction, so no event is lost or sent for a change that rolled back. The
//! webhook sender (a worker) reads the outbox; content knows nothing of how it is sent.

use quire_entity::webhook_delivery::DeliveryStatus;
use quire_entity::{webhook, webhook_delivery};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use super::{Item, now};
use crate::error::ApiResult;

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

/// Writes one delivery per subscribed webhook, inside the caller's transaction.
pub async fn enqueue(conn: &impl ConnectionTrait, event: Event, item: &Item) -> ApiResult<()> {
    let hooks = webhook::Entity::find().all(conn).await?;
    let subscribed: Vec<_> =
        hooks.into_iter().filter(|h| h.events.split(',').any(|e| e == event.name())).collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let type_name = super::history::type_name(item.content_type);
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
