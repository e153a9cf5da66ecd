use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentItems {
    Table,
    SeoImageId,
    CanonicalUrl,
    NoIndex,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ContentItems as C;
        // One column per statement: SQLite alters one at a time.
        for column in [
            ColumnDef::new(C::SeoImageId).uuid().to_owned(),
            ColumnDef::new(C::CanonicalUrl).string().to_owned(),
            ColumnDef::new(C::NoIndex).boolean().not_null().default(false).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(Table::alter().table(C::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ContentItems as C;
        for column in [C::NoIndex, C::CanonicalUrl, C::SeoImageId] {
            manager
                .alter_table(Table::alter().table(C::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
