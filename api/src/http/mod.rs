//! The HTTP surface: routes and the layers around them.

mod client_address;
mod feeds;
mod files;
mod graphql;
pub(crate) mod graphql_ws;
mod health;
pub mod metrics;
mod newsletter_csv;
mod newsletter_links;
mod persisted_queries;
mod response_cache;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

use crate::config::ServeConfig;
use crate::db::Db;
use crate::feeds::Settings as FeedSettings;
use crate::graphql::{DocumentCache, QuireSchema};
use crate::media::Media;
pub use client_address::parse_proxy;
use persisted_queries::PersistedQueries;
use response_cache::ResponseCache;

/// How long an answer read from a read replica may be served from the response cache.
const REPLICA_CACHE_AGE: Duration = Duration::from_secs(1);

/// What every handler shares, behind one `Arc`: handlers take a copy per request.
pub type AppState = Arc<Shared>;

pub struct Shared {
    pub schema: QuireSchema,
    pub db: Db,
    pub media: Media,
    pub feeds: Arc<FeedSettings>,
    /// The largest GraphQL request that is not an upload.
    pub max_body_bytes: usize,
    pub responses: ResponseCache,
    pub persisted: PersistedQueries,
    pub documents: DocumentCache,
    /// `Cache-Control` of public answers to GET.
    pub public_cache_control: HeaderValue,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Shared {
    /// Where a request comes from, as the per-address limits count it: an IPv6 client by
    /// its /64 (see [`ClientKey`](crate::client_key::ClientKey)), so that every limit keyed
    /// on this address holds against a client rotating through its network.
    pub fn client_ip(
        &self,
        peer: std::net::SocketAddr,
        headers: &http::HeaderMap,
    ) -> std::net::IpAddr {
        let ip = client_address::client_ip(peer.ip(), headers, &self.trusted_proxies);
        crate::client_key::ClientKey::of(ip).ip()
    }
}

impl Shared {
    pub fn new(config: &ServeConfig, schema: QuireSchema, db: Db, media: Media) -> AppState {
        let caching = &config.caching;
        let public_cache_control = HeaderValue::from_str(&caching.public_cache_control)
            .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
        let replica = db.has_replica();
        Arc::new(Shared {
            schema,
            db,
            media,
            feeds: Arc::new(FeedSettings::new(&config.feeds, config.media.public_url.as_deref())),
            max_body_bytes: config.max_body_bytes,
            responses: ResponseCache::new(
                caching.response_cache_mb.saturating_mul(1024 * 1024),
                // A replica may lag the primary: what was read from it is kept only briefly.
                replica.then_some(REPLICA_CACHE_AGE),
            ),
            persisted: PersistedQueries::new(caching.persisted_queries),
            documents: DocumentCache::new(caching.query_cache_mb.saturating_mul(1024 * 1024)),
            public_cache_control,
            trusted_proxies: config.trusted_proxies.clone(),
        })
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(config: &ServeConfig, state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %request.method(), path = request.uri().path(), request_id = id)
    });
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(graphql_ws::upgrade))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/files/{id}/{filename}", get(files::download))
        .route("/metrics", get(metrics::render))
        .route("/admin/newsletter.csv", get(newsletter_csv::export))
        .route(
            "/newsletter/confirm",
            get(newsletter_links::confirm_page).post(newsletter_links::confirm),
        )
        .route(
            "/newsletter/unsubscribe",
            get(newsletter_links::unsubscribe_page).post(newsletter_links::unsubscribe),
        )
        .route("/feeds/{name}", get(feeds::serve))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        // Uploads may be larger than other requests; the GraphQL handler holds those to
        // the smaller limit itself.
        .layer(RequestBodyLimitLayer::new(upload_body_limit(config)))
        .layer(cors(&config.cors_origins))
        .layer(axum::middleware::from_fn(time_limit))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
}

/// Requests get 30 seconds; uploads, which stream a whole file first, get ten minutes.
async fn time_limit(request: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    let upload = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
    let limit = Duration::from_secs(if upload { 600 } else { 30 });
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// The largest body accepted at all: an upload of the largest file, its form fields and
/// boundaries, or the largest other request.
pub fn upload_body_limit(config: &ServeConfig) -> usize {
    let upload = usize::try_from(config.media.max_upload_bytes).unwrap_or(usize::MAX);
    upload.saturating_add(64 * 1024).max(config.max_body_bytes)
}

/// Browsers on other origins may call the API; tokens travel in the `Authorization`
/// header, so cookies are never needed and never allowed.
fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE, ACCEPT])
        .expose_headers([REQUEST_ID])
        .allow_credentials(false)
        .max_age(Duration::from_secs(24 * 60 * 60))
}
