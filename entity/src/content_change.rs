//! The change journal: one row per change to a content item, numbered in commit order.

use sea_orm::entity::prelude::*;

use crate::content_item::ContentType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "content_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub content_id: Uuid,
    pub content_type: ContentType,
    /// Whether the public may hear of this change: the item was in public view before it
    /// or is after it.
    pub public: bool,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
