//! `redirect(path:)`, `redirects`, `createRedirect` and `deleteRedirect`.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::graphql::pagination::{Cursor, connection};
use crate::graphql::{context, ids};
use quire_core::pagination::Forward;
use quire_core::site::redirects::{self, TYPE_NAME};

/// A redirect from an old front-end path.
pub struct Redirect(redirects::Redirect);

/// A redirect from an old front-end path.
#[Object]
impl Redirect {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(TYPE_NAME, self.0.id)
    }

    /// The old path, starting with `/`.
    async fn from(&self) -> &str {
        &self.0.from_path
    }

    /// Where to send the visitor: a path on the front-end or a full URL. From
    /// `redirect(path:)`, the end of the chain, and for a recorded move, the item's address now.
    async fn to(&self) -> &str {
        &self.0.to_path
    }

    /// Whether the move is for good (HTTP 301 or 308) rather than for now (302 or 307).
    async fn permanent(&self) -> bool {
        self.0.permanent
    }

    /// Whether Quire recorded it when an address changed, rather than an editor adding it.
    async fn automatic(&self) -> bool {
        self.0.automatic
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A redirect to add.
#[derive(InputObject)]
pub struct CreateRedirectInput {
    /// The old path, such as `/old-page`.
    from: String,
    /// Where to send visitors: a path starting with `/` or a full http(s) URL.
    to: String,
    /// For good (true, the default) or for now.
    permanent: Option<bool>,
}

#[derive(Default)]
pub struct RedirectQuery;

#[Object]
impl RedirectQuery {
    /// Where an unknown front-end path should go, for a front-end about to answer 404; null
    /// when nowhere. Chains are followed to their end.
    async fn redirect(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The path that was not found, such as `/news/old-slug` (a full URL on the site works too)."
        )]
        path: String,
    ) -> async_graphql::Result<Option<Redirect>> {
        let site = super::current(ctx).await?;
        let viewer = context::viewer(ctx)?;
        let found =
            redirects::resolve(context::reads(ctx)?, viewer, &site.addresses, &path).await?;
        Ok(found.map(Redirect))
    }

    /// Every redirect, newest first (editors and admins).
    async fn redirects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 20 by default, 100 at most.")] first: Option<i32>,
        #[graphql(
            desc = "Return those after this cursor (a previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Redirect>> {
        let actor = context::actor(ctx)?;
        let page =
            redirects::list(context::db(ctx)?.conn(), &actor, Forward { first, after }).await?;
        Ok(connection(page, Redirect))
    }
}

#[derive(Default)]
pub struct RedirectMutation;

#[Object]
impl RedirectMutation {
    /// Adds a redirect (editors and admins). A redirect to a path that redirects on goes to
    /// the chain's end; one that would make a loop is refused.
    async fn create_redirect(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The redirect.")] input: CreateRedirectInput,
    ) -> async_graphql::Result<Redirect> {
        let actor = context::actor(ctx)?;
        let site = super::current(ctx).await?;
        let db = context::db(ctx)?;
        let created = redirects::create(
            db,
            &actor,
            &site.addresses,
            &input.from,
            &input.to,
            input.permanent.unwrap_or(true),
        )
        .await?;
        Ok(Redirect(created))
    }

    /// Removes a redirect (editors and admins); returns its id.
    async fn delete_redirect(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The redirect's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let actor = context::actor(ctx)?;
        redirects::delete(context::db(ctx)?, &actor, &id).await?;
        Ok(id)
    }
}
