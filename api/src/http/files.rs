//! `GET /files/{id}/{filename}`: stored files, streamed, with the headers browsers and
//! caches need, ranges for resumed downloads, and image variants on request.
//!
//! Who gets a file: the public while published content uses it; staff always; and anyone
//! with a signed URL (`?expires=…&sig=…`, see [`quire_core::media::signed`]) until it
//! expires. A request that carries a signature is judged by it alone: a bad or expired one
//! is a 404, as for a file that is not there, whoever asks.

use std::ops::Range;

use axum::body::Body;
use bytes::Bytes;
use futures_util::TryStreamExt;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, IF_NONE_MATCH, LAST_MODIFIED, RANGE, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use quire_entity::asset;
use serde::Deserialize;
use uuid::Uuid;

use super::AppState;
use quire_core::auth;
use quire_core::content::{ContentType, Viewer};
use quire_core::media::assets;
use quire_core::media::storage::ByteStream;
use quire_core::media::variants::{Format, Served, VariantError, Wanted};

/// Published files never change under their URL: caches may keep them for a year.
const PUBLIC_CACHE: &str = "public, max-age=31536000, immutable";
/// A file only staff can see must not be kept by shared caches.
const STAFF_CACHE: &str = "private, no-store";

#[derive(Debug, Deserialize)]
pub struct VariantQuery {
    w: Option<u32>,
    format: Option<String>,
    expires: Option<String>,
    sig: Option<String>,
}

/// Why a request may have a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Only through published content that uses it.
    Public,
    Staff,
    /// A valid signature, until `expires` (seconds since the epoch).
    Signed {
        expires: i64,
    },
}

fn status(code: StatusCode) -> Response {
    (code, code.canonical_reason().unwrap_or_default()).into_response()
}

pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    Path((id, filename)): Path<(String, String)>,
    Query(query): Query<VariantQuery>,
    headers: HeaderMap,
) -> Response {
    let access = match (&query.expires, &query.sig) {
        (None, None) => match auth::authenticate(&state.db, &headers).await {
            Ok(actor) if actor.viewer() == Viewer::Staff => Access::Staff,
            Ok(_) => Access::Public,
            Err(_) => return status(StatusCode::UNAUTHORIZED),
        },
        // Credentials are not asked for: an `<img>` sends none.
        (Some(expires), Some(sig)) => {
            let signed = Uuid::parse_str(&id)
                .is_ok_and(|id| state.media.signer.verify(id, expires, sig, chrono::Utc::now()));
            match expires.parse() {
                Ok(expires) if signed => Access::Signed { expires },
                _ => return status(StatusCode::NOT_FOUND),
            }
        }
        _ => return status(StatusCode::NOT_FOUND),
    };
    let request = FileRequest {
        id: &id,
        filename: &filename,
        query,
        headers: &headers,
        client: state.client_ip(peer, &headers),
        counts: method == Method::GET,
    };
    match serve(&state, access, request).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = ?err, "serving a file");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

struct FileRequest<'a> {
    id: &'a str,
    filename: &'a str,
    query: VariantQuery,
    headers: &'a HeaderMap,
    /// Whose turn an image variant is made in.
    client: IpAddr,
    /// Whether a complete download by the public counts as one.
    counts: bool,
}

async fn serve(
    state: &AppState,
    access: Access,
    request: FileRequest<'_>,
) -> anyhow::Result<Response> {
    let FileRequest { id, filename, query, headers, client, mut counts } = request;
    let not_found = || Ok(status(StatusCode::NOT_FOUND));
    let Ok(id) = Uuid::parse_str(id) else { return not_found() };
    let conn = state.db.conn();
    let Some(asset) = assets::find(conn, id).await.map_err(anyhow_of)? else { return not_found() };
    if asset.filename != filename {
        return not_found();
    }
    // The public reaches a file only through published content that uses it, or as the
    // site's logo.
    let users = assets::users(conn, Viewer::Public, id).await.map_err(anyhow_of)?;
    let shown = !users.is_empty() || assets::is_site_logo(conn, id).await.map_err(anyhow_of)?;
    if access == Access::Public && !shown {
        return not_found();
    }
    let cache = match access {
        // The URL is a pass: no shared cache may keep what it opened, and the browser's
        // own copy lasts no longer than the pass.
        Access::Signed { expires } => {
            let left = (expires - chrono::Utc::now().timestamp()).max(0);
            header(&format!("private, max-age={left}"))
        }
        _ if !shown => HeaderValue::from_static(STAFF_CACHE),
        _ => HeaderValue::from_static(PUBLIC_CACHE),
    };

    let wanted = Wanted {
        width: query.w,
        format: query.format.as_deref().map(Format::parse).unwrap_or(None),
    };
    if query.format.is_some() && wanted.format.is_none() {
        return Ok((StatusCode::BAD_REQUEST, "format is webp, jpeg or png").into_response());
    }
    if wanted.width.is_some() || wanted.format.is_some() {
        // An image shown in a page, not a download, even when it is served as it is stored.
        counts = false;
        match state.media.variants.get(&asset, wanted, client).await {
            Ok(Served::Original) => {}
            Ok(Served::Variant(variant)) => {
                let etag = format!("\"{}-{}\"", asset.sha256, variant.tag);
                let stream = tokio_util::io::ReaderStream::new(variant.file);
                let file_headers =
                    FileHeaders { mime_type: variant.mime_type, etag, cache, asset: &asset };
                return file_headers
                    .respond(headers, variant.length, None, |_| async move {
                        Ok(Body::from_stream(stream))
                    })
                    .await;
            }
            Err(VariantError::Refused(message)) => {
                return Ok((StatusCode::BAD_REQUEST, message).into_response());
            }
            Err(VariantError::Busy) => {
                // This client's, not the server's, limit: 429 rather than 503.
                let mut response = status(StatusCode::TOO_MANY_REQUESTS);
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
                return Ok(response);
            }
            Err(VariantError::Internal(err)) => return Err(err),
        }
    }

    let etag = format!("\"{}\"", asset.sha256);
    let length = u64::try_from(asset.byte_size).unwrap_or(0);
    // Conditions first (RFC 9110 §13.2.2): a cached copy needs no range.
    let range = headers.get(RANGE).and_then(|v| v.to_str().ok()).map(|v| parse_range(v, length));
    let range = if etag_matches(headers, &etag) { None } else { range };
    if let Some(Err(())) = range {
        let mut response = status(StatusCode::RANGE_NOT_SATISFIABLE);
        response.headers_mut().insert(CONTENT_RANGE, header(&format!("bytes */{length}")));
        return Ok(response);
    }
    let range = range.and_then(Result::ok).flatten();
    // Only a download of the whole file counts: a range that covers it all is one, a part
    // (the first bytes, the last, a resumed download's rest) is not.
    let whole = range.as_ref().is_none_or(|r| r.start == 0 && r.end == length);
    // Downloads of booklet files by the public are counted, once the last byte is sent.
    let booklets: Vec<Uuid> = if counts && access == Access::Public && whole {
        users
            .iter()
            .filter(|i| i.content_type == ContentType::Booklet && i.file_id == Some(id))
            .map(|i| i.id)
            .collect()
    } else {
        Vec::new()
    };
    let file_headers = FileHeaders { mime_type: &asset.mime_type, etag, cache, asset: &asset };
    let storage = state.media.storage.clone();
    let key = asset.storage_key.clone();
    let downloads = state.media.downloads.clone();
    file_headers
        .respond(headers, length, range, |range| async move {
            let sent = range.as_ref().map_or(length, |r| r.end - r.start);
            let stream = storage.read(&key, range).await?;
            let stream = counted_when_sent(stream, sent, move || {
                for booklet in booklets {
                    downloads.count(booklet);
                    ::metrics::counter!("quire_booklet_downloads_total").increment(1);
                }
            });
            Ok(Body::from_stream(stream))
        })
        .await
}

