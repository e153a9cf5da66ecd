//! The site's settings: one row (id 1), written on the first change. Lists are JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "site_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub name: Option<String>,
    pub tagline: Option<String>,
    /// The front-end's base URL.
    pub url: Option<String>,
    pub logo_id: Option<Uuid>,
    /// The page shown at the front-end's root (`/`).
    pub home_page_id: Option<Uuid>,
    /// `[{"label": …, "url": …}]`
    pub social_links: String,
    /// `{"page": …, "newsArticle": …}`: only the patterns an editor set.
    pub url_patterns: String,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
