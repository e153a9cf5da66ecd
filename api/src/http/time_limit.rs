//! How long a request may take: the request limit, and for an upload the time its files
//! spend arriving on top of that, up to the upload limit in all. The other parts of a
//! multipart request (`operations`, `map`) and the work after the body get the request limit
//! like any other request, so a multipart request without a file is no slower to give up on.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Clone, Copy)]
pub struct TimeLimits {
    /// Any request, its body included.
    pub request: Duration,
    /// An upload in all, however long its files take to arrive.
    pub upload: Duration,
}

/// Ends a request that runs past its limit with `408 Request Timeout`.
pub async fn time_limit(
    State(limits): State<TimeLimits>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let Some(boundary) = multipart_boundary(request.headers()) else {
        return match tokio::time::timeout(limits.request, next.run(request)).await {
            Ok(response) => response,
            Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
        };
    };
    let (clock, mut file_time) = watch::channel(FileTime::default());
    let mut scanner = Scanner::new(&boundary, clock);
    let request = request.map(|body| {
        Body::from_stream(body.into_data_stream().map(move |chunk| {
            if let Ok(bytes) = &chunk {
                scanner.feed(bytes);
            }
            chunk
        }))
    });
    let run = next.run(request);
    tokio::pin!(run);
    let cap = started + limits.upload.max(limits.request);
    loop {
        let spent = *file_time.borrow_and_update();
        // While a file arrives the request limit is not running down: only the cap is.
        let deadline = match spent.since {
            Some(_) => cap,
            None => (started + limits.request + spent.total).min(cap),
        };
        tokio::select! {
            response = &mut run => return response,
            () = tokio::time::sleep_until(deadline) => return StatusCode::REQUEST_TIMEOUT.into_response(),
            Ok(()) = file_time.changed() => {}
        }
    }
}

/// The boundary of a `multipart/form-data` body, from its `Content-Type`.
fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = value.split(';');
    if !parts.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|param| {
        let (name, value) = param.split_once('=')?;
        let value = value.trim().trim_matches('"');
        (name.trim().eq_ignore_ascii_case("boundary") && !value.is_empty())
            .then(|| value.to_string())
    })
}

/// Time spent receiving file parts: what is over, and since when a file is arriving.
#[derive(Clone, Copy, Default)]
struct FileTime {
    total: Duration,
    since: Option<Instant>,
}

/// Part headers longer than this are not looked into (the multipart parser refuses them).
const MAX_PART_HEADERS: usize = 8 * 1024;

/// Follows a multipart body as it streams past, to tell when a file part begins and ends.
struct Scanner {
    /// `\r\n--BOUNDARY`: what comes before every part and after the last.
    delimiter: Vec<u8>,
    state: Part,
    /// What a chunk left unfinished: the start of a delimiter, or headers so far.
    carry: Vec<u8>,
    clock: watch::Sender<FileTime>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A part's content (or the preamble), up to the next delimiter.
    Content {
        file: bool,
    },
    /// Just after a delimiter: `--` ends the body, anything else starts a part.
    Delimiter,
    Headers,
    Done,
}

