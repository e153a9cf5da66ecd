use sea_orm_migration::prelude::*;

use crate::m20261123_000002_create_content_items::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentTags {
    Table,
    ContentId,
    Tag,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContentTags::Table)
                    .col(ColumnDef::new(ContentTags::ContentId).uuid().not_null())
                    .col(ColumnDef::new(ContentTags::Tag).string_len(64).not_null())
                    .primary_key(Index::create().col(ContentTags::ContentId).col(ContentTags::Tag))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_content_tags_content")
                            .from(ContentTags::Table, ContentTags::ContentId)
                            .to(ContentItems::Table, ContentItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_content_tags_tag")
                    .table(ContentTags::Table)
                    .col(ContentTags::Tag)
                    .col(ContentTags::ContentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ContentTags::Table).to_owned()).await
    }
}
