//! Content services: the rules for creating, changing, publishing and reading content.
//! Resolvers call these; the rule "the public sees published content only" lives in
//! [`visibility`], which every read goes through.

pub use crate::clock::now;

pub mod batches;
pub mod changes;
pub mod history;
pub mod journal;
pub mod list;
pub mod markdown;
pub mod outbox;
pub mod read;
pub mod revisions;
pub mod rows;
pub mod schedule;
pub mod sections;
pub mod slugs;
pub mod sync;
pub mod tags;
pub mod templates;
pub mod trash;
pub mod validate;
pub mod visibility;
pub mod write;

pub use quire_entity::content_item::{ContentType, Model as Item, Status};
use sea_orm::Iterable;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::ids;

pub use visibility::Viewer;

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

/// The UUID inside the id a client gave for an item of `kind`. A malformed id is bad input;
/// an id of another type names no such item. Services read a client's id once they have
/// checked the caller, so a caller without the right hears that first.
pub fn item_id(id: &str, kind: ContentType) -> ApiResult<Uuid> {
    ids::expect(id, history::type_name(kind), "id", label(kind))
}

/// The UUID inside the id a client gave for a content item of any kind.
pub fn any_item_id(id: &str) -> ApiResult<Uuid> {
    match ids::decode(id) {
        Some((type_name, uuid))
            if ContentType::iter().any(|kind| history::type_name(kind) == type_name) =>
        {
            Ok(uuid)
        }
        Some(_) => Err(ApiError::not_found("content item")),
        None => Err(ApiError::bad_input("id", "this is not a valid id")),
    }
}
