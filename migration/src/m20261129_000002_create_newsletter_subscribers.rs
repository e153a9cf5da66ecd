use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum NewsletterSubscribers {
    Table,
    Id,
    Email,
    Status,
    ConfirmTokenHash,
    ConfirmExpiresAt,
    UnsubscribeTokenHash,
    CreatedAt,
    UpdatedAt,
    ConfirmedAt,
    UnsubscribedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NewsletterSubscribers as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::Email).string().not_null())
                    .col(ColumnDef::new(S::Status).string_len(16).not_null())
                    .col(ColumnDef::new(S::ConfirmTokenHash).string_len(64))
                    .col(ColumnDef::new(S::ConfirmExpiresAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(S::UnsubscribeTokenHash).string_len(64).not_null())
                    .col(ColumnDef::new(S::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(S::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(S::ConfirmedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(S::UnsubscribedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        // The service stores addresses trimmed and lowercased, so this is unique on the
        // normalised address.
        for (name, column) in [
            ("ux_newsletter_subscribers_email", S::Email),
            ("ux_newsletter_subscribers_confirm_token", S::ConfirmTokenHash),
            ("ux_newsletter_subscribers_unsubscribe_token", S::UnsubscribeTokenHash),
        ] {
            manager
                .create_index(
                    Index::create().name(name).table(S::Table).col(column).unique().to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_newsletter_subscribers_status")
                    .table(S::Table)
                    .col(S::Status)
                    .col(S::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(NewsletterSubscribers::Table).to_owned()).await
    }
}
