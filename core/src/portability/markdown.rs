//! The content of an export again as Markdown with TOML front matter, in the layout of the
//! example site (`examples/lls/`): `content/pages/`, `content/news/`,
//! `content/press-releases/`, `content/booklets/` and `content/testimonials.toml`. It is
//! for people to read and diff; `quire import` reads the JSON Lines. Each item is written
//! as it is now (its revisions are in `revisions.jsonl`), whatever its status.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use quire_entity::{content_item, content_tag};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::export::create;
use super::manifest::{Checksum, Manifest};
use super::rows::time;
use crate::content::{ContentType, Item, Status};

/// Items read from the database at a time.
const BATCH: u64 = 200;
const TESTIMONIALS: &str = "content/testimonials.toml";

/// Front matter with the example site's names, in order, leaving out what an item lacks.
#[derive(Default)]
struct Front(toml::Table);

impl Front {
    fn put<V: Into<toml::Value>>(mut self, key: &str, value: Option<V>) -> Front {
        if let Some(value) = value {
            self.0.insert(key.to_string(), value.into());
        }
        self
    }

    fn text(self, key: &str, value: Option<&String>) -> Front {
        self.put(key, value.cloned())
    }

    fn time(self, key: &str, at: Option<DateTime<Utc>>) -> Front {
        self.put(key, at.and_then(|at| time(&at).parse::<toml::value::Datetime>().ok()))
    }

    /// What every item has at the end: its status, the trash, its version.
    fn state(self, item: &Item) -> Front {
        self.put("status", Some(status(item)))
            .time("scheduled_at", item.scheduled_at)
            .time("deleted_at", item.deleted_at)
            .put("version", Some(i64::from(item.version)))
    }
}

fn status(item: &Item) -> &'static str {
    match item.status {
        Status::Draft => "draft",
        Status::Published => "published",
        Status::Scheduled => "scheduled",
    }
}

fn file_of(id: Option<Uuid>) -> Option<String> {
    id.map(|id| format!("../../files/{id}"))
}

/// The file an item is written to: named as in the example site, by its id if it has no
/// slug, and with its id added if another item took the name first.
fn file_name(dir: &Path, item: &Item) -> Option<String> {
    let (folder, stem) = match item.content_type {
        ContentType::Page => ("pages", item.path.as_ref().map(|p| p.replace('/', "-"))),
        ContentType::NewsArticle => ("news", dated(item)),
        ContentType::PressRelease => ("press-releases", dated(item)),
        ContentType::Booklet => ("booklets", item.slug.clone()),
        ContentType::Testimonial => return None,
    };
    let stem = stem.unwrap_or_else(|| item.id.to_string());
    let name = format!("content/{folder}/{stem}.md");
    if dir.join(&name).exists() {
        return Some(format!("content/{folder}/{stem}-{}.md", item.id));
    }
    Some(name)
}

fn dated(item: &Item) -> Option<String> {
    let slug = item.slug.as_ref()?;
    Some(match item.published_at {
        Some(at) => format!("{}-{slug}", at.format("%Y-%m-%d")),
        None => slug.clone(),
    })
}

pub(super) async fn write(
    tx: &DatabaseTransaction,
    dir: &Path,
    manifest: &mut Manifest,
) -> anyhow::Result<()> {
    let mut testimonials = None;
    let mut after: Option<Uuid> = None;
    loop {
        let mut query =
            content_item::Entity::find().order_by_asc(content_item::Column::Id).limit(BATCH);
        if let Some(after) = after {
            query = query.filter(content_item::Column::Id.gt(after));
        }
        let items = query.all(tx).await?;
        let Some(last) = items.last() else {
            break;
        };
        after = Some(last.id);
        let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
        let ids: Vec<Uuid> = items
            .iter()
            .filter(|i| i.content_type == ContentType::NewsArticle)
            .map(|i| i.id)
            .collect();
        if !ids.is_empty() {
            let rows = content_tag::Entity::find()
                .filter(content_tag::Column::ContentId.is_in(ids))
                .all(tx)
                .await?;
            for row in rows {
                tags.entry(row.content_id).or_default().push(row.tag);
            }
        }
        for item in &items {
            if item.content_type == ContentType::Testimonial {
                if testimonials.is_none() {
                    testimonials = Some(create(dir, TESTIMONIALS)?);
                }
                if let Some(out) = testimonials.as_mut() {
                    write_testimonial(out, item)?;
                }
                continue;
            }
            let Some(name) = file_name(dir, item) else {
                continue;
            };
            let mut item_tags = tags.remove(&item.id);
            if let Some(tags) = item_tags.as_mut() {
                tags.sort();
            }
            let sum = write_item(dir, &name, item, item_tags)?;
            manifest.checksums.insert(name, sum);
        }
    }
    if let Some(out) = testimonials {
        manifest.checksums.insert(TESTIMONIALS.to_string(), out.finish()?);
    }
    Ok(())
}

fn write_item(
    dir: &Path,
    name: &str,
    item: &Item,
    tags: Option<Vec<String>>,
) -> anyhow::Result<Checksum> {
    let parent = item.path.as_deref().and_then(|p| p.rsplit_once('/')).map(|(parent, _)| parent);
    let page = item.content_type == ContentType::Page;
    let front = Front::default()
        .put("id", Some(item.id.to_string()))
        .text("title", item.title.as_ref())
        .text("slug", item.slug.as_ref())
        .put("parent", parent)
        .put("position", page.then_some(i64::from(item.position)))
        .text("summary", item.summary.as_ref())
        .text("seo_title", item.seo_title.as_ref())
        .text("seo_description", item.seo_description.as_ref())
        .put("seo_image", file_of(item.seo_image_id))
        .text("canonical_url", item.canonical_url.as_ref())
        .put("no_index", item.no_index.then_some(true))
        .time("published_at", item.published_at)
        .put("tags", tags)
        .text("author_name", item.author_name.as_ref())
        .text("location", item.location.as_ref())
        .text("notes_to_editors", item.notes_to_editors.as_ref())
        .put("file", file_of(item.file_id))
        .put("hero_image", file_of(item.hero_image_id))
        .put("cover", file_of(item.cover_id))
        .state(item);
    let mut out = create(dir, name)?;
    write!(out, "+++\n{}+++\n", toml::to_string(&front.0)?)?;
    if let Some(body) = &item.body {
        writeln!(out, "{body}")?;
    }
    Ok(out.finish()?)
}

fn write_testimonial(out: &mut impl Write, item: &Item) -> anyhow::Result<()> {
    let entry = Front::default()
        .put("id", Some(item.id.to_string()))
        .text("quote", item.quote.as_ref())
        .text("author_name", item.author_name.as_ref())
        .text("author_role", item.author_role.as_ref())
        .text("organisation", item.organisation.as_ref())
        .put("featured", Some(item.featured))
        .put("position", Some(i64::from(item.position)))
        .time("published_at", item.published_at)
        .state(item);
    let mut one = toml::Table::new();
    one.insert("testimonial".into(), toml::Value::Array(vec![toml::Value::Table(entry.0)]));
    writeln!(out, "{}", toml::to_string(&one)?)?;
    Ok(())
}
