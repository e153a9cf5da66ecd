//! `GET /sitemap.xml`: the sitemap of the front-end's public addresses, with a strong `ETag`
//! over the bytes and `304 Not Modified` for a copy still current. Past 50,000 addresses it
//! is an index of `/sitemap.xml?from=ID` parts.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, VARY, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::AppState;
use super::feeds::request_base;
use super::files::etag_matches;
use quire_core::content::Viewer;
use quire_core::site::settings;
use quire_core::site::sitemap::{self, Sitemap};

#[derive(Deserialize)]
pub struct Part {
    from: Option<Uuid>,
}

pub async fn serve(
    State(state): State<AppState>,
    Query(part): Query<Part>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match respond(&state, part.from, &uri, &headers).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = ?err, "serving the sitemap");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
    }
}

async fn respond(
    state: &AppState,
    from: Option<Uuid>,
    uri: &Uri,
    headers: &HeaderMap,
) -> anyhow::Result<Response> {
    let internal = |err: quire_core::error::ApiError| anyhow::anyhow!("{err:?}");
    let reads = state.db.reads_for(Viewer::Public);
    let site = settings::load(reads, state.db.site_defaults()).await.map_err(internal)?;
    let mut addresses = site.addresses();
    let from_request = addresses.base.is_empty();
    if from_request {
        // No front-end address is known: the links name the host the request came to.
        addresses.base = request_base(uri, headers);
    }
    let body = match sitemap::build(reads, &addresses, from).await.map_err(internal)? {
        Sitemap::Urls(xml) => xml,
        Sitemap::Parts(parts) => {
            let own = match &state.feeds.public_url {
                Some(url) => url.clone(),
                None => request_base(uri, headers),
            };
            sitemap::index(&parts, |first| format!("{own}/sitemap.xml?from={first}"))
        }
    };
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(body.as_bytes())));
    let mut response = if etag_matches(headers, &etag) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = Response::new(Body::from(body));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
        response
    };
    let h = response.headers_mut();
    h.insert(ETAG, HeaderValue::from_str(&etag)?);
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={}", state.feeds.max_age))?,
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if from_request {
        h.insert(VARY, HeaderValue::from_static("Host, X-Forwarded-Proto"));
    }
    Ok(response)
}
