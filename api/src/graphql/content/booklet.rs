//! `Booklet`: a downloadable publication, such as a PDF.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Upload};
use chrono::{DateTime, Utc};

use super::shared::{
    self, IntoChanges, IntoFilter, UploadField, content_list, content_mutations, created_by,
};
use super::{asset_patch, asset_ref, patch, statuses};
use crate::graphql::context;
use crate::graphql::loaders::AssetById;
use crate::graphql::types::asset::Asset;
use crate::graphql::types::{ContentStatus, content_object};
use quire_core::content::ContentType;
use quire_core::content::changes::Changes;
use quire_core::content::list::{Filter, Sort, SortField};
use quire_core::error::ApiResult;
use uuid::Uuid;

content_object! {
    /// A downloadable publication.
    Booklet {
        kind: ContentType::Booklet,
        label: "booklet",
        sort: Sort { field: SortField::PublishedAt, descending: true },
        shape: document
    }
    {
        /// How often the public has downloaded the file. Counted in memory and saved every
        /// few seconds, so it may lag a download by that much.
        async fn download_count(&self) -> i32 {
            i32::try_from(self.0.download_count).unwrap_or(i32::MAX)
        }

        /// The file to download.
        async fn file(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
            let Some(id) = self.0.file_id else { return Ok(None) };
            Ok(context::loader(ctx)?.load_one(AssetById(id)).await?.map(Asset))
        }

        /// A cover image.
        async fn cover(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
            let Some(id) = self.0.cover_id else { return Ok(None) };
            Ok(context::loader(ctx)?.load_one(AssetById(id)).await?.map(Asset))
        }
    }
}

/// Which booklets to list.
#[derive(InputObject, Default)]
pub struct BookletFilter {
    /// Only items with one of these statuses (editors; the public sees published items only).
    status: Option<Vec<ContentStatus>>,
    /// Only the items you created (signed-in people; nothing for tokens and the public).
    mine: Option<bool>,
}

#[derive(Default)]
pub struct BookletQuery;

#[Object]
impl BookletQuery {
    /// One booklet by slug.
    async fn booklet(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug, as in its address.")] slug: String,
    ) -> async_graphql::Result<Option<Booklet>> {
        Ok(shared::find_by_slug(ctx, &slug).await?)
    }
}

impl IntoFilter for BookletFilter {
    fn into_filter(self, me: Option<Uuid>) -> ApiResult<Filter> {
        Ok(Filter {
            statuses: statuses(self.status),
            created_by: created_by(self.mine, me),
            ..Filter::default()
        })
    }
}

content_list! {
    BookletListQuery for Booklet (BookletFilter) {
        /// Booklets, newest first unless `orderBy` says otherwise.
        booklets;
    }
}

/// A new booklet. It starts as a draft.
#[derive(InputObject)]
pub struct CreateBookletInput {
    /// The title.
    title: String,
    /// Made from the title when left out.
    slug: Option<String>,
    /// A short plain-text summary.
    summary: Option<String>,
    /// A description, in Markdown.
    body: Option<String>,
    /// The uploaded file to download.
    file_id: Option<ID>,
    /// An uploaded cover image.
    cover_id: Option<ID>,
    /// Upload the file in this same request (a GraphQL multipart request), instead of
    /// giving `fileId`.
    file: Option<Upload>,
    /// Upload the cover image in this same request, instead of giving `coverId`.
    cover: Option<Upload>,
    /// Publication time to show; set to now on first publication when left out.
    published_at: Option<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for CreateBookletInput {
    fn uploads(&mut self) -> Vec<(UploadField, Upload)> {
        uploads(self.file.take(), self.cover.take())
    }

    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: Some(self.title),
            slug: self.slug,
            summary: Some(self.summary),
            body: Some(self.body),
            file_id: Some(asset_ref(self.file_id, "fileId")?),
            cover_id: Some(asset_ref(self.cover_id, "coverId")?),
            published_at: Some(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

/// Changes to a booklet: only the fields given change; `null` clears a field.
#[derive(InputObject)]
pub struct UpdateBookletInput {
    /// The title.
    title: Option<String>,
    /// A new slug.
    slug: Option<String>,
    /// A short plain-text summary.
    summary: MaybeUndefined<String>,
    /// A description, in Markdown.
    body: MaybeUndefined<String>,
    /// The uploaded file to download.
    file_id: MaybeUndefined<ID>,
    /// An uploaded cover image.
    cover_id: MaybeUndefined<ID>,
    /// Upload the file in this same request (a GraphQL multipart request), instead of
    /// giving `fileId`.
    file: Option<Upload>,
    /// Upload the cover image in this same request, instead of giving `coverId`.
    cover: Option<Upload>,
    /// Publication time to show.
    published_at: MaybeUndefined<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for UpdateBookletInput {
    fn uploads(&mut self) -> Vec<(UploadField, Upload)> {
        uploads(self.file.take(), self.cover.take())
    }

    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: self.title,
            slug: self.slug,
            summary: patch(self.summary),
            body: patch(self.body),
            file_id: asset_patch(self.file_id, "fileId")?,
            cover_id: asset_patch(self.cover_id, "coverId")?,
            published_at: patch(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

fn uploads(file: Option<Upload>, cover: Option<Upload>) -> Vec<(UploadField, Upload)> {
    [(UploadField::File, file), (UploadField::Cover, cover)]
        .into_iter()
        .filter_map(|(field, upload)| upload.map(|u| (field, u)))
        .collect()
}

content_mutations! {
    BookletMutation for Booklet (CreateBookletInput, UpdateBookletInput) {
        /// Creates a booklet as a draft.
        create_booklet;
        /// Changes a booklet.
        update_booklet;
        /// Deletes a booklet (its file stays among the assets).
        delete_booklet;
        /// Publishes a booklet.
        publish_booklet;
        /// Takes a booklet back to draft.
        unpublish_booklet;
    }
}
