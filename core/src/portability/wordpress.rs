//! `quire import-wordpress FILE.xml`: a WordPress export (WXR, the RSS file Tools → Export
//! writes) into Quire, read as a stream. Posts become news articles, pages the page tree,
//! attachments assets (from a local copy of `wp-content/uploads`; nothing is fetched).
//! Post HTML is sanitised, turned into Markdown, and saved through the same services as an
//! editor's save. Ids are UUIDv5 of the post's WordPress address (`<site>/?p=<id>`), so a
//! second run finds everything already there and changes nothing. The old permalink of
//! each published item becomes a permanent redirect that follows the item.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use quire_entity::content_item;
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::actor::Actor;
use crate::content::changes::Changes;
use crate::content::{ContentType, Item, history, slugs, write};
use crate::db::Db;
use crate::error::ApiError;
use crate::media::{Storage, assets};
use crate::site::redirects;
use crate::site::settings;
use crate::site::urls::Addresses;

/// One `<item>` of the file, with what Quire reads of it.
#[derive(Debug, Default, Clone)]
struct Post {
    title: String,
    link: String,
    creator: String,
    content: String,
    excerpt: String,
    id: u64,
    date_gmt: String,
    date: String,
    name: String,
    status: String,
    parent: u64,
    menu_order: i32,
    post_type: String,
    attachment_url: String,
    tags: Vec<String>,
    meta: HashMap<String, String>,
}

/// What the file holds, one record at a time.
enum Record {
    Site(String),
    Author { login: String, display_name: String },
    Post(Box<Post>),
}

/// Reads a WXR file as a stream of records.
struct Wxr {
    reader: Reader<BufReader<File>>,
    buf: Vec<u8>,
    stack: Vec<String>,
    text: String,
    post: Option<Post>,
    author: (String, String),
    meta: (String, String),
    tag: bool,
}

impl Wxr {
    fn open(path: &Path) -> anyhow::Result<Wxr> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Wxr {
            reader: Reader::from_reader(BufReader::new(file)),
            buf: Vec::new(),
            stack: Vec::new(),
            text: String::new(),
            post: None,
            author: Default::default(),
            meta: Default::default(),
            tag: false,
        })
    }

    fn next(&mut self) -> anyhow::Result<Option<Record>> {
        loop {
            self.buf.clear();
            let position = self.reader.buffer_position();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .with_context(|| format!("reading the WordPress file near byte {position}"))?;
            match event {
                Event::Start(start) => {
                    let name = start.name().as_ref().to_string();
                    self.text.clear();
                    match name.as_str() {
                        "item" => self.post = Some(Post::default()),
                        "category" => {
                            self.tag = start.attributes().flatten().any(|a| {
                                a.key.as_ref() == "domain" && a.value.as_ref() == "post_tag"
                            });
                        }
                        _ => {}
                    }
                    self.stack.push(name);
                }
                Event::Text(text) => push_escaped(&mut self.text, &text.xml10_content()),
                Event::CData(data) => self.text.push_str(&data.xml10_content()),
                Event::GeneralRef(reference) => {
                    push_escaped(&mut self.text, &format!("&{};", reference.xml10_content()));
                }
                Event::End(_) => {
                    let name = self.stack.pop().unwrap_or_default();
                    let text = std::mem::take(&mut self.text);
                    if let Some(record) = self.end(&name, text) {
                        return Ok(Some(record));
                    }
                }
                Event::Eof => return Ok(None),
                _ => {}
            }
        }
    }

    /// What the end of element `name`, holding `text`, adds.
    fn end(&mut self, name: &str, text: String) -> Option<Record> {
        let parent = self.stack.last().map(String::as_str);
        if let Some(post) = self.post.as_mut() {
            let number = || text.trim().parse().unwrap_or_default();
            match name {
                "item" => return self.post.take().map(|p| Record::Post(Box::new(p))),
                "title" => post.title = text,
                "link" => post.link = text,
                "dc:creator" => post.creator = text,
                "content:encoded" => post.content = text,
                "excerpt:encoded" => post.excerpt = text,
                "wp:post_id" => post.id = number(),
                "wp:post_date_gmt" => post.date_gmt = text,
                "wp:post_date" => post.date = text,
                "wp:post_name" => post.name = text,
                "wp:status" => post.status = text,
                "wp:post_parent" => post.parent = number(),
                "wp:menu_order" => post.menu_order = text.trim().parse().unwrap_or_default(),
                "wp:post_type" => post.post_type = text,
                "wp:attachment_url" => post.attachment_url = text,
                "category" if self.tag => post.tags.push(text.trim().to_string()),
                "wp:meta_key" => self.meta.0 = text,
                "wp:meta_value" => self.meta.1 = text,
                "wp:postmeta" => {
                    let (key, value) = std::mem::take(&mut self.meta);
                    post.meta.insert(key, value);
                }
                _ => {}
            }
            return None;
        }
        match (name, parent) {
            ("wp:base_site_url", _) | ("link", Some("channel")) => {
                Some(Record::Site(text.trim().trim_end_matches('/').to_string()))
            }
            ("wp:author_login", _) => {
                self.author.0 = text;
                None
            }
            ("wp:author_display_name", _) => {
                self.author.1 = text;
                None
            }
            ("wp:author", _) => {
                let (login, display_name) = std::mem::take(&mut self.author);
                Some(Record::Author { login, display_name })
            }
            _ => None,
        }
    }
}

