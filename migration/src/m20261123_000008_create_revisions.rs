use sea_orm_migration::prelude::*;

use crate::m20261123_000002_create_content_items::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Id,
    ContentId,
    Version,
    Snapshot,
    ActorKind,
    ActorId,
    ActorName,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Revisions::Table)
                    .col(ColumnDef::new(Revisions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Revisions::ContentId).uuid().not_null())
                    .col(ColumnDef::new(Revisions::Version).integer().not_null())
                    .col(ColumnDef::new(Revisions::Snapshot).text().not_null())
                    .col(ColumnDef::new(Revisions::ActorKind).string_len(16).not_null())
                    .col(ColumnDef::new(Revisions::ActorId).uuid())
                    .col(ColumnDef::new(Revisions::ActorName).string().not_null())
                    .col(ColumnDef::new(Revisions::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_revisions_content")
                            .from(Revisions::Table, Revisions::ContentId)
                            .to(ContentItems::Table, ContentItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One revision per version: a second writer of the same version fails here too.
        manager
            .create_index(
                Index::create()
                    .name("ux_revisions_content_version")
                    .table(Revisions::Table)
                    .col(Revisions::ContentId)
                    .col(Revisions::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Revisions::Table).to_owned()).await
    }
}
