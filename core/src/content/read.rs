//! Reading single items and batches (for DataLoaders). Every query adds the viewer's
//! visibility condition.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use quire_entity::content_item::{self, Column};
use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use uuid::Uuid;

use super::batches;
use super::rows::{self, Columns};
use super::templates::{self, Shape};
use super::{ContentType, Item, Viewer, now};
use crate::db::RowSource;
use crate::error::ApiResult;

fn visible(viewer: Viewer) -> sea_orm::Select<content_item::Entity> {
    content_item::Entity::find().filter(viewer.condition())
}

/// The first row of `query`, decoded by position.
async fn one(
    conn: &impl RowSource,
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
) -> ApiResult<Option<Item>> {
    Ok(rows::one(conn, query, columns).await?)
}

pub async fn find(
    conn: &impl RowSource,
    viewer: Viewer,
    kind: Option<ContentType>,
    id: Uuid,
) -> ApiResult<Option<Item>> {
    let seen = match kind {
        Some(kind) => viewer.condition_of_kind_at(kind, now()),
        None => viewer.condition(),
    };
    let query = content_item::Entity::find().filter(seen).filter(Column::Id.eq(id));
    one(conn, query, Columns::ALL).await
}

/// An item by slug, reading `columns` of it (see [`Columns`]).
pub async fn find_by_slug(
    conn: &impl RowSource,
    viewer: Viewer,
    kind: ContentType,
    slug: &str,
    columns: Columns,
) -> ApiResult<Option<Item>> {
    let lookup = Lookup { by: By::Slug, viewer, kind, columns };
    lookup.run(conn, slug).await
}

/// Finds a page by path, reading `columns` of it; leading and trailing slashes are ignored.
pub async fn find_by_path(
    conn: &impl RowSource,
    viewer: Viewer,
    path: &str,
    columns: Columns,
) -> ApiResult<Option<Item>> {
    let kind = ContentType::Page;
    let lookup = Lookup { by: By::Path, viewer, kind, columns };
    lookup.run(conn, path.trim_matches('/')).await
}

/// One item of a kind by the value of one of its columns, as `viewer` sees it; its
/// statement is built once per shape (see [`templates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Lookup {
    by: By,
    viewer: Viewer,
    kind: ContentType,
    columns: Columns,
}

/// The column a lookup finds its item by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum By {
    Slug,
    Path,
}

impl By {
    fn column(self) -> Column {
        match self {
            By::Slug => Column::Slug,
            By::Path => Column::Path,
        }
    }

    fn name(self) -> &'static str {
        match self {
            By::Slug => "by slug",
            By::Path => "by path",
        }
    }
}

impl Lookup {
    fn shape(&self) -> Shape {
        Shape {
            lookup: self.by.name(),
            viewer: self.viewer,
            kind: Some(self.kind),
            columns: self.columns,
            list: None,
            batch: 0,
        }
    }

    /// Whether lookups of this shape may be read together (see [`batches`]): the public's,
    /// by a value no two of its items share.
    fn batchable(&self) -> bool {
        self.viewer == Viewer::Public && (self.by == By::Path || self.kind != ContentType::Page)
    }

    /// The value an item found is found by.
    pub(crate) fn value_of<'a>(&self, item: &'a Item) -> Option<&'a str> {
        match self.by {
            By::Slug => item.slug.as_deref(),
            By::Path => item.path.as_deref(),
        }
    }

    /// The statement at `at` for every value in `inputs`.
    fn build_many(&self, backend: DbBackend, at: DateTime<Utc>, inputs: &[Value]) -> Statement {
        let query = content_item::Entity::find()
            .filter(self.viewer.condition_of_kind_at(self.kind, at))
            .filter(self.by.column().is_in(inputs.iter().cloned()));
        rows::all_statement(query, self.columns, backend)
    }

    /// The items found for `values` (distinct), by one statement. Its values are padded
    /// to a power of two by repeating the last, so that a few statement texts serve every
    /// batch, each prepared once per connection.
    pub(crate) async fn run_many(
        &self,
        reads: &impl RowSource,
        values: &[&str],
    ) -> Result<Vec<Item>, DbErr> {
        let backend = reads.pool().get_database_backend();
        let size = values.len().next_power_of_two();
        let last = values.last().copied().unwrap_or_default();
        let inputs: Vec<Value> =
            (0..size).map(|at| Value::from(values.get(at).copied().unwrap_or(last))).collect();
        // Never 0, a single lookup's shape: see the assertion below.
        let shape = Shape { batch: size as u8, ..self.shape() };
        let statement = templates::statement(shape, backend, now(), &inputs, |at, inputs| {
            self.build_many(backend, at, inputs)
        });
        rows::all_of(reads, statement, self.columns).await
    }

    /// The statement at `at` for the value `inputs[0]`.
    fn build(&self, backend: DbBackend, at: DateTime<Utc>, inputs: &[Value]) -> Statement {
        let query = content_item::Entity::find()
            .filter(self.viewer.condition_of_kind_at(self.kind, at))
            .filter(self.by.column().eq(inputs[0].clone()));
        rows::one_statement(query, self.columns, backend)
    }

    async fn run(&self, conn: &impl RowSource, value: &str) -> ApiResult<Option<Item>> {
        // No slug or path holds a NUL, and PostgreSQL refuses one in a text value: read
        // with others, one client's NUL would fail every lookup in its statement.
        if value.contains('\0') {
            return Ok(None);
        }
        if self.batchable()
            && let Some((batches, reads)) = conn.batches()
        {
            return Ok(batches.read(*self, value, reads).await?);
        }
        let backend = conn.pool().get_database_backend();
        let shape = self.shape();
        let inputs = [Value::from(value)];
        let statement = templates::statement(shape, backend, now(), &inputs, |at, inputs| {
            self.build(backend, at, inputs)
        });
        Ok(rows::one_of(conn, statement, self.columns).await?)
    }
}

