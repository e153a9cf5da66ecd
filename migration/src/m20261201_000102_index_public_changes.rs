//! An index for the newest change of a kind that the public could see: a feed's
//! `Last-Modified` follows it, not the edits to drafts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentChanges {
    Table,
    ContentType,
    Public,
    Seq,
}

const NAME: &str = "ix_content_changes_public_type";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(ContentChanges::Table)
                    .col(ContentChanges::ContentType)
                    .col(ContentChanges::Public)
                    .col(ContentChanges::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table(ContentChanges::Table).to_owned()).await
    }
}
