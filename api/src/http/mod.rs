//! The HTTP surface: routes and the layers around them.

mod graphql;
mod health;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::ServeConfig;
use crate::db::Db;
use crate::graphql::QuireSchema;

#[derive(Clone)]
pub struct AppState {
    pub schema: QuireSchema,
    pub db: Db,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(config: &ServeConfig, state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %request.method(), path = request.uri().path(), request_id = id)
    });
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(cors(&config.cors_origins))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
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
