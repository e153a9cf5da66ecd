//! Syndication feeds of news and press releases: RSS 2.0, Atom 1.0 and JSON Feed 1.1, made
//! from the items the public sees everywhere else (the same visibility rule, through the
//! same list service), newest publication first.

mod atom;
mod json;
mod rss2;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use quire_entity::content_change::{self, Column};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::config::FeedConfig;
use crate::content::list::{Filter, Scope, Sort, SortField};
use crate::content::rows::Columns;
use crate::content::{ContentType, Item, Viewer, tags};
use crate::error::ApiResult;
use crate::pagination::Window;
use crate::site::settings::SiteSettings;

/// The most items a feed may be set to hold.
pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    News,
    PressReleases,
}

impl Kind {
    fn content_type(self) -> ContentType {
        match self {
            Kind::News => ContentType::NewsArticle,
            Kind::PressReleases => ContentType::PressRelease,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::News => "news",
            Kind::PressReleases => "press-releases",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::News => "News",
            Kind::PressReleases => "Press releases",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }
}

/// `news.rss`, `press-releases.atom`, …; `None` for any other name.
pub fn parse_name(name: &str) -> Option<(Kind, Format)> {
    let (kind, extension) = name.rsplit_once('.')?;
    let kind = match kind {
        "news" => Kind::News,
        "press-releases" => Kind::PressReleases,
        _ => return None,
    };
    let format = match extension {
        "rss" => Format::Rss,
        "atom" => Format::Atom,
        "json" => Format::Json,
        _ => return None,
    };
    Some((kind, format))
}

/// The feed settings, checked once at start-up. The site's name and the items' links
/// come from the site settings ([`crate::site::settings`]), whose defaults the feed flags set.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Quire's own public address, without a trailing slash.
    pub public_url: Option<String>,
    pub limit: u64,
    pub max_age: u64,
}

impl Settings {
    pub fn new(config: &FeedConfig, public_url: Option<&str>) -> Settings {
        let base = |url: &str| url.trim().trim_end_matches('/').to_string();
        Settings {
            public_url: public_url.map(base).filter(|u| !u.is_empty()),
            limit: config.feed_limit.clamp(1, MAX_LIMIT),
            max_age: config.feed_max_age,
        }
    }
}

/// What a feed is made from.
pub struct Snapshot {
    /// The newest published items, newest first.
    pub items: Vec<Item>,
    pub tags: HashMap<Uuid, Vec<String>>,
    /// When the feed last changed: the last change to an item of its kind that the public
    /// could see, or the newest publication time if later; `None` when there never was one.
    pub last_modified: Option<DateTime<Utc>>,
}

/// The newest `limit` items of `kind` that the public sees, with their tags.
pub async fn load(conn: &impl ConnectionTrait, kind: Kind, limit: u64) -> ApiResult<Snapshot> {
    let scope =
        Scope { viewer: Viewer::Public, kind: kind.content_type(), filter: Filter::default() };
    let sort = Sort { field: SortField::PublishedAt, descending: true };
    let window = Window { backward: false, limit, cursor: None };
    let items: Vec<Item> = scope
        .list(conn, sort, &window, Columns::ALL)
        .await?
        .items
        .into_iter()
        .map(|(_, item)| item)
        .collect();
    let tags = match kind {
        Kind::News => {
            let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
            tags::of_items(conn, &ids).await?
        }
        Kind::PressReleases => HashMap::new(),
    };
    // An embargoed item enters the feed when its publication time comes, with no write.
    let entered = items.iter().filter_map(|i| i.published_at.max(Some(i.updated_at))).max();
    let last_modified = last_public_change(conn, kind.content_type()).await?.max(entered);
    Ok(Snapshot { items, tags, last_modified })
}

