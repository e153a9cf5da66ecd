//! What every content type's queries and mutations share: lookups, the list with its
//! filter and order, and create, update, delete and publish with the files uploaded
//! alongside. Each type declares its fields with the macros below.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Upload};

use crate::graphql::assets::incoming;
use crate::graphql::context;
use crate::graphql::ids;
use crate::graphql::pagination::{Cursor, connection_with};
use crate::graphql::types::{ContentObject, ContentOrder};
use chrono::{DateTime, Utc};
use quire_core::content::changes::Changes;
use quire_core::content::list::{Filter, Scope};
use quire_core::content::{read, write};
use quire_core::error::{ApiError, ApiResult};
use quire_core::media::{Media, assets};
use quire_core::pagination::Window;
use uuid::Uuid;

pub type ContentConnection<T> = Connection<Cursor, T, TotalCount>;

/// The size of the whole list, computed only when asked for.
pub struct TotalCount {
    scope: Scope,
}

#[Object]
impl TotalCount {
    /// How many items match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.scope.count(context::reads(ctx)?).await?)
    }
}

/// The arguments every list takes.
pub struct ListArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub order_by: Option<ContentOrder>,
}

pub async fn list<T: ContentObject>(
    ctx: &Context<'_>,
    filter: Filter,
    args: ListArgs,
) -> ApiResult<ContentConnection<T>> {
    let window = Window::from_args(args.first, args.after, args.last, args.before)?;
    let sort = match args.order_by {
        Some(order) => order.to_sort(T::KIND)?,
        None => T::DEFAULT_SORT,
    };
    let scope = Scope { viewer: context::viewer(ctx)?, kind: T::KIND, filter };
    let columns = super::columns::of_list(ctx);
    let page = scope.list(&context::rows(ctx)?, sort, &window, columns).await?;
    Ok(connection_with(page, TotalCount { scope }, T::from))
}

pub async fn find_by_slug<T: ContentObject>(ctx: &Context<'_>, slug: &str) -> ApiResult<Option<T>> {
    let columns = super::columns::of_item(ctx);
    let found =
        read::find_by_slug(&context::rows(ctx)?, context::viewer(ctx)?, T::KIND, slug, columns)
            .await?;
    Ok(found.map(T::from))
}

pub async fn find_by_id<T: ContentObject>(ctx: &Context<'_>, id: &ID) -> ApiResult<Option<T>> {
    let Some((type_name, uuid)) = ids::decode(id) else {
        return Ok(None);
    };
    if type_name != T::NAME {
        return Ok(None);
    }
    let found =
        read::find(&context::rows(ctx)?, context::viewer(ctx)?, Some(T::KIND), uuid).await?;
    Ok(found.map(T::from))
}

/// A list's `filter` argument, turned into the service's filter (it may need to decode ids).
pub trait IntoFilter {
    /// The core's filter; `me` is the signed-in user, for `mine`.
    fn into_filter(self, me: Option<Uuid>) -> ApiResult<Filter>;
}

/// `mine: true` lists the items the caller created: none for a caller who is not a person.
pub fn created_by(mine: Option<bool>, me: Option<Uuid>) -> Option<Uuid> {
    mine.unwrap_or(false).then(|| me.unwrap_or(Uuid::nil()))
}

/// A reference to an asset that a file uploaded with an input may fill, instead of an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadField {
    /// `fileId`, filled by `file`.
    File,
    /// `coverId`, filled by `cover`.
    Cover,
}

impl UploadField {
    /// The id field the upload stands in for, as errors name it.
    fn name(self) -> &'static str {
        match self {
            UploadField::File => "fileId",
            UploadField::Cover => "coverId",
        }
    }

    /// The change the uploaded asset's id goes into.
    fn reference(self, changes: &mut Changes) -> &mut Option<Option<Uuid>> {
        match self {
            UploadField::File => &mut changes.file_id,
            UploadField::Cover => &mut changes.cover_id,
        }
    }
}

/// An input that turns into field changes (it may need to decode ids).
pub trait IntoChanges {
    /// Files uploaded with the input, each with the reference it fills.
    fn uploads(&mut self) -> Vec<(UploadField, Upload)> {
        Vec::new()
    }

    fn into_changes(self) -> ApiResult<Changes>;
}

/// The input's changes, with its uploaded files stored and referenced.
async fn changes_with_uploads(
    ctx: &Context<'_>,
    mut input: impl IntoChanges,
) -> ApiResult<Changes> {
    let uploads = input.uploads();
    let mut changes = input.into_changes()?;
    for (field, upload) in uploads {
        let reference = field.reference(&mut changes);
        if matches!(reference, Some(Some(_))) {
            return Err(ApiError::bad_input(
                field.name(),
                "give a file to upload or an id, not both",
            ));
        }
        let media = ctx
            .data::<Media>()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("media missing")))?;
        let file = incoming(ctx, &upload)?;
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let limit = media.max_upload_bytes;
        let asset = assets::upload(db, &media.storage, &actor, || Ok(file), None, limit).await?;
        *reference = Some(Some(asset.id));
    }
    Ok(changes)
}

pub async fn create<T: ContentObject>(ctx: &Context<'_>, input: impl IntoChanges) -> ApiResult<T> {
    let actor = context::actor(ctx)?;
    let changes = changes_with_uploads(ctx, input).await?;
    let item = write::create(context::db(ctx)?, &actor, T::KIND, changes).await?;
    Ok(T::from(item))
}

