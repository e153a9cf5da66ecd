use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_assets::Assets;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum ContentItems {
    Table,
    Id,
    ContentType,
    Status,
    Slug,
    Title,
    Path,
    ParentId,
    Position,
    Summary,
    Body,
    BodyHtml,
    SeoTitle,
    SeoDescription,
    AuthorName,
    HeroImageId,
    NotesToEditors,
    NotesToEditorsHtml,
    Location,
    Quote,
    AuthorRole,
    Organisation,
    Featured,
    FileId,
    CoverId,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

/// Indexes that serve the API's lists: (name, columns).
const LIST_INDEXES: &[(&str, &[ContentItems])] = &[
    (
        "ix_content_items_published",
        &[
            ContentItems::ContentType,
            ContentItems::Status,
            ContentItems::PublishedAt,
            ContentItems::Id,
        ],
    ),
    (
        "ix_content_items_created",
        &[ContentItems::ContentType, ContentItems::CreatedAt, ContentItems::Id],
    ),
    (
        "ix_content_items_updated",
        &[ContentItems::ContentType, ContentItems::UpdatedAt, ContentItems::Id],
    ),
    // Lookups by slug. The unique index on slugs is partial (pages may repeat a slug under
    // different parents), and SQLite cannot use a partial index for `content_type = 'x'`.
    // Status and publication time are in it so that SQLite's planner, which has no
    // statistics, prefers it to `ix_content_items_published` for the public's lookups.
    (
        "ix_content_items_slug",
        &[
            ContentItems::ContentType,
            ContentItems::Slug,
            ContentItems::Status,
            ContentItems::PublishedAt,
        ],
    ),
    ("ix_content_items_title", &[ContentItems::ContentType, ContentItems::Title, ContentItems::Id]),
    (
        "ix_content_items_position",
        &[ContentItems::ContentType, ContentItems::Position, ContentItems::Id],
    ),
    (
        "ix_content_items_featured",
        &[
            ContentItems::ContentType,
            ContentItems::Featured,
            ContentItems::Position,
            ContentItems::Id,
        ],
    ),
    (
        "ix_content_items_parent",
        &[ContentItems::ParentId, ContentItems::Position, ContentItems::Id],
    ),
    ("ix_content_items_hero_image", &[ContentItems::HeroImageId]),
    ("ix_content_items_file", &[ContentItems::FileId]),
    ("ix_content_items_cover", &[ContentItems::CoverId]),
];

fn asset_ref(column: ContentItems) -> ColumnDef {
    ColumnDef::new(column).uuid().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContentItems::Table)
                    .col(ColumnDef::new(ContentItems::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ContentItems::ContentType).string_len(16).not_null())
                    .col(ColumnDef::new(ContentItems::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ContentItems::Slug).string())
                    .col(ColumnDef::new(ContentItems::Title).string())
                    .col(ColumnDef::new(ContentItems::Path).string())
                    .col(ColumnDef::new(ContentItems::ParentId).uuid())
                    .col(ColumnDef::new(ContentItems::Position).integer().not_null().default(0))
                    .col(ColumnDef::new(ContentItems::Summary).text())
                    .col(ColumnDef::new(ContentItems::Body).text())
                    .col(ColumnDef::new(ContentItems::BodyHtml).text())
                    .col(ColumnDef::new(ContentItems::SeoTitle).string())
                    .col(ColumnDef::new(ContentItems::SeoDescription).text())
                    .col(ColumnDef::new(ContentItems::AuthorName).string())
                    .col(asset_ref(ContentItems::HeroImageId))
                    .col(ColumnDef::new(ContentItems::NotesToEditors).text())
                    .col(ColumnDef::new(ContentItems::NotesToEditorsHtml).text())
                    .col(ColumnDef::new(ContentItems::Location).string())
                    .col(ColumnDef::new(ContentItems::Quote).text())
                    .col(ColumnDef::new(ContentItems::AuthorRole).string())
                    .col(ColumnDef::new(ContentItems::Organisation).string())
                    .col(ColumnDef::new(ContentItems::Featured).boolean().not_null().default(false))
                    .col(asset_ref(ContentItems::FileId))
                    .col(asset_ref(ContentItems::CoverId))
                    .col(ColumnDef::new(ContentItems::PublishedAt).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(ContentItems::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContentItems::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ContentItems::Version).integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_content_items_parent")
                            .from(ContentItems::Table, ContentItems::ParentId)
                            .to(ContentItems::Table, ContentItems::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_content_items_hero_image")
                            .from(ContentItems::Table, ContentItems::HeroImageId)
                            .to(Assets::Table, Assets::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_content_items_file")
                            .from(ContentItems::Table, ContentItems::FileId)
                            .to(Assets::Table, Assets::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_content_items_cover")
                            .from(ContentItems::Table, ContentItems::CoverId)
                            .to(Assets::Table, Assets::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Pages are unique by path (so siblings differ); every other kind by slug. Partial
        // unique indexes are spelt the same on SQLite and PostgreSQL.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_content_items_slug ON content_items (content_type, slug) \
             WHERE content_type <> 'page'",
        )
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_content_items_path ON content_items (path)")
            .await?;

        for (name, columns) in LIST_INDEXES {
            let mut index = Index::create();
            index.name(*name).table(ContentItems::Table);
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ContentItems::Table).to_owned()).await
    }
}
