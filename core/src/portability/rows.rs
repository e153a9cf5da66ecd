//! Any table's rows as JSON Lines and back: one object per row, its columns by their names.
//! Values are written the same from either database (ids as text, times in RFC 3339 UTC
//! with microseconds), so an export of the same site is the same bytes from SQLite and
//! from PostgreSQL, and the rows are read in primary-key order, compared byte by byte.

use std::io::Write;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ColumnType, ConnectionTrait, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, Iden, IdenStatic, Iterable, ModelTrait, Order, PaginatorTrait,
    PrimaryKeyToColumn, PrimaryKeyTrait, QueryOrder, Statement, Value,
};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

/// Rows written to the database in one statement.
const BATCH: usize = 200;

/// Columns written only once every row of their table is in, as they may point at a row
/// that comes later in the file (a page's parent).
pub(super) struct Deferred<'a, C>(pub &'a [C]);

fn is_text(column_type: &ColumnType) -> bool {
    matches!(
        column_type,
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) | ColumnType::Enum { .. }
    )
}

/// Every row of `E`, in primary-key order, as one line each.
pub(super) async fn export<E>(tx: &DatabaseTransaction, out: &mut dyn Write) -> anyhow::Result<u64>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let backend = tx.get_database_backend();
    let mut query = E::find();
    for key in E::PrimaryKey::iter() {
        let column = key.into_column();
        // PostgreSQL sorts text by the database's collation, SQLite by bytes: sorting by
        // bytes on both writes the same file.
        query = if backend == DbBackend::Postgres && is_text(column.def().get_column_type()) {
            let name = column.to_string();
            QueryOrder::order_by(query, Expr::cust(format!("\"{name}\" COLLATE \"C\"")), Order::Asc)
        } else {
            query.order_by_asc(column)
        };
    }
    let mut rows = query.stream(tx).await?;
    let mut count = 0;
    while let Some(model) = rows.try_next().await? {
        let mut object = Map::new();
        for column in E::Column::iter() {
            let value = encode(model.get(column))
                .with_context(|| format!("{}.{}", E::default().table_name(), column.as_str()))?;
            object.insert(column.as_str().to_string(), value);
        }
        serde_json::to_writer(&mut *out, &object)?;
        out.write_all(b"\n")?;
        count += 1;
    }
    Ok(count)
}

pub(super) async fn count<E>(tx: &DatabaseTransaction) -> Result<u64, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
{
    PaginatorTrait::count(E::find(), tx).await
}

/// Writes the rows in `lines` into `E`'s table, within `tx`.
pub(super) async fn import<E>(
    tx: &DatabaseTransaction,
    lines: &mut dyn Iterator<Item = std::io::Result<String>>,
    later: Deferred<'_, E::Column>,
) -> anyhow::Result<u64>
where
    E: EntityTrait,
    E::ActiveModel: Send,
{
    let table = E::default().table_name().to_string();
    let mut batch = Vec::with_capacity(BATCH);
    // (primary key, column, value) of the deferred columns that are set.
    let mut deferred: Vec<(Value, E::Column, Value)> = Vec::new();
    let mut count = 0;
    for (number, line) in lines.enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let at = || format!("{table}.jsonl, line {}", number + 1);
        let object: Map<String, Json> = serde_json::from_str(&line).with_context(at)?;
        let mut row = E::ActiveModel::default();
        let mut row_later = Vec::new();
        let mut seen = 0;
        for column in E::Column::iter() {
            let Some(json) = object.get(column.as_str()) else {
                continue;
            };
            seen += 1;
            let value = decode(json, column.def().get_column_type())
                .with_context(|| format!("{}, column {}", at(), column.as_str()))?;
            if later.0.iter().any(|c| c.as_str() == column.as_str()) && !json.is_null() {
                row.try_set(column, value.as_null()).with_context(at)?;
                row_later.push((column, value));
            } else {
                row.try_set(column, value).with_context(at)?;
            }
        }
        if seen < object.len() {
            let unknown: Vec<&String> = object
                .keys()
                .filter(|k| !E::Column::iter().any(|c| c.as_str() == k.as_str()))
                .collect();
            bail!(
                "{}: this Quire has no column {unknown:?}; the export is from a newer Quire",
                at()
            );
        }
        if !row_later.is_empty() {
            let key = primary_key::<E>(&row).ok_or_else(|| anyhow!("{}: no primary key", at()))?;
            deferred.extend(row_later.into_iter().map(|(c, v)| (key.clone(), c, v)));
        }
        batch.push(row);
        count += 1;
        if batch.len() == BATCH {
            E::insert_many(std::mem::take(&mut batch)).exec_without_returning(tx).await?;
        }
    }
    if !batch.is_empty() {
        E::insert_many(batch).exec_without_returning(tx).await?;
    }
    let backend = tx.get_database_backend();
    for (key, column, value) in deferred {
        let Some(key_column) = E::PrimaryKey::iter().next().map(|k| k.into_column()) else {
            continue;
        };
        let mut update = sea_orm::sea_query::Query::update();
        update.table(E::default()).value(column, value).and_where(key_column.into_expr().eq(key));
        tx.execute(&update).await?;
    }
    if backend == DbBackend::Postgres && count > 0 {
        follow_sequence::<E>(tx).await?;
    }
    Ok(count)
}

