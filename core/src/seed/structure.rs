//! The example site's structure (`site.toml`): its settings, menus and redirects, loaded
//! through the same services as the API. What is already there is left alone.

use anyhow::anyhow;
use serde::Deserialize;
use uuid::Uuid;

use super::api;
use crate::actor::Actor;
use crate::content::rows::Columns;
use crate::content::{ContentType, Item, Viewer, read};
use crate::db::Db;
use crate::site::menus::{self, StoredItem};
use crate::site::redirects;
use crate::site::settings::{self, SettingsChanges, SocialLink};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    settings: Option<SettingsEntry>,
    #[serde(default)]
    menu: Vec<MenuEntry>,
    #[serde(default)]
    redirect: Vec<RedirectEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsEntry {
    name: Option<String>,
    tagline: Option<String>,
    url: Option<String>,
    /// The home page's path.
    home_page: Option<String>,
    #[serde(default)]
    social_links: Vec<SocialLink>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuEntry {
    name: String,
    #[serde(default)]
    item: Vec<MenuItemEntry>,
}

/// A link to a page (by path), an item of another kind (by slug), or a URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuItemEntry {
    label: String,
    page: Option<String>,
    news_article: Option<String>,
    press_release: Option<String>,
    booklet: Option<String>,
    url: Option<String>,
    #[serde(default)]
    children: Vec<MenuItemEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedirectEntry {
    from: String,
    to: String,
    #[serde(default = "permanent")]
    permanent: bool,
}

fn permanent() -> bool {
    true
}

pub async fn load(db: &Db, file: SiteFile) -> anyhow::Result<()> {
    let system = Actor::System;
    let defaults = db.site_defaults();
    if let Some(entry) = file.settings
        && settings::load(db.conn(), defaults).await.map_err(api)?.version == 0
    {
        let home_page_id = match &entry.home_page {
            Some(path) => Some(Some(page(db, path).await?.id)),
            None => None,
        };
        let changes = SettingsChanges {
            name: Some(entry.name),
            tagline: Some(entry.tagline),
            url: Some(entry.url),
            home_page_id,
            social_links: Some(entry.social_links),
            ..SettingsChanges::default()
        };
        settings::update(db, &system, defaults, changes, Some(0)).await.map_err(api)?;
    }
    for entry in file.menu {
        if menus::find(db.conn(), &entry.name).await.map_err(api)?.is_some() {
            continue;
        }
        let items = stored(db, entry.item).await?;
        menus::save(db, &system, &entry.name, items, Some(0)).await.map_err(api)?;
    }
    let addresses = settings::load(db.conn(), defaults).await.map_err(api)?.addresses();
    for entry in file.redirect {
        let from = addresses.normalise_path(&entry.from);
        if redirects::find_from(db.conn(), &from).await.map_err(api)?.is_some() {
            continue;
        }
        redirects::create(db, &system, &addresses, &from, &entry.to, entry.permanent)
            .await
            .map_err(api)?;
    }
    Ok(())
}

async fn page(db: &Db, path: &str) -> anyhow::Result<Item> {
    read::find_by_path(db.conn(), Viewer::Staff, path, Columns::ALL)
        .await
        .map_err(api)?
        .ok_or_else(|| anyhow!("site.toml names a page `{path}` that is not there"))
}

async fn by_slug(db: &Db, kind: ContentType, slug: &str) -> anyhow::Result<Uuid> {
    Ok(read::find_by_slug(db.conn(), Viewer::Staff, kind, slug, Columns::ALL)
        .await
        .map_err(api)?
        .ok_or_else(|| {
            anyhow!("site.toml names a {} `{slug}` that is not there", crate::content::label(kind))
        })?
        .id)
}

fn stored<'a>(
    db: &'a Db,
    entries: Vec<MenuItemEntry>,
) -> futures_util::future::BoxFuture<'a, anyhow::Result<Vec<StoredItem>>> {
    Box::pin(async move {
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            let target_id =
                match (&entry.page, &entry.news_article, &entry.press_release, &entry.booklet) {
                    (Some(path), ..) => Some(page(db, path).await?.id),
                    (_, Some(slug), ..) => Some(by_slug(db, ContentType::NewsArticle, slug).await?),
                    (_, _, Some(slug), _) => {
                        Some(by_slug(db, ContentType::PressRelease, slug).await?)
                    }
                    (_, _, _, Some(slug)) => Some(by_slug(db, ContentType::Booklet, slug).await?),
                    _ => None,
                };
            let children = stored(db, entry.children).await?;
            items.push(StoredItem { label: entry.label, target_id, url: entry.url, children });
        }
        Ok(items)
    })
}
