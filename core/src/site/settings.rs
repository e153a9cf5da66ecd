//! The site's settings: one versioned record editors change. Until the first change, and
//! for every field left unset, the defaults from the command line apply (the feed flags).

use quire_entity::{asset, content_item, redirect, site_setting};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::redirects;
use super::urls::{self, Addresses, PatternOverrides, UrlPatterns};
use crate::actor::Actor;
use crate::audit;
use crate::clock::now;
use crate::config::FeedConfig;
use crate::content::{ContentType, Status};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

const ROW: i32 = 1;

/// What applies where editors set nothing.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub name: String,
    pub url: Option<String>,
    pub patterns: UrlPatterns,
}

impl Defaults {
    /// The feed flags, and Quire's own public URL as the last resort for the base URL.
    pub fn from_config(feeds: &FeedConfig, public_url: Option<&str>) -> Defaults {
        let url =
            feeds.feed_site_url.as_deref().or(public_url).map(trim_url).filter(|u| !u.is_empty());
        let patterns = UrlPatterns {
            news_article: feeds.feed_news_link.trim().to_string(),
            press_release: feeds.feed_press_release_link.trim().to_string(),
            ..UrlPatterns::default()
        };
        Defaults { name: feeds.feed_site_name.trim().to_string(), url, patterns }
    }
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults::from_config(&FeedConfig::default(), None)
    }
}

fn trim_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// A link to the organisation elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialLink {
    pub label: String,
    pub url: String,
}

/// The settings in effect: what editors set, over the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    pub name: String,
    pub tagline: Option<String>,
    pub url: Option<String>,
    pub logo_id: Option<Uuid>,
    pub home_page_id: Option<Uuid>,
    pub social_links: Vec<SocialLink>,
    pub url_patterns: UrlPatterns,
    /// 0 until the first change.
    pub version: i32,
}

impl SiteSettings {
    pub fn addresses(&self) -> Addresses {
        Addresses {
            base: self.url.clone().unwrap_or_default(),
            patterns: self.url_patterns.clone(),
            home_page_id: self.home_page_id,
        }
    }

    fn from_row(row: Option<site_setting::Model>, defaults: &Defaults) -> SiteSettings {
        let Some(row) = row else {
            return SiteSettings {
                name: defaults.name.clone(),
                tagline: None,
                url: defaults.url.clone(),
                logo_id: None,
                home_page_id: None,
                social_links: Vec::new(),
                url_patterns: defaults.patterns.clone(),
                version: 0,
            };
        };
        let overrides: PatternOverrides =
            serde_json::from_str(&row.url_patterns).unwrap_or_default();
        SiteSettings {
            name: row.name.unwrap_or_else(|| defaults.name.clone()),
            tagline: row.tagline,
            url: row.url.or_else(|| defaults.url.clone()),
            logo_id: row.logo_id,
            home_page_id: row.home_page_id,
            social_links: serde_json::from_str(&row.social_links).unwrap_or_default(),
            url_patterns: overrides.over(&defaults.patterns),
            version: row.version,
        }
    }
}

/// The settings in effect, in one statement.
pub async fn load(conn: &impl ConnectionTrait, defaults: &Defaults) -> ApiResult<SiteSettings> {
    let row = site_setting::Entity::find_by_id(ROW).one(conn).await?;
    Ok(SiteSettings::from_row(row, defaults))
}

/// A change to the settings: `None` leaves a field alone, `Some(None)` returns it to its
/// default. `url_patterns` replaces the patterns editors set (those left out use defaults).
#[derive(Debug, Default, Clone)]
pub struct SettingsChanges {
    pub name: Option<Option<String>>,
    pub tagline: Option<Option<String>>,
    pub url: Option<Option<String>>,
    pub logo_id: Option<Option<Uuid>>,
    pub home_page_id: Option<Option<Uuid>>,
    pub social_links: Option<Vec<SocialLink>>,
    pub url_patterns: Option<PatternOverrides>,
}

fn text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn check_url(field: &str, url: &str, prefixes: &[&str]) -> ApiResult<()> {
    if !urls::is_link(url, prefixes) {
        return Err(ApiError::bad_input(field, "give a full http(s) URL"));
    }
    Ok(())
}

