//! The Relay `Node` interface and `node(id:)`.

use async_graphql::{Context, ID, Interface, Object};

use super::content::booklet::Booklet;
use super::content::news_article::NewsArticle;
use super::content::page::Page;
use super::content::press_release::PressRelease;
use super::content::testimonial::Testimonial;
use super::types::ContentObject;
use super::types::asset::{self as asset_type, Asset};
use super::{context, ids};
use quire_core::content::{ContentType, Item, read};
use quire_core::media;

/// Anything with a global id that `node(id:)` can fetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id: pass it back unchanged."))]
pub enum Node {
    Page(Page),
    NewsArticle(NewsArticle),
    PressRelease(PressRelease),
    Testimonial(Testimonial),
    Booklet(Booklet),
    Asset(Asset),
}

impl From<Item> for Node {
    fn from(item: Item) -> Self {
        match item.content_type {
            ContentType::Page => Node::Page(Page(item)),
            ContentType::NewsArticle => Node::NewsArticle(NewsArticle(item)),
            ContentType::PressRelease => Node::PressRelease(PressRelease(item)),
            ContentType::Testimonial => Node::Testimonial(Testimonial(item)),
            ContentType::Booklet => Node::Booklet(Booklet(item)),
        }
    }
}

pub fn content_kind(type_name: &str) -> Option<ContentType> {
    [Page::KIND, NewsArticle::KIND, PressRelease::KIND, Testimonial::KIND, Booklet::KIND]
        .into_iter()
        .zip([Page::NAME, NewsArticle::NAME, PressRelease::NAME, Testimonial::NAME, Booklet::NAME])
        .find_map(|(kind, name)| (name == type_name).then_some(kind))
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when there is none you may see.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Any object's global id.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let Some((type_name, uuid)) = ids::decode(&id) else {
            return Ok(None);
        };
        if type_name == asset_type::NAME {
            // The public sees a file only through published content that uses it.
            if !media::assets::visible(context::reads(ctx)?, context::viewer(ctx)?, uuid).await? {
                return Ok(None);
            }
            let found = media::assets::find(context::reads(ctx)?, uuid).await?;
            return Ok(found.map(|a| Node::Asset(Asset(a))));
        }
        let Some(kind) = content_kind(&type_name) else {
            return Ok(None);
        };
        let found =
            read::find(&context::rows(ctx)?, context::viewer(ctx)?, Some(kind), uuid).await?;
        Ok(found.map(Node::from))
    }
}
