//! Lists with filters, ordering and keyset pagination. Cursors carry the sort value and the
//! id of an item, so a page never skips or repeats an item and the database never scans
//! past an OFFSET.

use chrono::{DateTime, Utc};
use quire_entity::{content_item, content_tag};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::{ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rows::{self, Columns};
use super::templates::{self, ListShape, Shape};
use super::{ContentType, Item, Status, Viewer, now};
use crate::db::RowSource;
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, Window};

use content_item::Column;

#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Editors only; the public always gets published items.
    pub statuses: Option<Vec<Status>>,
    /// `Some(None)`: top-level pages only.
    pub parent: Option<Option<Uuid>>,
    pub tag: Option<String>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub featured: Option<bool>,
    /// Only items this user created.
    pub created_by: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Title,
    Position,
    Path,
}

#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

/// An opaque position in a list: the sort field, the item's value for it, and its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f")]
    field: SortField,
    #[serde(rename = "v")]
    value: serde_json::Value,
    id: Uuid,
}

/// Where a query's rows come from: kind, viewer and filter, without ordering or window.
#[derive(Debug, Clone)]
pub struct Scope {
    pub viewer: Viewer,
    pub kind: ContentType,
    pub filter: Filter,
}

impl Scope {
    fn condition(&self) -> Condition {
        self.condition_at(now())
    }

    /// [`Scope::condition`] as it reads at `at`.
    fn condition_at(&self, at: DateTime<Utc>) -> Condition {
        let f = &self.filter;
        let mut cond = Condition::all().add(self.viewer.condition_of_kind_at(self.kind, at));
        if let Some(statuses) = &f.statuses {
            cond = cond.add(Column::Status.is_in(statuses.iter().copied()));
        }
        match f.parent {
            Some(Some(parent)) => cond = cond.add(Column::ParentId.eq(parent)),
            Some(None) => cond = cond.add(Column::ParentId.is_null()),
            None => {}
        }
        if let Some(tag) = &f.tag {
            let tagged = Query::select()
                .column(content_tag::Column::ContentId)
                .from(content_tag::Entity)
                .and_where(content_tag::Column::Tag.eq(tag.trim().to_lowercase()))
                .to_owned();
            cond = cond.add(Column::Id.in_subquery(tagged));
        }
        if let Some(after) = f.published_after {
            cond = cond.add(Column::PublishedAt.gte(after));
        }
        if let Some(before) = f.published_before {
            cond = cond.add(Column::PublishedAt.lt(before));
        }
        if let Some(featured) = f.featured {
            cond = cond.add(Column::Featured.eq(featured));
        }
        if let Some(user) = f.created_by {
            cond = cond.add(Column::CreatedBy.eq(user));
        }
        cond
    }

    /// Every row in scope has a publication time: the public's lists, or a filter on
    /// `PUBLISHED` alone. Then the publication-time sort can use its index directly.
    fn only_published(&self) -> bool {
        self.viewer == Viewer::Public
            || matches!(&self.filter.statuses, Some(s) if !s.is_empty() && s.iter().all(|s| *s == Status::Published))
    }

    fn sort_key(&self, field: SortField) -> SimpleExpr {
        match field {
            SortField::PublishedAt if self.only_published() => Expr::col(Column::PublishedAt),
            // Drafts have no publication time yet: they sort by when they were created.
            SortField::PublishedAt => {
                Func::coalesce([Expr::col(Column::PublishedAt), Expr::col(Column::CreatedAt)])
                    .into()
            }
            SortField::CreatedAt => Expr::col(Column::CreatedAt),
            SortField::UpdatedAt => Expr::col(Column::UpdatedAt),
            SortField::Title => Expr::col(Column::Title),
            SortField::Position => Expr::col(Column::Position),
            SortField::Path => Expr::col(Column::Path),
        }
    }

    pub async fn count(&self, conn: &impl ConnectionTrait) -> ApiResult<u64> {
        Ok(content_item::Entity::find().filter(self.condition()).count(conn).await?)
    }

