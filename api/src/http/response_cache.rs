//! The public response cache: repeated public queries are answered from memory without
//! touching the database. An entry is good only for the write generation it was computed
//! in (see [`quire_core::live`]): every committed write, here or in another process on the same
//! PostgreSQL database, moves the generation on, so no answer from before a write is served
//! after it. An answer computed while a write committed is stored under the generation it
//! started in, and so is never served. Answers read from a replica, which may lag the
//! primary, are also kept for a short while only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

pub type Key = [u8; 32];

#[derive(Clone)]
pub struct CachedResponse {
    pub generation: u64,
    pub stored_at: Instant,
    pub body: Bytes,
    pub etag: String,
}

#[derive(Clone)]
struct ByteSize;

/// Besides the body and the tag: the key, the entry itself, `Bytes`' shared header and the
/// table's slot, rounded up.
const ENTRY_OVERHEAD: usize =
    std::mem::size_of::<Key>() + std::mem::size_of::<CachedResponse>() + 64;

impl Weighter<Key, CachedResponse> for ByteSize {
    fn weight(&self, _key: &Key, value: &CachedResponse) -> u64 {
        (value.body.len() + value.etag.capacity() + ENTRY_OVERHEAD) as u64
    }
}

/// Bounded by the bytes it holds; `None` inside when turned off.
#[derive(Clone, Default)]
pub struct ResponseCache {
    entries: Option<Arc<Cache<Key, CachedResponse, ByteSize>>>,
    max_age: Option<Duration>,
}

/// A typical answer's size, to size the cache's table.
const TYPICAL_BYTES: u64 = 8 * 1024;

impl ResponseCache {
    /// A cache of up to `max_bytes`; with `max_age`, entries also expire after that long.
    pub fn new(max_bytes: u64, max_age: Option<Duration>) -> Self {
        if max_bytes == 0 {
            return ResponseCache { entries: None, max_age };
        }
        let items = usize::try_from((max_bytes / TYPICAL_BYTES).max(16)).unwrap_or(usize::MAX);
        let entries = Some(Arc::new(Cache::with_weighter(items, max_bytes, ByteSize)));
        ResponseCache { entries, max_age }
    }

    pub fn is_on(&self) -> bool {
        self.entries.is_some()
    }

    /// The answer stored for `key` in `generation`, if any.
    pub fn get(&self, key: &Key, generation: u64) -> Option<CachedResponse> {
        let fresh = |hit: &CachedResponse| {
            hit.generation == generation
                && self.max_age.is_none_or(|age| hit.stored_at.elapsed() < age)
        };
        let found = self.entries.as_ref()?.get(key).filter(fresh);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        ::metrics::counter!("quire_response_cache_total", "outcome" => outcome).increment(1);
        found
    }

    /// Stores an answer. Its body is copied into an allocation of exactly its length: a
    /// serialised answer's buffer may be up to twice as long, and the cache must hold what
    /// it counts.
    pub fn put(&self, key: Key, mut response: CachedResponse) {
        if let Some(entries) = &self.entries {
            response.body = Bytes::copy_from_slice(&response.body);
            response.etag.shrink_to_fit();
            entries.insert(key, response);
        }
    }
}

/// What makes two requests the same: the query, its operation and variables, and the
/// response format asked for.
pub fn key(request: &async_graphql::Request, format: &str) -> Key {
    let mut hash = Sha256::new();
    for part in [request.query.as_bytes(), b"\0", format.as_bytes(), b"\0"] {
        hash.update(part);
    }
    hash.update(request.operation_name.as_deref().unwrap_or_default().as_bytes());
    hash.update(b"\0");
    hash.update(serde_json::to_vec(&request.variables).unwrap_or_default());
    hash.finalize().into()
}

/// A strong validator for a response body.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether an `If-None-Match` header names `etag` (or is `*`).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag == etag || tag.strip_prefix("W/").is_some_and(|weak| weak == etag)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let tag = etag(b"body");
        assert!(matches(&tag, &tag));
        assert!(matches(&format!("\"other\", W/{tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
    }

    #[test]
    fn a_stale_generation_is_a_miss() {
        let cache = ResponseCache::new(1024 * 1024, None);
        let body = Bytes::from_static(b"{}");
        let stored_at = Instant::now();
        cache.put([1; 32], CachedResponse { generation: 1, stored_at, etag: etag(&body), body });
        assert!(cache.get(&[1; 32], 1).is_some());
        assert!(cache.get(&[1; 32], 2).is_none());
        assert!(!ResponseCache::new(0, None).is_on());
    }

    #[test]
    fn with_a_max_age_entries_expire() {
        let cache = ResponseCache::new(1024 * 1024, Some(Duration::ZERO));
        let body = Bytes::from_static(b"{}");
        let stored_at = Instant::now();
        cache.put([1; 32], CachedResponse { generation: 1, stored_at, etag: etag(&body), body });
        assert!(cache.get(&[1; 32], 1).is_none());
    }

    #[test]
    fn keys_tell_variables_and_formats_apart() {
        let a = async_graphql::Request::new("{ news { nodes { id } } }");
        let b = async_graphql::Request::new("{ news { nodes { id } } }")
            .variables(async_graphql::Variables::from_json(serde_json::json!({ "x": 1 })));
        assert_ne!(key(&a, "json"), key(&b, "json"));
        assert_ne!(key(&a, "json"), key(&a, "graphql-response"));
        let same = async_graphql::Request::new("{ news { nodes { id } } }");
        assert_eq!(key(&a, "json"), key(&same, "json"));
    }
}