// A batch's padded size fits `Shape::batch`.
const _: () = assert!(batches::MOST_PER_STATEMENT.next_power_of_two() <= u8::MAX as usize);

/// Many items by id, in one query.
pub async fn by_ids(
    conn: &impl RowSource,
    viewer: Viewer,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Item>> {
    let query = visible(viewer).filter(Column::Id.is_in(ids.iter().copied()));
    let rows = rows::all(conn, query, Columns::ALL).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The child pages of many pages, in one query, each list in sibling order.
pub async fn children_of(
    conn: &impl RowSource,
    viewer: Viewer,
    parent_ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<Item>>> {
    let query = visible(viewer)
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(Column::ParentId.is_in(parent_ids.iter().copied()))
        .order_by_asc(Column::Position)
        .order_by_asc(Column::Title)
        .order_by_asc(Column::Id);
    let rows = rows::all(conn, query, Columns::ALL).await?;
    let mut out: HashMap<Uuid, Vec<Item>> = HashMap::new();
    for row in rows {
        if let Some(parent) = row.parent_id {
            out.entry(parent).or_default().push(row);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A templated lookup is, value for value, the statement its code builds, for both
    /// viewers, kinds, column sets and databases, at any time and for any input.
    #[test]
    fn templated_lookups_are_the_built_statements() {
        let times = [now(), DateTime::from_timestamp(2_000_000_000, 5_000).unwrap()];
        let inputs = ["news-1", "it's -- a \"slug\"", "\u{1}quire template input 0\u{1}"];
        let lookups = [Viewer::Public, Viewer::Staff].into_iter().flat_map(|viewer| {
            [ContentType::NewsArticle, ContentType::Page].into_iter().flat_map(move |kind| {
                [Columns::ALL, Columns::of(&[Column::Title])].into_iter().flat_map(move |columns| {
                    [By::Slug, By::Path].map(|by| Lookup { by, viewer, kind, columns })
                })
            })
        });
        for lookup in lookups {
            for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
                for (at, input) in times.iter().flat_map(|at| inputs.map(|input| (*at, input))) {
                    let inputs = [Value::from(input)];
                    let built = |at, inputs: &[Value]| lookup.build(backend, at, inputs);
                    let templated =
                        templates::statement(lookup.shape(), backend, at, &inputs, built);
                    let built = lookup.build(backend, at, &inputs);
                    assert_eq!(templated.sql, built.sql);
                    let (viewer, kind) = (lookup.viewer, lookup.kind);
                    assert_eq!(templated.values, built.values, "{viewer:?} {kind:?} {backend:?}");
                }
                // Read together: each padded size's statement, for any values.
                for size in [1, 2, 4, 8] {
                    let shape = Shape { batch: size as u8, ..lookup.shape() };
                    for (at, input) in times.iter().flat_map(|at| inputs.map(|input| (*at, input)))
                    {
                        let inputs: Vec<Value> =
                            (0..size).map(|n| Value::from(format!("{input}{n}"))).collect();
                        let built = |at, inputs: &[Value]| lookup.build_many(backend, at, inputs);
                        let templated = templates::statement(shape, backend, at, &inputs, built);
                        let built = lookup.build_many(backend, at, &inputs);
                        assert_eq!(templated.sql, built.sql);
                        assert_eq!(templated.values, built.values, "{size} {backend:?}");
                    }
                }
            }
        }
    }

    /// Only the public's lookups by a value no two items share are read together.
    #[test]
    fn only_the_publics_unique_lookups_are_read_together() {
        let lookup = |by, viewer, kind| Lookup { by, viewer, kind, columns: Columns::ALL };
        assert!(lookup(By::Slug, Viewer::Public, ContentType::NewsArticle).batchable());
        assert!(lookup(By::Path, Viewer::Public, ContentType::Page).batchable());
        assert!(!lookup(By::Slug, Viewer::Public, ContentType::Page).batchable());
        assert!(!lookup(By::Slug, Viewer::Staff, ContentType::NewsArticle).batchable());
    }
}
