//! The public response cache: repeated public queries are answered from memory without
//! touching the database. An entry remembers what it read (its [`Scope`]: the content types
//! its query asks for, or everything when the query reaches beyond their own fields) and is
//! good only while no write within that scope has committed (see [`quire_core::commits`]):
//! every committed write, here or in another process on the same PostgreSQL database, moves
//! on the counts of what it may change, so no answer from before a write is served after it,
//! while answers the write cannot have changed stay. An answer computed while a write
//! committed is stored under the stamp it started with, and so is never served. Answers read
//! from a replica, which may lag the primary, are also kept for a short while only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use quire_core::commits::{Commits, Scope};
use quire_core::content::ContentType;
use sha2::{Digest, Sha256};

pub type Key = [u8; 32];

#[derive(Clone)]
pub struct CachedResponse {
    /// What the answer read, and the stamp of that scope before it was computed.
    pub scope: Scope,
    pub stamp: u64,
    pub stored_at: Instant,
    pub body: Bytes,
    pub etag: String,
}

#[derive(Clone)]
struct ByteSize;

/// What an entry holds besides its body and tag: the key, the entry itself, `Bytes`' shared
/// header and the table's slot, rounded up (the `memory` test below measures it).
const ENTRY_OVERHEAD: u64 =
    (std::mem::size_of::<Key>() + std::mem::size_of::<CachedResponse>() + 64) as u64;

impl Weighter<Key, CachedResponse> for ByteSize {
    fn weight(&self, _key: &Key, value: &CachedResponse) -> u64 {
        (value.body.len() + value.etag.capacity()) as u64 + ENTRY_OVERHEAD
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

    /// The answer stored for `key`, if no write within what it read has committed since.
    pub fn get(&self, key: &Key, commits: &Commits) -> Option<CachedResponse> {
        let fresh = |hit: &CachedResponse| {
            commits.stamp(hit.scope) == hit.stamp
                && self.max_age.is_none_or(|age| hit.stored_at.elapsed() < age)
        };
        let found = self.entries.as_ref()?.get(key).filter(fresh);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        ::metrics::counter!("quire_response_cache_total", "outcome" => outcome).increment(1);
        found
    }

    /// Stores an answer. Its body must be an allocation of exactly its length (see
    /// [`exact`]): a serialised answer's buffer may be up to twice as long, and the cache
    /// must hold what it counts.
    pub fn put(&self, key: Key, mut response: CachedResponse) {
        if let Some(entries) = &self.entries {
            response.etag.shrink_to_fit();
            entries.insert(key, response);
        }
    }
}

/// A serialised answer as the cache may hold it: a copy of exactly its length (a buffer
/// trimmed in place instead leaves the holes it grew through between cached answers, and the
/// process would hold a third more than the cache counts for answers of 20 kB).
pub fn exact(body: Vec<u8>) -> Bytes {
    Bytes::copy_from_slice(&body)
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

/// The root fields that read the items of one content type, each by one row or a list.
fn root_scope(name: &str) -> Option<Scope> {
    let kind = match name {
        "page" | "pages" => ContentType::Page,
        "newsArticle" | "news" => ContentType::NewsArticle,
        "pressRelease" | "pressReleases" => ContentType::PressRelease,
        "testimonial" | "testimonials" => ContentType::Testimonial,
        "booklet" | "booklets" => ContentType::Booklet,
        // The schema's description: it changes only with Quire itself.
        "__typename" | "__schema" | "__type" => return Some(Scope::NOTHING),
        _ => return None,
    };
    Some(Scope::content(kind))
}

/// Fields that show only the row they are on (and a page's parent and children, pages
/// too), with a list's paging around them. Anything else (`url`, `seo`, `related`, images,
/// files…) may show other data, and makes the answer depend on everything.
const OWN_FIELDS: &[&str] = &[
    // Connections and edges.
    "nodes",
    "edges",
    "node",
    "cursor",
    "pageInfo",
    "hasPreviousPage",
    "hasNextPage",
    "startCursor",
    "endCursor",
    "totalCount",
    "__typename",
    // Every content type's.
    "id",
    "status",
    "publishedAt",
    "createdAt",
    "updatedAt",
    "version",
    "scheduledAt",
    "scheduledAction",
    // Documents'.
    "slug",
    "title",
    "summary",
    "body",
    "bodyHtml",
    // One type's.
    "tags",
    "authorName",
    "path",
    "parent",
    "children",
    "position",
    "seoTitle",
    "seoDescription",
    "notesToEditors",
    "notesToEditorsHtml",
    "location",
    "quote",
    "authorRole",
    "organisation",
    "featured",
    "downloadCount",
];

/// How many selections the reading of one query may visit before it gives up and says
/// everything (fragments may spread one another many times over).
const MAX_VISITS: usize = 2_000;

/// What a query's answer may show: the content types its root fields read, when every field
/// below them shows only their own rows; everything otherwise, or when unsure.
pub fn scope(document: &ExecutableDocument, operation_name: Option<&str>) -> Scope {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return Scope::EVERYTHING,
        },
        (DocumentOperations::Multiple(_), None) => return Scope::EVERYTHING,
    };
    if operation.node.ty != OperationType::Query {
        return Scope::EVERYTHING;
    }
    let mut reading = Reading { document, visits: 0 };
    let mut scope = Scope::NOTHING;
    let mut roots = Vec::new();
    if !reading.fields(&operation.node.selection_set.node, &mut |name, below| {
        roots.push((name, below));
    }) {
        return Scope::EVERYTHING;
    }
    for (name, below) in roots {
        let Some(root) = root_scope(name) else { return Scope::EVERYTHING };
        // Introspection shows the schema, whatever fields it selects.
        let introspection = matches!(name, "__schema" | "__type");
        if let Some(below) = below
            && !introspection
            && !reading.only_own_fields(below)
        {
            return Scope::EVERYTHING;
        }
        scope = scope.union(root);
    }
    scope
}

