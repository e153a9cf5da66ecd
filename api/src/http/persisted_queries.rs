//! Automatic persisted queries, as Apollo clients send them: a client first sends only a
//! query's SHA-256 (`extensions.persistedQuery.sha256Hash`), over GET so CDNs can cache it;
//! when the server does not know the hash it answers `PERSISTED_QUERY_NOT_FOUND` and the
//! client sends the query with its hash once, after which the hash alone is enough.
//! Resolved here, before execution, so a persisted mutation is still refused over GET.

use std::sync::Arc;

use async_graphql::ServerError;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// What one entry holds besides its text: the hash, two `Arc`s and the table's slot.
const ENTRY_OVERHEAD: u64 = 128;
/// A typical persisted query's text, to size the cache's table.
const TYPICAL_QUERY_BYTES: u64 = 512;

/// Weighs an entry by the bytes it holds, so the bound is in bytes, not in entries.
#[derive(Clone)]
struct QueryBytes;

impl Weighter<String, Arc<str>> for QueryBytes {
    fn weight(&self, hash: &String, query: &Arc<str>) -> u64 {
        (hash.len() as u64).saturating_add(query.len() as u64).saturating_add(ENTRY_OVERHEAD)
    }
}

#[derive(Clone)]
pub struct PersistedQueries {
    queries: Arc<Cache<String, Arc<str>, QueryBytes>>,
}

impl PersistedQueries {
    /// A store of at most about `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        let max_bytes = max_bytes.max(1);
        let typical = (max_bytes / (TYPICAL_QUERY_BYTES + ENTRY_OVERHEAD)).max(16);
        let queries = Cache::with_weighter(
            usize::try_from(typical).unwrap_or(usize::MAX),
            max_bytes,
            QueryBytes,
        );
        PersistedQueries { queries: Arc::new(queries) }
    }

    /// The bytes held now.
    #[cfg(test)]
    fn weight(&self) -> u64 {
        self.queries.weight()
    }

    /// Fills in the query of a request that names one by hash, or stores a query sent with
    /// its hash. A request without the extension passes unchanged.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), ServerError> {
        let Some(persisted) = request.extensions.get("persistedQuery") else { return Ok(()) };
        let persisted = persisted.clone().into_json().unwrap_or_default();
        if persisted.get("version").and_then(|v| v.as_i64()) != Some(1) {
            return Err(error(
                quire_core::error::codes::BAD_USER_INPUT,
                "only version 1 of persisted queries is supported",
            ));
        }
        let Some(hash) = persisted.get("sha256Hash").and_then(|h| h.as_str()) else {
            return Err(error(
                quire_core::error::codes::BAD_USER_INPUT,
                "persistedQuery needs a sha256Hash",
            ));
        };
        let hash = hash.to_ascii_lowercase();
        if request.query.is_empty() {
            let Some(query) = self.queries.get(&hash) else {
                return Err(error(
                    quire_core::error::codes::PERSISTED_QUERY_NOT_FOUND,
                    "PersistedQueryNotFound",
                ));
            };
            request.query = query.to_string();
            return Ok(());
        }
        if hex::encode(Sha256::digest(request.query.as_bytes())) != hash {
            return Err(error(
                quire_core::error::codes::BAD_USER_INPUT,
                "the sha256Hash does not match the query",
            ));
        }
        self.queries.insert(hash, Arc::from(request.query.as_str()));
        Ok(())
    }
}

fn error(code: &'static str, message: &str) -> ServerError {
    crate::graphql::errors::coded(message, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        request.extensions.insert(
            "persistedQuery".to_string(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": hash }),
            )
            .unwrap_or_default(),
        );
        request
    }

    #[test]
    fn the_store_is_bounded_in_bytes() {
        let store = PersistedQueries::new(1024 * 1024);
        // 100 queries of 100 KB each: ten times the bound.
        for i in 0..100 {
            let query = format!("{{ __typename }} # {i} {}", "x".repeat(100 * 1024));
            let hash = hex::encode(Sha256::digest(&query));
            store.resolve(&mut with_hash(&query, &hash)).unwrap_or_else(|e| panic!("{e:?}"));
            assert!(store.weight() <= 1024 * 1024, "{} bytes held", store.weight());
        }
    }

    #[test]
    fn a_hash_is_known_once_its_query_was_sent() {
        let store = PersistedQueries::new(1024 * 1024);
        let query = "{ news { nodes { id } } }";
        let hash = hex::encode(Sha256::digest(query));
        let mut by_hash = with_hash("", &hash);
        assert!(store.resolve(&mut by_hash).is_err());
        store.resolve(&mut with_hash(query, &hash)).unwrap_or_else(|e| panic!("{e:?}"));
        let mut by_hash = with_hash("", &hash);
        store.resolve(&mut by_hash).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(by_hash.query, query);
        assert!(store.resolve(&mut with_hash("{ other }", &hash)).is_err());
    }
}
