//! Content rows decoded by position. SeaORM's derived decoding finds every column by its
//! name and, for every NULL column (a list row has a score of them), formats an error
//! message before turning it into `None`; a read of many rows spent a fifth of its time
//! there. [`select`] lists the chosen [`Columns`] in the entity's order, and [`decode`]
//! reads them back by index, straight from the driver's row. A column left out costs
//! nothing: SQLite's driver copies every value it hands over, so a list of titles need not
//! copy thirty columns it will not show. The entity stays the model: any other row (a
//! mock, a proxy) goes through SeaORM's own decoding, which needs every column.

use quire_entity::content_item::{self, Column};
use sea_orm::sqlx::{self, Postgres, Row, Sqlite};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DbErr, FromQueryResult, Iterable, QueryResult, QuerySelect,
    QueryTrait, Statement,
};

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use super::Item;
use crate::db::RowSource;

/// A set of `content_items` columns. Those left out of a read come back empty: `None`,
/// `false` or `0`; so a caller asks for every column it will look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Columns(u64);

impl Columns {
    /// Every column.
    pub const ALL: Columns = Columns((1 << COLUMN_COUNT) - 1);

    /// What every read of an item needs whatever it shows: what it is, where it stands in
    /// the workflow, its times and version, and what its address is made of.
    pub const ALWAYS: Columns = Columns::of(&[
        Column::Id,
        Column::ContentType,
        Column::Status,
        Column::Slug,
        Column::Path,
        Column::PublishedAt,
        Column::CreatedAt,
        Column::UpdatedAt,
        Column::Version,
        Column::DeletedAt,
    ]);

    /// The long texts: bodies, notes to editors and their HTML.
    pub const TEXT: Columns = Columns::of(&[
        Column::Body,
        Column::BodyHtml,
        Column::NotesToEditors,
        Column::NotesToEditorsHtml,
    ]);

    pub const fn of(columns: &[Column]) -> Columns {
        let mut bits = 0;
        let mut at = 0;
        while at < columns.len() {
            bits |= 1 << columns[at] as u64;
            at += 1;
        }
        Columns(bits)
    }

    #[must_use]
    pub const fn and(self, other: Columns) -> Columns {
        Columns(self.0 | other.0)
    }

    #[must_use]
    pub const fn without(self, other: Columns) -> Columns {
        Columns(self.0 & !other.0)
    }

    pub const fn has(self, column: Column) -> bool {
        self.0 & (1 << column as u64) != 0
    }
}

/// How many columns `content_items` has; the unit tests check it.
const COLUMN_COUNT: u32 = 37;

/// The rows of `query`, reading `columns` and [`Columns::ALWAYS`] (see [`Columns`]).
pub async fn all(
    source: &impl RowSource,
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
) -> Result<Vec<Item>, DbErr> {
    let statement = all_statement(query, columns, source.pool().get_database_backend());
    all_of(source, statement, columns).await
}

/// The statement [`all`] runs for `query` and `columns`.
pub fn all_statement(
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
    backend: sea_orm::DbBackend,
) -> Statement {
    select(query, columns.and(Columns::ALWAYS)).build(backend)
}

/// The rows of `statement`, made by [`all_statement`] with `columns`.
pub async fn all_of(
    source: &impl RowSource,
    statement: Statement,
    columns: Columns,
) -> Result<Vec<Item>, DbErr> {
    let columns = columns.and(Columns::ALWAYS);
    if let Some(items) = read_directly(source, &statement, columns) {
        return Ok(items);
    }
    if let Some(reads) = source.postgres() {
        match reads.query(&statement, |row| decode(row, columns)).await {
            Ok(items) => return items,
            Err(declined) => {
                tracing::debug!(target: "quire::sql", reason = %declined.0, sql = %statement.sql, "a content read goes back to SeaORM");
            }
        }
    }
    let rows = source.pool().query_all_raw(statement).await?;
    rows.iter().map(|row| decode_result(row, columns)).collect()
}

/// The first row of `query`, reading `columns` and [`Columns::ALWAYS`].
pub async fn one(
    source: &impl RowSource,
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
) -> Result<Option<Item>, DbErr> {
    Ok(all(source, query.limit(1), columns).await?.into_iter().next())
}

