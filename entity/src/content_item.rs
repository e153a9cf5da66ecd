//! Every content item (pages, news, press releases, testimonials, booklets) lives in one
//! table, so lists, lookups, publishing and later revisions or search work the same for all
//! kinds; columns a kind does not use stay NULL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ContentType {
    #[sea_orm(string_value = "page")]
    Page,
    #[sea_orm(string_value = "news_article")]
    NewsArticle,
    #[sea_orm(string_value = "press_release")]
    PressRelease,
    #[sea_orm(string_value = "testimonial")]
    Testimonial,
    #[sea_orm(string_value = "booklet")]
    Booklet,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "published")]
    Published,
    /// Waiting for `scheduled_at` to be published.
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ScheduledAction {
    #[sea_orm(string_value = "publish")]
    Publish,
    #[sea_orm(string_value = "unpublish")]
    Unpublish,
}

/// Serialised (in revision snapshots) with the API's names: camelCase fields, enum values
/// as in the GraphQL schema.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "content_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub content_type: ContentType,
    pub status: Status,
    pub slug: Option<String>,
    pub title: Option<String>,
    /// Pages only: the slugs from the root down, joined by `/`.
    pub path: Option<String>,
    pub parent_id: Option<Uuid>,
    pub position: i32,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub body_html: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// The image for link previews; the item's own image (hero, cover) when left out.
    #[serde(default)]
    pub seo_image_id: Option<Uuid>,
    /// Where search engines should find this content, when not at its own address.
    #[serde(default)]
    pub canonical_url: Option<String>,
    /// Kept out of the sitemap, and search engines are asked not to index it.
    #[serde(default)]
    pub no_index: bool,
    pub author_name: Option<String>,
    pub hero_image_id: Option<Uuid>,
    pub notes_to_editors: Option<String>,
    pub notes_to_editors_html: Option<String>,
    pub location: Option<String>,
    pub quote: Option<String>,
    pub author_role: Option<String>,
    pub organisation: Option<String>,
    pub featured: bool,
    pub file_id: Option<Uuid>,
    pub cover_id: Option<Uuid>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// The user who created the item, if a user did.
    pub created_by: Option<Uuid>,
    /// Set while the item is in the trash.
    pub deleted_at: Option<DateTimeUtc>,
    pub scheduled_at: Option<DateTimeUtc>,
    pub scheduled_action: Option<ScheduledAction>,
    /// Booklets: how often their file was downloaded (flushed from memory in batches).
    pub download_count: i64,
    /// An embargoed item's publication time, until its arrival in public view is journaled.
    #[serde(default, skip_serializing)]
    pub announce_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
