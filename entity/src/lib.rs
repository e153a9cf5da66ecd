//! Quire's database tables as SeaORM entities. Plain data: no GraphQL here.

pub mod api_token;
pub mod asset;
pub mod audit_entry;
pub mod content_change;
pub mod content_item;
pub mod content_relation;
pub mod content_tag;
pub mod menu;
pub mod menu_revision;
pub mod newsletter_subscriber;
pub mod redirect;
pub mod revision;
pub mod session;
pub mod setting;
pub mod site_setting;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
