use sea_orm_migration::prelude::*;

use crate::m20261123_000010_create_webhooks::Webhooks;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The outbox: written in the same transaction as the change it reports.
#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    Event,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(ColumnDef::new(WebhookDeliveries::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(WebhookDeliveries::WebhookId).uuid().not_null())
                    .col(ColumnDef::new(WebhookDeliveries::Event).string_len(32).not_null())
                    .col(ColumnDef::new(WebhookDeliveries::Payload).text().not_null())
                    .col(ColumnDef::new(WebhookDeliveries::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts).integer().not_null().default(0),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::ClaimedUntil).timestamp_with_time_zone())
                    .col(ColumnDef::new(WebhookDeliveries::LastStatusCode).integer())
                    .col(ColumnDef::new(WebhookDeliveries::LastError).text())
                    .col(
                        ColumnDef::new(WebhookDeliveries::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::DeliveredAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_webhook")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await
    }
}
