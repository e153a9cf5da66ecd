//! Reading single items and batches (for DataLoaders). Every query adds the viewer's
//! visibility condition.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use quire_entity::content_item::{self, Column};
use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use uuid::Uuid;

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
    let lookup = Lookup { name: "by slug", viewer, kind, column: Column::Slug, columns };
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
    let lookup = Lookup { name: "by path", viewer, kind, column: Column::Path, columns };
    lookup.run(conn, path.trim_matches('/')).await
}

/// One item of a kind by the value of one of its columns, as `viewer` sees it; its
/// statement is built once per shape (see [`templates`]).
struct Lookup {
    name: &'static str,
    viewer: Viewer,
    kind: ContentType,
    column: Column,
    columns: Columns,
}

impl Lookup {
    fn shape(&self) -> Shape {
        Shape {
            lookup: self.name,
            viewer: self.viewer,
            kind: Some(self.kind),
            columns: self.columns,
            list: None,
        }
    }

    /// The statement at `at` for the value `inputs[0]`.
    fn build(&self, backend: DbBackend, at: DateTime<Utc>, inputs: &[Value]) -> Statement {
        let query = content_item::Entity::find()
            .filter(self.viewer.condition_of_kind_at(self.kind, at))
            .filter(self.column.eq(inputs[0].clone()));
        rows::one_statement(query, self.columns, backend)
    }

    async fn run(&self, conn: &impl RowSource, value: &str) -> ApiResult<Option<Item>> {
        let backend = conn.pool().get_database_backend();
        let shape = self.shape();
        let inputs = [Value::from(value)];
        let statement = templates::statement(shape, backend, now(), &inputs, |at, inputs| {
            self.build(backend, at, inputs)
        });
        Ok(rows::one_of(conn, statement, self.columns).await?)
    }
}

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
                [Columns::ALL, Columns::of(&[Column::Title])].map(|columns| Lookup {
                    name: "test",
                    viewer,
                    kind,
                    column: Column::Slug,
                    columns,
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
            }
        }
    }
}
