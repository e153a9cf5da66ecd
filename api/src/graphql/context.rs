//! What a resolver gets from the request: the database, the caller and the loaders.

use async_graphql::Context;

use super::batch::BatchLoader;
use super::loaders::ContentLoader;
use crate::auth::Actor;
use crate::content::Viewer;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// Per-request data, added by the HTTP layer after authentication.
pub struct RequestContext {
    pub actor: Actor,
    pub loader: BatchLoader<ContentLoader>,
}

impl RequestContext {
    pub fn new(db: Db, actor: Actor) -> Self {
        let loader = BatchLoader::new(ContentLoader::new(db, actor.viewer()));
        RequestContext { actor, loader }
    }
}

fn missing(what: &str) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{what} missing from the GraphQL context"))
}

pub fn db<'a>(ctx: &Context<'a>) -> ApiResult<&'a Db> {
    ctx.data::<Db>().map_err(|_| missing("database"))
}

pub fn request<'a>(ctx: &Context<'a>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| missing("request context"))
}

pub fn actor(ctx: &Context<'_>) -> ApiResult<Actor> {
    Ok(request(ctx)?.actor)
}

pub fn viewer(ctx: &Context<'_>) -> ApiResult<Viewer> {
    Ok(actor(ctx)?.viewer())
}

pub fn loader<'a>(ctx: &Context<'a>) -> ApiResult<&'a BatchLoader<ContentLoader>> {
    Ok(&request(ctx)?.loader)
}
