use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Append-only, and without foreign keys: entries outlive what they speak of.
#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Id,
    At,
    ActorKind,
    ActorId,
    ActorName,
    Action,
    SubjectType,
    SubjectId,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEntries::Table)
                    .col(ColumnDef::new(AuditEntries::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditEntries::At).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AuditEntries::ActorKind).string_len(16).not_null())
                    .col(ColumnDef::new(AuditEntries::ActorId).uuid())
                    .col(ColumnDef::new(AuditEntries::ActorName).string().not_null())
                    .col(ColumnDef::new(AuditEntries::Action).string_len(32).not_null())
                    .col(ColumnDef::new(AuditEntries::SubjectType).string_len(32))
                    .col(ColumnDef::new(AuditEntries::SubjectId).uuid())
                    .col(ColumnDef::new(AuditEntries::Detail).text())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_entries_subject")
                    .table(AuditEntries::Table)
                    .col(AuditEntries::SubjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditEntries::Table).to_owned()).await
    }
}
