//! The sitemap (sitemaps.org protocol 0.9): every published item with a front-end address
//! that is not marked `noIndex`. Past 50,000 addresses it becomes an index of sitemaps, each
//! a keyset page of items by id.

use chrono::{DateTime, Utc};
use quire_entity::content_item::{self, Column};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::urls::{Addresses, Place};
use crate::content::{ContentType, Viewer};
use crate::error::ApiResult;

/// The protocol's limit of addresses in one sitemap.
pub const PER_SITEMAP: u64 = 50_000;

const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

type Row = (
    Uuid,
    ContentType,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn listed() -> sea_orm::Select<content_item::Entity> {
    content_item::Entity::find()
        .filter(Viewer::Public.condition())
        .filter(Column::ContentType.ne(ContentType::Testimonial))
        .filter(Column::NoIndex.eq(false))
}

/// What `/sitemap.xml` holds: the addresses, or, for a site with more than
/// [`PER_SITEMAP`], the parts of its index.
pub enum Sitemap {
    /// A `<urlset>` document.
    Urls(String),
    /// The first id of each part, for [`index`].
    Parts(Vec<Uuid>),
}

/// The sitemap of up to [`PER_SITEMAP`] items from `from` on (by id); without `from`, the
/// whole site's, or its parts when it holds more.
pub async fn build(
    conn: &impl ConnectionTrait,
    addresses: &Addresses,
    from: Option<Uuid>,
) -> ApiResult<Sitemap> {
    // One row more than a part holds tells whether the whole site fits in one.
    let fetch = PER_SITEMAP + u64::from(from.is_none());
    let mut query = listed()
        .select_only()
        .columns([
            Column::Id,
            Column::ContentType,
            Column::Slug,
            Column::Path,
            Column::PublishedAt,
            Column::CreatedAt,
            Column::UpdatedAt,
        ])
        .order_by_asc(Column::Id)
        .limit(fetch);
    if let Some(from) = from {
        query = query.filter(Column::Id.gte(from));
    }
    let rows: Vec<Row> = query.into_tuple().all(conn).await?;
    if rows.len() as u64 > PER_SITEMAP {
        return Ok(Sitemap::Parts(parts(conn).await?));
    }
    Ok(Sitemap::Urls(urlset(rows, addresses)))
}

/// The first id of each part. Reads ids only.
async fn parts(conn: &impl ConnectionTrait) -> ApiResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = listed()
        .select_only()
        .column(Column::Id)
        .order_by_asc(Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.iter().step_by(PER_SITEMAP as usize).copied().collect())
}

fn urlset(rows: Vec<Row>, addresses: &Addresses) -> String {
    let mut xml =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{NAMESPACE}\">\n");
    for (id, kind, slug, path, published_at, created_at, updated_at) in rows {
        let date = published_at.unwrap_or(created_at);
        let place = Place { id, kind, slug: slug.as_deref(), path: path.as_deref(), date };
        let Some(path) = addresses.path_of(&place) else { continue };
        let loc = addresses.absolute(&path);
        // An item published with a past date and not changed since was last modified then.
        let lastmod = updated_at.max(date).format("%Y-%m-%dT%H:%M:%S+00:00");
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{lastmod}</lastmod></url>\n",
            escape(&loc)
        ));
    }
    xml.push_str("</urlset>\n");
    xml
}

/// The index of sitemaps: `location(first_id)` names each.
pub fn index(parts: &[Uuid], location: impl Fn(Uuid) -> String) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{NAMESPACE}\">\n"
    );
    for first in parts {
        xml.push_str(&format!("  <sitemap><loc>{}</loc></sitemap>\n", escape(&location(*first))));
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// XML entity escaping, as the protocol asks for in `<loc>`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn locations_are_escaped() {
        assert_eq!(super::escape("/a?b=1&c='<>\""), "/a?b=1&amp;c=&apos;&lt;&gt;&quot;");
    }

    #[test]
    fn the_index_names_each_part() {
        let id = uuid::Uuid::nil();
        let xml =
            super::index(&[id], |first| format!("https://x.example/sitemap.xml?from={first}"));
        assert!(xml.contains("<sitemap><loc>https://x.example/sitemap.xml?from=00000000-0000-0000-0000-000000000000</loc></sitemap>"));
    }
}
