//! Content services: the rules for creating, changing, publishing and reading content.
//! Resolvers call these; the rule "the public sees published content only" lives in
//! [`visibility`], which every read goes through.

pub mod changes;
pub mod history;
pub mod journal;
pub mod list;
pub mod markdown;
pub mod outbox;
pub mod read;
pub mod schedule;
pub mod sections;
pub mod slugs;
pub mod sync;
pub mod tags;
pub mod validate;
pub mod visibility;
pub mod write;

use chrono::{DateTime, SubsecRound, Utc};
pub use quire_entity::content_item::{ContentType, Model as Item, Status};

pub use visibility::Viewer;

/// The current time at the precision both databases keep (microseconds), so a value read
/// back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The API's name for a kind of content, as used in messages.
pub fn label(kind: ContentType) -> &'static str {
    match kind {
        ContentType::Page => "page",
        ContentType::NewsArticle => "news article",
        ContentType::PressRelease => "press release",
        ContentType::Testimonial => "testimonial",
        ContentType::Booklet => "booklet",
    }
}