/// Adds escaped text, unescaped; an entity XML does not define (HTML's `&nbsp;` in a file
/// that should not hold one) is kept as written.
fn push_escaped(text: &mut String, raw: &str) {
    match quick_xml::escape::unescape(raw) {
        Ok(unescaped) => text.push_str(&unescaped),
        Err(_) => text.push_str(raw),
    }
}

/// What an import did, and what it left out and why.
#[derive(Debug, Default)]
pub struct Report {
    pub site: String,
    /// Created, by what they became ("news article (draft)" …).
    pub imported: BTreeMap<String, usize>,
    pub already_there: usize,
    pub skipped: Vec<String>,
    /// Old permalinks recorded as redirects: (old path, the item's address now).
    pub redirects: Vec<(String, String)>,
    /// Old permalinks not recorded, and why.
    pub not_redirected: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Imported from WordPress ({}):", self.site)?;
        for (what, count) in &self.imported {
            writeln!(f, "  {what}: {count}")?;
        }
        writeln!(f, "Already there (left as they are): {}", self.already_there)?;
        writeln!(f, "Skipped: {}", self.skipped.len())?;
        for why in &self.skipped {
            writeln!(f, "  {why}")?;
        }
        writeln!(f, "Redirects recorded from old permalinks: {}", self.redirects.len())?;
        for (from, to) in &self.redirects {
            writeln!(f, "  {from} -> {to}")?;
        }
        writeln!(f, "Redirects not recorded: {}", self.not_redirected.len())?;
        for why in &self.not_redirected {
            writeln!(f, "  {why}")?;
        }
        Ok(())
    }
}

impl Report {
    fn count(&mut self, what: String) {
        *self.imported.entry(what).or_default() += 1;
    }

    fn skip(&mut self, post: &Post, why: impl fmt::Display) {
        let kind = if post.post_type.is_empty() { "item" } else { &post.post_type };
        self.skipped.push(format!("{kind} {} {:?}: {why}", post.id, post.title));
    }
}

/// The id an item of the WordPress site at `site` is given in Quire.
fn id_for(site: &str, wordpress_id: u64) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("{site}/?p={wordpress_id}").as_bytes())
}

/// What WordPress's status becomes: whether to publish and when, or why not to import.
enum Fate {
    Draft,
    Publish(DateTime<Utc>),
    Schedule(DateTime<Utc>),
    Skip(&'static str),
}

fn fate(post: &Post) -> Fate {
    // The time in UTC; WordPress leaves it empty (zeros) in some exports, and then its local
    // time is the best there is.
    let parse = |text: &str| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok();
    let date = parse(&post.date_gmt).or_else(|| parse(&post.date)).map(|d| d.and_utc());
    match (post.status.as_str(), date) {
        ("publish", Some(at)) => Fate::Publish(at),
        ("future", Some(at)) => Fate::Schedule(at),
        ("publish" | "future", None) => Fate::Skip("its date is missing or unreadable"),
        ("draft" | "pending" | "private", _) => Fate::Draft,
        ("trash", _) => Fate::Skip("it is in WordPress's trash"),
        ("auto-draft", _) => Fate::Skip("it is an automatic draft, never saved"),
        _ => Fate::Skip("its status is not one Quire knows"),
    }
}

/// Where an attachment's file is in the uploads folder.
fn upload_path(post: &Post) -> Option<String> {
    if let Some(file) = post.meta.get("_wp_attached_file").filter(|f| !f.is_empty()) {
        return Some(file.clone());
    }
    post.attachment_url.split_once("/wp-content/uploads/").map(|(_, rest)| rest.to_string())
}

/// Tags that stand as blocks of their own: never wrapped in a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "div",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "pre",
    "hr",
    "script",
    "style",
];

