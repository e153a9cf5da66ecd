use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Menus {
    Table,
    Id,
    Name,
    Items,
    Version,
    CreatedAt,
    UpdatedAt,
}

/// Every saved version of a menu, like content's revisions.
#[derive(DeriveIden)]
enum MenuRevisions {
    Table,
    Id,
    MenuId,
    Version,
    Items,
    ActorKind,
    ActorId,
    ActorName,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Menus as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::Name).string_len(64).not_null())
                    .col(ColumnDef::new(M::Items).text().not_null())
                    .col(ColumnDef::new(M::Version).integer().not_null())
                    .col(ColumnDef::new(M::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(M::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_menus_name")
                    .table(M::Table)
                    .col(M::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        use MenuRevisions as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::MenuId).uuid().not_null())
                    .col(ColumnDef::new(R::Version).integer().not_null())
                    .col(ColumnDef::new(R::Items).text().not_null())
                    .col(ColumnDef::new(R::ActorKind).string_len(16).not_null())
                    .col(ColumnDef::new(R::ActorId).uuid())
                    .col(ColumnDef::new(R::ActorName).string().not_null())
                    .col(ColumnDef::new(R::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_menu_revisions_menu_version")
                    .table(R::Table)
                    .col(R::MenuId)
                    .col(R::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MenuRevisions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Menus::Table).to_owned()).await
    }
}
