//! Content rows decoded by position. SeaORM's derived decoding finds every column by its
//! name and, for every NULL column (a list row has a score of them), formats an error
//! message before turning it into `None`; a read of many rows spent a fifth of its time
//! there. [`select`] lists the columns in the entity's order (the long texts as NULL when
//! left out), and [`ByPosition`] reads them back by index, straight from the driver's row.
//! The entity stays the model: any other row (a mock, a proxy) goes through SeaORM's own
//! decoding.

use quire_entity::content_item::{self, Column, ContentType, ScheduledAction, Status};
use sea_orm::prelude::Expr;
use sea_orm::sqlx::{self, Postgres, Row, Sqlite};
use sea_orm::{ActiveEnum, DbErr, FromQueryResult, IdenStatic, Iterable, QueryResult, QuerySelect};

use super::Item;

/// The long text columns, left out of lists that do not show them.
pub const TEXT_COLUMNS: [Column; 4] =
    [Column::Body, Column::BodyHtml, Column::NotesToEditors, Column::NotesToEditorsHtml];

/// `query` selecting every column in the entity's order; without `text`, the long texts
/// are read as NULL.
pub fn select(
    query: sea_orm::Select<content_item::Entity>,
    text: bool,
) -> sea_orm::Selector<sea_orm::SelectModel<ByPosition>> {
    columns(query, text).into_model::<ByPosition>()
}

fn columns(
    query: sea_orm::Select<content_item::Entity>,
    text: bool,
) -> sea_orm::Select<content_item::Entity> {
    let mut query = query.select_only();
    for column in Column::iter() {
        query = if !text && TEXT_COLUMNS.iter().any(|t| t.as_str() == column.as_str()) {
            query.column_as(Expr::cust("NULL"), column.as_str())
        } else {
            query.column(column)
        };
    }
    query
}

/// An item read by [`select`].
pub struct ByPosition(pub Item);

fn decode_error(err: sqlx::Error) -> DbErr {
    DbErr::Type(format!("reading a content row: {err}"))
}

/// One column of a driver's row, by index.
trait Cells {
    fn cell<T>(&self, index: usize) -> Result<Option<T>, DbErr>
    where
        T: for<'r> sqlx::Decode<'r, Sqlite>
            + sqlx::Type<Sqlite>
            + for<'r> sqlx::Decode<'r, Postgres>
            + sqlx::Type<Postgres>;
}

macro_rules! cells {
    ($($row:ty),*) => {$(
        impl Cells for $row {
            fn cell<T>(&self, index: usize) -> Result<Option<T>, DbErr>
            where
                T: for<'r> sqlx::Decode<'r, Sqlite>
                    + sqlx::Type<Sqlite>
                    + for<'r> sqlx::Decode<'r, Postgres>
                    + sqlx::Type<Postgres>,
            {
                self.try_get::<Option<T>, _>(index).map_err(decode_error)
            }
        }
    )*};
}

cells!(sqlx::sqlite::SqliteRow, sqlx::postgres::PgRow);

fn required<T>(value: Option<T>, column: &str) -> Result<T, DbErr> {
    value.ok_or_else(|| DbErr::Type(format!("content_item.{column} is NULL")))
}

fn variant<E: ActiveEnum<Value = String>>(value: Option<String>) -> Result<Option<E>, DbErr> {
    value.map(|v| E::try_from_value(&v)).transpose()
}

/// Reads the columns in the entity's order (see [`select`]).
fn decode(row: &impl Cells) -> Result<Item, DbErr> {
    let mut at = 0..;
    let mut next = || at.next().unwrap_or_default();
    macro_rules! opt {
        () => {
            row.cell(next())?
        };
    }
    macro_rules! req {
        ($name:literal) => {
            required(row.cell(next())?, $name)?
        };
    }
    // The order of `content_item::Column`, which the unit test below checks.
    Ok(Item {
        id: req!("id"),
        content_type: required(variant::<ContentType>(opt!())?, "content_type")?,
        status: required(variant::<Status>(opt!())?, "status")?,
        slug: opt!(),
        title: opt!(),
        path: opt!(),
        parent_id: opt!(),
        position: req!("position"),
        summary: opt!(),
        body: opt!(),
        body_html: opt!(),
        seo_title: opt!(),
        seo_description: opt!(),
        seo_image_id: opt!(),
        canonical_url: opt!(),
        no_index: req!("no_index"),
        author_name: opt!(),
        hero_image_id: opt!(),
        notes_to_editors: opt!(),
        notes_to_editors_html: opt!(),
        location: opt!(),
        quote: opt!(),
        author_role: opt!(),
        organisation: opt!(),
        featured: req!("featured"),
        file_id: opt!(),
        cover_id: opt!(),
        published_at: opt!(),
        created_at: req!("created_at"),
        updated_at: req!("updated_at"),
        version: req!("version"),
        created_by: opt!(),
        deleted_at: opt!(),
        scheduled_at: opt!(),
        scheduled_action: variant::<ScheduledAction>(opt!())?,
        download_count: req!("download_count"),
        announce_at: opt!(),
    })
}