pub async fn update<T: ContentObject>(
    ctx: &Context<'_>,
    id: &ID,
    input: impl IntoChanges,
    expected_version: Option<i32>,
) -> ApiResult<T> {
    let actor = context::actor(ctx)?;
    let uuid = ids::expect(id, T::NAME, "id", T::LABEL)?;
    let changes = changes_with_uploads(ctx, input).await?;
    let item =
        write::update(context::db(ctx)?, &actor, T::KIND, uuid, changes, expected_version).await?;
    Ok(T::from(item))
}

pub async fn delete<T: ContentObject>(ctx: &Context<'_>, id: &ID) -> ApiResult<ID> {
    let actor = context::actor(ctx)?;
    write::delete(context::db(ctx)?, &actor, T::KIND, id).await?;
    Ok(id.clone())
}

/// Publishes (`publish` true) or unpublishes, now or at `at`.
pub async fn publish<T: ContentObject>(
    ctx: &Context<'_>,
    id: &ID,
    publish: bool,
    at: Option<DateTime<Utc>>,
) -> ApiResult<T> {
    let (actor, db) = (context::actor(ctx)?, context::db(ctx)?);
    let item = if publish {
        write::publish(db, &actor, T::KIND, id, at).await?
    } else {
        write::unpublish(db, &actor, T::KIND, id, at).await?
    };
    Ok(T::from(item))
}

/// Declares a content type's list field with the arguments every list takes.
macro_rules! content_list {
    ($query:ident for $ty:ident ($filter:ty) { $(#[doc = $doc:tt])* $field:ident; }) => {
        #[derive(Default)]
        pub struct $query;

        #[async_graphql::Object]
        impl $query {
            $(#[doc = $doc])*
            #[allow(clippy::too_many_arguments)]
            async fn $field(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "How many items to return from the start (or after `after`): 20 by default, 100 at most.")]
                first: Option<i32>,
                #[graphql(desc = "Return items after this cursor (a previous page's `pageInfo.endCursor`).")]
                after: Option<String>,
                #[graphql(desc = "How many items to return from the end (or before `before`): at most 100.")]
                last: Option<i32>,
                #[graphql(desc = "Return items before this cursor (a previous page's `pageInfo.startCursor`).")]
                before: Option<String>,
                #[graphql(desc = "Which items to list.")]
                filter: Option<$filter>,
                #[graphql(desc = "How to order the list.")]
                order_by: Option<crate::graphql::types::ContentOrder>,
            ) -> async_graphql::Result<crate::graphql::content::shared::ContentConnection<$ty>> {
                let me = crate::graphql::context::actor(ctx)?.user_id();
                let filter = crate::graphql::content::shared::IntoFilter::into_filter(filter.unwrap_or_default(), me)?;
                let args = crate::graphql::content::shared::ListArgs { first, after, last, before, order_by };
                Ok(crate::graphql::content::shared::list::<$ty>(ctx, filter, args).await?)
            }
        }
    };
}

pub(crate) use content_list;

/// Declares a content type's five mutations (create, update, delete, publish, unpublish),
/// each a thin call into the generic resolvers above.
macro_rules! content_mutations {
    (
        $mutation:ident for $ty:ident ($create_input:ty, $update_input:ty) {
            $(#[doc = $create_doc:tt])* $create:ident;
            $(#[doc = $update_doc:tt])* $update:ident;
            $(#[doc = $delete_doc:tt])* $delete:ident;
            $(#[doc = $publish_doc:tt])* $publish:ident;
            $(#[doc = $unpublish_doc:tt])* $unpublish:ident;
        }
    ) => {
        #[derive(Default)]
        pub struct $mutation;

        #[async_graphql::Object]
        impl $mutation {
            $(#[doc = $create_doc])*
            async fn $create(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The new item's fields.")]
                input: $create_input,
            ) -> async_graphql::Result<$ty> {
                Ok(crate::graphql::content::shared::create::<$ty>(ctx, input).await?)
            }

            $(#[doc = $update_doc])*
            async fn $update(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The item's id.")]
                id: async_graphql::ID,
                #[graphql(desc = "The fields to change; those left out stay as they are.")]
                input: $update_input,
                #[graphql(desc = "The version you last read; if the item has changed since, the update fails with CONFLICT and changes nothing.")]
                expected_version: Option<i32>,
            ) -> async_graphql::Result<$ty> {
                Ok(crate::graphql::content::shared::update::<$ty>(ctx, &id, input, expected_version).await?)
            }

            $(#[doc = $delete_doc])*
            async fn $delete(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The item's id.")]
                id: async_graphql::ID,
            ) -> async_graphql::Result<async_graphql::ID> {
                Ok(crate::graphql::content::shared::delete::<$ty>(ctx, &id).await?)
            }

            $(#[doc = $publish_doc])*
            async fn $publish(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The item's id.")]
                id: async_graphql::ID,
                #[graphql(desc = "When to publish. In the future, the item becomes SCHEDULED and is published then (an embargo); left out or past, it is published now.")]
                at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> async_graphql::Result<$ty> {
                Ok(crate::graphql::content::shared::publish::<$ty>(ctx, &id, true, at).await?)
            }

            $(#[doc = $unpublish_doc])*
            async fn $unpublish(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The item's id.")]
                id: async_graphql::ID,
                #[graphql(desc = "When to unpublish. In the future, the item stays published until then; left out, it is unpublished now (and a scheduled publication is cancelled).")]
                at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> async_graphql::Result<$ty> {
                Ok(crate::graphql::content::shared::publish::<$ty>(ctx, &id, false, at).await?)
            }
        }
    };
}

pub(crate) use content_mutations;
