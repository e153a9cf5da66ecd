//! Previews: tokens that open one item, draft or not, to whoever holds them.

use async_graphql::{Context, ID, Object};
use quire_core::preview;

use super::context;
use super::node::Node;

#[derive(Default)]
pub struct PreviewQuery;

#[Object]
impl PreviewQuery {
    /// The item a preview token opens, draft or not. Anyone holding the token may ask;
    /// the item's files (images, a booklet's file) come with signed URLs, so they load
    /// for the holder even while only the draft uses them.
    async fn preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret, desc = "A preview token from `createPreviewToken`.")] token: String,
    ) -> async_graphql::Result<Option<Node>> {
        // A draft seen through a token is nobody else's to cache, and the token expires.
        ctx.insert_http_header(http::header::CACHE_CONTROL, "private, no-store");
        let opened = preview::open(context::db(ctx)?, &token).await?;
        if opened.is_some() {
            let request = context::request(ctx)?;
            request.preview_opened.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(opened.map(Node::from))
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
        #[graphql(desc = "The item's id.")] id: ID,
        #[graphql(
            desc = "How long the token works, in seconds: an hour by default, 30 days at most."
        )]
        expires_in_seconds: Option<i32>,
    ) -> async_graphql::Result<String> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        Ok(preview::create(db, &actor, &id, expires_in_seconds).await?.0)
    }

    /// Ends every preview token of this item made so far, whoever made it (editors and
    /// admins). Tokens made afterwards work. Always true.
    async fn revoke_preview_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The content item's id.")] id: ID,
    ) -> async_graphql::Result<bool> {
        let actor = context::actor(ctx)?;
        preview::revoke(context::db(ctx)?, &actor, &id).await?;
        Ok(true)
    }
}