/// The statement [`one`] runs for `query` and `columns`.
pub fn one_statement(
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
    backend: sea_orm::DbBackend,
) -> Statement {
    all_statement(query.limit(1), columns, backend)
}

/// The first row of `statement`, made by [`one_statement`] with `columns`: its `LIMIT 1`
/// makes it the only one.
pub async fn one_of(
    source: &impl RowSource,
    statement: Statement,
    columns: Columns,
) -> Result<Option<Item>, DbErr> {
    Ok(all_of(source, statement, columns).await?.into_iter().next())
}

/// The rows of `statement` read straight from SQLite, or `None` where the pool must read
/// them (see [`crate::db::sqlite_reads`]).
fn read_directly(
    source: &impl RowSource,
    statement: &Statement,
    columns: Columns,
) -> Option<Vec<Item>> {
    source.direct()?.query(statement, |row| decode(row, columns)).ok()
}

/// `query` selecting `columns`, in the entity's order.
fn select(
    query: sea_orm::Select<content_item::Entity>,
    columns: Columns,
) -> sea_orm::Select<content_item::Entity> {
    let mut query = query.select_only();
    for column in Column::iter().filter(|c| columns.has(*c)) {
        query = query.column(column);
    }
    query
}

fn decode_result(row: &QueryResult, columns: Columns) -> Result<Item, DbErr> {
    match (row.try_as_sqlite_row(), row.try_as_pg_row()) {
        (Some(row), _) => decode(row, columns),
        (None, Some(row)) => decode(row, columns),
        _ if columns == Columns::ALL => content_item::Model::from_query_result(row, ""),
        _ => Err(DbErr::Type("a narrowed content row from an unknown driver".into())),
    }
}

fn decode_error(err: sqlx::Error) -> DbErr {
    DbErr::Type(format!("reading a content row: {err}"))
}

/// A type a column holds, as every driver reads it.
trait Cell:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
    + DirectCell
{
}

impl<T> Cell for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + DirectCell
{
}

/// A column's value read straight from SQLite (see [`crate::db::sqlite_reads`]).
trait DirectCell: Sized {
    fn read(value: ValueRef<'_>) -> FromSqlResult<Self>;
}

macro_rules! direct_cells {
    ($($type:ty),*) => {$(
        impl DirectCell for $type {
            fn read(value: ValueRef<'_>) -> FromSqlResult<Self> {
                FromSql::column_result(value)
            }
        }
    )*};
}

direct_cells!(String, i32, i64, bool, uuid::Uuid);

/// Times are stored as SQLx writes them, RFC 3339, and read first as that: the driver's
/// own reading tries a format string first, and parsing that string took 6% of a list's
/// time.
impl DirectCell for chrono::DateTime<chrono::Utc> {
    fn read(value: ValueRef<'_>) -> FromSqlResult<Self> {
        if let ValueRef::Text(text) = value
            && let Ok(at) = chrono::DateTime::parse_from_rfc3339(
                std::str::from_utf8(text).map_err(FromSqlError::other)?,
            )
        {
            return Ok(at.to_utc());
        }
        FromSql::column_result(value)
    }
}

/// A time read straight from SQLite, as content rows read theirs (for other tables' direct
/// reads).
pub(crate) fn direct_time(value: ValueRef<'_>) -> FromSqlResult<chrono::DateTime<chrono::Utc>> {
    DirectCell::read(value)
}

/// One column of a driver's row, by index.
trait Cells {
    fn cell<T: Cell>(&self, index: usize) -> Result<Option<T>, DbErr>;
}

macro_rules! cells {
    ($($row:ty),*) => {$(
        impl Cells for $row {
            fn cell<T: Cell>(&self, index: usize) -> Result<Option<T>, DbErr> {
                self.try_get::<Option<T>, _>(index).map_err(decode_error)
            }
        }
    )*};
}

cells!(sqlx::sqlite::SqliteRow, sqlx::postgres::PgRow);

impl Cells for rusqlite::Row<'_> {
    fn cell<T: Cell>(&self, index: usize) -> Result<Option<T>, DbErr> {
        let failed =
            |err: &dyn std::fmt::Display| DbErr::Type(format!("reading a content row: {err}"));
        match self.get_ref(index).map_err(|err| failed(&err))? {
            ValueRef::Null => Ok(None),
            value => T::read(value).map(Some).map_err(|err| failed(&err)),
        }
    }
}

