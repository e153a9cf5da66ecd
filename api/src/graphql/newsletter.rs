//! The newsletter: sign-up, confirmation and unsubscribing for anyone (no token needed),
//! and the list of subscribers for admins.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use quire_entity::newsletter_subscriber::{self, Status};

use super::pagination::{Cursor, connection};
use super::{context, ids};
use quire_core::error::ApiError;
use quire_core::newsletter::{self, Newsletter};
use quire_core::pagination::Forward;

/// Where a subscriber stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum NewsletterSubscriberStatus {
    /// Signed up; the confirmation link has not been followed yet. Gets no newsletter.
    Pending,
    /// Confirmed the address: gets the newsletter.
    Confirmed,
    /// Unsubscribed.
    Unsubscribed,
}

impl From<Status> for NewsletterSubscriberStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pending => Self::Pending,
            Status::Confirmed => Self::Confirmed,
            Status::Unsubscribed => Self::Unsubscribed,
        }
    }
}

impl From<NewsletterSubscriberStatus> for Status {
    fn from(status: NewsletterSubscriberStatus) -> Self {
        match status {
            NewsletterSubscriberStatus::Pending => Status::Pending,
            NewsletterSubscriberStatus::Confirmed => Status::Confirmed,
            NewsletterSubscriberStatus::Unsubscribed => Status::Unsubscribed,
        }
    }
}

pub struct NewsletterSubscriber(newsletter_subscriber::Model);

/// Someone who signed up for the newsletter (admins only).
#[Object]
impl NewsletterSubscriber {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode("NewsletterSubscriber", self.0.id)
    }

    /// The address, trimmed and lowercased.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Pending, confirmed or unsubscribed.
    async fn status(&self) -> NewsletterSubscriberStatus {
        self.0.status.into()
    }

    /// When the address first signed up.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed (a renewed sign-up, a confirmation, an unsubscription).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the address was confirmed, while subscribed.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }

    /// When the address unsubscribed, if it did.
    async fn unsubscribed_at(&self) -> Option<DateTime<Utc>> {
        self.0.unsubscribed_at
    }
}

fn settings<'a>(ctx: &Context<'a>) -> Result<&'a Newsletter, ApiError> {
    ctx.data::<std::sync::Arc<Newsletter>>()
        .map(|settings| &**settings)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("newsletter settings missing")))
}

#[derive(Default)]
pub struct NewsletterQuery;

#[Object]
impl NewsletterQuery {
    /// Newsletter subscribers, newest sign-up first (admins only).
    async fn newsletter_subscribers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(
            desc = "Subscribers after this cursor (a previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(desc = "Only subscribers with this status.")] status: Option<
            NewsletterSubscriberStatus,
        >,
    ) -> async_graphql::Result<Connection<Cursor, NewsletterSubscriber>> {
        let (actor, conn) = (context::actor(ctx)?, context::db(ctx)?.conn());
        let page = Forward { first, after };
        let found = newsletter::subscribers(conn, &actor, status.map(Status::from), page).await?;
        Ok(connection(found, NewsletterSubscriber))
    }
}

#[derive(Default)]
pub struct NewsletterMutation;

#[Object]
impl NewsletterMutation {
    /// Signs an address up for the newsletter; anyone may, no token needed. A mail with a
    /// confirmation link follows (double opt-in): the address gets the newsletter only once
    /// the link is followed. The answer is `true` whether the address is new, pending or
    /// already subscribed, so it tells nobody who is subscribed. Limited per address and
    /// per client (`RATE_LIMITED`).
    async fn subscribe_to_newsletter(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret, desc = "The address to send the newsletter to.")] email: String,
    ) -> async_graphql::Result<bool> {
        let request = context::request(ctx)?;
        let db = context::db(ctx)?;
        newsletter::subscribe(db, settings(ctx)?, &email, request.client_ip).await?;
        Ok(true)
    }

    /// Confirms a sign-up with the token from its confirmation mail. A token works once and
    /// expires; an unknown, used or expired token is `NOT_FOUND`.
    async fn confirm_newsletter_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret, desc = "The confirmation token from the mail.")] token: String,
    ) -> async_graphql::Result<bool> {
        newsletter::confirm(context::db(ctx)?, &token).await?;
        Ok(true)
    }

    /// Unsubscribes with the unsubscribe token from a newsletter mail. Repeating it is
    /// harmless; an unknown token is `NOT_FOUND`.
    async fn unsubscribe_from_newsletter(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret, desc = "The unsubscribe token from the mail.")] token: String,
    ) -> async_graphql::Result<bool> {
        newsletter::unsubscribe(context::db(ctx)?, &token).await?;
        Ok(true)
    }
}
