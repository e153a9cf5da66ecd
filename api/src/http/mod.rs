//! The HTTP surface: routes and the layers around them.

mod client_address;
mod desk;
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
mod sitemap;
mod time_limit;
mod ws_connections;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderName, HeaderValue, Method, Request};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::ServeConfig;
use crate::graphql::cost::CostLimits;
use crate::graphql::{
    CostBudget, DocumentCache, QuireSchema, RequestGuard, RunningQueries, Schemas,
};
use persisted_queries::PersistedQueries;
use quire_core::db::Db;
use quire_core::feeds::Settings as FeedSettings;
use quire_core::media::Media;
use response_cache::ResponseCache;
use time_limit::TimeLimits;

/// How long an answer read from a read replica may be served from the response cache.
const REPLICA_CACHE_AGE: Duration = Duration::from_secs(1);

/// What every handler shares, behind one `Arc`: handlers take a copy per request.
pub type AppState = Arc<Shared>;

pub struct Shared {
    /// Validates each request in full.
    pub schema: QuireSchema,
    /// For texts that passed the full validation before (see [`Schemas`]).
    pub validated_schema: QuireSchema,
    pub db: Db,
    pub media: Media,
    pub feeds: Arc<FeedSettings>,
    /// The largest GraphQL request that is not an upload.
    pub max_body_bytes: usize,
    pub responses: ResponseCache,
    pub persisted: PersistedQueries,
    pub documents: DocumentCache,
    /// What each request may cost, checked before it runs.
    pub guard: RequestGuard,
    /// How much heavy work may run at once.
    pub budget: CostBudget,
    /// How many queries may run at once.
    pub running: RunningQueries,
    /// `Cache-Control` of public answers to GET.
    pub public_cache_control: HeaderValue,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Limits on subscriptions over WebSocket, and the connections each address holds.
    pub websockets: graphql_ws::Limits,
    /// Whether `GET /graphql` serves GraphiQL to browsers.
    pub graphiql: bool,
    /// The editors' desk's `Content-Security-Policy`.
    pub desk_policy: HeaderValue,
}

impl Shared {
    /// Where a request comes from, as the per-address limits count it: an IPv6 client by
    /// its /64 (see [`ClientKey`](quire_core::client_key::ClientKey)), so that every limit keyed
    /// on this address holds against a client rotating through its network.
    pub fn client_ip(
        &self,
        peer: std::net::SocketAddr,
        headers: &http::HeaderMap,
    ) -> std::net::IpAddr {
        let ip = client_address::client_ip(peer.ip(), headers, &self.trusted_proxies);
        quire_core::client_key::ClientKey::of(ip).ip()
    }
}

impl Shared {
    pub fn new(config: &ServeConfig, schemas: Schemas, db: Db, media: Media) -> AppState {
        let caching = &config.caching;
        let public_cache_control = HeaderValue::from_str(&caching.public_cache_control)
            .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
        let replica = db.has_replica();
        Arc::new(Shared {
            schema: schemas.full,
            validated_schema: schemas.validated_before,
            db,
            media,
            feeds: Arc::new(FeedSettings::new(&config.feeds, config.media.public_url.as_deref())),
            max_body_bytes: config.max_body_bytes,
            responses: ResponseCache::new(
                caching.response_cache_mb.saturating_mul(1024 * 1024),
                // A replica may lag the primary: what was read from it is kept only briefly.
                replica.then_some(REPLICA_CACHE_AGE),
            ),
            persisted: PersistedQueries::new(
                caching.persisted_queries_mb.saturating_mul(1024 * 1024),
            ),
            documents: DocumentCache::new(caching.query_cache_mb.saturating_mul(1024 * 1024)),
            guard: RequestGuard::new(CostLimits {
                max_cost: config.max_query_cost,
                max_aliases: config.max_aliases,
                max_depth: config.max_query_depth,
            }),
            budget: CostBudget::new(config.max_cost_in_flight),
            running: RunningQueries::new(
                config.queries_running(),
                config.queries_running_per_client(),
            ),
            public_cache_control,
            trusted_proxies: config.trusted_proxies.clone(),
            websockets: graphql_ws::Limits::new(&config.websocket),
            graphiql: config.graphiql,
            desk_policy: desk::policy(config.media.public_url.as_deref()),
        })
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(config: &ServeConfig, state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %request.method(), path = request.uri().path(), request_id = id)
    });
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(graphql_ws::upgrade))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/files/{id}/{filename}", get(files::download))
        .route("/metrics", get(metrics::render))
        .route("/admin/newsletter.csv", get(newsletter_csv::export))
        .route("/admin", get(desk::to_index))
        .route("/admin/", get(desk::index))
        .route("/admin/{*file}", get(desk::file))
        .route(
            "/newsletter/confirm",
            get(newsletter_links::confirm_page).post(newsletter_links::confirm),
        )
        .route(
            "/newsletter/unsubscribe",
            get(newsletter_links::unsubscribe_page).post(newsletter_links::unsubscribe),
        )
        .route("/feeds/{name}", get(feeds::serve))
        .route("/sitemap.xml", get(sitemap::serve))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        // Uploads may be larger than other requests; the GraphQL handler holds those to
        // the smaller limit itself.
        .layer(RequestBodyLimitLayer::new(upload_body_limit(config)))
        .layer(cors(&config.cors_origins))
        .layer(axum::middleware::from_fn_with_state(time_limits(config), time_limit::time_limit))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]));
    with_security_headers(router)
}

/// Requests get `--request-timeout-seconds`; uploads also get the time their files take to
/// arrive, up to ten minutes in all.
fn time_limits(config: &ServeConfig) -> TimeLimits {
    TimeLimits {
        request: Duration::from_secs(config.request_timeout_seconds.max(1)),
        upload: Duration::from_secs(600),
    }
}

/// Headers on every response, errors and 404s included: no type sniffing, no `Referer` to
/// other sites, no framing by any page. The CSP names only `frame-ancestors`, so GraphiQL
/// still loads its scripts and styles from its CDN; a handler's own policy is kept.
fn with_security_headers(router: Router) -> Router {
    let header =
        |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    router
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .layer(header(CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
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
