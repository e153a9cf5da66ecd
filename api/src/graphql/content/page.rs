//! `Page`: the site's pages, arranged in a tree by path.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use super::shared::{IntoChanges, IntoFilter, content_list, content_mutations, created_by};
use super::{patch, statuses};
use crate::graphql::loaders::{ItemById, PageChildrenByParent};
use crate::graphql::types::{ContentStatus, content_object};
use crate::graphql::{context, ids};
use quire_core::content::changes::Changes;
use quire_core::content::list::{Filter, Sort, SortField};
use quire_core::content::{ContentType, read};
use quire_core::error::ApiResult;
use uuid::Uuid;

content_object! {
    /// A page of the site, such as the home page or "About us".
    Page {
        kind: ContentType::Page,
        label: "page",
        sort: Sort { field: SortField::Path, descending: false },
        shape: document
    }
    {
        /// The slugs from the top page down, joined by `/`: `about/our-network`.
        async fn path(&self) -> &str {
            self.0.path.as_deref().unwrap_or_default()
        }

        /// The page above this one; null for a top-level page (or one whose parent you cannot see).
        async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Page>> {
            let Some(parent_id) = self.0.parent_id else { return Ok(None) };
            Ok(context::loader(ctx)?.load_one(ItemById(parent_id)).await?.map(Page))
        }

        /// The pages directly below this one, in their editors' order.
        async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Page>> {
            let children = context::loader(ctx)?.load_one(PageChildrenByParent(self.0.id)).await?;
            Ok(children.unwrap_or_default().into_iter().map(Page).collect())
        }

        /// Order among siblings, lowest first.
        async fn position(&self) -> i32 {
            self.0.position
        }

        /// Title for search engines and the browser tab, if not the title.
        async fn seo_title(&self) -> Option<&str> {
            self.0.seo_title.as_deref()
        }

        /// Description for search engines and link previews.
        async fn seo_description(&self) -> Option<&str> {
            self.0.seo_description.as_deref()
        }
    }
}

/// Which pages to list.
#[derive(InputObject, Default)]
pub struct PageFilter {
    /// Only items with one of these statuses (editors; the public sees published items only).
    status: Option<Vec<ContentStatus>>,
    /// Only the items you created (signed-in people; nothing for tokens and the public).
    mine: Option<bool>,
    /// Only the children of this page; `null` for top-level pages.
    parent_id: MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct PageQuery;

#[Object]
impl PageQuery {
    /// One page by its path, such as `about/our-network` (slashes around it are ignored).
    async fn page(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The page's path: its slug under its parents' (`about/team`).")]
        path: String,
    ) -> async_graphql::Result<Option<Page>> {
        let (rows, viewer) = (context::rows(ctx)?, context::viewer(ctx)?);
        let found = read::find_by_path(&rows, viewer, &path, super::columns::of_item(ctx)).await?;
        Ok(found.map(Page))
    }
}

impl IntoFilter for PageFilter {
    fn into_filter(self, me: Option<Uuid>) -> ApiResult<Filter> {
        let parent = patch(self.parent_id)
            .map(|id| id.map(|id| ids::expect(&id, "Page", "filter.parentId", "page")).transpose())
            .transpose()?;
        Ok(Filter {
            statuses: statuses(self.status),
            created_by: created_by(self.mine, me),
            parent,
            ..Filter::default()
        })
    }
}

content_list! {
    PageListQuery for Page (PageFilter) {
        /// Pages, by path unless `orderBy` says otherwise.
        pages;
    }
}

fn parent_ref(id: MaybeUndefined<ID>) -> ApiResult<Option<Option<uuid::Uuid>>> {
    patch(id)
        .map(|id| id.map(|id| ids::expect(&id, "Page", "parentId", "page")).transpose())
        .transpose()
}

/// A new page. It starts as a draft.
#[derive(InputObject)]
pub struct CreatePageInput {
    /// The title.
    title: String,
    /// Made from the title when left out.
    slug: Option<String>,
    /// The page to put this one under; top level when left out.
    parent_id: Option<ID>,
    /// Order among siblings, lowest first (default 0).
    position: Option<i32>,
    /// A short plain-text summary.
    summary: Option<String>,
    /// The body, in Markdown.
    body: Option<String>,
    /// Title for search engines.
    seo_title: Option<String>,
    /// Description for search engines.
    seo_description: Option<String>,
    /// Publication time to show; set to now on first publication when left out.
    published_at: Option<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for CreatePageInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: Some(self.title),
            slug: self.slug,
            parent_id: self
                .parent_id
                .map(|id| ids::expect(&id, "Page", "parentId", "page").map(Some))
                .transpose()?,
            position: self.position,
            summary: Some(self.summary),
            body: Some(self.body),
            seo_title: Some(self.seo_title),
            seo_description: Some(self.seo_description),
            published_at: Some(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

/// Changes to a page: only the fields given change; `null` clears a field.
#[derive(InputObject)]
pub struct UpdatePageInput {
    /// The title.
    title: Option<String>,
    /// A new slug; the paths of the page and of all pages below it follow.
    slug: Option<String>,
    /// Move the page under another one; `null` moves it to the top level.
    parent_id: MaybeUndefined<ID>,
    /// Order among siblings.
    position: Option<i32>,
    /// A short plain-text summary.
    summary: MaybeUndefined<String>,
    /// The body, in Markdown.
    body: MaybeUndefined<String>,
    /// Title for search engines.
    seo_title: MaybeUndefined<String>,
    /// Description for search engines.
    seo_description: MaybeUndefined<String>,
    /// Publication time to show.
    published_at: MaybeUndefined<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for UpdatePageInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: self.title,
            slug: self.slug,
            parent_id: parent_ref(self.parent_id)?,
            position: self.position,
            summary: patch(self.summary),
            body: patch(self.body),
            seo_title: patch(self.seo_title),
            seo_description: patch(self.seo_description),
            published_at: patch(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

content_mutations! {
    PageMutation for Page (CreatePageInput, UpdatePageInput) {
        /// Creates a page as a draft.
        create_page;
        /// Changes a page.
        update_page;
        /// Deletes a page. A page with child pages cannot be deleted.
        delete_page;
        /// Publishes a page: the public sees it once its `publishedAt` has come.
        publish_page;
        /// Takes a page back to draft.
        unpublish_page;
    }
}
