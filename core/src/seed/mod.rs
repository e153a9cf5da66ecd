//! `quire seed`: loads an example site from data files (Markdown with TOML front matter,
//! and `testimonials.toml`) through the same services as the API. Items are matched by
//! their fixed ids, so loading twice changes nothing.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::actor::Actor;
use crate::content::changes::Changes;
use crate::content::rows::Columns;
use crate::content::{ContentType, Viewer, history, read, write};
use crate::db::Db;
use crate::media::{Storage, assets};

mod structure;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: Uuid,
    title: Option<String>,
    slug: Option<String>,
    summary: Option<String>,
    published_at: toml::value::Datetime,
    parent: Option<String>,
    position: Option<i32>,
    seo_title: Option<String>,
    seo_description: Option<String>,
    tags: Option<Vec<String>>,
    author_name: Option<String>,
    location: Option<String>,
    notes_to_editors: Option<String>,
    /// Booklets: the file beside the Markdown, uploaded as the booklet's file.
    file: Option<String>,
    /// Ids of related items, in order.
    related: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize)]
struct TestimonialsFile {
    testimonial: Vec<TestimonialEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestimonialEntry {
    id: Uuid,
    quote: String,
    author_name: String,
    author_role: Option<String>,
    organisation: Option<String>,
    featured: Option<bool>,
    position: Option<i32>,
    published_at: toml::value::Datetime,
}

/// What a load did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub already_there: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Loaded {} items ({} were already there)", self.created, self.already_there)
    }
}

fn time(value: &toml::value::Datetime) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(&value.to_string())
        .with_context(|| format!("`{value}` is not a full RFC 3339 time with a zone"))?
        .with_timezone(&Utc))
}

/// Splits `+++\n<toml>\n+++\n<markdown>`.
fn split_front_matter(text: &str) -> anyhow::Result<(&str, &str)> {
    let rest = text.strip_prefix("+++\n").ok_or_else(|| anyhow!("no `+++` front matter"))?;
    let end = rest.find("\n+++\n").ok_or_else(|| anyhow!("front matter is not closed by `+++`"))?;
    Ok((&rest[..end], rest[end + 5..].trim()))
}

struct Entry {
    kind: ContentType,
    id: Uuid,
    parent_path: Option<String>,
    changes: Changes,
    file: Option<PathBuf>,
    related: Option<Vec<Uuid>>,
}

fn read_markdown(kind: ContentType, path: &Path) -> anyhow::Result<Entry> {
    let text = std::fs::read_to_string(path)?.replace("\r\n", "\n");
    let (front, body) = split_front_matter(&text)?;
    let front: FrontMatter = toml::from_str(front)?;
    let changes = Changes {
        title: front.title,
        slug: front.slug,
        summary: Some(front.summary),
        body: Some((!body.is_empty()).then(|| body.to_string())),
        published_at: Some(Some(time(&front.published_at)?)),
        position: front.position,
        seo_title: Some(front.seo_title),
        seo_description: Some(front.seo_description),
        tags: front.tags,
        author_name: Some(front.author_name),
        location: Some(front.location),
        notes_to_editors: Some(front.notes_to_editors),
        ..Changes::default()
    };
    let file = front.file.map(|name| path.with_file_name(name));
    Ok(Entry {
        kind,
        id: front.id,
        parent_path: front.parent,
        changes,
        file,
        related: front.related,
    })
}

fn markdown_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir)?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "md"));
    files.sort();
    Ok(files)
}

fn read_site(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    if !dir.is_dir() {
        bail!("no example site at {}", dir.display());
    }
    let mut entries = Vec::new();
    for (folder, kind) in [
        ("pages", ContentType::Page),
        ("news", ContentType::NewsArticle),
        ("press-releases", ContentType::PressRelease),
        ("booklets", ContentType::Booklet),
    ] {
        for file in markdown_files(&dir.join(folder))? {
            entries.push(
                read_markdown(kind, &file)
                    .with_context(|| format!("reading {}", file.display()))?,
            );
        }
    }
    let testimonials = dir.join("testimonials.toml");
    if testimonials.is_file() {
        let file: TestimonialsFile = toml::from_str(&std::fs::read_to_string(&testimonials)?)
            .with_context(|| format!("reading {}", testimonials.display()))?;
        for t in file.testimonial {
            entries.push(Entry {
                kind: ContentType::Testimonial,
                id: t.id,
                parent_path: None,
                file: None,
                related: None,
                changes: Changes {
                    quote: Some(t.quote),
                    author_name: Some(Some(t.author_name)),
                    author_role: Some(t.author_role),
                    organisation: Some(t.organisation),
                    featured: t.featured,
                    position: t.position,
                    published_at: Some(Some(time(&t.published_at)?)),
                    ..Changes::default()
                },
            });
        }
    }
    // Parents before children.
    entries.sort_by_key(|e| e.parent_path.as_ref().map_or(0, |p| p.matches('/').count() + 1));
    Ok(entries)
}

