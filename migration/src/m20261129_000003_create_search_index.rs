//! The full-text search index, `content_search`: each item's title, summary and body
//! (testimonials: author's name, organisation, quote), filled from the items already there
//! (the same text the API writes for every item from now on). SQLite gets an FTS5 table;
//! PostgreSQL a table with a weighted, generated `tsvector` under a GIN index, whose rows
//! go with their item.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// FTS5 finds rows by their integer rowid only; `content_search_ids` gives each item one,
/// so an item's row is found without reading the whole index.
const SQLITE_UP: &[&str] = &[
    "CREATE TABLE content_search_ids (\
        id INTEGER PRIMARY KEY, \
        content_id uuid_text NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE content_search USING fts5(\
        title, summary, body, \
        tokenize = 'porter unicode61 remove_diacritics 2')",
];

/// Fills SQLite's (empty) index from the items there; `quire import` runs them again.
pub const SQLITE_FILL: &[&str] = &[
    "INSERT INTO content_search_ids (content_id) SELECT id FROM content_items",
    "INSERT INTO content_search (rowid, title, summary, body) \
        SELECT ids.id, \
            CASE WHEN content_type = 'testimonial' THEN author_name ELSE title END, \
            CASE WHEN content_type = 'testimonial' THEN organisation ELSE summary END, \
            CASE WHEN content_type = 'testimonial' THEN quote ELSE body END \
        FROM content_search_ids ids JOIN content_items ON content_items.id = ids.content_id",
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
];

/// Fills PostgreSQL's (empty) index from the items there; `quire import` runs it again.
pub const POSTGRES_FILL: &[&str] =
    &["INSERT INTO content_search (content_id, title, summary, body) \
        SELECT id, \
            CASE WHEN content_type = 'testimonial' THEN author_name ELSE title END, \
            CASE WHEN content_type = 'testimonial' THEN organisation ELSE summary END, \
            CASE WHEN content_type = 'testimonial' THEN quote ELSE body END \
        FROM content_items"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (create, fill) = match manager.get_database_backend() {
            DbBackend::Postgres => (POSTGRES_UP, POSTGRES_FILL),
            _ => (SQLITE_UP, SQLITE_FILL),
        };
        for sql in create.iter().chain(fill) {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE content_search").await?;
        if manager.get_database_backend() != DbBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP TABLE content_search_ids").await?;
        }
        Ok(())
    }
}
