//! The site's structure: settings, front-end addresses and SEO, menus, related content and
//! redirects.

pub mod menus;
pub mod redirects;
pub mod seo;
pub mod settings;

use std::sync::Arc;

use async_graphql::Context;

use super::context;
use quire_core::content::Item;
use quire_core::error::ApiResult;
use quire_core::site::settings::{self as site_settings, SiteSettings};
use quire_core::site::urls::Addresses;

/// The site settings in effect for one request, with the addresses they make.
pub struct Site {
    pub settings: SiteSettings,
    pub addresses: Addresses,
}

/// The site, read once per request, whatever asks for it first.
pub async fn current(ctx: &Context<'_>) -> ApiResult<Arc<Site>> {
    let db = context::db(ctx)?;
    let reads = context::reads(ctx)?;
    let cell = &context::request(ctx)?.site;
    let site = cell
        .get_or_try_init(|| async {
            let settings = site_settings::load(reads, db.site_defaults()).await?;
            let addresses = settings.addresses();
            Ok::<_, quire_core::error::ApiError>(Arc::new(Site { settings, addresses }))
        })
        .await?;
    Ok(site.clone())
}

/// An item's front-end address.
pub async fn url_of(ctx: &Context<'_>, item: &Item) -> ApiResult<Option<String>> {
    Ok(current(ctx).await?.addresses.url(item))
}