impl FromQueryResult for ByPosition {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let item = match (pre.is_empty(), res.try_as_sqlite_row(), res.try_as_pg_row()) {
            (true, Some(row), _) => decode(row)?,
            (true, None, Some(row)) => decode(row)?,
            _ => content_item::Model::from_query_result(res, pre)?,
        };
        Ok(ByPosition(item))
    }
}

/// The columns [`decode`] reads, in its order: the entity's.
#[cfg(test)]
pub(crate) const DECODED: [&str; 37] = [
    "id",
    "content_type",
    "status",
    "slug",
    "title",
    "path",
    "parent_id",
    "position",
    "summary",
    "body",
    "body_html",
    "seo_title",
    "seo_description",
    "seo_image_id",
    "canonical_url",
    "no_index",
    "author_name",
    "hero_image_id",
    "notes_to_editors",
    "notes_to_editors_html",
    "location",
    "quote",
    "author_role",
    "organisation",
    "featured",
    "file_id",
    "cover_id",
    "published_at",
    "created_at",
    "updated_at",
    "version",
    "created_by",
    "deleted_at",
    "scheduled_at",
    "scheduled_action",
    "download_count",
    "announce_at",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoder_reads_the_entitys_columns_in_order() {
        let columns: Vec<&str> = Column::iter().map(|c| c.as_str()).collect();
        assert_eq!(columns, DECODED);
    }

    #[test]
    fn every_column_is_selected_in_order() {
        use sea_orm::{DbBackend, EntityTrait, QueryTrait};
        let sql = columns(content_item::Entity::find(), false).build(DbBackend::Sqlite).to_string();
        let mut last = 0;
        for column in DECODED {
            let at = sql.find(&format!("\"{column}\"")).unwrap();
            assert!(at > last, "{column} out of order in {sql}");
            last = at;
        }
        assert!(sql.contains("NULL AS \"body_html\""));
    }

    /// A row with a different value in every column reads back by position exactly as
    /// SeaORM reads it by name: two columns of one type swapped in `decode` would fail.
    #[tokio::test]
    async fn a_row_reads_back_by_position_as_by_name() {
        use chrono::{TimeZone, Utc};
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
        let db = crate::db::Db::connect_and_migrate("sqlite::memory:", 1).await.unwrap();
        let id = |n: u128| uuid::Uuid::from_u128(n);
        let at = |n: u32| Utc.with_ymd_and_hms(2026, 1, n, 9, 0, 0).unwrap();
        let text = |name: &str| Some(format!("{name} value"));
        let item = Item {
            id: id(1),
            content_type: ContentType::PressRelease,
            status: Status::Scheduled,
            slug: text("slug"),
            title: text("title"),
            path: text("path"),
            parent_id: Some(id(2)),
            position: 3,
            summary: text("summary"),
            body: text("body"),
            body_html: text("body_html"),
            seo_title: text("seo_title"),
            seo_description: text("seo_description"),
            seo_image_id: Some(id(4)),
            canonical_url: text("canonical_url"),
            no_index: true,
            author_name: text("author_name"),
            hero_image_id: Some(id(5)),
            notes_to_editors: text("notes_to_editors"),
            notes_to_editors_html: text("notes_to_editors_html"),
            location: text("location"),
            quote: text("quote"),
            author_role: text("author_role"),
            organisation: text("organisation"),
            featured: true,
            file_id: Some(id(6)),
            cover_id: Some(id(7)),
            published_at: Some(at(1)),
            created_at: at(2),
            updated_at: at(3),
            version: 8,
            created_by: Some(id(9)),
            deleted_at: Some(at(4)),
            scheduled_at: Some(at(5)),
            scheduled_action: Some(ScheduledAction::Unpublish),
            download_count: 10,
            announce_at: Some(at(6)),
        };
        // The ids it names need not exist for this: the one connection skips their checks.
        use sea_orm::ConnectionTrait;
        db.conn().execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
        item.clone().into_active_model().reset_all().insert(db.conn()).await.unwrap();
        let by_name = content_item::Entity::find().one(db.conn()).await.unwrap().unwrap();
        let by_position = select(content_item::Entity::find(), true).one(db.conn()).await.unwrap();
        assert_eq!(by_name, item);
        assert_eq!(by_position.map(|row| row.0), Some(item));
    }
}
