//! Quire's schema, one change per migration. Example content goes in through `quire seed`,
//! never through a migration.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_assets;
mod m20261123_000002_create_content_items;
mod m20261123_000003_create_content_tags;
mod m20261123_000004_create_api_tokens;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_assets::Migration),
            Box::new(m20261123_000002_create_content_items::Migration),
            Box::new(m20261123_000003_create_content_tags::Migration),
            Box::new(m20261123_000004_create_api_tokens::Migration),
        ]
    }
}