    /// A page of the list, reading `columns` of its items and whatever its order needs
    /// (see [`rows::Columns`]): a list that shows titles and summaries need not read and
    /// copy every article's body.
    pub async fn list(
        &self,
        conn: &impl RowSource,
        sort: Sort,
        window: &Window<Cursor>,
        columns: Columns,
    ) -> ApiResult<Page<Item>> {
        let columns = columns.and(sort_columns(sort.field));
        let backend = conn.pool().get_database_backend();
        let rows = match self.template_shape(sort, window, columns) {
            // The first page of a plain list: its statement is built once per shape.
            Some(shape) => {
                let statement = templates::statement(shape, backend, now(), &[], |at, _| {
                    rows::all_statement(self.ordered(at, sort, window, None), columns, backend)
                });
                rows::all_of(conn, statement, columns).await?
            }
            None => {
                let past = match &window.cursor {
                    Some(cursor) => Some(self.past(cursor, sort, window)?),
                    None => None,
                };
                rows::all(conn, self.ordered(now(), sort, window, past), columns).await?
            }
        };
        Ok(window.page(rows, |item| cursor_for(sort.field, item)))
    }

    /// Whether the list reads in descending order: walking backward reads it in reverse,
    /// then flips the page.
    fn descending(sort: Sort, window: &Window<Cursor>) -> bool {
        sort.descending != window.backward
    }

    /// The list's rows at `at`, past `past` when a cursor gives it, in order.
    fn ordered(
        &self,
        at: DateTime<Utc>,
        sort: Sort,
        window: &Window<Cursor>,
        past: Option<Condition>,
    ) -> sea_orm::Select<content_item::Entity> {
        let order = if Self::descending(sort, window) { Order::Desc } else { Order::Asc };
        let mut query = content_item::Entity::find().filter(self.condition_at(at));
        if let Some(past) = past {
            query = query.filter(past);
        }
        query
            .order_by(self.sort_key(sort.field), order.clone())
            .order_by(Column::Id, order)
            .limit(window.fetch())
    }

    /// The rows after `cursor` in the list's order.
    fn past(&self, cursor: &Cursor, sort: Sort, window: &Window<Cursor>) -> ApiResult<Condition> {
        if cursor.field != sort.field {
            let field = if window.backward { "before" } else { "after" };
            return Err(ApiError::bad_input(field, "this cursor belongs to another ordering"));
        }
        let value = cursor_value(sort.field, &cursor.value)
            .ok_or_else(|| ApiError::bad_input("after", "this cursor is not valid"))?;
        let key = self.sort_key(sort.field);
        let descending = Self::descending(sort, window);
        let past =
            if descending { key.clone().lt(value.clone()) } else { key.clone().gt(value.clone()) };
        let id_past = if descending { Column::Id.lt(cursor.id) } else { Column::Id.gt(cursor.id) };
        Ok(Condition::any().add(past).add(Condition::all().add(key.eq(value)).add(id_past)))
    }

    /// The template's shape of a first page filtered at most on `featured`; `None` for
    /// any other page, whose statement is built each time.
    fn template_shape(
        &self,
        sort: Sort,
        window: &Window<Cursor>,
        columns: Columns,
    ) -> Option<Shape> {
        let Filter {
            statuses: None,
            parent: None,
            tag: None,
            published_after: None,
            published_before: None,
            featured,
            created_by: None,
        } = &self.filter
        else {
            return None;
        };
        window.cursor.is_none().then(|| Shape {
            lookup: "list",
            viewer: self.viewer,
            kind: Some(self.kind),
            columns,
            list: Some(ListShape {
                sort: sort.field,
                descending: Self::descending(sort, window),
                featured: *featured,
                fetch: window.fetch(),
            }),
            batch: 0,
        })
    }
}

/// What a cursor in this order is made of, beside [`Columns::ALWAYS`].
fn sort_columns(field: SortField) -> Columns {
    match field {
        SortField::Title => Columns::of(&[Column::Title]),
        SortField::Position => Columns::of(&[Column::Position]),
        SortField::Path => Columns::of(&[Column::Path]),
        SortField::PublishedAt | SortField::CreatedAt | SortField::UpdatedAt => Columns::of(&[]),
    }
}

/// An item's place in a list: what its [`Cursor`] is made of, kept as it is until a client
/// asks for the cursor.
struct Place {
    field: SortField,
    value: SortValue,
    id: Uuid,
}

enum SortValue {
    At(DateTime<Utc>),
    Text(Option<String>),
    Number(i32),
}

impl Serialize for Place {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = match &self.value {
            SortValue::At(at) => serde_json::json!(at),
            SortValue::Text(text) => serde_json::json!(text),
            SortValue::Number(n) => serde_json::json!(n),
        };
        Cursor { field: self.field, value, id: self.id }.serialize(serializer)
    }
}

