use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Redirects {
    Table,
    Id,
    FromPath,
    ToPath,
    TargetId,
    Permanent,
    Automatic,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Redirects as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::FromPath).string().not_null())
                    .col(ColumnDef::new(R::ToPath).string().not_null())
                    .col(ColumnDef::new(R::TargetId).uuid())
                    .col(ColumnDef::new(R::Permanent).boolean().not_null())
                    .col(ColumnDef::new(R::Automatic).boolean().not_null())
                    .col(ColumnDef::new(R::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, column, unique) in [
            ("ux_redirects_from_path", R::FromPath, true),
            ("ix_redirects_to_path", R::ToPath, false),
        ] {
            let mut index = Index::create().name(name).table(R::Table).col(column).to_owned();
            if unique {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Redirects::Table).to_owned()).await
    }
}
