//! What Quire learns from a file's bytes (image size, PDF pages), and how often each
//! booklet has been downloaded. SQLite adds one column per statement.

use sea_orm_migration::prelude::*;

use crate::m20261123_000002_create_content_items::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Assets {
    Table,
    Width,
    Height,
    PageCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Media {
    DownloadCount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Assets::Width, Assets::Height, Assets::PageCount] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Assets::Table)
                        .add_column(ColumnDef::new(column).integer())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ContentItems::Table)
                    .add_column(
                        ColumnDef::new(Media::DownloadCount).big_integer().not_null().default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ContentItems::Table)
                    .drop_column(Media::DownloadCount)
                    .to_owned(),
            )
            .await?;
        for column in [Assets::Width, Assets::Height, Assets::PageCount] {
            manager
                .alter_table(Table::alter().table(Assets::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
