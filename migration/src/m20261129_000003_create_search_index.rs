//! The full-text search index, `content_search`: each item's title, summary and body
//! (testimonials: author's name, organisation, quote), filled from the items already there.
//! SQLite gets an FTS5 table; PostgreSQL a table with a weighted, generated `tsvector` under
//! a GIN index, whose rows go with their item.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE content_search USING fts5(\
        content_id UNINDEXED, title, summary, body, \
        tokenize = 'porter unicode61 remove_diacritics 2')",
    BACKFILL,
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE content_search (\
        content_id uuid PRIMARY KEY REFERENCES content_items (id) ON DELETE CASCADE, \
        title text, \
        summary text, \
        body text, \
        document tsvector GENERATED ALWAYS AS (\
            setweight(to_tsvector('english', coalesce(title, '')), 'A') || \
            setweight(to_tsvector('english', coalesce(summary, '')), 'B') || \
            setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED)",
    "CREATE INDEX ix_content_search_document ON content_search USING GIN (document)",
    BACKFILL,
];

/// The same document as the API writes for each item from now on.
const BACKFILL: &str = "INSERT INTO content_search (content_id, title, summary, body) \
    SELECT id, \
        CASE WHEN content_type = 'testimonial' THEN author_name ELSE title END, \
        CASE WHEN content_type = 'testimonial' THEN organisation ELSE summary END, \
        CASE WHEN content_type = 'testimonial' THEN quote ELSE body END \
    FROM content_items";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE content_search").await?;
        Ok(())
    }
}
