//! A redirect from an old front-end path to a new address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "redirects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// A path on the front-end, starting with `/`.
    pub from_path: String,
    /// A path on the front-end, or a full URL.
    pub to_path: String,
    /// The item whose old address this was, for redirects recorded when it moved: the
    /// redirect is shown only to those who may see the item.
    pub target_id: Option<Uuid>,
    pub permanent: bool,
    /// Recorded by Quire when an address changed, not added by an editor.
    pub automatic: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
