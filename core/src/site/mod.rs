//! The site's structure around its content: settings and front-end addresses, menus,
//! related content, redirects and the sitemap.

pub mod menus;
pub mod redirects;
pub mod related;
pub mod settings;
pub mod sitemap;
pub mod urls;
