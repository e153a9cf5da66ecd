//! SQLite: an FTS5 table (`content_search`) with the porter stemmer over `unicode61`
//! without diacritics, so "schools" finds "school" and "cafe" finds "Café"; ranked by
//! `bm25()`.

use sea_orm::prelude::Expr;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use super::{Backend, Document, Terms, snippet};
use crate::error::ApiResult;

/// `bm25()` weights for the table's columns: `content_id` (not searched), title, summary,
/// body. `bm25()` is lower for better matches; the score is its negation.
const SCORE: &str = "-bm25(content_search, 0.0, 10.0, 4.0, 1.0)";

/// Words around the matches in a snippet.
const SNIPPET_TOKENS: i32 = 24;

pub(super) fn backend(terms: &Terms) -> Backend {
    Backend {
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

/// FTS5 tables have no unique key: the old row goes, the new one comes.
pub(super) async fn index(conn: &impl ConnectionTrait, id: Uuid, doc: &Document) -> ApiResult<()> {
    let delete = "DELETE FROM content_search WHERE content_id = ?";
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, delete, [id.into()]))
        .await?;
    let insert =
        "INSERT INTO content_search (content_id, title, summary, body) VALUES (?, ?, ?, ?)";
    let values =
        [id.into(), doc.title.clone().into(), doc.summary.clone().into(), doc.body.clone().into()];
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, insert, values)).await?;
    Ok(())
}
