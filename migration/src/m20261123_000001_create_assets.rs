use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Assets {
    Table,
    Id,
    Filename,
    MimeType,
    ByteSize,
    Sha256,
    StorageKey,
    Alt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Assets::Table)
                    .col(ColumnDef::new(Assets::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Assets::Filename).string().not_null())
                    .col(ColumnDef::new(Assets::MimeType).string().not_null())
                    .col(ColumnDef::new(Assets::ByteSize).big_integer().not_null())
                    .col(ColumnDef::new(Assets::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(Assets::StorageKey).string().not_null())
                    .col(ColumnDef::new(Assets::Alt).text())
                    .col(ColumnDef::new(Assets::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_assets_sha256")
                    .table(Assets::Table)
                    .col(Assets::Sha256)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Assets::Table).to_owned()).await
    }
}