impl Scanner {
    fn new(boundary: &str, clock: watch::Sender<FileTime>) -> Scanner {
        let delimiter = [b"\r\n--", boundary.as_bytes()].concat();
        // The first delimiter may open the body, with no line break before it.
        Scanner { delimiter, state: Part::Content { file: false }, carry: b"\r\n".to_vec(), clock }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.state == Part::Done {
            return;
        }
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let rest = &data[at..];
            match self.state {
                Part::Done => return,
                Part::Content { file } => {
                    let Some(found) = find(rest, &self.delimiter) else {
                        let keep = rest.len().min(self.delimiter.len() - 1);
                        self.carry = rest[rest.len() - keep..].to_vec();
                        return;
                    };
                    if file {
                        self.file_ends();
                    }
                    at += found + self.delimiter.len();
                    self.state = Part::Delimiter;
                }
                Part::Delimiter => {
                    if rest.len() < 2 {
                        self.carry = rest.to_vec();
                        return;
                    }
                    self.state = if rest.starts_with(b"--") { Part::Done } else { Part::Headers };
                }
                Part::Headers => {
                    let Some(end) = find(rest, b"\r\n\r\n") else {
                        if rest.len() > MAX_PART_HEADERS {
                            self.state = Part::Done;
                        } else {
                            self.carry = rest.to_vec();
                        }
                        return;
                    };
                    let file = names_a_file(&rest[..end]);
                    if file {
                        self.clock.send_modify(|t| t.since = Some(Instant::now()));
                    }
                    at += end + 4;
                    self.state = Part::Content { file };
                }
            }
        }
    }

    fn file_ends(&self) {
        self.clock.send_modify(|t| {
            if let Some(since) = t.since.take() {
                t.total += since.elapsed();
            }
        });
    }
}

/// A body that stops in the middle of a file (the client left, or the handler stopped
/// reading) stops the file's clock too.
impl Drop for Scanner {
    fn drop(&mut self) {
        self.file_ends();
    }
}

/// Whether a part's headers make it a file: a `filename` in its `Content-Disposition`.
fn names_a_file(headers: &[u8]) -> bool {
    String::from_utf8_lossy(headers).lines().any(|line| {
        let Some((name, value)) = line.split_once(':') else { return false };
        name.trim().eq_ignore_ascii_case("content-disposition")
            && value.split(';').skip(1).any(|param| {
                let name = param.split('=').next().unwrap_or_default().trim();
                name.eq_ignore_ascii_case("filename") || name.eq_ignore_ascii_case("filename*")
            })
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = haystack.get(from..)?.iter().position(|&b| b == first) {
        if haystack[from + i..].starts_with(needle) {
            return Some(from + i);
        }
        from += i + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"filename=\\\"a\\\"\"}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--X not yet\r\n--XyZ--\r\n";

    /// Whether a file is arriving after each byte of `body`, fed one byte at a time.
    fn states(body: &str) -> Vec<bool> {
        let (clock, time) = watch::channel(FileTime::default());
        let mut scanner = Scanner::new("XyZ", clock);
        body.as_bytes()
            .iter()
            .map(|b| {
                scanner.feed(std::slice::from_ref(b));
                time.borrow().since.is_some()
            })
            .collect()
    }

    #[test]
    fn only_the_file_part_runs_the_file_clock() {
        let states = states(BODY);
        let started = BODY.find("%PDF").unwrap_or_default();
        let ended = BODY.find("\r\n--XyZ--").unwrap_or_default() + "\r\n--XyZ".len();
        for (at, arriving) in states.iter().enumerate() {
            assert_eq!(*arriving, (started - 1..ended - 1).contains(&at), "at byte {at}");
        }
    }

    #[test]
    fn a_body_in_one_chunk_ends_the_file_too() {
        let (clock, time) = watch::channel(FileTime::default());
        let mut scanner = Scanner::new("XyZ", clock);
        scanner.feed(BODY.as_bytes());
        assert!(time.borrow().since.is_none());
        assert!(scanner.state == Part::Done);
    }

    #[test]
    fn parts_without_a_filename_are_not_files() {
        assert!(names_a_file(b"\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a\""));
        assert!(names_a_file(b"content-disposition: form-data; FILENAME*=utf-8''a"));
        assert!(!names_a_file(b"\r\nContent-Disposition: form-data; name=\"filename\""));
        assert!(!names_a_file(b"\r\nX-Note: ; filename=\"a\""));
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        let mut headers = HeaderMap::new();
        let mut boundary = |value: &'static str| {
            headers.insert(CONTENT_TYPE, http::HeaderValue::from_static(value));
            multipart_boundary(&headers)
        };
        assert_eq!(boundary("multipart/form-data; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(boundary("Multipart/Form-Data;BOUNDARY=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("application/json; boundary=abc"), None);
    }
}
