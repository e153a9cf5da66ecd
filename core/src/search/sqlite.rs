//! SQLite: an FTS5 table (`content_search`) with the porter stemmer over `unicode61`
//! without diacritics, so "schools" finds "school" and "cafe" finds "Café"; ranked by
//! `bm25()`. FTS5 rows have integer rowids; `content_search_ids` gives each item one.
//!
//! `bm25()` weighs a match by how many rows of its table hold the word, so the public
//! searches `content_search_public`, which holds only what the public sees: an editor's
//! drafts, the trash and embargoed items never move the public's scores.

use sea_orm::prelude::Expr;
use sea_orm::sea_query::Alias;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use super::{Backend, Document, Terms, snippet};
use crate::error::ApiResult;

/// The index of every item, and the index of what the public sees.
const ALL: &str = "content_search";
const PUBLIC: &str = "content_search_public";

/// Words around the matches in a snippet.
const SNIPPET_TOKENS: i32 = 24;

pub(super) fn backend(terms: &Terms, public: bool) -> Backend {
    let table = if public { PUBLIC } else { ALL };
    let ids = || Alias::new("content_search_ids");
    let fts = || Alias::new(table);
    // Only one join order is fast: the index's MATCH first, then each hit's item by key.
    // SQLite without statistics may start from `content_items` instead and run the MATCH
    // once per item (seconds at 10,000 items); a unary `+` on one side of each join keeps
    // every other order from using an index, so the planner takes this one.
    Backend {
        joins: vec![
            (ids(), Expr::cust("+content_search_ids.content_id = content_items.id")),
            (fts(), Expr::cust(format!("+{table}.rowid = content_search_ids.id"))),
        ],
        matches: Expr::cust_with_values(format!("{table} MATCH ?"), [terms.fts5()]),
        // `bm25()` weights for title, summary and body; it is lower for better matches, the
        // score is its negation.
        score: Expr::cust(format!("-bm25({table}, 10.0, 4.0, 1.0)")),
        // Column -1: the column with the best match.
        snippet: Expr::cust_with_values(
            format!("snippet({table}, -1, ?, ?, ?, ?)"),
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

/// Writes the item's row in the public index, over the old one; the item has a rowid
/// already (it was indexed when it was created).
pub(super) async fn index_public(
    conn: &impl ConnectionTrait,
    id: Uuid,
    doc: &Document,
) -> ApiResult<()> {
    let write = format!(
        "INSERT OR REPLACE INTO {PUBLIC} (rowid, title, summary, body) \
         SELECT id, ?, ?, ? FROM content_search_ids WHERE content_id = ?"
    );
    let values =
        [doc.title.clone().into(), doc.summary.clone().into(), doc.body.clone().into(), id.into()];
    execute(conn, &write, values).await
}

pub(super) async fn remove_public(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    let row = format!(
        "DELETE FROM {PUBLIC} WHERE rowid = (SELECT id FROM content_search_ids WHERE content_id = ?)"
    );
    execute(conn, &row, [id.into()]).await
}

pub(super) async fn remove(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    remove_public(conn, id).await?;
    let row = format!(
        "DELETE FROM {ALL} WHERE rowid = (SELECT id FROM content_search_ids WHERE content_id = ?)"
    );
    execute(conn, &row, [id.into()]).await?;
    execute(conn, "DELETE FROM content_search_ids WHERE content_id = ?", [id.into()]).await
}