/// Loads the example site in `dir`, published, its files into `storage`. Items already
/// present are left alone.
/// The example sites built into the binary, so that an installed Quire (or a container)
/// can load one without the repository beside it.
static BUILT_IN: &[(&str, include_dir::Dir<'static>)] =
    &[("lls", include_dir::include_dir!("$CARGO_MANIFEST_DIR/../examples/lls"))];

/// Loads the example site `name`: from `examples_dir` when one is given, otherwise the copy
/// built into the binary.
pub async fn load_example(
    db: &Db,
    storage: &Storage,
    examples_dir: Option<&Path>,
    name: &str,
) -> anyhow::Result<SeedReport> {
    if let Some(dir) = examples_dir {
        return load(db, storage, &dir.join(name)).await;
    }
    let Some((_, site)) = BUILT_IN.iter().find(|(built_in, _)| *built_in == name) else {
        let names: Vec<_> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        bail!(
            "no example site named `{name}` is built in (there is {}); give --examples-dir for \
             one of your own",
            names.join(", ")
        );
    };
    // The loader reads a folder: the built-in copy is written to a temporary one.
    let folder = tempfile::tempdir().context("a temporary folder for the example site")?;
    site.extract(folder.path()).context("writing out the built-in example site")?;
    load(db, storage, folder.path()).await
}

pub async fn load(db: &Db, storage: &Storage, dir: &Path) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    // Related items may come later in the set: they are linked once all are there.
    let mut links = Vec::new();
    for mut entry in read_site(dir)? {
        if read::find(db.conn(), Viewer::Staff, None, entry.id).await.map_err(api)?.is_some() {
            report.already_there += 1;
            continue;
        }
        if let Some(parent_path) = &entry.parent_path {
            let parent = read::find_by_path(db.conn(), Viewer::Staff, parent_path, Columns::ALL)
                .await
                .map_err(api)?
                .ok_or_else(|| {
                    anyhow!("page {} names a parent `{parent_path}` that is not there", entry.id)
                })?;
            entry.changes.parent_id = Some(Some(parent.id));
        }
        let system = Actor::System;
        if let Some(path) = &entry.file {
            let asset = upload(db, storage, path).await?;
            entry.changes.file_id = Some(Some(asset.id));
        }
        write::create_with_id(db, &system, entry.kind, entry.id, entry.changes)
            .await
            .map_err(api)?;
        let id = crate::ids::encode(history::type_name(entry.kind), entry.id);
        write::publish(db, &system, entry.kind, &id, None).await.map_err(api)?;
        if let Some(related) = entry.related {
            links.push((entry.kind, entry.id, related));
        }
        report.created += 1;
    }
    for (kind, id, related) in links {
        let changes = Changes { related: Some(related), ..Changes::default() };
        write::update(db, &Actor::System, kind, id, changes, None).await.map_err(api)?;
    }
    let structure = dir.join("site.toml");
    if structure.is_file() {
        let text = std::fs::read_to_string(&structure)?;
        let file: structure::SiteFile =
            toml::from_str(&text).with_context(|| format!("reading {}", structure.display()))?;
        structure::load(db, file).await?;
    }
    tracing::info!(
        created = report.created,
        already_there = report.already_there,
        "example site loaded"
    );
    Ok(report)
}

/// Uploads a file of the example site through the same checks as the API.
async fn upload(
    db: &Db,
    storage: &Storage,
    path: &Path,
) -> anyhow::Result<quire_entity::asset::Model> {
    let content =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let file = || Ok(assets::Incoming { filename, content });
    assets::upload(db, storage, &Actor::System, file, None, u64::MAX).await.map_err(api)
}

pub(crate) fn api(err: crate::error::ApiError) -> anyhow::Error {
    err.into_anyhow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_splits() {
        let (front, body) = split_front_matter("+++\na = 1\n+++\n\nHello\n").unwrap();
        assert_eq!(front, "a = 1");
        assert_eq!(body, "Hello");
        assert!(split_front_matter("no front matter").is_err());
    }

    #[test]
    fn the_example_site_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/lls");
        let entries = read_site(&dir).unwrap();
        assert!(entries.iter().filter(|e| e.kind == ContentType::NewsArticle).count() >= 3);
        assert_eq!(entries.iter().filter(|e| e.kind == ContentType::PressRelease).count(), 2);
        assert_eq!(entries.iter().filter(|e| e.kind == ContentType::Testimonial).count(), 2);
    }
}
