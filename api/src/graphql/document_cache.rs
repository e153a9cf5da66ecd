//! Remembers parsed queries. Clients send the same few query texts over and over, and a
//! parse depends on the text alone, so each text is parsed once and its document reused.
//! Texts that fail to parse are not remembered: async-graphql parses them again and reports
//! the error as usual. The cache is handed to each request before it runs, not hooked in as
//! a schema extension, because any extension makes async-graphql wrap every field it
//! resolves.
//!
//! Each remembered document also remembers whether it has passed async-graphql's full
//! validation, which depends on the text alone but for the variables' values (see
//! [`super::variable_fit`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_graphql::parser::types::ExecutableDocument;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// A parsed document takes several times its text in memory.
const DOCUMENT_BYTES_PER_TEXT_BYTE: u64 = 8;
/// A typical query's text, to size the cache's table.
const TYPICAL_TEXT_BYTES: u64 = 256;

#[derive(Clone)]
struct ParsedSize;

impl Weighter<Arc<str>, Arc<Parsed>> for ParsedSize {
    fn weight(&self, query: &Arc<str>, _: &Arc<Parsed>) -> u64 {
        (query.len() as u64).saturating_mul(DOCUMENT_BYTES_PER_TEXT_BYTE).max(1)
    }
}

/// Shared by every request; `--query-cache-mb` bounds it. Off when `None` inside.
#[derive(Clone, Default)]
pub struct DocumentCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    parsed: Cache<Arc<str>, Arc<Parsed>, ParsedSize>,
    hits: AtomicU64,
}

struct Parsed {
    document: ExecutableDocument,
    /// Whether a request with this text has passed the full validation.
    validated: AtomicBool,
}

/// What the cache knows of a request's text: nothing, when it is not remembered.
#[derive(Default)]
pub struct Known(Option<Arc<Parsed>>);

impl Known {
    /// Whether the text has passed async-graphql's full validation before.
    pub fn validated(&self) -> bool {
        self.0.as_ref().is_some_and(|parsed| parsed.validated.load(Ordering::Relaxed))
    }

    /// Records that a request with this text passed the full validation.
    pub fn passed_validation(&self) {
        if let Some(parsed) = &self.0 {
            parsed.validated.store(true, Ordering::Relaxed);
        }
    }
}

impl DocumentCache {
    /// A cache of about `max_bytes`; 0 turns it off.
    pub fn new(max_bytes: u64) -> Self {
        if max_bytes == 0 {
            return DocumentCache { inner: None };
        }
        let typical = (max_bytes / (TYPICAL_TEXT_BYTES * DOCUMENT_BYTES_PER_TEXT_BYTE)).max(16);
        let parsed = Cache::with_weighter(
            usize::try_from(typical).unwrap_or(usize::MAX),
            max_bytes,
            ParsedSize,
        );
        DocumentCache { inner: Some(Arc::new(Inner { parsed, hits: AtomicU64::new(0) })) }
    }

    /// The request with its query parsed, from the cache when the text was seen before.
    pub fn prepare(&self, request: async_graphql::Request) -> async_graphql::Request {
        self.prepare_known(request).0
    }

    /// As [`DocumentCache::prepare`], with what the cache knows of the text.
    pub fn prepare_known(
        &self,
        mut request: async_graphql::Request,
    ) -> (async_graphql::Request, Known) {
        let Some(inner) = &self.inner else { return (request, Known(None)) };
        if let Some(parsed) = inner.parsed.get(request.query.as_str()) {
            inner.hits.fetch_add(1, Ordering::Relaxed);
            ::metrics::counter!("quire_query_cache_hits_total").increment(1);
            request.set_parsed_query(parsed.document.clone());
            return (request, Known(Some(parsed)));
        }
        let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
            return (request, Known(None));
        };
        let parsed = Arc::new(Parsed { document, validated: AtomicBool::new(false) });
        inner.parsed.insert(Arc::from(request.query.as_str()), parsed.clone());
        request.set_parsed_query(parsed.document.clone());
        (request, Known(Some(parsed)))
    }

    /// The cached document of `query`, without parsing it.
    #[cfg(test)]
    fn get(&self, query: &str) -> Option<ExecutableDocument> {
        Some(self.inner.as_ref()?.parsed.get(query)?.document.clone())
    }

    /// How many parses were skipped.
    pub fn hits(&self) -> u64 {
        self.inner.as_ref().map_or(0, |inner| inner.hits.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::schema;

    #[tokio::test]
    async fn a_repeated_query_is_parsed_once_and_answers_the_same() {
        let cache = DocumentCache::new(1024 * 1024);
        let schema = schema();
        for _ in 0..3 {
            let request = cache.prepare(async_graphql::Request::new("{ __typename }"));
            let response = schema.execute(request).await;
            assert!(response.errors.is_empty(), "{:?}", response.errors);
            assert_eq!(response.data.to_string(), "{__typename: \"Query\"}");
        }
        assert_eq!(cache.hits(), 2);
    }

    #[tokio::test]
    async fn a_cached_document_is_still_validated_with_each_requests_variables() {
        let cache = DocumentCache::new(1024 * 1024);
        let schema = schema();
        let query = "query($s: String!) { newsArticle(slug: $s) { id } }";
        let request = |s: serde_json::Value| {
            let variables = async_graphql::Variables::from_json(serde_json::json!({ "s": s }));
            cache.prepare(async_graphql::Request::new(query).variables(variables))
        };
        // Valid: it fails later, at its field, for want of a database.
        let valid = schema.execute(request(serde_json::json!("a"))).await;
        assert!(valid.errors.iter().all(|e| !e.path.is_empty()), "{:?}", valid.errors);
        let wrong = schema.execute(request(serde_json::json!(5))).await;
        assert!(
            wrong.errors.iter().any(|e| e.path.is_empty() && e.message.contains("Invalid value")),
            "{:?}",
            wrong.errors
        );
        assert_eq!(cache.hits(), 1);
    }

    #[tokio::test]
    async fn texts_that_do_not_parse_are_refused_each_time_and_not_kept() {
        let cache = DocumentCache::new(1024 * 1024);
        let schema = schema();
        for _ in 0..2 {
            let response =
                schema.execute(cache.prepare(async_graphql::Request::new("{ news("))).await;
            assert!(!response.errors.is_empty());
        }
        assert_eq!(cache.hits(), 0);
        assert!(cache.get("{ news(").is_none());
    }

    #[test]
    fn off_means_off() {
        let cache = DocumentCache::new(0);
        let request = cache.prepare(async_graphql::Request::new("{ __typename }"));
        cache.prepare(request);
        assert!(cache.get("{ __typename }").is_none());
        assert_eq!(cache.hits(), 0);
    }
}
