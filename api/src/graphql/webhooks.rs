//! Webhooks over GraphQL, for admins.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use quire_entity::{webhook, webhook_delivery};

use super::{context, ids};
use quire_core::webhooks::{self, NewWebhook, Targets};

const NAME: &str = "Webhook";

/// An endpoint told about content events by signed POST requests.
pub struct Webhook(webhook::Model);

/// An endpoint told about content events by signed POST requests.
#[Object]
impl Webhook {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(NAME, self.0.id)
    }

    /// Where events are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The events posted there.
    async fn events(&self) -> Vec<&str> {
        self.0.events.split(',').collect()
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One event posted (or to be posted) to a webhook.
pub struct WebhookDelivery(webhook_delivery::Model);

/// One event posted (or to be posted) to a webhook.
#[Object]
impl WebhookDelivery {
    /// Opaque id, also sent as `X-Quire-Delivery`.
    async fn id(&self) -> ID {
        ids::encode("WebhookDelivery", self.0.id)
    }

    /// The event, such as `CONTENT_PUBLISHED`.
    async fn event(&self) -> &str {
        &self.0.event
    }

    /// `PENDING`, `DELIVERED` or `FAILED` (gave up after the last retry).
    async fn status(&self) -> String {
        format!("{:?}", self.0.status).to_uppercase()
    }

    /// How many times it was sent.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The HTTP status of the last attempt, if one answered.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    /// Why the last attempt failed, in a few words: the status code it answered, a
    /// timeout, a refused target. Nothing the endpoint sent is kept.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// The body posted (it is what the signature signs).
    async fn payload(&self) -> &str {
        &self.0.payload
    }

    /// When the event happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the endpoint accepted it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    /// When the next attempt is due, while pending.
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
}

/// A content event a webhook may be told about.
// The contract names these `CONTENT_*`, hence the shared prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "quire_core::webhooks::Event")]
pub enum Event {
    /// An item became visible to the public: at once, or when its embargo ends.
    ContentPublished,
    /// An item the public could see was taken back to draft.
    ContentUnpublished,
    /// An item was created, edited or restored.
    ContentUpdated,
    /// An item was moved to the trash.
    ContentDeleted,
}

/// A new webhook.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// An http or https URL on the public internet: loopback, private and link-local
    /// addresses, and names that resolve to them, are refused unless the server runs with
    /// `--webhook-allow-private-targets`.
    url: String,
    /// The events to post.
    events: Vec<Event>,
    /// At least 16 characters; signs each body as `X-Quire-Signature: sha256=<hex HMAC-SHA256>`.
    #[graphql(secret)]
    secret: String,
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook (admins only).
    async fn webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Webhook>> {
        let actor = context::actor(ctx)?;
        Ok(webhooks::list(context::db(ctx)?, &actor).await?.into_iter().map(Webhook).collect())
    }

    /// A webhook's deliveries, newest first (admins only).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] webhook_id: ID,
        #[graphql(desc = "How many, 20 by default, at most 100.")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<WebhookDelivery>> {
        let actor = context::actor(ctx)?;
        let id = ids::expect(&webhook_id, NAME, "webhookId", "webhook")?;
        let limit = quire_core::pagination::LISTS.check(first, "first")?;
        Ok(webhooks::deliveries(context::db(ctx)?, &actor, id, limit)
            .await?
            .into_iter()
            .map(WebhookDelivery)
            .collect())
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook (admins only).
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where to post, which events, and the signing secret.")]
        input: CreateWebhookInput,
    ) -> async_graphql::Result<Webhook> {
        let events = input.events.into_iter().map(Into::into).collect();
        let new = NewWebhook { url: input.url, events, secret: input.secret };
        // Without the setting (a schema built with no server) only public targets pass.
        let targets = ctx.data_opt::<Targets>().copied().unwrap_or_default();
        let (db, actor) = (context::db(ctx)?, context::actor(ctx)?);
        Ok(Webhook(webhooks::create(db, &actor, targets, new).await?))
    }

    /// Removes a webhook and its pending deliveries (admins only).
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let uuid = ids::expect(&id, NAME, "id", "webhook")?;
        webhooks::delete(context::db(ctx)?, &context::actor(ctx)?, uuid).await?;
        Ok(id)
    }
}
