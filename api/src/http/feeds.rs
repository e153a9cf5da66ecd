//! `GET /feeds/{kind}.{rss|atom|json}`: the feeds of news and press releases, with a strong
//! `ETag` over the bytes, `Last-Modified`, and `304 Not Modified` for a copy still current.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, HOST, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, VARY,
    X_CONTENT_TYPE_OPTIONS,
};
use http::uri::Authority;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use sha2::{Digest, Sha256};

use super::AppState;
use super::files::etag_matches;
use quire_core::feeds::{self, Format, Kind};

fn status(code: StatusCode) -> Response {
    (code, code.canonical_reason().unwrap_or_default()).into_response()
}

pub async fn serve(
    State(state): State<AppState>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some((kind, format)) = feeds::parse_name(&name) else {
        return status(StatusCode::NOT_FOUND);
    };
    match respond(&state, kind, format, &uri, &headers).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = ?err, feed = %name, "serving a feed");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

async fn respond(
    state: &AppState,
    kind: Kind,
    format: Format,
    uri: &Uri,
    headers: &HeaderMap,
) -> anyhow::Result<Response> {
    let settings = &state.feeds;
    let snapshot =
        feeds::load(state.db.reads_for(quire_core::content::Viewer::Public), kind, settings.limit)
            .await
            .map_err(|err| anyhow::anyhow!("{err:?}"))?;
    let last_modified = snapshot.last_modified;
    let (base, from_request) = match &settings.public_url {
        Some(url) => (url.clone(), false),
        None => (request_base(uri, headers), true),
    };
    let reads = state.db.reads_for(quire_core::content::Viewer::Public);
    let site = quire_core::site::settings::load(reads, state.db.site_defaults())
        .await
        .map_err(|err| anyhow::anyhow!("{err:?}"))?;
    let feed = feeds::build(&site, &base, kind, format, snapshot);
    let body = feeds::render(&feed, format)?;
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(&body)));

    let fresh = if headers.contains_key(IF_NONE_MATCH) {
        etag_matches(headers, &etag)
    } else {
        not_modified_since(headers, last_modified)
    };
    let mut response = if fresh {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = Response::new(Body::from(body));
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
        response
    };
    let h = response.headers_mut();
    h.insert(ETAG, HeaderValue::from_str(&etag)?);
    if let Some(at) = last_modified {
        h.insert(LAST_MODIFIED, HeaderValue::from_str(&http_date(at))?);
    }
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={}", settings.max_age))?,
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if from_request {
        // The links name the host and scheme the request came with.
        h.insert(VARY, HeaderValue::from_static("Host, X-Forwarded-Proto"));
    }
    Ok(response)
}

/// `scheme://host` from the request, when no public URL is set: `X-Forwarded-Proto` (from
/// a proxy that ends TLS) or `http`, and the `Host` header (or the HTTP/2 authority).
pub(super) fn request_base(uri: &Uri, headers: &HeaderMap) -> String {
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| v == "https" || v == "http")
        .unwrap_or_else(|| "http".to_string());
    // Only a well-formed authority goes into the feed: anything else could break the XML
    // or point readers elsewhere.
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Authority>().ok())
        .or_else(|| uri.authority().cloned())
        .filter(|a| !a.as_str().contains('@'))
        .map_or_else(|| "localhost".to_string(), |a| a.as_str().to_ascii_lowercase());
    format!("{scheme}://{host}")
}

/// `If-Modified-Since` (read only without `If-None-Match`, RFC 9110 §13.1.3): the feed
/// has not changed since that date. HTTP dates count whole seconds.
fn not_modified_since(headers: &HeaderMap, last_modified: Option<DateTime<Utc>>) -> bool {
    let Some(last_modified) = last_modified else { return false };
    let since = headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok());
    since.is_some_and(|since| last_modified.timestamp() <= since.timestamp())
}

fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_base_comes_from_host_and_forwarded_proto() {
        let uri: Uri = "/feeds/news.rss".parse().unwrap();
        let base = |pairs: &[(&'static str, &str)]| request_base(&uri, &headers(pairs));
        assert_eq!(base(&[("host", "cms.example.org")]), "http://cms.example.org");
        assert_eq!(
            base(&[("host", "cms.example.org:8443"), ("x-forwarded-proto", "HTTPS, http")]),
            "https://cms.example.org:8443"
        );
        assert_eq!(base(&[("host", "a\"><b")]), "http://localhost");
        assert_eq!(base(&[("host", "user@evil.example")]), "http://localhost");
        assert_eq!(base(&[("host", "x"), ("x-forwarded-proto", "javascript")]), "http://x");
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z").unwrap().to_utc();
        assert_eq!(http_date(at), "Fri, 02 Jan 2026 03:04:05 GMT");
        let since = |v: &str| not_modified_since(&headers(&[("if-modified-since", v)]), Some(at));
        assert!(since("Fri, 02 Jan 2026 03:04:05 GMT"));
        assert!(since("Fri, 02 Jan 2026 04:00:00 GMT"));
        assert!(!since("Fri, 02 Jan 2026 03:04:04 GMT"));
        assert!(!since("yesterday"));
        assert!(!not_modified_since(
            &headers(&[("if-modified-since", "Fri, 02 Jan 2026 04:00:00 GMT")]),
            None
        ));
    }
}
