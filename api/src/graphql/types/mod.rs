//! Shared GraphQL types: statuses, ordering, the `ContentObject` trait and the macro that
//! gives every content type its common fields.

pub mod asset;
pub mod role;

use async_graphql::{Enum, InputObject, OutputType};

use quire_core::content::list::{Sort, SortField};
use quire_core::content::{ContentType, Item, Status};
use quire_core::error::{ApiError, ApiResult};

/// Where an item is in the editorial workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ContentStatus {
    /// Not visible to the public.
    Draft,
    /// Visible to the public once `publishedAt` has come.
    Published,
    /// Waiting to be published at `scheduledAt`; not visible to the public until then.
    Scheduled,
}

impl From<Status> for ContentStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Draft => ContentStatus::Draft,
            Status::Published => ContentStatus::Published,
            Status::Scheduled => ContentStatus::Scheduled,
        }
    }
}

impl From<ContentStatus> for Status {
    fn from(status: ContentStatus) -> Self {
        match status {
            ContentStatus::Draft => Status::Draft,
            ContentStatus::Published => Status::Published,
            ContentStatus::Scheduled => Status::Scheduled,
        }
    }
}

/// What is scheduled to happen to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ScheduledAction {
    /// It will be published at `scheduledAt`.
    Publish,
    /// It will be unpublished at `scheduledAt`.
    Unpublish,
}

impl From<quire_entity::content_item::ScheduledAction> for ScheduledAction {
    fn from(action: quire_entity::content_item::ScheduledAction) -> Self {
        match action {
            quire_entity::content_item::ScheduledAction::Publish => ScheduledAction::Publish,
            quire_entity::content_item::ScheduledAction::Unpublish => ScheduledAction::Unpublish,
        }
    }
}

/// The kinds of content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ContentType")]
pub enum ContentTypeEnum {
    /// A page of the site's tree.
    Page,
    /// A news article.
    NewsArticle,
    /// A dated press release.
    PressRelease,
    /// A testimonial.
    Testimonial,
    /// A downloadable booklet.
    Booklet,
}

impl From<ContentTypeEnum> for ContentType {
    fn from(kind: ContentTypeEnum) -> Self {
        match kind {
            ContentTypeEnum::Page => ContentType::Page,
            ContentTypeEnum::NewsArticle => ContentType::NewsArticle,
            ContentTypeEnum::PressRelease => ContentType::PressRelease,
            ContentTypeEnum::Testimonial => ContentType::Testimonial,
            ContentTypeEnum::Booklet => ContentType::Booklet,
        }
    }
}

impl From<ContentType> for ContentTypeEnum {
    fn from(kind: ContentType) -> Self {
        match kind {
            ContentType::Page => ContentTypeEnum::Page,
            ContentType::NewsArticle => ContentTypeEnum::NewsArticle,
            ContentType::PressRelease => ContentTypeEnum::PressRelease,
            ContentType::Testimonial => ContentTypeEnum::Testimonial,
            ContentType::Booklet => ContentTypeEnum::Booklet,
        }
    }
}

/// Fields a list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ContentOrderField {
    /// Publication time; drafts, which have none, by creation time. Newest first by default.
    PublishedAt,
    /// Creation time, newest first by default.
    CreatedAt,
    /// Time of the last change, newest first by default.
    UpdatedAt,
    /// Title, A to Z by default (not for testimonials).
    Title,
    /// The editor's chosen order (`position`), lowest first by default.
    Position,
    /// Page path, A to Z by default (pages only).
    Path,
}

/// Which way to order a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    /// Smallest, earliest or A first.
    Asc,
    /// Largest, latest or Z first.
    Desc,
}

/// How to order a list.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct ContentOrder {
    /// The field to order by.
    pub field: ContentOrderField,
    /// Ascending or descending; by default descending for times and ascending otherwise.
    pub direction: Option<OrderDirection>,
}

impl ContentOrder {
    pub fn to_sort(self, kind: ContentType) -> ApiResult<Sort> {
        let field = match self.field {
            ContentOrderField::PublishedAt => SortField::PublishedAt,
            ContentOrderField::CreatedAt => SortField::CreatedAt,
            ContentOrderField::UpdatedAt => SortField::UpdatedAt,
            ContentOrderField::Title if kind != ContentType::Testimonial => SortField::Title,
            ContentOrderField::Position => SortField::Position,
            ContentOrderField::Path if kind == ContentType::Page => SortField::Path,
            _ => {
                return Err(ApiError::bad_input(
                    "orderBy",
                    "this list cannot be ordered by that field",
                ));
            }
        };
        let descending = match self.direction {
            Some(direction) => direction == OrderDirection::Desc,
            None => matches!(
                field,
                SortField::PublishedAt | SortField::CreatedAt | SortField::UpdatedAt
            ),
        };
        Ok(Sort { field, descending })
    }
}

/// A GraphQL wrapper around a content row.
pub trait ContentObject: From<Item> + OutputType {
    const KIND: ContentType;
    /// The GraphQL type name, also used inside ids.
    const NAME: &'static str;
    /// How to call one in messages.
    const LABEL: &'static str;
    /// The order of lists when the client gives none.
    const DEFAULT_SORT: Sort;
}

