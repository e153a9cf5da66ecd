//! SQLite: an FTS5 table (`content_search`) with the porter stemmer over `unicode61`
//! without diacritics, so "schools" finds "school" and "cafe" finds "Café"; ranked by
//! `bm25()`. FTS5 rows have integer rowids; `content_search_ids` gives each item one.

use quire_entity::content_item::{self, Column};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use super::{Backend, Document, Terms, snippet};
use crate::error::ApiResult;

/// `bm25()` weights for title, summary and body. `bm25()` is lower for better matches; the
/// score is its negation.
const SCORE: &str = "-bm25(content_search, 10.0, 4.0, 1.0)";

/// Words around the matches in a snippet.
const SNIPPET_TOKENS: i32 = 24;

pub(super) fn backend(terms: &Terms) -> Backend {
    let ids = || Alias::new("content_search_ids");
    let fts = || Alias::new("content_search");
    Backend {
        joins: vec![
            (
                ids(),
                Expr::col((ids(), Alias::new("content_id")))
                    .equals((content_item::Entity, Column::Id)),
            ),
            (fts(), Expr::col((fts(), Alias::new("rowid"))).equals((ids(), Alias::new("id")))),
        ],
        matches: Expr::cust_with_values("content_search MATCH ?", [terms.fts5()]),
        score: Expr::cust(SCORE),
        // Column -1: the column with the best match.
        snippet: Expr::cust_with_values(
            "snippet(content_search, -1, ?, ?, ?, ?)",
            [
                sea_orm::Value::from(snippet::START.to_string()),
                snippet::END.to_string().into(),
                "…".into(),
                SNIPPET_TOKENS.into(),
            ],
        ),
    }
}

async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> ApiResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)).await?;
    Ok(())
}

/// Gives the item a rowid the first time, then writes its row over the old one.
pub(super) async fn index(conn: &impl ConnectionTrait, id: Uuid, doc: &Document) -> ApiResult<()> {
    let give_rowid = "INSERT INTO content_search_ids (content_id) VALUES (?) ON CONFLICT (content_id) DO NOTHING";
    execute(conn, give_rowid, [id.into()]).await?;
    let write = "INSERT OR REPLACE INTO content_search (rowid, title, summary, body) \
                 VALUES ((SELECT id FROM content_search_ids WHERE content_id = ?), ?, ?, ?)";
    let values =
        [id.into(), doc.title.clone().into(), doc.summary.clone().into(), doc.body.clone().into()];
    execute(conn, write, values).await
}

pub(super) async fn remove(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    let row = "DELETE FROM content_search WHERE rowid = (SELECT id FROM content_search_ids WHERE content_id = ?)";
    execute(conn, row, [id.into()]).await?;
    execute(conn, "DELETE FROM content_search_ids WHERE content_id = ?", [id.into()]).await
}