struct Reading<'a> {
    document: &'a ExecutableDocument,
    visits: usize,
}

impl<'a> Reading<'a> {
    /// Calls `each` with every field of `set`, through fragments; false when a fragment is
    /// missing or the visits run out.
    fn fields(
        &mut self,
        set: &'a SelectionSet,
        each: &mut dyn FnMut(&'a str, Option<&'a SelectionSet>),
    ) -> bool {
        for selection in &set.items {
            self.visits += 1;
            if self.visits > MAX_VISITS {
                return false;
            }
            let found = match &selection.node {
                Selection::Field(field) => {
                    let below = &field.node.selection_set.node;
                    each(field.node.name.node.as_str(), (!below.items.is_empty()).then_some(below));
                    true
                }
                Selection::InlineFragment(fragment) => {
                    self.fields(&fragment.node.selection_set.node, each)
                }
                Selection::FragmentSpread(spread) => {
                    match self.document.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => self.fields(&fragment.node.selection_set.node, each),
                        None => false,
                    }
                }
            };
            if !found {
                return false;
            }
        }
        true
    }

    fn only_own_fields(&mut self, set: &'a SelectionSet) -> bool {
        let mut below = Vec::new();
        let mut own = true;
        if !self.fields(set, &mut |name, set| {
            own &= OWN_FIELDS.contains(&name);
            below.extend(set);
        }) {
            return false;
        }
        own && below.into_iter().all(|set| self.only_own_fields(set))
    }
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

    fn stored(commits: &Commits, scope: Scope) -> CachedResponse {
        let body = Bytes::from_static(b"{}");
        let (stamp, stored_at) = (commits.stamp(scope), Instant::now());
        CachedResponse { scope, stamp, stored_at, etag: etag(&body), body }
    }

    #[test]
    fn a_write_within_what_an_answer_read_makes_it_a_miss() {
        let cache = ResponseCache::new(1024 * 1024, None);
        let commits = Commits::default();
        let news = Scope::content(ContentType::NewsArticle);
        cache.put([1; 32], stored(&commits, news));
        cache.put([2; 32], stored(&commits, Scope::EVERYTHING));
        commits.committed(Scope::content(ContentType::PressRelease));
        assert!(cache.get(&[1; 32], &commits).is_some());
        assert!(cache.get(&[2; 32], &commits).is_none());
        commits.committed(news);
        assert!(cache.get(&[1; 32], &commits).is_none());
        assert!(!ResponseCache::new(0, None).is_on());
    }

    #[test]
    fn with_a_max_age_entries_expire() {
        let cache = ResponseCache::new(1024 * 1024, Some(Duration::ZERO));
        let commits = Commits::default();
        cache.put([1; 32], stored(&commits, Scope::EVERYTHING));
        assert!(cache.get(&[1; 32], &commits).is_none());
    }

    fn scope_of(query: &str) -> Scope {
        let document = async_graphql::parser::parse_query(query).unwrap();
        scope(&document, None)
    }

    #[test]
    fn an_answer_reads_the_types_its_root_fields_name() {
        let news = Scope::content(ContentType::NewsArticle);
        let pages = Scope::content(ContentType::Page);
        assert_eq!(scope_of("{ news(first: 20) { nodes { id slug title publishedAt } } }"), news);
        assert_eq!(
            scope_of(
                "query { a: newsArticle(slug: \"x\") { ...F } pages { edges { node { path parent { title } } } pageInfo { hasNextPage } } } fragment F on NewsArticle { title tags ... on NewsArticle { bodyHtml } }"
            ),
            news.union(pages)
        );
        assert_eq!(scope_of("{ __typename }"), Scope::NOTHING);
        // Introspection shows the schema, which no write changes.
        assert_eq!(scope_of("{ __schema { types { name fields { name } } } }"), Scope::NOTHING);
        assert_eq!(scope_of("{ __type(name: \"News\") { name } news { nodes { id } } }"), news);
    }

    #[test]
    fn anything_beyond_their_own_rows_is_everything() {
        for query in [
            "{ news { nodes { id url } } }",
            "{ news { nodes { heroImage { url } } } }",
            "{ newsArticle(slug: \"x\") { related { id } } }",
            "{ news { nodes { id } } siteSettings { siteName } }",
            "{ node(id: \"x\") { id } }",
            "{ search(query: \"x\") { totalCount } }",
            "{ news { ...Missing } }",
            "query A { news { nodes { id } } } query B { pages { nodes { id } } }",
        ] {
            assert_eq!(scope_of(query), Scope::EVERYTHING, "{query}");
        }
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

#[cfg(test)]
mod memory {
    use super::*;

    fn resident_bytes() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap();
        kb.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
    }

    /// Fills a cache of `limit` bytes three times over with answers of `size` bytes, made
    /// as the server makes them (a buffer that grows while serialising, trimmed), each read
    /// back once as a hit does; returns the process's growth in resident memory, and what
    /// the cache counts.
    fn fill(limit: u64, size: usize) -> (u64, u64) {
        let before = resident_bytes();
        let cache = ResponseCache::new(limit, None);
        let commits = Commits::default();
        for n in 0..(3 * limit as usize / (size + ENTRY_OVERHEAD as usize)) {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&n.to_le_bytes());
            let mut body = Vec::new();
            for i in 0..size + n % 7 {
                body.push(b'a' + (i % 26) as u8);
            }
            let body = exact(body);
            let stored = CachedResponse {
                scope: Scope::EVERYTHING,
                stamp: commits.stamp(Scope::EVERYTHING),
                stored_at: Instant::now(),
                etag: etag(&body),
                body,
            };
            cache.put(key, stored);
            drop(cache.get(&key, &commits).map(|hit| hit.body.clone()));
        }
        let counted = cache.entries.as_ref().map_or(0, |c| c.weight());
        (resident_bytes().saturating_sub(before), counted)
    }

    /// Linux only (it reads `/proc`). Run alone, since other tests' memory would blur it:
    /// `cargo test -p quire-api --lib memory -- --ignored --test-threads 1`.
    #[test]
    #[ignore = "measures the process's memory; run alone"]
    fn a_full_cache_holds_about_what_it_counts() {
        let size: usize = std::env::var("ANSWER_BYTES").map_or(100, |s| s.parse().unwrap());
        // The thread's allocator arena is set up first, so that it is not counted.
        fill(1024 * 1024, size);
        let (resident, counted) = fill(32 * 1024 * 1024, size);
        eprintln!("{size} B answers: {resident} B resident, {counted} B counted");
        assert!(
            resident < counted + counted / 10,
            "{size} B answers: {resident} B resident for {counted} B counted"
        );
    }
}
