use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentRelations {
    Table,
    ContentId,
    Position,
    RelatedId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ContentRelations as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::ContentId).uuid().not_null())
                    .col(ColumnDef::new(R::Position).integer().not_null())
                    .col(ColumnDef::new(R::RelatedId).uuid().not_null())
                    .primary_key(Index::create().col(R::ContentId).col(R::Position))
                    .to_owned(),
            )
            .await?;
        // Purging an item removes the links to it.
        manager
            .create_index(
                Index::create()
                    .name("ix_content_relations_related")
                    .table(R::Table)
                    .col(R::RelatedId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ContentRelations::Table).to_owned()).await
    }
}
