//! What a resolver gets from the request: the database, the caller and the loaders.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::Context;

use super::batch::BatchLoader;
use super::loaders::ContentLoader;
use super::site::Site;
use quire_core::auth::Actor;
use quire_core::content::Viewer;
use quire_core::db::Db;
use quire_core::error::{ApiError, ApiResult};
use quire_core::users::LoginLimiter;

/// Per-request data, added by the HTTP layer after authentication.
pub struct RequestContext {
    pub actor: Actor,
    pub client_ip: Option<IpAddr>,
    pub loader: BatchLoader<ContentLoader>,
    /// The site settings, read at most once per request, by whatever first needs them
    /// (`url`, `seo`, menus, redirects).
    pub site: tokio::sync::OnceCell<std::sync::Arc<Site>>,
    /// Set once a preview token has opened an item in this request: the files that item
    /// shows then get signed URLs, so that its holder sees a draft's own images too.
    pub preview_opened: AtomicBool,
}

impl RequestContext {
    pub fn new(db: Db, actor: Actor, client_ip: Option<IpAddr>) -> Self {
        let loader = BatchLoader::new(ContentLoader::new(db, actor.viewer()));
        RequestContext {
            actor,
            client_ip,
            loader,
            site: tokio::sync::OnceCell::new(),
            preview_opened: AtomicBool::new(false),
        }
    }
}

/// Whether files should get signed URLs: for staff, and for whoever opened a preview.
pub fn signs_files(ctx: &Context<'_>) -> ApiResult<bool> {
    let request = request(ctx)?;
    Ok(request.actor.viewer() == Viewer::Staff || request.preview_opened.load(Ordering::Relaxed))
}

/// Sign-in settings shared by every request.
pub struct SignInSettings {
    pub limiter: LoginLimiter,
    pub session_ttl: chrono::Duration,
}

fn missing(what: &str) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{what} missing from the GraphQL context"))
}

pub fn db<'a>(ctx: &Context<'a>) -> ApiResult<&'a Db> {
    ctx.data::<Db>().map_err(|_| missing("database"))
}

pub fn request<'a>(ctx: &Context<'a>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>().map_err(|_| missing("request context"))
}

pub fn actor(ctx: &Context<'_>) -> ApiResult<Actor> {
    Ok(request(ctx)?.actor.clone())
}

/// Shared by the schema's two validation modes (see [`crate::graphql::Schemas`]), so that
/// both count against the same limits.
pub fn sign_in<'a>(ctx: &Context<'a>) -> ApiResult<&'a SignInSettings> {
    ctx.data::<std::sync::Arc<SignInSettings>>()
        .map(|settings| &**settings)
        .map_err(|_| missing("sign-in settings"))
}

pub fn viewer(ctx: &Context<'_>) -> ApiResult<Viewer> {
    Ok(actor(ctx)?.viewer())
}

/// Where this request's reads go (the public's to a read replica, if there is one).
pub fn reads<'a>(ctx: &Context<'a>) -> ApiResult<&'a sea_orm::DatabaseConnection> {
    Ok(db(ctx)?.reads_for(viewer(ctx)?))
}

/// Where this request's reads of content rows go: as [`reads`], and on a SQLite file
/// straight to SQLite where a read is short.
pub fn rows<'a>(ctx: &Context<'a>) -> ApiResult<quire_core::db::Reads<'a>> {
    Ok(db(ctx)?.rows_for(viewer(ctx)?))
}

pub fn loader<'a>(ctx: &Context<'a>) -> ApiResult<&'a BatchLoader<ContentLoader>> {
    Ok(&request(ctx)?.loader)
}

/// The `Authorization` value a WebSocket connection was opened with, if any: its
/// subscriptions check it again before each change they send.
#[derive(Clone)]
pub struct WsCredentials(pub Option<String>);