/// Changes the settings, if they are still at `expected_version` (when given).
pub async fn update(
    db: &Db,
    actor: &Actor,
    defaults: &Defaults,
    changes: SettingsChanges,
    expected_version: Option<i32>,
) -> ApiResult<SiteSettings> {
    actor.require_editor()?;
    let tx = db.write().await?;
    let mut query = site_setting::Entity::find_by_id(ROW);
    if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    let current = query.one(&*tx).await?;
    let version = current.as_ref().map_or(0, |row| row.version);
    if expected_version.is_some_and(|expected| expected != version) {
        return Err(ApiError::Conflict(format!(
            "the site settings were changed by someone else (they are now at version {version}): reload them and try again"
        )));
    }
    let mut row = current.clone().unwrap_or(site_setting::Model {
        id: ROW,
        name: None,
        tagline: None,
        url: None,
        logo_id: None,
        home_page_id: None,
        social_links: "[]".into(),
        url_patterns: "{}".into(),
        version: 0,
        updated_at: now(),
    });
    if let Some(name) = changes.name {
        row.name = text(name);
    }
    if let Some(tagline) = changes.tagline {
        row.tagline = text(tagline);
    }
    if let Some(url) = changes.url {
        let url = text(url).map(|u| trim_url(&u));
        if let Some(url) = &url {
            check_url("url", url, urls::WEB)?;
        }
        row.url = url;
    }
    if let Some(logo_id) = changes.logo_id {
        if let Some(id) = logo_id
            && asset::Entity::find_by_id(id).one(&*tx).await?.is_none()
        {
            return Err(ApiError::bad_input("logoId", "no such asset"));
        }
        row.logo_id = logo_id;
    }
    if let Some(home_page_id) = changes.home_page_id {
        if let Some(id) = home_page_id {
            let page = content_item::Entity::find_by_id(id).one(&*tx).await?;
            if page.is_none_or(|p| p.content_type != ContentType::Page || p.deleted_at.is_some()) {
                return Err(ApiError::bad_input("homePageId", "no such page"));
            }
        }
        row.home_page_id = home_page_id;
    }
    if let Some(links) = changes.social_links {
        if links.len() > 50 {
            return Err(ApiError::bad_input("socialLinks", "at most 50 links"));
        }
        let mut kept = Vec::with_capacity(links.len());
        for (index, link) in links.into_iter().enumerate() {
            let label = link.label.trim().to_string();
            if label.is_empty() || label.chars().count() > 200 {
                return Err(ApiError::bad_input(
                    format!("socialLinks.{index}.label"),
                    "a label of 1 to 200 characters",
                ));
            }
            let url = link.url.trim().to_string();
            check_url(
                &format!("socialLinks.{index}.url"),
                &url,
                &["https://", "http://", "mailto:"],
            )?;
            kept.push(SocialLink { label, url });
        }
        row.social_links = serde_json::to_string(&kept).map_err(anyhow::Error::from)?;
    }
    if let Some(patterns) = changes.url_patterns {
        patterns.check()?;
        let trimmed = PatternOverrides {
            page: text(patterns.page),
            news_article: text(patterns.news_article),
            press_release: text(patterns.press_release),
            booklet: text(patterns.booklet),
        };
        row.url_patterns = serde_json::to_string(&trimmed).map_err(anyhow::Error::from)?;
    }
    row.version = version + 1;
    row.updated_at = now();
    let model = row.clone().into_active_model().reset_all();
    let saved = match current {
        // The version read under the row lock (PostgreSQL) or the single writer (SQLite).
        Some(_) => model.update(&*tx).await?,
        // Two first changes at once: the second insert fails on the key, as a conflict.
        None => model.insert(&*tx).await.map_err(|e| {
            if !matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
                return ApiError::from(e);
            }
            ApiError::Conflict(
                "the site settings were changed by someone else: reload them and try again".into(),
            )
        })?,
    };
    let settings = SiteSettings::from_row(Some(saved), defaults);
    let before = SiteSettings::from_row(current, defaults).addresses();
    record_home_move(&*tx, &before, &settings.addresses()).await?;
    audit::record(
        &*tx,
        actor,
        "site_settings.update",
        None,
        Some(format!("version {}", settings.version)),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(version = settings.version, "site settings changed");
    Ok(settings)
}

/// A published page made the home page moves to `/`: its old address redirects there, as
/// any move of a published item does. A published page that was home has its own address
/// again, so a redirect from that address (made when it became home) goes.
async fn record_home_move(
    conn: &impl ConnectionTrait,
    before: &Addresses,
    after: &Addresses,
) -> ApiResult<()> {
    if before.home_page_id == after.home_page_id {
        return Ok(());
    }
    let page = |id| content_item::Entity::find_by_id(id).one(conn);
    if let Some(id) = after.home_page_id
        && let Some(home) = page(id).await?
        && home.status == Status::Published
        && let (Some(old), Some(new)) = (before.path(&home), after.path(&home))
    {
        redirects::record_move(conn, after, &home, &old, &new).await?;
    }
    if let Some(id) = before.home_page_id
        && let Some(was_home) = page(id).await?
        && was_home.status == Status::Published
        && let Some(own) = after.path(&was_home)
    {
        redirect::Entity::delete_many()
            .filter(redirect::Column::FromPath.eq(after.normalise_path(&own)))
            .exec(conn)
            .await?;
    }
    Ok(())
}
