//! Who created an item (authors may edit only their own drafts), when it went to the trash,
//! and what is scheduled for it. SQLite adds one column per statement.

use sea_orm_migration::prelude::*;

use crate::m20261123_000002_create_content_items::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Workflow {
    CreatedBy,
    DeletedAt,
    ScheduledAt,
    ScheduledAction,
}

fn columns() -> [ColumnDef; 4] {
    [
        ColumnDef::new(Workflow::CreatedBy).uuid().to_owned(),
        ColumnDef::new(Workflow::DeletedAt).timestamp_with_time_zone().to_owned(),
        ColumnDef::new(Workflow::ScheduledAt).timestamp_with_time_zone().to_owned(),
        ColumnDef::new(Workflow::ScheduledAction).string_len(16).to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter().table(ContentItems::Table).add_column(&mut column).to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_content_items_scheduled")
                    .table(ContentItems::Table)
                    .col(Workflow::ScheduledAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_content_items_deleted")
                    .table(ContentItems::Table)
                    .col(Workflow::DeletedAt)
                    .col(ContentItems::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_content_items_scheduled", "ix_content_items_deleted"] {
            manager
                .drop_index(Index::drop().name(name).table(ContentItems::Table).to_owned())
                .await?;
        }
        for column in [
            Workflow::CreatedBy,
            Workflow::DeletedAt,
            Workflow::ScheduledAt,
            Workflow::ScheduledAction,
        ] {
            manager
                .alter_table(
                    Table::alter().table(ContentItems::Table).drop_column(column).to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
