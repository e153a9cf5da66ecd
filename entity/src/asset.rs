//! Metadata of a stored file (booklet PDFs, images).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub filename: String,
    pub mime_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub alt: Option<String>,
    pub created_at: DateTimeUtc,
    /// Images: pixels across and down.
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// PDFs: number of pages.
    pub page_count: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
