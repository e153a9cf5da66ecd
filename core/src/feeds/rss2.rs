//! RSS 2.0, with `content:encoded` for the full HTML, `dc:creator` for authors (RSS's own
//! `author` must be an email address) and `atom:link rel="self"`.

use ::rss::extension::atom::{AtomExtension, Link};
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::{Category, Channel, Guid, Item};

use super::{Entry, Feed};

pub fn render(feed: &Feed) -> anyhow::Result<Vec<u8>> {
    let channel = Channel {
        title: feed.title.clone(),
        link: feed.home_url.clone(),
        description: feed.description.clone(),
        last_build_date: Some(feed.updated.to_rfc2822()),
        generator: Some("Quire".to_string()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: feed.self_url.clone(),
                rel: "self".to_string(),
                mime_type: Some("application/rss+xml".to_string()),
                ..Link::default()
            }],
        }),
        items: feed.entries.iter().map(item).collect(),
        ..Channel::default()
    };
    Ok(channel.write_to(Vec::new())?)
}

fn item(entry: &Entry) -> Item {
    Item {
        title: Some(entry.title.clone()),
        link: Some(entry.link.clone()),
        // Readers take a description as HTML; the summary is plain text.
        description: entry.summary.as_deref().map(escape_html),
        categories: entry
            .tags
            .iter()
            .map(|tag| Category { name: tag.clone(), domain: None })
            .collect(),
        guid: Some(Guid { value: entry.id.clone(), permalink: false }),
        pub_date: Some(entry.published.to_rfc2822()),
        content: entry.content_html.clone(),
        dublin_core_ext: entry
            .author
            .as_ref()
            .map(|name| DublinCoreExtension { creators: vec![name.clone()], ..Default::default() }),
        ..Item::default()
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_text_becomes_html() {
        assert_eq!(super::escape_html("Teaching & <b>"), "Teaching &amp; &lt;b&gt;");
    }
}
