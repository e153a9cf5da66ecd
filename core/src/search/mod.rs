//! Full-text search over content. Each item's searchable text (its [`Document`]) is kept in
//! the `content_search` table, written in the same transaction as the item itself, so a
//! search run after a save returns finds the new words. SQLite searches it with FTS5,
//! PostgreSQL with a weighted `tsvector`; both rank titles above summaries above bodies.
//! SQLite's ranks depend on the other rows of the index, so it keeps a second index of
//! what the public sees alone, for the public's searches; PostgreSQL ranks each row by
//! itself.
//! Results are joined to `content_items` under the viewer's visibility rule, like every
//! other read.

mod postgres;
pub mod query;
mod snippet;
mod sqlite;

use quire_entity::content_item::{self, Column};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Alias, ExprTrait, JoinType, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::content::{ContentType, Item, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{self, Page, Window};
pub use query::Terms;

/// What search reads of an item, by weight: a title, a summary, a body (Markdown as
/// written). Testimonials have none of these: their author's name is their title, the
/// organisation their summary and the quote their body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
}

impl Document {
    pub fn of(item: &Item) -> Document {
        match item.content_type {
            ContentType::Testimonial => Document {
                title: item.author_name.clone(),
                summary: item.organisation.clone(),
                body: item.quote.clone(),
            },
            _ => Document {
                title: item.title.clone(),
                summary: item.summary.clone(),
                body: item.body.clone(),
            },
        }
    }
}

/// Writes a new item's document into the index.
pub async fn index(conn: &impl ConnectionTrait, item: &Item) -> ApiResult<()> {
    let document = Document::of(item);
    match conn.get_database_backend() {
        DbBackend::Postgres => postgres::index(conn, item.id, &document).await,
        _ => sqlite::index(conn, item.id, &document).await,
    }
}

/// Rewrites an item's document after a change, when its text changed (publishing, the
/// trash and page moves leave it as it was); returns whether it did.
pub async fn reindex(conn: &impl ConnectionTrait, current: &Item, saved: &Item) -> ApiResult<bool> {
    if Document::of(current) == Document::of(saved) {
        return Ok(false);
    }
    index(conn, saved).await?;
    Ok(true)
}

/// Puts an item in the index of what the public sees (`public`: with its current text),
/// or takes it out. Only SQLite keeps one.
pub async fn set_public(conn: &impl ConnectionTrait, item: &Item, public: bool) -> ApiResult<()> {
    match conn.get_database_backend() {
        DbBackend::Postgres => Ok(()),
        _ if public => sqlite::index_public(conn, item.id, &Document::of(item)).await,
        _ => sqlite::remove_public(conn, item.id).await,
    }
}

/// Takes a purged item out of the index.
pub async fn remove(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    match conn.get_database_backend() {
        DbBackend::Postgres => postgres::remove(conn, id).await,
        _ => sqlite::remove(conn, id).await,
    }
}

/// Fills the (empty) indexes from every item there, after an import has written them
/// without going through [`index`]: with the statements the indexes were first filled with.
pub async fn fill(conn: &impl ConnectionTrait) -> ApiResult<()> {
    use quire_migration::search_fill::{POSTGRES_FILL, SQLITE_FILL, SQLITE_PUBLIC_FILL};
    let backend = conn.get_database_backend();
    let all = if backend == DbBackend::Postgres { POSTGRES_FILL } else { SQLITE_FILL };
    for sql in all {
        conn.execute_unprepared(sql).await?;
    }
    if backend != DbBackend::Postgres {
        let now = sea_orm::Value::from(crate::clock::now());
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            SQLITE_PUBLIC_FILL,
            [now],
        ))
        .await?;
    }
    Ok(())
}

/// An opaque position in a result list: the score and id of the last hit seen. The score
/// travels as its bits: a decimal in JSON need not read back as the same float, and the
/// next page starts at exactly this score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    score_bits: u64,
    id: Uuid,
}

impl Cursor {
    fn score(&self) -> f64 {
        f64::from_bits(self.score_bits)
    }

    /// A cursor from `after`; anything else is bad input in `after`.
    pub fn decode(raw: &str) -> ApiResult<Cursor> {
        let cursor: Cursor = pagination::decode(raw, "after")?;
        if !cursor.score().is_finite() {
            return Err(ApiError::bad_input("after", "this cursor is not valid"));
        }
        Ok(cursor)
    }
}

/// One search, checked.
#[derive(Debug, Clone)]
pub struct Search {
    pub terms: Terms,
    pub viewer: Viewer,
    /// Only these kinds, when given.
    pub types: Option<Vec<ContentType>>,
    pub after: Option<Cursor>,
    pub limit: u64,
}

/// One result.
#[derive(Debug, Clone)]
pub struct Hit {
    pub item: Item,
    /// Higher is better; comparable only within one search.
    pub score: f64,
    /// A short extract as HTML, the matches in `<mark>`.
    pub snippet: Option<String>,
}

