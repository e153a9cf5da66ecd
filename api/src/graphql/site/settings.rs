//! `siteSettings` and `updateSiteSettings`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use crate::graphql::content::page::Page;
use crate::graphql::content::{asset_patch, patch};
use crate::graphql::context;
use crate::graphql::loaders::{AssetById, ItemById};
use crate::graphql::types::asset::Asset;
use quire_core::content::ContentType;
use quire_core::error::ApiResult;
use quire_core::site::settings::{
    self, SettingsChanges, SiteSettings as Settings, SocialLink as Link,
};
use quire_core::site::urls::PatternOverrides;

/// The site's settings: its name, address, logo, links, and how each content type's
/// front-end address is made.
pub struct SiteSettings(pub Settings);

/// The site's settings.
#[Object]
impl SiteSettings {
    /// The site's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A line about the site, the fallback description of its pages.
    async fn tagline(&self) -> Option<&str> {
        self.0.tagline.as_deref()
    }

    /// The front-end's base URL, without a trailing slash; `url` fields start with it.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// The site's logo, the fallback image of its pages.
    async fn logo(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        let Some(id) = self.0.logo_id else { return Ok(None) };
        Ok(context::loader(ctx)?.load_one(AssetById(id)).await?.map(Asset))
    }

    /// The page shown at the front-end's root (its `url` is the base URL with `/`); null
    /// when none is chosen or you may not see it.
    async fn home_page(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Page>> {
        let Some(id) = self.0.home_page_id else { return Ok(None) };
        let found = context::loader(ctx)?.load_one(ItemById(id)).await?;
        Ok(found.filter(|item| item.content_type == ContentType::Page).map(Page))
    }

    /// Links to the organisation elsewhere, in order.
    async fn social_links(&self) -> Vec<SocialLink> {
        self.0
            .social_links
            .iter()
            .map(|l| SocialLink { label: l.label.clone(), url: l.url.clone() })
            .collect()
    }

    /// How each content type's front-end address is made.
    async fn url_patterns(&self) -> UrlPatterns {
        let p = &self.0.url_patterns;
        UrlPatterns {
            page: p.page.clone(),
            news_article: p.news_article.clone(),
            press_release: p.press_release.clone(),
            booklet: p.booklet.clone(),
        }
    }

    /// Goes up by one on every change (0 before the first); pass it as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A link to the organisation elsewhere, such as its page on a social network.
#[derive(SimpleObject)]
pub struct SocialLink {
    /// What the link says, such as "Follow LLS on Twitter".
    label: String,
    /// Where it goes.
    url: String,
}

/// A link to the organisation elsewhere.
#[derive(InputObject)]
pub struct SocialLinkInput {
    /// What the link says.
    label: String,
    /// A full http(s) or `mailto:` URL.
    url: String,
}

/// Front-end address patterns. Each is a path (`/news/{slug}`) or a full URL, naming the
/// item with `{slug}`, `{path}` (a page's slugs from the root, joined by `/`) or `{id}`, and
/// may use `{year}`, `{month}` and `{day}` of the publication date.
#[derive(SimpleObject)]
pub struct UrlPatterns {
    /// Pages; `/{path}` by default.
    page: String,
    /// News articles; `/news/{slug}` by default (or `--feed-news-link`).
    news_article: String,
    /// Press releases; `/press/{slug}` by default (or `--feed-press-release-link`).
    press_release: String,
    /// Booklets; `/booklets/{slug}` by default.
    booklet: String,
}

/// Front-end address patterns to set; those left out or null use the defaults.
#[derive(InputObject, Default)]
pub struct UrlPatternsInput {
    /// Pages.
    page: Option<String>,
    /// News articles.
    news_article: Option<String>,
    /// Press releases.
    press_release: Option<String>,
    /// Booklets.
    booklet: Option<String>,
}

/// Changes to the site settings: only the fields given change; `null` returns a field to
/// its default.
#[derive(InputObject, Default)]
pub struct SiteSettingsInput {
    /// The site's name.
    name: MaybeUndefined<String>,
    /// A line about the site.
    tagline: MaybeUndefined<String>,
    /// The front-end's base URL (a full http(s) URL).
    url: MaybeUndefined<String>,
    /// An uploaded image: the site's logo.
    logo_id: MaybeUndefined<ID>,
    /// The page shown at the front-end's root.
    home_page_id: MaybeUndefined<ID>,
    /// Replaces the links to the organisation elsewhere.
    social_links: Option<Vec<SocialLinkInput>>,
    /// Replaces the patterns set; those left out use the defaults.
    url_patterns: Option<UrlPatternsInput>,
}

impl SiteSettingsInput {
    fn into_changes(self) -> ApiResult<SettingsChanges> {
        let home_page_id = patch(self.home_page_id)
            .map(|id| {
                id.map(|id| {
                    quire_core::content::item_id(&id, ContentType::Page).map_err(|e| {
                        quire_core::error::ApiError::bad_input("homePageId", e.to_string())
                    })
                })
                .transpose()
            })
            .transpose()?;
        Ok(SettingsChanges {
            name: patch(self.name),
            tagline: patch(self.tagline),
            url: patch(self.url),
            logo_id: asset_patch(self.logo_id, "logoId")?,
            home_page_id,
            social_links: self.social_links.map(|links| {
                links.into_iter().map(|l| Link { label: l.label, url: l.url }).collect()
            }),
            url_patterns: self.url_patterns.map(|p| PatternOverrides {
                page: p.page,
                news_article: p.news_article,
                press_release: p.press_release,
                booklet: p.booklet,
            }),
        })
    }
}

#[derive(Default)]
pub struct SiteSettingsQuery;

#[Object]
impl SiteSettingsQuery {
    /// The site's settings.
    async fn site_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<SiteSettings> {
        Ok(SiteSettings(super::current(ctx).await?.settings.clone()))
    }
}

#[derive(Default)]
pub struct SiteSettingsMutation;

#[Object]
impl SiteSettingsMutation {
    /// Changes the site settings (editors and admins).
    async fn update_site_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to change; those left out stay as they are.")]
        input: SiteSettingsInput,
        #[graphql(
            desc = "The version you last read; if the settings have changed since, the update fails with CONFLICT and changes nothing."
        )]
        expected_version: Option<i32>,
    ) -> async_graphql::Result<SiteSettings> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let changes = input.into_changes()?;
        let saved =
            settings::update(db, &actor, db.site_defaults(), changes, expected_version).await?;
        Ok(SiteSettings(saved))
    }
}
