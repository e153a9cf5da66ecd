//! Quire's schema, one change per migration. Example content goes in through `quire seed`,
//! never through a migration.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_assets;
mod m20261123_000002_create_content_items;
mod m20261123_000003_create_content_tags;
mod m20261123_000004_create_api_tokens;
mod m20261123_000005_create_users;
mod m20261123_000006_create_sessions;
mod m20261123_000007_add_content_workflow_columns;
mod m20261123_000008_create_revisions;
mod m20261123_000009_create_audit_entries;
mod m20261123_000010_create_webhooks;
mod m20261123_000011_create_webhook_deliveries;
mod m20261123_000012_create_settings;
mod m20261123_000013_add_media_metadata;
mod m20261129_000001_create_content_changes;
mod m20261129_000002_create_newsletter_subscribers;
mod m20261129_000003_create_search_index;
mod m20261201_000101_create_public_search_index;
mod m20261201_000102_index_public_changes;
mod m20261201_000201_add_content_seo_columns;
mod m20261201_000202_create_site_settings;
mod m20261201_000203_create_menus;
mod m20261201_000204_create_content_relations;
mod m20261201_000205_create_redirects;
mod m20261201_000301_index_only_the_trash;

/// The statements that fill the search indexes from `content_items`, for `quire import` to
/// fill them again after it has written every item.
pub mod search_fill {
    pub use crate::m20261129_000003_create_search_index::{POSTGRES_FILL, SQLITE_FILL};
    pub use crate::m20261201_000101_create_public_search_index::FILL as SQLITE_PUBLIC_FILL;
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_assets::Migration),
            Box::new(m20261123_000002_create_content_items::Migration),
            Box::new(m20261123_000003_create_content_tags::Migration),
            Box::new(m20261123_000004_create_api_tokens::Migration),
            Box::new(m20261123_000005_create_users::Migration),
            Box::new(m20261123_000006_create_sessions::Migration),
            Box::new(m20261123_000007_add_content_workflow_columns::Migration),
            Box::new(m20261123_000008_create_revisions::Migration),
            Box::new(m20261123_000009_create_audit_entries::Migration),
            Box::new(m20261123_000010_create_webhooks::Migration),
            Box::new(m20261123_000011_create_webhook_deliveries::Migration),
            Box::new(m20261123_000012_create_settings::Migration),
            Box::new(m20261123_000013_add_media_metadata::Migration),
            Box::new(m20261129_000001_create_content_changes::Migration),
            Box::new(m20261129_000002_create_newsletter_subscribers::Migration),
            Box::new(m20261129_000003_create_search_index::Migration),
            Box::new(m20261201_000101_create_public_search_index::Migration),
            Box::new(m20261201_000102_index_public_changes::Migration),
            Box::new(m20261201_000201_add_content_seo_columns::Migration),
            Box::new(m20261201_000202_create_site_settings::Migration),
            Box::new(m20261201_000203_create_menus::Migration),
            Box::new(m20261201_000204_create_content_relations::Migration),
            Box::new(m20261201_000205_create_redirects::Migration),
            Box::new(m20261201_000301_index_only_the_trash::Migration),
        ]
    }
}