/// Calls `done` once the stream has given its last byte (of `length`) to the connection: a
/// client that hangs up before the end has not downloaded the file.
fn counted_when_sent(
    stream: ByteStream,
    length: u64,
    done: impl FnOnce() + Send + 'static,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
    let mut sent = 0u64;
    let mut done = Some(done);
    stream.map_ok(move |chunk| {
        sent += chunk.len() as u64;
        if sent >= length
            && let Some(done) = done.take()
        {
            done();
        }
        chunk
    })
}

fn anyhow_of(err: quire_core::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{err:?}")
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static(""))
}

struct FileHeaders<'a> {
    mime_type: &'a str,
    etag: String,
    cache: HeaderValue,
    asset: &'a asset::Model,
}

impl FileHeaders<'_> {
    async fn respond<F, Fut>(
        self,
        request: &HeaderMap,
        length: u64,
        range: Option<Range<u64>>,
        body: F,
    ) -> anyhow::Result<Response>
    where
        F: FnOnce(Option<Range<u64>>) -> Fut,
        Fut: Future<Output = anyhow::Result<Body>>,
    {
        let mut response = if etag_matches(request, &self.etag) {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            let (code, sent) = match &range {
                Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
                None => (StatusCode::OK, length),
            };
            let mut response = Response::new(body(range.clone()).await?);
            *response.status_mut() = code;
            let h = response.headers_mut();
            h.insert(CONTENT_TYPE, header(self.mime_type));
            h.insert(CONTENT_LENGTH, HeaderValue::from(sent));
            if let Some(r) = &range {
                h.insert(
                    CONTENT_RANGE,
                    header(&format!("bytes {}-{}/{length}", r.start, r.end - 1)),
                );
            }
            let disposition =
                if self.mime_type == "application/pdf" { "attachment" } else { "inline" };
            h.insert(
                CONTENT_DISPOSITION,
                header(&format!("{disposition}; filename=\"{}\"", self.asset.filename)),
            );
            response
        };
        let h = response.headers_mut();
        h.insert(ETAG, header(&self.etag));
        h.insert(CACHE_CONTROL, self.cache);
        h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        h.insert(
            LAST_MODIFIED,
            header(&self.asset.created_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        );
        Ok(response)
    }
}

pub(super) fn etag_matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// One `bytes=` range: `Ok(None)` to serve the whole file (several ranges, or a form this
/// server does not read), `Err` when it cannot be satisfied.
fn parse_range(value: &str, length: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let suffix: u64 = end.parse().map_err(|_| ())?;
        if suffix == 0 {
            return Err(());
        }
        length.saturating_sub(suffix)..length
    } else {
        let start: u64 = start.parse().map_err(|_| ())?;
        let end = if end.is_empty() {
            length
        } else {
            end.parse::<u64>().map_err(|_| ())?.saturating_add(1).min(length)
        };
        start..end
    };
    if range.start >= length || range.start >= range.end {
        return Err(());
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(Some(0..100)));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(Some(900..1000)));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(Some(900..1000)));
        assert_eq!(parse_range("bytes=990-2000", 1000), Ok(Some(990..1000)));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ok(None));
        assert_eq!(parse_range("items=0-1", 1000), Ok(None));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(()));
        assert_eq!(parse_range("bytes=5-1", 1000), Err(()));
        assert_eq!(parse_range("bytes=-0", 1000), Err(()));
        assert_eq!(parse_range("bytes=x-1", 1000), Err(()));
    }
}
