//! `Seo`: what a front-end puts in a page's `<head>`, with fallbacks, and `SeoInput`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::graphql::content::{asset_patch, patch};
use crate::graphql::context;
use crate::graphql::loaders::AssetById;
use crate::graphql::types::asset::Asset;
use quire_core::content::Item;
use quire_core::content::changes::Changes;
use quire_core::error::ApiResult;
use uuid::Uuid;

use super::Site;

/// What a front-end puts in a page's `<head>`: each field falls back to the item's own
/// (title, summary, image) and then to the site's settings, so one selection fills it.
/// Made when asked for, from the few fields it needs.
pub struct Seo {
    title: String,
    description: Option<String>,
    image_id: Option<Uuid>,
    canonical_url: Option<String>,
    no_index: bool,
}

impl Seo {
    pub fn new(i: &Item, site: &Site) -> Seo {
        let settings = &site.settings;
        Seo {
            title: i
                .seo_title
                .as_ref()
                .or(i.title.as_ref())
                .or(i.author_name.as_ref())
                .unwrap_or(&settings.name)
                .clone(),
            description: i
                .seo_description
                .as_ref()
                .or(i.summary.as_ref())
                .or(i.quote.as_ref())
                .or(settings.tagline.as_ref())
                .cloned(),
            image_id: i.seo_image_id.or(i.hero_image_id).or(i.cover_id).or(settings.logo_id),
            canonical_url: i.canonical_url.clone().or_else(|| site.addresses.url(i)),
            no_index: i.no_index,
        }
    }
}

/// What a front-end puts in a page's `<head>`, with fallbacks.
#[Object]
impl Seo {
    /// The page title: the SEO title, else the item's title (a testimonial's author), else
    /// the site's name.
    async fn title(&self) -> &str {
        &self.title
    }

    /// The description: the SEO description, else the summary (a testimonial's quote), else
    /// the site's tagline.
    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The image for link previews: the SEO image, else the item's hero image or cover,
    /// else the site's logo.
    async fn image(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        let Some(id) = self.image_id else { return Ok(None) };
        Ok(context::loader(ctx)?.load_one(AssetById(id)).await?.map(Asset))
    }

    /// The canonical address: the one set, else the item's own `url`.
    async fn canonical_url(&self) -> Option<&str> {
        self.canonical_url.as_deref()
    }

    /// Whether search engines are asked not to index it (it is left out of the sitemap).
    async fn no_index(&self) -> bool {
        self.no_index
    }
}

/// SEO fields of an item: only the fields given change; `null` clears one.
#[derive(InputObject, Default)]
pub struct SeoInput {
    /// The page title for search engines and link previews.
    title: MaybeUndefined<String>,
    /// The description for search engines and link previews.
    description: MaybeUndefined<String>,
    /// An uploaded image for link previews.
    image_id: MaybeUndefined<ID>,
    /// A full http(s) URL, when the content's main address is elsewhere.
    canonical_url: MaybeUndefined<String>,
    /// Ask search engines not to index it, and leave it out of the sitemap.
    no_index: Option<bool>,
}

impl SeoInput {
    /// Adds these SEO changes to `changes`.
    pub fn add_to(self, changes: &mut Changes) -> ApiResult<()> {
        changes.seo_title = patch(self.title);
        changes.seo_description = patch(self.description);
        changes.seo_image_id = asset_patch(self.image_id, "seo.imageId")?;
        changes.canonical_url = patch(self.canonical_url);
        changes.no_index = self.no_index;
        Ok(())
    }
}

/// Decodes `relatedIds` (ids of content items of any type).
pub fn related_ids(ids: Option<Vec<ID>>) -> ApiResult<Option<Vec<uuid::Uuid>>> {
    let decode = |id: &ID| {
        quire_core::content::any_item_id(id)
            .map_err(|e| quire_core::error::ApiError::bad_input("relatedIds", e.to_string()))
    };
    ids.map(|ids| ids.iter().map(decode).collect()).transpose()
}

/// The SEO and related-content parts of a create or update input, added to `changes`.
pub fn add_structure(
    changes: &mut Changes,
    seo: Option<SeoInput>,
    related: Option<Vec<ID>>,
) -> ApiResult<()> {
    if let Some(seo) = seo {
        seo.add_to(changes)?;
    }
    changes.related = related_ids(related)?;
    Ok(())
}
