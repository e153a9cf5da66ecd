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
use super::{ContentType, Item, Status, Viewer};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        let f = &self.filter;
        let mut cond =
            Condition::all().add(self.viewer.condition()).add(Column::ContentType.eq(self.kind));
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
        let key = self.sort_key(sort.field);
        // Walking backward reads the list in reverse, then flips the page.
        let descending = sort.descending != window.backward;
        let order = if descending { Order::Desc } else { Order::Asc };
        let mut query = content_item::Entity::find().filter(self.condition());
        if let Some(cursor) = &window.cursor {
            if cursor.field != sort.field {
                let field = if window.backward { "before" } else { "after" };
                return Err(ApiError::bad_input(field, "this cursor belongs to another ordering"));
            }
            let value = cursor_value(sort.field, &cursor.value)
                .ok_or_else(|| ApiError::bad_input("after", "this cursor is not valid"))?;
            let past = |expr: SimpleExpr, v: sea_orm::Value| {
                if descending { expr.lt(v) } else { expr.gt(v) }
            };
            let id_past =
                if descending { Column::Id.lt(cursor.id) } else { Column::Id.gt(cursor.id) };
            query = query.filter(
                Condition::any()
                    .add(past(key.clone(), value.clone()))
                    .add(Condition::all().add(key.clone().eq(value)).add(id_past)),
            );
        }
        let query =
            query.order_by(key, order.clone()).order_by(Column::Id, order).limit(window.fetch());
        let columns = columns.and(sort_columns(sort.field));
        let rows = rows::all(conn, query, columns).await?;
        Ok(window.page(rows, |item| cursor_for(sort.field, item)))
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