/// When the public last saw an item of `kind` change, from the change journal: an item
/// leaves the public's view (unpublished, trashed) by a change too, so the newest visible
/// item alone would let `If-Modified-Since` keep a removed item in a reader's copy. Changes
/// to drafts, and to items in the trash, are not the public's: they leave the feed's dates
/// (and so its `ETag`) as they were.
async fn last_public_change(
    conn: &impl ConnectionTrait,
    kind: ContentType,
) -> ApiResult<Option<DateTime<Utc>>> {
    Ok(content_change::Entity::find()
        .select_only()
        .column(Column::At)
        .filter(Column::ContentType.eq(kind))
        .filter(Column::Public.eq(true))
        .order_by_desc(Column::Seq)
        .into_tuple::<DateTime<Utc>>()
        .one(conn)
        .await?)
}

/// A feed with the fields every format needs, all links absolute.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: String,
    pub description: String,
    /// The website's home page.
    pub home_url: String,
    /// This feed's own URL.
    pub self_url: String,
    pub updated: DateTime<Utc>,
    /// The publisher (Atom needs an author for entries that name none).
    pub author: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// `urn:uuid:…`: stable whatever the links become.
    pub id: String,
    pub title: String,
    pub link: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub author: Option<String>,
    pub tags: Vec<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// Builds the feed of `kind` in `format`, its links made by the site's settings; `base_url`
/// is Quire's public address, without a trailing slash, for a site with no URL set.
pub fn build(
    site: &SiteSettings,
    base_url: &str,
    kind: Kind,
    format: Format,
    snapshot: Snapshot,
) -> Feed {
    let mut addresses = site.addresses();
    if addresses.base.is_empty() {
        addresses.base = base_url.to_string();
    }
    let name = if site.name.is_empty() { "Quire" } else { &site.name };
    let mut tags = snapshot.tags;
    let entries = snapshot
        .items
        .into_iter()
        .map(|item| {
            let link = addresses.url(&item).unwrap_or_default();
            let tags = tags.remove(&item.id).unwrap_or_default();
            entry(item, link, tags)
        })
        .collect();
    Feed {
        title: format!("{name}: {}", kind.title()),
        description: format!("{} from {name}", kind.title()),
        home_url: format!("{}/", addresses.base),
        self_url: format!("{base_url}/feeds/{}.{}", kind.name(), format.extension()),
        updated: snapshot.last_modified.unwrap_or(DateTime::UNIX_EPOCH),
        author: name.to_string(),
        entries,
    }
}

fn entry(item: Item, link: String, tags: Vec<String>) -> Entry {
    let published = item.published_at.unwrap_or(item.created_at);
    let mut content = item.body_html.unwrap_or_default();
    if let Some(notes) = item.notes_to_editors_html.filter(|n| !n.trim().is_empty()) {
        content.push_str("\n<h2>Notes to editors</h2>\n");
        content.push_str(&notes);
    }
    Entry {
        id: format!("urn:uuid:{}", item.id),
        title: item.title.unwrap_or_default(),
        link,
        summary: item.summary,
        content_html: Some(content).filter(|c| !c.trim().is_empty()),
        author: item.author_name,
        tags,
        published,
        // An item published with a later date than its last edit (an embargo) was not
        // changed before it appeared.
        updated: item.updated_at.max(published),
    }
}

/// The feed's bytes in `format`.
pub fn render(feed: &Feed, format: Format) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Rss => rss2::render(feed),
        Format::Atom => atom::render(feed),
        Format::Json => json::render(feed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_a_kind_and_a_format() {
        assert_eq!(parse_name("news.rss"), Some((Kind::News, Format::Rss)));
        assert_eq!(parse_name("press-releases.json"), Some((Kind::PressReleases, Format::Json)));
        assert_eq!(parse_name("news.atom"), Some((Kind::News, Format::Atom)));
        assert_eq!(parse_name("news.xml"), None);
        assert_eq!(parse_name("pages.rss"), None);
        assert_eq!(parse_name("news"), None);
        assert_eq!(parse_name("news.rss.rss"), None);
    }
}
