//! PostgreSQL: `content_search` keeps each document's text and a generated, weighted
//! `tsvector` (title A, summary B, body C) under a GIN index; ranked by `ts_rank`, with
//! snippets from `ts_headline`. The `english` configuration stems words ("schools" finds
//! "school"), as SQLite's porter stemmer does; English stop words are not indexed.

use quire_entity::content_item::{self, Column};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use super::{Backend, Document, Terms, snippet};
use crate::error::ApiResult;

/// The `tsquery` of the terms, all of which must match, and the values for its `$n`
/// placeholders. Every term is bound, never spliced: a phrase goes through
/// `phraseto_tsquery`, which accepts any text; a prefix through `to_tsquery`, whose
/// syntax the words (letters and digits only) cannot reach.
fn tsquery(terms: &Terms) -> (String, Vec<Value>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for term in terms.iter() {
        let n = values.len() + 1;
        if term.prefix {
            parts.push(format!("to_tsquery('english', ${n})"));
            values.push(format!("{}:*", term.words.join(" <-> ")).into());
        } else {
            parts.push(format!("phraseto_tsquery('english', ${n})"));
            values.push(term.words.join(" ").into());
        }
    }
    (format!("({})", parts.join(" && ")), values)
}

pub(super) fn backend(terms: &Terms) -> Backend {
    let (query, values) = tsquery(terms);
    let n = values.len();
    let options = format!(
        "StartSel=\"{}\", StopSel=\"{}\", MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=\" … \"",
        snippet::START,
        snippet::END
    );
    let mut snippet_values = values.clone();
    snippet_values.extend([Value::from("\n"), options.into()]);
    let table = || Alias::new("content_search");
    Backend {
        joins: vec![(
            table(),
            Expr::col((table(), Alias::new("content_id")))
                .equals((content_item::Entity, Column::Id)),
        )],
        matches: Expr::cust_with_values(
            format!("content_search.document @@ {query}"),
            values.clone(),
        ),
        score: Expr::cust_with_values(
            format!("CAST(ts_rank(content_search.document, {query}) AS double precision)"),
            values,
        ),
        snippet: Expr::cust_with_values(
            format!(
                "ts_headline('english', concat_ws(${}, content_search.title, content_search.summary, content_search.body), {query}, ${})",
                n + 1,
                n + 2
            ),
            snippet_values,
        ),
    }
}

pub(super) async fn index(conn: &impl ConnectionTrait, id: Uuid, doc: &Document) -> ApiResult<()> {
    let upsert = "INSERT INTO content_search (content_id, title, summary, body) VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (content_id) DO UPDATE \
                  SET title = EXCLUDED.title, summary = EXCLUDED.summary, body = EXCLUDED.body";
    let values =
        [id.into(), doc.title.clone().into(), doc.summary.clone().into(), doc.body.clone().into()];
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, upsert, values)).await?;
    Ok(())
}

/// The row goes with its item (`ON DELETE CASCADE`); this is for a row left behind.
pub(super) async fn remove(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    let delete = "DELETE FROM content_search WHERE content_id = $1";
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, delete, [id.into()]))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    #[test]
    fn every_term_is_a_bound_value() {
        let (sql, values) = tsquery(&parse("\"nine pillars\" great pill* x' OR 1=1 --").unwrap());
        assert_eq!(
            sql,
            "(phraseto_tsquery('english', $1) && phraseto_tsquery('english', $2) && to_tsquery('english', $3) && phraseto_tsquery('english', $4) && phraseto_tsquery('english', $5) && phraseto_tsquery('english', $6))"
        );
        assert_eq!(values[0], Value::from("nine pillars"));
        assert_eq!(values[2], Value::from("pill:*"));
        assert_eq!(values[5], Value::from("1 1"));
    }
}
