//! The trash's index holds the trash alone. Over every item it let SQLite, which has no
//! statistics until `ANALYZE`, answer any `deleted_at IS NULL` condition through it: the
//! scheduler's look for due items, run every second, read each live row through it and
//! sorted them, a whole-table scan (1.1 s at 10,000 items) where the index on
//! `scheduled_at` finds nothing at once. Partial, it serves only reads of the trash
//! (`deleted_at IS NOT NULL`, or a comparison with a time, which implies it), on SQLite and
//! PostgreSQL alike.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "ix_content_items_deleted";
const NEW: &str = "ix_content_items_trash";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!("DROP INDEX {OLD}")).await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX {NEW} ON content_items (deleted_at, id) WHERE deleted_at IS NOT NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!("DROP INDEX {NEW}")).await?;
        db.execute_unprepared(&format!("CREATE INDEX {OLD} ON content_items (deleted_at, id)"))
            .await?;
        Ok(())
    }
}