/// Declares a content object: the wrapper struct, its `ContentObject` impl and an
/// `#[Object]` impl with the fields every content type has, followed by `$fields`.
/// `document` adds slug, title, summary, body and bodyHtml.
macro_rules! content_object {
    (
        $(#[doc = $doc:tt])*
        $ty:ident { kind: $kind:expr, label: $label:tt, sort: $sort:expr, shape: $shape:ident }
        { $($fields:tt)* }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone)]
        pub struct $ty(pub quire_core::content::Item);

        impl From<quire_core::content::Item> for $ty {
            fn from(item: quire_core::content::Item) -> Self {
                $ty(item)
            }
        }

        impl crate::graphql::types::ContentObject for $ty {
            const KIND: quire_core::content::ContentType = $kind;
            const NAME: &'static str = stringify!($ty);
            const LABEL: &'static str = $label;
            const DEFAULT_SORT: quire_core::content::list::Sort = $sort;
        }

        crate::graphql::types::content_object!(@impl $shape $(#[doc = $doc])* $ty { $($fields)* });
    };
    (@impl document $(#[doc = $doc:tt])* $ty:ident { $($fields:tt)* }) => {
        crate::graphql::types::content_object!(@impl node $(#[doc = $doc])* $ty {
            /// URL-safe name, unique among items of this type (pages: among siblings).
            async fn slug(&self) -> &str {
                self.0.slug.as_deref().unwrap_or_default()
            }

            /// The title.
            async fn title(&self) -> &str {
                self.0.title.as_deref().unwrap_or_default()
            }

            /// A short plain-text summary for lists and link previews.
            async fn summary(&self) -> Option<&str> {
                self.0.summary.as_deref()
            }

            /// The body as written, in Markdown.
            async fn body(&self) -> Option<&str> {
                self.0.body.as_deref()
            }

            /// The body rendered to HTML and sanitised: safe to insert into a page.
            async fn body_html(&self) -> Option<&str> {
                self.0.body_html.as_deref()
            }

            $($fields)*
        });
    };
    (@impl node $(#[doc = $doc:tt])* $ty:ident { $($fields:tt)* }) => {
        $(#[doc = $doc])*
        #[async_graphql::Object]
        impl $ty {
            /// Opaque global id: pass it back unchanged.
            pub async fn id(&self) -> async_graphql::ID {
                crate::graphql::ids::encode(stringify!($ty), self.0.id)
            }

            /// Where the item is in the editorial workflow.
            async fn status(&self) -> crate::graphql::types::ContentStatus {
                self.0.status.into()
            }

            /// When the item was (or will be) first published.
            async fn published_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
                self.0.published_at
            }

            /// When the item was created.
            async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.0.created_at
            }

            /// When the item last changed.
            async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.0.updated_at
            }

            /// Goes up by one on every change; pass it as `expectedVersion` to update safely.
            async fn version(&self) -> i32 {
                self.0.version
            }

            /// When the scheduled change (`scheduledAction`) will happen, if one is scheduled.
            /// Staff only: null for the public, to whom plans are not shown.
            async fn scheduled_at(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<Option<chrono::DateTime<chrono::Utc>>> {
                Ok(crate::graphql::context::viewer(ctx)?.scheduled_at(&self.0))
            }

            /// Its address on the front-end, made from the site settings' URL patterns (null
            /// for testimonials, which have no page of their own).
            async fn url(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<Option<String>> {
                Ok(crate::graphql::site::url_of(ctx, &self.0).await?)
            }

            /// What a front-end puts in the page's `<head>`, with fallbacks to the item's own
            /// fields and the site's settings.
            async fn seo(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<crate::graphql::site::seo::Seo> {
                let site = crate::graphql::site::current(ctx).await?;
                Ok(crate::graphql::site::seo::Seo::new(&self.0, &site))
            }

            /// Related content chosen by editors, in order; what you may not see is left out.
            async fn related(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<Vec<crate::graphql::node::Node>> {
                let found = crate::graphql::context::loader(ctx)?
                    .load_one(crate::graphql::loaders::RelatedByItem(self.0.id))
                    .await?
                    .unwrap_or_default();
                Ok(found.into_iter().map(crate::graphql::node::Node::from).collect())
            }

            /// What is scheduled to happen at `scheduledAt`. Staff only, like `scheduledAt`.
            async fn scheduled_action(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<Option<crate::graphql::types::ScheduledAction>> {
                Ok(crate::graphql::context::viewer(ctx)?.scheduled_action(&self.0).map(Into::into))
            }

            /// Whether you may change this item: editors and admins any item, authors only
            /// their own drafts, the public none. A form can leave out what would be refused.
            async fn viewer_may_edit(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<bool> {
                let actor = crate::graphql::context::actor(ctx)?;
                Ok(quire_core::content::write::may_edit(&actor, &self.0))
            }

            $($fields)*
        }
    };
}

pub(crate) use content_object;
