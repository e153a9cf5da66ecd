//! The signal a committed write gives the rest of the process: a count per kind of public
//! data that moves on with every write that may change it (the public response cache keys on
//! them) and a wake-up for the listener that turns the journal's new rows into live events. It
//! sits below `db`, which gives the signal, and `live`, which listens for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quire_entity::content_item::ContentType;
use tokio::sync::Notify;
use uuid::Uuid;

/// The channel PostgreSQL notifies at each commit that public answers could show (see
/// [`crate::db::WriteTx::commit`]), so every Quire process on the database hears of it.
pub const CHANNEL: &str = "quire_content_changes";

/// Kinds of public data a write may change: one per content type, and one for the rest
/// (media, the search index, the change journal, redirects and whatever else public answers
/// show).
const TOPICS: usize = 6;
const OTHER: u32 = 1 << 5;

/// What a write may change, as cached public answers see it; also what a cached answer read.
/// Site structure (settings, menus, redirects) changes every type's `url`, `seo` and menus,
/// so a write to it is [`Scope::EVERYTHING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(u32);

impl Scope {
    /// Private data: no public answer shows it.
    pub const NOTHING: Scope = Scope(0);
    /// Anything public may have changed (or an answer may have read anything).
    pub const EVERYTHING: Scope = Scope((1 << TOPICS) - 1);
    /// Public data other than content items: media, redirects, the search index…
    pub const OTHER: Scope = Scope(OTHER);

    /// The items of one content type (their tags, their pages' sections).
    pub const fn content(kind: ContentType) -> Scope {
        Scope(
            1 << match kind {
                ContentType::Page => 0,
                ContentType::NewsArticle => 1,
                ContentType::PressRelease => 2,
                ContentType::Testimonial => 3,
                ContentType::Booklet => 4,
            },
        )
    }

    pub const fn union(self, other: Scope) -> Scope {
        Scope(self.0 | other.0)
    }

    pub const fn is_nothing(self) -> bool {
        self.0 == 0
    }

    /// As a notification carries it.
    pub fn to_payload(self) -> String {
        self.0.to_string()
    }

    /// What a notification carries; anything unreadable (an older Quire's notification
    /// names no scope) is everything.
    pub fn from_payload(text: Option<&str>) -> Scope {
        text.and_then(|t| t.parse::<u32>().ok())
            .map_or(Scope::EVERYTHING, |bits| Scope(bits & Scope::EVERYTHING.0))
    }
}

#[derive(Clone)]
pub struct Commits {
    inner: Arc<Inner>,
}

struct Inner {
    /// Names this server in its notifications to other processes.
    tag: String,
    /// One count per topic; each only ever grows.
    counts: [AtomicU64; TOPICS],
    wake: Notify,
}

impl Default for Commits {
    fn default() -> Self {
        Commits {
            inner: Arc::new(Inner {
                tag: Uuid::now_v7().simple().to_string(),
                counts: Default::default(),
                wake: Notify::new(),
            }),
        }
    }
}

impl Commits {
    /// A number that moves on with every committed write within `scope`: anything read
    /// within it under an earlier stamp may be stale. (The counts only grow, so their sum
    /// over a scope changes when any of them does.)
    pub fn stamp(&self, scope: Scope) -> u64 {
        self.topics(scope).map(|count| count.load(Ordering::Acquire)).fold(0, u64::wrapping_add)
    }

    fn topics(&self, scope: Scope) -> impl Iterator<Item = &AtomicU64> {
        self.inner
            .counts
            .iter()
            .enumerate()
            .filter(move |(i, _)| scope.0 & (1 << i) != 0)
            .map(|(_, c)| c)
    }

    fn advance(&self, scope: Scope) {
        for count in self.topics(scope) {
            count.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// A write transaction here that may have changed `scope` has committed, before its
    /// caller hears so.
    pub fn committed(&self, scope: Scope) {
        self.advance(scope);
        self.inner.wake.notify_one();
    }

    /// Another process committed a write to the same database.
    pub fn committed_elsewhere(&self, scope: Scope) {
        self.advance(scope);
    }

    /// Waits for the next local commit (or one that came before the wait and was not yet
    /// waited for).
    pub async fn next_local(&self) {
        self.inner.wake.notified().await;
    }

    /// What this server's notifications carry: a random name of its own.
    pub fn tag(&self) -> &str {
        &self.inner.tag
    }

    /// The notification for a commit within `scope`: this server's name and the scope.
    pub fn payload(&self, scope: Scope) -> String {
        format!("{} {}", self.inner.tag, scope.to_payload())
    }

    /// Whose a notification is, and what it changed: `None` for this server's own.
    pub fn heard(&self, payload: &str) -> Option<Scope> {
        let (tag, scope) = payload.split_once(' ').map_or((payload, None), |(t, s)| (t, Some(s)));
        (tag != self.inner.tag).then(|| Scope::from_payload(scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_moves_only_with_writes_in_its_scope() {
        let commits = Commits::default();
        let news = Scope::content(ContentType::NewsArticle);
        let press = Scope::content(ContentType::PressRelease);
        let (n, all) = (commits.stamp(news), commits.stamp(Scope::EVERYTHING));
        commits.committed(press);
        commits.committed(Scope::NOTHING);
        assert_eq!(commits.stamp(news), n);
        assert_ne!(commits.stamp(Scope::EVERYTHING), all);
        commits.committed_elsewhere(news.union(Scope::OTHER));
        assert_ne!(commits.stamp(news), n);
        let n = commits.stamp(news);
        commits.committed(Scope::EVERYTHING);
        assert_ne!(commits.stamp(news), n);
    }

    #[test]
    fn notifications_name_their_sender_and_scope() {
        let (here, there) = (Commits::default(), Commits::default());
        let news = Scope::content(ContentType::NewsArticle);
        assert_eq!(here.heard(&here.payload(news)), None);
        assert_eq!(here.heard(&there.payload(news)), Some(news));
        assert_eq!(here.heard(&there.payload(Scope::NOTHING)), Some(Scope::NOTHING));
        // An older server's notification, its name alone: everything.
        assert_eq!(here.heard(there.tag()), Some(Scope::EVERYTHING));
        assert_eq!(here.heard(&format!("{} junk", there.tag())), Some(Scope::EVERYTHING));
    }
}