fn required<T>(value: Option<T>, column: &str) -> Result<T, DbErr> {
    value.ok_or_else(|| DbErr::Type(format!("content_item.{column} is NULL")))
}

fn variant<E: ActiveEnum<Value = String>>(value: Option<String>) -> Result<Option<E>, DbErr> {
    value.map(|v| E::try_from_value(&v)).transpose()
}

/// Reads `columns` in the entity's order (see [`select`]); the others are empty.
fn decode(row: &impl Cells, columns: Columns) -> Result<Item, DbErr> {
    let mut at = 0..;
    let mut next = || at.next().unwrap_or_default();
    macro_rules! opt {
        ($column:ident) => {
            if columns.has(Column::$column) { row.cell(next())? } else { None }
        };
    }
    macro_rules! req {
        ($column:ident, $name:literal) => {
            if columns.has(Column::$column) {
                required(row.cell(next())?, $name)?
            } else {
                Default::default()
            }
        };
    }
    macro_rules! variant {
        ($column:ident) => {
            variant(opt!($column))?
        };
    }
    // The order of `content_item::Column`, which the unit test below checks.
    Ok(Item {
        id: req!(Id, "id"),
        content_type: required(variant!(ContentType), "content_type")?,
        status: required(variant!(Status), "status")?,
        slug: opt!(Slug),
        title: opt!(Title),
        path: opt!(Path),
        parent_id: opt!(ParentId),
        position: req!(Position, "position"),
        summary: opt!(Summary),
        body: opt!(Body),
        body_html: opt!(BodyHtml),
        seo_title: opt!(SeoTitle),
        seo_description: opt!(SeoDescription),
        seo_image_id: opt!(SeoImageId),
        canonical_url: opt!(CanonicalUrl),
        no_index: req!(NoIndex, "no_index"),
        author_name: opt!(AuthorName),
        hero_image_id: opt!(HeroImageId),
        notes_to_editors: opt!(NotesToEditors),
        notes_to_editors_html: opt!(NotesToEditorsHtml),
        location: opt!(Location),
        quote: opt!(Quote),
        author_role: opt!(AuthorRole),
        organisation: opt!(Organisation),
        featured: req!(Featured, "featured"),
        file_id: opt!(FileId),
        cover_id: opt!(CoverId),
        published_at: opt!(PublishedAt),
        created_at: req!(CreatedAt, "created_at"),
        updated_at: req!(UpdatedAt, "updated_at"),
        version: req!(Version, "version"),
        created_by: opt!(CreatedBy),
        deleted_at: opt!(DeletedAt),
        scheduled_at: opt!(ScheduledAt),
        scheduled_action: variant!(ScheduledAction),
        download_count: req!(DownloadCount, "download_count"),
        announce_at: opt!(AnnounceAt),
    })
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
    use quire_entity::content_item::{ContentType, ScheduledAction, Status};
    use sea_orm::IdenStatic;

    #[test]
    fn the_decoder_reads_the_entitys_columns_in_order() {
        let columns: Vec<&str> = Column::iter().map(|c| c.as_str()).collect();
        assert_eq!(columns, DECODED);
        assert_eq!(columns.len(), COLUMN_COUNT as usize);
        // A column's bit is its place in that order.
        for (at, column) in Column::iter().enumerate() {
            assert_eq!(column as usize, at, "{}", column.as_str());
        }
    }

    /// Times read straight from SQLite: as SQLx writes them, and in SQLite's own format.
    #[test]
    fn times_read_directly_in_either_format() {
        use chrono::{TimeZone, Utc};
        let read = |text: &str| {
            <chrono::DateTime<Utc> as DirectCell>::read(ValueRef::Text(text.as_bytes())).unwrap()
        };
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(read("2026-01-02T03:04:05.500+00:00"), at + chrono::Duration::milliseconds(500));
        assert_eq!(read("2026-01-02T05:04:05+02:00"), at);
        assert_eq!(read("2026-01-02 03:04:05"), at);
        assert!(<chrono::DateTime<Utc> as DirectCell>::read(ValueRef::Text(b"soon")).is_err());
    }

    #[test]
    fn only_the_chosen_columns_are_selected_in_order() {
        use sea_orm::{DbBackend, EntityTrait, QueryTrait};
        let sql = |columns| {
            select(content_item::Entity::find(), columns).build(DbBackend::Sqlite).to_string()
        };
        let all = sql(Columns::ALL);
        let mut last = 0;
        for column in DECODED {
            let at = all.find(&format!("\"{column}\"")).unwrap();
            assert!(at > last, "{column} out of order in {all}");
            last = at;
        }
        let some = sql(Columns::ALWAYS.and(Columns::of(&[Column::Title])));
        assert!(some.contains("\"title\"") && some.contains("\"deleted_at\""), "{some}");
        assert!(!some.contains("\"body\"") && !some.contains("\"summary\""), "{some}");
        assert!(!Columns::ALL.without(Columns::TEXT).has(Column::BodyHtml));
        assert!(Columns::ALL.without(Columns::TEXT).has(Column::AnnounceAt));
    }

    /// A row with a different value in every column, inserted into `db` (whose one
    /// connection skips foreign key checks: the ids it names need not exist).
    async fn a_full_row(db: &crate::db::Db) -> Item {
        use chrono::{TimeZone, Utc};
        use sea_orm::{ActiveModelTrait, IntoActiveModel};
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
        item.clone().into_active_model().reset_all().insert(db.conn()).await.unwrap();
        item
    }

    /// A row with a different value in every column reads back by position exactly as
    /// SeaORM reads it by name: two columns of one type swapped in `decode` would fail.
    #[tokio::test]
    async fn a_row_reads_back_by_position_as_by_name() {
        use sea_orm::{ConnectionTrait, EntityTrait};
        let db = crate::db::Db::connect_and_migrate("sqlite::memory:", 1).await.unwrap();
        db.conn().execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
        let item = a_full_row(&db).await;
        let by_name = content_item::Entity::find().one(db.conn()).await.unwrap().unwrap();
        let by_position = one(db.conn(), content_item::Entity::find(), Columns::ALL).await.unwrap();
        assert_eq!(by_name, item);
        assert_eq!(by_position, Some(item.clone()));
        // A narrowed read gets the columns it chose, and the others empty.
        let chosen = Columns::ALWAYS.and(Columns::of(&[Column::Title, Column::Position]));
        let narrowed = all(db.conn(), content_item::Entity::find(), chosen).await.unwrap();
        let expected = Item {
            id: item.id,
            content_type: item.content_type,
            status: item.status,
            slug: item.slug.clone(),
            path: item.path.clone(),
            published_at: item.published_at,
            created_at: item.created_at,
            updated_at: item.updated_at,
            version: item.version,
            deleted_at: item.deleted_at,
            title: item.title.clone(),
            position: item.position,
            // Every other field empty, as a narrowed read leaves the columns it skips.
            ..crate::content::write::blank(ContentType::Page, uuid::Uuid::nil(), None)
        };
        assert_eq!(narrowed, vec![expected]);
    }

    /// Read straight from SQLite, the same row decodes as SeaORM decodes it by name, whole
    /// and narrowed.
    #[tokio::test]
    async fn a_row_read_directly_reads_back_as_by_name() {
        use crate::content::Viewer;
        use sea_orm::{ConnectionTrait, EntityTrait};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("rows.db").display());
        let db = crate::db::Db::connect_and_migrate(&url, 1).await.unwrap();
        db.conn().execute_unprepared("PRAGMA foreign_keys = OFF").await.unwrap();
        let item = a_full_row(&db).await;
        let direct = db.sqlite_reads().expect("direct reads on a file");
        let rows = db.rows_for(Viewer::Staff);
        let whole = one(&rows, content_item::Entity::find(), Columns::ALL).await.unwrap();
        assert_eq!(whole, Some(item.clone()));
        assert_eq!(direct.answered(), 1);
        let chosen = Columns::of(&[Column::Title, Column::NotesToEditors]);
        let narrowed = all(&rows, content_item::Entity::find(), chosen).await.unwrap();
        let by_pool = all(db.conn(), content_item::Entity::find(), chosen).await.unwrap();
        assert_eq!(direct.answered(), 2);
        assert_eq!(narrowed, by_pool);
        assert_eq!(narrowed[0].notes_to_editors, item.notes_to_editors);
        assert_eq!(narrowed[0].body, None);
    }
}
