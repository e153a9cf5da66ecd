//! The change journal behind delta sync, live updates and cache invalidation: one row per
//! change to a content item, numbered in commit order. `announce_at` marks an embargoed
//! item whose publication time is still to come, so its arrival in public view is journaled
//! when that time passes, though no one edits it then.

use sea_orm_migration::prelude::*;

use crate::m20261123_000002_create_content_items::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentChanges {
    Table,
    Seq,
    ContentId,
    ContentType,
    Public,
    At,
}

#[derive(DeriveIden)]
enum Embargo {
    AnnounceAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContentChanges::Table)
                    .col(
                        ColumnDef::new(ContentChanges::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ContentChanges::ContentId).uuid().not_null())
                    .col(ColumnDef::new(ContentChanges::ContentType).string_len(16).not_null())
                    .col(ColumnDef::new(ContentChanges::Public).boolean().not_null())
                    .col(ColumnDef::new(ContentChanges::At).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_content_changes_item")
                    .table(ContentChanges::Table)
                    .col(ContentChanges::ContentId)
                    .col(ContentChanges::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContentItems::Table)
                    .add_column(ColumnDef::new(Embargo::AnnounceAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_content_items_announce_at")
                    .table(ContentItems::Table)
                    .col(Embargo::AnnounceAt)
                    .to_owned(),
            )
            .await?;
        // Items written before the journal existed enter it once, so a first sync sees them.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO content_changes (content_id, content_type, public, at) \
                 SELECT id, content_type, status = 'published', updated_at FROM content_items \
                 ORDER BY updated_at",
            )
            .await?;
        // Items already published with a future date are announced when it comes.
        let backend = manager.get_database_backend();
        let now = sea_orm::Value::from(sea_orm::prelude::ChronoUtc::now());
        let placeholder = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?" };
        manager
            .get_connection()
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE content_items SET announce_at = published_at \
                     WHERE status = 'published' AND deleted_at IS NULL AND published_at > {placeholder}"
                ),
                [now],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_content_items_announce_at")
                    .table(ContentItems::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContentItems::Table)
                    .drop_column(Embargo::AnnounceAt)
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(ContentChanges::Table).to_owned()).await
    }
}