fn primary_key<E: EntityTrait>(row: &E::ActiveModel) -> Option<Value> {
    let column = E::PrimaryKey::iter().next()?.into_column();
    row.get(column).into_value()
}

/// A PostgreSQL table numbered by a sequence goes on from its highest imported number.
async fn follow_sequence<E: EntityTrait>(tx: &DatabaseTransaction) -> Result<(), DbErr> {
    if !<E::PrimaryKey as PrimaryKeyTrait>::auto_increment() {
        return Ok(());
    }
    let table = E::default().table_name().to_string();
    for key in E::PrimaryKey::iter() {
        let column = key.into_column().to_string();
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), MAX(\"{column}\")) \
             FROM \"{table}\""
        );
        tx.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    }
    Ok(())
}

pub(super) fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn encode(value: Value) -> anyhow::Result<Json> {
    Ok(match value {
        Value::Bool(v) => v.map(Json::from),
        Value::Int(v) => v.map(Json::from),
        Value::BigInt(v) => v.map(Json::from),
        Value::String(v) => v.map(Json::from),
        Value::Uuid(v) => v.map(|id| Json::from(id.to_string())),
        Value::ChronoDateTimeUtc(v) => v.map(|at| Json::from(time(&at))),
        other => bail!("no way to export a value like {other:?}"),
    }
    .unwrap_or(Json::Null))
}

fn decode(json: &Json, column_type: &ColumnType) -> anyhow::Result<Value> {
    let time = |text: &str| DateTime::parse_from_rfc3339(text).ok().map(|at| at.to_utc());
    let value = match column_type {
        ColumnType::Boolean => Value::Bool(json.as_bool()),
        ColumnType::Integer => Value::Int(json.as_i64().and_then(|n| i32::try_from(n).ok())),
        ColumnType::BigInteger => Value::BigInt(json.as_i64()),
        ColumnType::Uuid => Value::Uuid(json.as_str().and_then(|s| Uuid::parse_str(s).ok())),
        ColumnType::TimestampWithTimeZone => Value::ChronoDateTimeUtc(json.as_str().and_then(time)),
        other if is_text(other) => Value::String(json.as_str().map(str::to_string)),
        other => bail!("no way to import a column of type {other:?}"),
    };
    // A value that does not read as the column's kind comes out null.
    if value.is_some() == json.is_null() {
        bail!("{json} is not what the column holds ({column_type:?})");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_written() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T12:00:00.123456Z").unwrap().to_utc();
        let id = Uuid::now_v7();
        for (value, column_type) in [
            (Value::Uuid(Some(id)), ColumnType::Uuid),
            (Value::Uuid(None), ColumnType::Uuid),
            (Value::ChronoDateTimeUtc(Some(at)), ColumnType::TimestampWithTimeZone),
            (Value::String(Some("é\n\"".into())), ColumnType::Text),
            (Value::Int(Some(-3)), ColumnType::Integer),
            (Value::BigInt(Some(i64::MAX)), ColumnType::BigInteger),
            (Value::Bool(Some(true)), ColumnType::Boolean),
        ] {
            let json = encode(value.clone()).unwrap();
            assert_eq!(decode(&json, &column_type).unwrap(), value);
        }
        assert_eq!(
            encode(Value::ChronoDateTimeUtc(Some(at))).unwrap(),
            "2026-11-30T12:00:00.123456Z"
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused() {
        assert!(decode(&Json::from("x"), &ColumnType::Integer).is_err());
        assert!(decode(&Json::from(3), &ColumnType::Uuid).is_err());
        assert!(decode(&Json::from("yesterday"), &ColumnType::TimestampWithTimeZone).is_err());
    }
}