impl Hit {
    pub fn cursor(&self) -> Cursor {
        Cursor { score_bits: self.score.to_bits(), id: self.item.id }
    }
}

/// How one database searches: the tables that join the index to `content_items`, the
/// condition that selects matching rows, the score (higher is better), and the snippet with
/// matches between [`snippet::START`] and [`snippet::END`].
struct Backend {
    joins: Vec<(Alias, SimpleExpr)>,
    matches: SimpleExpr,
    score: SimpleExpr,
    snippet: SimpleExpr,
}

/// Runs a search: best hits first, then by id, after the cursor; one query that returns
/// the items themselves.
#[tracing::instrument(skip_all, fields(limit = search.limit))]
pub async fn run(conn: &impl ConnectionTrait, search: &Search) -> ApiResult<Page<Hit>> {
    let window = Window { backward: false, limit: search.limit, cursor: search.after };
    let statement = statement(conn.get_database_backend(), search, window.fetch());
    let rows = conn.query_all_raw(statement).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let item = Item::from_query_result(&row, "")?;
        let score: f64 = row.try_get("", "score")?;
        let raw: Option<String> = row.try_get("", "snippet")?;
        let score = if score.is_finite() { score } else { 0.0 };
        hits.push(Hit { item, score, snippet: raw.as_deref().and_then(snippet::to_html) });
    }
    Ok(window.page(hits, Hit::cursor))
}

/// The one statement a search runs, fetching `fetch` rows.
fn statement(backend: DbBackend, search: &Search, fetch: u64) -> sea_orm::Statement {
    let sql = match backend {
        DbBackend::Postgres => postgres::backend(&search.terms),
        _ => sqlite::backend(&search.terms, search.viewer == Viewer::Public),
    };
    let mut select = content_item::Entity::find()
        .filter(search.viewer.condition())
        .filter(sql.matches)
        .expr_as(sql.score.clone(), "score")
        .expr_as(sql.snippet, "snippet");
    if let Some(types) = &search.types {
        // SQLite keeps no statistics, and would rather walk an index that starts with the
        // type than look each hit up by id; a unary `+` keeps this term out of its choice.
        let column = match backend {
            DbBackend::Postgres => Expr::col((content_item::Entity, Column::ContentType)),
            _ => Expr::cust("+content_items.content_type"),
        };
        select = select.filter(column.is_in(types.iter().map(ActiveEnum::to_value)));
    }
    if let Some(after) = search.after {
        // Keyset over (score, id): the score is computed again, identically, for the same
        // index, so a page starts exactly after the last hit of the page before.
        select =
            select.filter(Condition::any().add(sql.score.clone().lt(after.score())).add(
                Condition::all().add(sql.score.eq(after.score())).add(Column::Id.gt(after.id)),
            ));
    }
    let mut select = select
        .order_by(Expr::col(Alias::new("score")), Order::Desc)
        .order_by_asc(Column::Id)
        .limit(fetch);
    for (table, on) in sql.joins {
        QuerySelect::query(&mut select).join(JoinType::InnerJoin, table, on);
    }
    select.build(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_exactly() {
        for score in [1.234_567_890_123_456_7e-6, -0.1, 0.0, 1e300, 0.1 + 0.2] {
            let cursor = Cursor { score_bits: f64::to_bits(score), id: Uuid::now_v7() };
            assert_eq!(Cursor::decode(&pagination::encode(&cursor)).unwrap().score(), score);
        }
        let infinite = Cursor { score_bits: f64::INFINITY.to_bits(), id: Uuid::now_v7() };
        assert!(Cursor::decode(&pagination::encode(&infinite)).is_err());
        assert_eq!(Cursor::decode("nonsense").err().map(|e| e.code()), Some("BAD_USER_INPUT"));
    }

    /// On SQLite the search starts from the index's MATCH and looks each hit's item up by
    /// key; started from the items, it ran the MATCH once per item (11 s at 10,000 items).
    #[tokio::test]
    async fn sqlite_searches_start_from_the_index() {
        let db = crate::db::Db::connect_and_migrate("sqlite::memory:", 1).await.unwrap();
        for viewer in [Viewer::Public, Viewer::Staff] {
            let search = Search {
                terms: query::parse("schools").unwrap(),
                viewer,
                types: Some(vec![ContentType::NewsArticle]),
                after: Some(Cursor { score_bits: 1.0f64.to_bits(), id: Uuid::nil() }),
                limit: 20,
            };
            let plan = crate::db::sqlite_plan(&db, statement(DbBackend::Sqlite, &search, 21)).await;
            let first =
                plan.iter().find(|step| step.starts_with("SCAN") || step.starts_with("SEARCH"));
            assert!(
                first.is_some_and(|step| step.starts_with("SCAN content_search")
                    && step.contains("VIRTUAL TABLE")),
                "{viewer:?}: {plan:#?}"
            );
        }
    }
}
