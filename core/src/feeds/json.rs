//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>): a few serde structs.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::Feed;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    authors: Vec<Author<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    /// The spec wants `content_html` or `content_text` on every item.
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: &'a Vec<String>,
}

pub fn render(feed: &Feed) -> anyhow::Result<Vec<u8>> {
    let json = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url: &feed.self_url,
        description: &feed.description,
        authors: vec![Author { name: &feed.author }],
        items: feed
            .entries
            .iter()
            .map(|entry| Item {
                id: &entry.id,
                url: &entry.link,
                title: &entry.title,
                content_html: entry.content_html.as_deref().unwrap_or_default(),
                summary: entry.summary.as_deref(),
                date_published: date(entry.published),
                date_modified: date(entry.updated),
                authors: entry.author.iter().map(|name| Author { name }).collect(),
                tags: &entry.tags,
            })
            .collect(),
    };
    Ok(serde_json::to_vec(&json)?)
}

fn date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
