//! The editors' desk at `/admin/`: a browser application written for Quire (HTML, CSS and
//! JavaScript modules in `api/desk/`), embedded in the binary at compile time. It loads
//! nothing from another origin and talks to Quire only through the public GraphQL API.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

use super::AppState;

/// One embedded file of the desk.
struct DeskFile {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    etag: HeaderValue,
}

macro_rules! desk_files {
    ($($name:literal => $content_type:literal),* $(,)?) => {
        [$(($name, include_bytes!(concat!("../../desk/", $name)).as_slice(), $content_type)),*]
    };
}

/// Every file of the desk; the ETags are the files' hashes, computed once.
static FILES: LazyLock<Vec<DeskFile>> = LazyLock::new(|| {
    desk_files![
        "index.html" => "text/html; charset=utf-8",
        "desk.css" => "text/css; charset=utf-8",
        "app.js" => "text/javascript; charset=utf-8",
        "api.js" => "text/javascript; charset=utf-8",
        "ui.js" => "text/javascript; charset=utf-8",
        "content.js" => "text/javascript; charset=utf-8",
        "media.js" => "text/javascript; charset=utf-8",
        "admin.js" => "text/javascript; charset=utf-8",
        "favicon.svg" => "image/svg+xml",
    ]
    .into_iter()
    .map(|(name, body, content_type)| {
        let hash = hex::encode(&Sha256::digest(body)[..16]);
        let etag = HeaderValue::from_str(&format!("\"{hash}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("\"desk\""));
        DeskFile { name, body, content_type, etag }
    })
    .collect()
});

/// The desk's policy: its own scripts, styles and images only, no inline script or style,
/// no plugins, no framing. Images also come from `--public-url`'s origin when file URLs
/// point there, and from `blob:` (a chosen file shown before it is uploaded).
pub fn policy(public_url: Option<&str>) -> HeaderValue {
    let files_origin = public_url.and_then(origin).map(|o| format!(" {o}")).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; \
         img-src 'self' blob:{files_origin}; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
}

/// `https://example.org` of `https://example.org/cms/`; `None` unless http(s).
fn origin(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let end = url.len() - rest.len() + host_end;
    (host_end > 0 && !rest[..host_end].contains(char::is_whitespace)).then(|| &url[..end])
}

/// `/admin` without its slash: the desk's relative links need it.
pub async fn to_index() -> Redirect {
    Redirect::permanent("/admin/")
}

pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, &headers, "index.html")
}

pub async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, &headers, &name)
}

fn serve(state: &AppState, headers: &HeaderMap, name: &str) -> Response {
    let Some(file) = FILES.iter().find(|f| f.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().as_bytes() == file.etag.as_bytes()));
    let common = [
        (ETAG, file.etag.clone()),
        // Always asked again, answered 304 while unchanged: a new Quire shows a new desk.
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (CONTENT_SECURITY_POLICY, state.desk_policy.clone()),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (common, [(CONTENT_TYPE, HeaderValue::from_static(file.content_type))], file.body)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn the_origin_of_the_public_url() {
        assert_eq!(origin("https://cms.example.org/base/"), Some("https://cms.example.org"));
        assert_eq!(origin("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080"));
        assert_eq!(origin("ftp://x"), None);
        assert_eq!(origin("https:///x"), None);
    }
}
