//! The site's structure: settings, front-end addresses and SEO, menus, related content and
//! redirects.

pub mod menus;
pub mod redirects;
pub mod seo;
pub mod settings;

use async_graphql::Context;

use super::context;
use quire_core::content::Item;
use quire_core::error::ApiResult;
use quire_core::site::settings::{self as site_settings, SiteSettings};

/// The settings in effect, read once per request.
pub async fn current(ctx: &Context<'_>) -> ApiResult<SiteSettings> {
    let db = context::db(ctx)?;
    let reads = context::reads(ctx)?;
    let site = &context::request(ctx)?.site;
    Ok(site.get_or_try_init(|| site_settings::load(reads, db.site_defaults())).await?.clone())
}

/// An item's front-end address.
pub async fn url_of(ctx: &Context<'_>, item: &Item) -> ApiResult<Option<String>> {
    Ok(current(ctx).await?.addresses().url(item))
}
