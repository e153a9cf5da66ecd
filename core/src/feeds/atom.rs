//! Atom 1.0 (RFC 4287).

use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use chrono::{DateTime, Utc};

use super::Feed as Source;

pub fn render(feed: &Source) -> anyhow::Result<Vec<u8>> {
    let atom = Feed {
        title: Text::plain(feed.title.clone()),
        // The feed's own URL names it; entries have ids that never change.
        id: feed.self_url.clone(),
        updated: fixed(feed.updated),
        authors: vec![person(&feed.author)],
        links: vec![
            Link {
                href: feed.self_url.clone(),
                rel: "self".to_string(),
                mime_type: Some("application/atom+xml".to_string()),
                ..Link::default()
            },
            Link { href: feed.home_url.clone(), ..Link::default() },
        ],
        subtitle: Some(Text::plain(feed.description.clone())),
        entries: feed.entries.iter().map(entry).collect(),
        ..Feed::default()
    };
    Ok(atom.write_to(Vec::new())?)
}

fn entry(entry: &super::Entry) -> Entry {
    Entry {
        title: Text::plain(entry.title.clone()),
        id: entry.id.clone(),
        updated: fixed(entry.updated),
        published: Some(fixed(entry.published)),
        authors: entry.author.iter().map(|name| person(name)).collect(),
        categories: entry
            .tags
            .iter()
            .map(|tag| Category { term: tag.clone(), ..Category::default() })
            .collect(),
        links: vec![Link { href: entry.link.clone(), ..Link::default() }],
        summary: entry.summary.clone().map(Text::plain),
        content: entry.content_html.clone().map(|html| Content {
            value: Some(html),
            content_type: Some("html".to_string()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn person(name: &str) -> Person {
    Person { name: name.to_string(), ..Person::default() }
}

fn fixed(at: DateTime<Utc>) -> FixedDateTime {
    at.fixed_offset()
}
