//! SQLite's index of what the public sees, `content_search_public`: FTS5 ranks a match by
//! how many rows of its table hold the words, so the public's searches run over this table
//! alone and drafts, the trash and embargoed items cannot move their scores. It is filled
//! with the items the public sees now. PostgreSQL ranks each row by itself and needs none.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE: &str = "CREATE VIRTUAL TABLE content_search_public USING fts5(\
    title, summary, body, \
    tokenize = 'porter unicode61 remove_diacritics 2')";

/// The rows of the full index whose items the public sees at `?`: published, their time
/// come, not due to be unpublished, and (pages) no page above them hidden. `quire import`
/// runs it again.
pub const FILL: &str = "INSERT INTO content_search_public (rowid, title, summary, body) \
    SELECT ids.id, s.title, s.summary, s.body \
    FROM content_search s \
    JOIN content_search_ids ids ON ids.id = s.rowid \
    JOIN content_items i ON i.id = ids.content_id \
    WHERE i.deleted_at IS NULL AND i.status = 'published' AND i.published_at <= ?1 \
    AND (i.scheduled_at IS NULL OR i.scheduled_at > ?1) \
    AND NOT (i.content_type = 'page' AND EXISTS (\
        SELECT 1 FROM content_items above \
        WHERE above.id IN (WITH RECURSIVE up(id, depth) AS (\
            SELECT i.parent_id, 1 \
            UNION ALL SELECT p.parent_id, up.depth + 1 FROM content_items p JOIN up ON p.id = up.id \
            WHERE p.parent_id IS NOT NULL AND up.depth < 100) \
            SELECT id FROM up) \
        AND (above.deleted_at IS NOT NULL OR above.status <> 'published' \
            OR above.published_at IS NULL OR above.published_at > ?1 \
            OR above.scheduled_at <= ?1)))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared(CREATE).await?;
        let now = sea_orm_migration::sea_orm::Value::from(
            sea_orm_migration::sea_orm::prelude::ChronoUtc::now(),
        );
        conn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, FILL, [now])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared("DROP TABLE content_search_public").await?;
        Ok(())
    }
}
