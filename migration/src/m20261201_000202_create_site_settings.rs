use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SiteSettings {
    Table,
    Id,
    Name,
    Tagline,
    Url,
    LogoId,
    HomePageId,
    SocialLinks,
    UrlPatterns,
    Version,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SiteSettings as S;
        // One row (id 1), written on the first change; until then the defaults apply.
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(S::Name).string())
                    .col(ColumnDef::new(S::Tagline).string())
                    .col(ColumnDef::new(S::Url).string())
                    .col(ColumnDef::new(S::LogoId).uuid())
                    .col(ColumnDef::new(S::HomePageId).uuid())
                    .col(ColumnDef::new(S::SocialLinks).text().not_null())
                    .col(ColumnDef::new(S::UrlPatterns).text().not_null())
                    .col(ColumnDef::new(S::Version).integer().not_null())
                    .col(ColumnDef::new(S::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SiteSettings::Table).to_owned()).await
    }
}