/// WordPress keeps paragraphs as blank lines and adds `<p>` when it shows a post (its
/// `wpautop`); the Markdown needs them, so they are added the same way first: blocks are
/// set apart, and each run of text between blank lines becomes a paragraph.
fn paragraphs(html: &str) -> String {
    let mut html = html.replace("\r\n", "\n").replace("<!--", "\n\n<!--").replace("-->", "-->\n\n");
    for tag in BLOCKS {
        for open in [format!("<{tag}>"), format!("<{tag} ")] {
            html = html.replace(&open, &format!("\n\n{open}"));
        }
        let close = format!("</{tag}>");
        html = html.replace(&close, &format!("{close}\n\n"));
    }
    html.split("\n\n")
        .map(str::trim)
        .filter(|chunk| !chunk.is_empty())
        .map(|chunk| {
            let block = chunk.starts_with("<!--")
                || BLOCKS.iter().any(|tag| {
                    let rest = chunk.strip_prefix('<').map(|r| r.trim_start_matches('/'));
                    rest.and_then(|r| r.strip_prefix(tag))
                        .is_some_and(|r| r.starts_with(['>', ' ', '/']))
                });
            if block {
                chunk.to_string()
            } else {
                format!("<p>{}</p>", chunk.replace('\n', "<br>\n"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Post HTML as Markdown: scripts, styles and event handlers are removed before the
/// conversion, so none reaches even the stored Markdown.
pub fn to_markdown(html: &str) -> anyhow::Result<String> {
    let clean = ammonia::Builder::default().clean(&paragraphs(html)).to_string();
    Ok(htmd::convert(&clean)?.trim().to_string())
}

/// The path of a URL (`https://example.org/2014/01/hello/` → `/2014/01/hello/`).
fn url_path(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = &rest[rest.find('/')?..];
    (path != "/").then(|| path.to_string())
}

struct Site {
    url: String,
    /// Where items are on the new front end.
    addresses: Addresses,
    authors: HashMap<String, String>,
    /// WordPress attachment id → asset id; attachment URL → the asset's file path.
    assets: HashMap<u64, Uuid>,
    files: Vec<(String, String)>,
}

/// Imports the WordPress export `file`, its attachments from `uploads`.
pub async fn import(
    db: &Db,
    storage: &Storage,
    file: &Path,
    uploads: Option<&Path>,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let addresses = settings::load(db.conn(), db.site_defaults()).await.map_err(api)?.addresses();
    let mut site = Site {
        url: String::new(),
        addresses,
        authors: HashMap::new(),
        assets: HashMap::new(),
        files: vec![],
    };

    // First pass: the site, its authors and its attachments, which posts refer to.
    let mut wxr = Wxr::open(file)?;
    while let Some(record) = wxr.next()? {
        match record {
            Record::Site(url) if site.url.is_empty() => site.url = url,
            Record::Author { login, display_name } => {
                site.authors.insert(login, display_name);
            }
            Record::Post(post) if post.post_type == "attachment" => {
                attachment(db, storage, &mut site, uploads, &post, &mut report).await?;
            }
            _ => {}
        }
    }
    if site.url.is_empty() {
        bail!("{} is not a WordPress export: it names no site", file.display());
    }
    report.site = site.url.clone();

    // Second pass: posts as they come; pages once all are read, parents first.
    let mut pages = Vec::new();
    let mut wxr = Wxr::open(file)?;
    while let Some(record) = wxr.next()? {
        let Record::Post(post) = record else {
            continue;
        };
        match post.post_type.as_str() {
            "post" => item(db, &site, ContentType::NewsArticle, &post, None, &mut report).await?,
            "page" => pages.push(*post),
            "attachment" => {}
            "nav_menu_item" | "revision" | "wp_navigation" | "wp_global_styles" => {}
            other => report.skip(&post, format!("Quire has no place for the type `{other}`")),
        }
    }
    let ids: HashMap<u64, Uuid> = pages.iter().map(|p| (p.id, id_for(&site.url, p.id))).collect();
    let mut done: Vec<u64> = vec![0];
    while !pages.is_empty() {
        let (ready, waiting): (Vec<Post>, Vec<Post>) = pages
            .into_iter()
            .partition(|p| done.contains(&p.parent) || !ids.contains_key(&p.parent));
        if ready.is_empty() {
            for page in &waiting {
                report.skip(page, "its parents form a loop");
            }
            break;
        }
        for page in ready {
            let parent = if page.parent == 0 {
                None
            } else if let Some(id) = ids.get(&page.parent) {
                Some(*id)
            } else {
                report.skip(&page, "its parent is not in the file; imported at the top");
                None
            };
            done.push(page.id);
            item(db, &site, ContentType::Page, &page, parent, &mut report).await?;
        }
        pages = waiting;
    }
    tracing::info!(site = %site.url, skipped = report.skipped.len(), "WordPress site imported");
    Ok(report)
}

async fn attachment(
    db: &Db,
    storage: &Storage,
    site: &mut Site,
    uploads: Option<&Path>,
    post: &Post,
    report: &mut Report,
) -> anyhow::Result<()> {
    let id = id_for(&site.url, post.id);
    let remember = |site: &mut Site, asset: &quire_entity::asset::Model| {
        site.assets.insert(post.id, asset.id);
        if !post.attachment_url.is_empty() {
            let path = format!("/files/{}/{}", asset.id, asset.filename);
            site.files.push((post.attachment_url.clone(), path));
        }
    };
    if let Some(asset) = assets::find(db.conn(), id).await.map_err(ApiError::into_anyhow)? {
        remember(site, &asset);
        report.already_there += 1;
        return Ok(());
    }
    let Some(uploads) = uploads else {
        report.skip(post, "no uploads folder was given (--uploads)");
        return Ok(());
    };
    let Some(relative) = upload_path(post).filter(|p| !p.split('/').any(|s| s == "..")) else {
        report.skip(post, "it names no file");
        return Ok(());
    };
    let path: PathBuf = uploads.join(&relative);
    let Ok(content) = File::open(&path) else {
        report.skip(post, format_args!("{relative} is not in the uploads folder"));
        return Ok(());
    };
    let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let alt = post.meta.get("_wp_attachment_image_alt").cloned().filter(|a| !a.is_empty());
    let incoming = || Ok(assets::Incoming { filename, content });
    match assets::upload_with_id(db, storage, &Actor::System, id, incoming, alt, u64::MAX).await {
        Ok(asset) => {
            remember(site, &asset);
            report.count("assets".into());
        }
        Err(ApiError::BadUserInput { message, .. }) => report.skip(post, message),
        Err(other) => return Err(other.into_anyhow()),
    }
    Ok(())
}

/// Creates a post or page, unless it is there already.
async fn item(
    db: &Db,
    site: &Site,
    kind: ContentType,
    post: &Post,
    parent: Option<Uuid>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let id = id_for(&site.url, post.id);
    // In the trash or not: an item already made is left as it is.
    if content_item::Entity::find_by_id(id).one(db.conn()).await?.is_some() {
        report.already_there += 1;
        return Ok(());
    }
    let fate = fate(post);
    if let Fate::Skip(why) = fate {
        report.skip(post, why);
        return Ok(());
    }
    let mut html = post.content.clone();
    for (url, path) in &site.files {
        html = html.replace(url, path);
    }
    let body = to_markdown(&html)?;
    let summary = to_markdown(&post.excerpt)?;
    let hero = post.meta.get("_thumbnail_id").and_then(|t| t.trim().parse::<u64>().ok());
    let hero_image = hero.and_then(|h| site.assets.get(&h).copied());
    if let (Some(h), None) = (hero, hero_image) {
        report.skip(post, format_args!("its featured image ({h}) was not imported; left out"));
    }
    let title = match post.title.trim() {
        "" => format!("Untitled (WordPress {} {})", post.post_type, post.id),
        title => title.to_string(),
    };
    let slug = slugs::check(post.name.trim()).ok().or_else(|| {
        let made = slug::slugify(post.name.trim());
        slugs::check(&made).ok()
    });
    let author = site.authors.get(&post.creator).cloned().or_else(|| Some(post.creator.clone()));
    let changes = Changes {
        title: Some(title),
        slug: slug.clone(),
        summary: Some(Some(summary)),
        body: Some(Some(body).filter(|b| !b.is_empty())),
        parent_id: parent.map(Some),
        position: (kind == ContentType::Page).then_some(post.menu_order),
        tags: (kind == ContentType::NewsArticle).then(|| post.tags.clone()),
        author_name: (kind == ContentType::NewsArticle).then_some(author).flatten().map(Some),
        hero_image_id: (kind == ContentType::NewsArticle).then_some(hero_image).flatten().map(Some),
        ..Changes::default()
    };
    let system = Actor::System;
    match write::create_with_id(db, &system, kind, id, changes).await {
        Ok(_) => {}
        Err(ApiError::BadUserInput { message, .. }) => {
            report.skip(post, message);
            return Ok(());
        }
        Err(other) => return Err(other.into_anyhow()),
    }
    let global = crate::ids::encode(history::type_name(kind), id);
    let label = crate::content::label(kind);
    let (saved, what) = match fate {
        Fate::Publish(at) => (
            write::publish(db, &system, kind, &global, Some(at)).await.map_err(api)?,
            label.to_string(),
        ),
        Fate::Schedule(at) => (
            write::publish(db, &system, kind, &global, Some(at)).await.map_err(api)?,
            format!("{label} (scheduled)"),
        ),
        Fate::Draft | Fate::Skip(_) => {
            // A draft's address was never public: nothing links to it.
            report.count(format!("{label} (draft)"));
            return Ok(());
        }
    };
    report.count(what);
    redirect(db, site, &saved, &post.link, report).await
}

/// Records the old permalink `link` of `item` as a permanent redirect that follows it.
async fn redirect(
    db: &Db,
    site: &Site,
    item: &Item,
    link: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let (Some(old), Some(new)) = (url_path(link), site.addresses.path(item)) else {
        return Ok(());
    };
    if old.contains('?') {
        report.not_redirected.push(format!("{old}: an address with a query is not a path"));
        return Ok(());
    }
    if site.addresses.normalise_path(&old) == site.addresses.normalise_path(&new) {
        report.not_redirected.push(format!("{old}: the item is at this address already"));
        return Ok(());
    }
    let tx = db.write().await?;
    redirects::record_move(&*tx, &site.addresses, item, &old, &new).await.map_err(api)?;
    tx.commit().await?;
    report.redirects.push((old, new));
    Ok(())
}

fn api(err: ApiError) -> anyhow::Error {
    err.into_anyhow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_made_as_wordpress_makes_them() {
        let html = "One\ntwo\n\nThree:\n<ul>\n\t<li>a</li>\n</ul>\n<h2>Four</h2>";
        assert_eq!(
            paragraphs(html),
            "<p>One<br>\ntwo</p>\n<p>Three:</p>\n<ul>\n<li>a</li>\n</ul>\n<h2>Four</h2>"
        );
    }

    #[test]
    fn html_becomes_markdown_without_scripts() {
        let html = "Hello <strong>there</strong>.\n\n<ul><li>one</li><li>two</li></ul>\n\n\
                    <script>alert(1)</script><a href=\"https://example.org/\" onclick=\"x()\">a link</a>";
        let markdown = to_markdown(html).unwrap();
        assert!(markdown.contains("Hello **there**."), "{markdown}");
        assert!(markdown.contains("one") && markdown.contains("two"), "{markdown}");
        assert!(markdown.contains("[a link](https://example.org/)"), "{markdown}");
        assert!(!markdown.contains("script") && !markdown.contains("alert"), "{markdown}");
        assert!(!markdown.contains("onclick"), "{markdown}");
    }

    #[test]
    fn ids_are_the_same_every_run_and_differ_by_site() {
        assert_eq!(id_for("https://a.example", 4), id_for("https://a.example", 4));
        assert_ne!(id_for("https://a.example", 4), id_for("https://b.example", 4));
    }

    #[test]
    fn the_file_is_read_as_a_stream_of_records() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            "<rss xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\
             <link>https://example.org/</link>\
             <item><title>Heads &amp; teachers&#8217; day &nbsp;</title><wp:post_id>7</wp:post_id>\
             <wp:post_date>2014-01-02 10:00:00</wp:post_date>\
             <wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt><wp:status>publish</wp:status>\
             <wp:post_parent/></item></channel></rss>",
        )
        .unwrap();
        let mut wxr = Wxr::open(file.path()).unwrap();
        let Some(Record::Site(site)) = wxr.next().unwrap() else { panic!("no site") };
        assert_eq!(site, "https://example.org");
        let Some(Record::Post(post)) = wxr.next().unwrap() else { panic!("no post") };
        assert_eq!(post.title, "Heads & teachers\u{2019} day &nbsp;");
        assert_eq!(post.id, 7);
        assert!(
            matches!(fate(&post), Fate::Publish(at) if at.to_rfc3339() == "2014-01-02T10:00:00+00:00")
        );
        assert!(wxr.next().unwrap().is_none());
    }

    #[test]
    fn permalinks_are_paths() {
        assert_eq!(url_path("https://example.org/2014/01/hello/").unwrap(), "/2014/01/hello/");
        assert_eq!(url_path("https://example.org/?p=4").unwrap(), "/?p=4");
        assert_eq!(url_path("https://example.org/"), None);
    }
}
