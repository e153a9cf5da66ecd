//! Previews: tokens that open one item, draft or not, to whoever holds them.

use async_graphql::{Context, ID, Object};
use quire_core::content::{Viewer, read};
use quire_core::error::ApiError;
use quire_core::preview;

use super::context;
use super::node::{Node, content_uuid};

#[derive(Default)]
pub struct PreviewQuery;

#[Object]
impl PreviewQuery {
    /// The item a preview token opens, draft or not. Anyone holding the token may ask.
    async fn preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> async_graphql::Result<Option<Node>> {
        // A draft seen through a token is nobody else's to cache, and the token expires.
        ctx.insert_http_header(http::header::CACHE_CONTROL, "private, no-store");
        let db = context::db(ctx)?;
        let id = preview::verify(db, &token).await?;
        Ok(read::find(db.conn(), Viewer::Staff, None, id).await?.map(Node::from))
    }
}

#[derive(Default)]
pub struct PreviewMutation;

#[Object]
impl PreviewMutation {
    /// A token that lets whoever holds it see this one item, draft or not, until it expires
    /// (default one hour, at most 30 days), until `revokePreviewTokens` ends it, or until
    /// the account that made it is deactivated (or its API token revoked). Editors,
    /// admins, and the author who created the item.
    async fn create_preview_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expires_in_seconds: Option<i32>,
    ) -> async_graphql::Result<String> {
        let actor = context::actor(ctx)?;
        actor.require_staff()?;
        let uuid = content_uuid(&id)?;
        let db = context::db(ctx)?;
        let Some(item) = read::find(db.conn(), Viewer::Staff, None, uuid).await? else {
            return Err(ApiError::not_found("content item").into());
        };
        actor.require_owner_or_editor(item.created_by)?;
        let ttl = expires_in_seconds.map(|s| chrono::Duration::seconds(i64::from(s)));
        Ok(preview::create(db, &actor, uuid, ttl).await?.0)
    }

    /// Ends every preview token of this item made so far, whoever made it (editors and
    /// admins). Tokens made afterwards work. Always true.
    async fn revoke_preview_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The content item's id.")] id: ID,
    ) -> async_graphql::Result<bool> {
        let actor = context::actor(ctx)?;
        actor.require_editor()?;
        let uuid = content_uuid(&id)?;
        preview::revoke(context::db(ctx)?, &actor, uuid).await?;
        Ok(true)
    }
}
