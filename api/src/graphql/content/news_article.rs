//! `NewsArticle`: dated news, tagged, newest first.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use super::shared::{self, IntoChanges, IntoFilter, content_list, content_mutations, created_by};
use super::{asset_patch, asset_ref, patch, statuses};
use crate::graphql::context;
use crate::graphql::loaders::{AssetById, TagsByItem};
use crate::graphql::types::asset::Asset;
use crate::graphql::types::{ContentStatus, content_object};
use quire_core::content::ContentType;
use quire_core::content::changes::Changes;
use quire_core::content::list::{Filter, Sort, SortField};
use quire_core::error::ApiResult;
use uuid::Uuid;

content_object! {
    /// A news article.
    NewsArticle {
        kind: ContentType::NewsArticle,
        label: "news article",
        sort: Sort { field: SortField::PublishedAt, descending: true },
        shape: document
    }
    {
        /// Lowercase tags, A to Z.
        async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
            Ok(context::loader(ctx)?.load_one(TagsByItem(self.0.id)).await?.unwrap_or_default())
        }

        /// Who wrote it.
        async fn author_name(&self) -> Option<&str> {
            self.0.author_name.as_deref()
        }

        /// The image shown at the top of the article.
        async fn hero_image(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
            let Some(id) = self.0.hero_image_id else { return Ok(None) };
            Ok(context::loader(ctx)?.load_one(AssetById(id)).await?.map(Asset))
        }
    }
}

/// Which news articles to list.
#[derive(InputObject, Default)]
pub struct NewsArticleFilter {
    /// Only items with one of these statuses (editors; the public sees published items only).
    status: Option<Vec<ContentStatus>>,
    /// Only the items you created (signed-in people; nothing for tokens and the public).
    mine: Option<bool>,
    /// Only articles with this tag.
    tag: Option<String>,
    /// Only articles published at or after this time.
    published_after: Option<DateTime<Utc>>,
    /// Only articles published before this time.
    published_before: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct NewsArticleQuery;

#[Object]
impl NewsArticleQuery {
    /// One news article by slug.
    async fn news_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug, as in its address.")] slug: String,
    ) -> async_graphql::Result<Option<NewsArticle>> {
        Ok(shared::find_by_slug(ctx, &slug).await?)
    }
}

impl IntoFilter for NewsArticleFilter {
    fn into_filter(self, me: Option<Uuid>) -> ApiResult<Filter> {
        Ok(Filter {
            statuses: statuses(self.status),
            created_by: created_by(self.mine, me),
            tag: self.tag,
            published_after: self.published_after,
            published_before: self.published_before,
            ..Filter::default()
        })
    }
}

content_list! {
    NewsArticleListQuery for NewsArticle (NewsArticleFilter) {
        /// News articles, newest first unless `orderBy` says otherwise.
        news;
    }
}

/// A new news article. It starts as a draft.
#[derive(InputObject)]
pub struct CreateNewsArticleInput {
    /// The headline.
    title: String,
    /// Made from the title when left out.
    slug: Option<String>,
    /// A short plain-text summary for lists.
    summary: Option<String>,
    /// The article, in Markdown.
    body: Option<String>,
    /// Tags; stored lowercase.
    tags: Option<Vec<String>>,
    /// Who wrote it.
    author_name: Option<String>,
    /// An uploaded image for the top of the article.
    hero_image_id: Option<ID>,
    /// Publication time to show; set to now on first publication when left out.
    published_at: Option<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for CreateNewsArticleInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: Some(self.title),
            slug: self.slug,
            summary: Some(self.summary),
            body: Some(self.body),
            tags: self.tags,
            author_name: Some(self.author_name),
            hero_image_id: Some(asset_ref(self.hero_image_id, "heroImageId")?),
            published_at: Some(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

/// Changes to a news article: only the fields given change; `null` clears a field.
#[derive(InputObject)]
pub struct UpdateNewsArticleInput {
    /// The headline.
    title: Option<String>,
    /// A new slug.
    slug: Option<String>,
    /// A short plain-text summary for lists.
    summary: MaybeUndefined<String>,
    /// The article, in Markdown.
    body: MaybeUndefined<String>,
    /// Replaces all tags.
    tags: Option<Vec<String>>,
    /// Who wrote it.
    author_name: MaybeUndefined<String>,
    /// An uploaded image for the top of the article.
    hero_image_id: MaybeUndefined<ID>,
    /// Publication time to show.
    published_at: MaybeUndefined<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for UpdateNewsArticleInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: self.title,
            slug: self.slug,
            summary: patch(self.summary),
            body: patch(self.body),
            tags: self.tags,
            author_name: patch(self.author_name),
            hero_image_id: asset_patch(self.hero_image_id, "heroImageId")?,
            published_at: patch(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

content_mutations! {
    NewsArticleMutation for NewsArticle (CreateNewsArticleInput, UpdateNewsArticleInput) {
        /// Creates a news article as a draft.
        create_news_article;
        /// Changes a news article.
        update_news_article;
        /// Deletes a news article.
        delete_news_article;
        /// Publishes a news article: the public sees it once its `publishedAt` has come.
        publish_news_article;
        /// Takes a news article back to draft.
        unpublish_news_article;
    }
}
