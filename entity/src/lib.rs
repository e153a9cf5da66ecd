//! Quire's database tables as SeaORM entities. Plain data: no GraphQL here.

pub mod api_token;
pub mod asset;
pub mod content_item;
pub mod content_tag;