fn cursor_for(field: SortField, item: &Item) -> Place {
    let value = match field {
        SortField::PublishedAt => SortValue::At(item.published_at.unwrap_or(item.created_at)),
        SortField::CreatedAt => SortValue::At(item.created_at),
        SortField::UpdatedAt => SortValue::At(item.updated_at),
        SortField::Title => SortValue::Text(item.title.clone()),
        SortField::Position => SortValue::Number(item.position),
        SortField::Path => SortValue::Text(item.path.clone()),
    };
    Place { field, value, id: item.id }
}

fn cursor_value(field: SortField, value: &serde_json::Value) -> Option<sea_orm::Value> {
    match field {
        SortField::PublishedAt | SortField::CreatedAt | SortField::UpdatedAt => {
            let at: DateTime<Utc> = serde_json::from_value(value.clone()).ok()?;
            Some(at.into())
        }
        SortField::Title | SortField::Path => Some(value.as_str()?.to_string().into()),
        SortField::Position => Some(i32::try_from(value.as_i64()?).ok()?.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_encodes_as_its_cursor() {
        let mut item = crate::content::write::blank(ContentType::Page, Uuid::now_v7(), None);
        item.title = Some("A".into());
        let at = item.created_at;
        let encoded = |field| crate::pagination::encode(&cursor_for(field, &item));
        let cursor = |value| {
            crate::pagination::encode(&Cursor { field: SortField::Title, value, id: item.id })
        };
        assert_eq!(encoded(SortField::Title), cursor(serde_json::json!("A")));
        let back: Cursor =
            crate::pagination::decode(&encoded(SortField::PublishedAt), "after").unwrap();
        assert_eq!((back.field, back.id), (SortField::PublishedAt, item.id));
        assert_eq!(cursor_value(back.field, &back.value), Some(at.into()));
    }

    /// A templated first page is, value for value, the statement its code builds, for both
    /// viewers, orders, filters on `featured`, lengths, column sets and databases, at any
    /// time.
    #[test]
    fn templated_first_pages_are_the_built_statements() {
        use sea_orm::DbBackend;
        let times = [now(), DateTime::from_timestamp(2_000_000_000, 5_000).unwrap()];
        let mut checked = 0;
        for viewer in [Viewer::Public, Viewer::Staff] {
            for featured in [None, Some(true), Some(false)] {
                let filter = Filter { featured, ..Filter::default() };
                let scope = Scope { viewer, kind: ContentType::Testimonial, filter };
                for (field, descending) in [
                    (SortField::PublishedAt, true),
                    (SortField::PublishedAt, false),
                    (SortField::Title, false),
                ] {
                    let sort = Sort { field, descending };
                    for (limit, backward) in [(1, false), (20, false), (20, true)] {
                        let window = Window { backward, limit, cursor: None };
                        for columns in [Columns::ALL, Columns::of(&[Column::Title])] {
                            for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
                                for at in times {
                                    let shape = scope.template_shape(sort, &window, columns);
                                    let shape = shape.expect("a plain first page has a shape");
                                    let built = |at| {
                                        let query = scope.ordered(at, sort, &window, None);
                                        rows::all_statement(query, columns, backend)
                                    };
                                    let templated =
                                        templates::statement(shape, backend, at, &[], |at, _| {
                                            built(at)
                                        });
                                    let built = built(at);
                                    assert_eq!(templated.sql, built.sql);
                                    assert_eq!(templated.values, built.values, "{shape:?}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 3 * 3 * 3 * 2 * 2 * 2);
    }

    #[test]
    fn only_plain_first_pages_are_templated() {
        let sort = Sort { field: SortField::PublishedAt, descending: true };
        let first = Window { backward: false, limit: 20, cursor: None };
        let scope =
            |filter| Scope { viewer: Viewer::Public, kind: ContentType::NewsArticle, filter };
        assert!(scope(Filter::default()).template_shape(sort, &first, Columns::ALL).is_some());
        let tagged = Filter { tag: Some("a".into()), ..Filter::default() };
        assert!(scope(tagged).template_shape(sort, &first, Columns::ALL).is_none());
        let next = Window {
            cursor: Some(Cursor {
                field: SortField::PublishedAt,
                value: serde_json::json!(now()),
                id: Uuid::now_v7(),
            }),
            ..first
        };
        assert!(scope(Filter::default()).template_shape(sort, &next, Columns::ALL).is_none());
    }

    #[test]
    fn cursors_round_trip() {
        let cursor =
            Cursor { field: SortField::Title, value: serde_json::json!("A"), id: Uuid::now_v7() };
        let back: Cursor =
            crate::pagination::decode(&crate::pagination::encode(&cursor), "after").unwrap();
        assert_eq!(back.id, cursor.id);
        assert_eq!(back.field, SortField::Title);
    }
}
