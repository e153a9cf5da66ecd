//! `PressRelease`: dated statements with notes to editors.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use super::shared::{self, IntoChanges, IntoFilter, content_list, content_mutations, created_by};
use super::{patch, statuses};
use crate::graphql::types::{ContentStatus, content_object};
use quire_core::content::ContentType;
use quire_core::content::changes::Changes;
use quire_core::content::list::{Filter, Sort, SortField};
use quire_core::error::ApiResult;
use uuid::Uuid;

content_object! {
    /// A press release.
    PressRelease {
        kind: ContentType::PressRelease,
        label: "press release",
        sort: Sort { field: SortField::PublishedAt, descending: true },
        shape: document
    }
    {
        /// Background for journalists, in Markdown.
        async fn notes_to_editors(&self) -> Option<&str> {
            self.0.notes_to_editors.as_deref()
        }

        /// The notes to editors rendered to sanitised HTML.
        async fn notes_to_editors_html(&self) -> Option<&str> {
            self.0.notes_to_editors_html.as_deref()
        }

        /// Where the release was issued, such as "London".
        async fn location(&self) -> Option<&str> {
            self.0.location.as_deref()
        }
    }
}

/// Which press releases to list.
#[derive(InputObject, Default)]
pub struct PressReleaseFilter {
    /// Only items with one of these statuses (editors; the public sees published items only).
    status: Option<Vec<ContentStatus>>,
    /// Only the items you created (signed-in people; nothing for tokens and the public).
    mine: Option<bool>,
    /// Only releases published at or after this time.
    published_after: Option<DateTime<Utc>>,
    /// Only releases published before this time.
    published_before: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct PressReleaseQuery;

#[Object]
impl PressReleaseQuery {
    /// One press release by slug.
    async fn press_release(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug, as in its address.")] slug: String,
    ) -> async_graphql::Result<Option<PressRelease>> {
        Ok(shared::find_by_slug(ctx, &slug).await?)
    }
}

impl IntoFilter for PressReleaseFilter {
    fn into_filter(self, me: Option<Uuid>) -> ApiResult<Filter> {
        Ok(Filter {
            statuses: statuses(self.status),
            created_by: created_by(self.mine, me),
            published_after: self.published_after,
            published_before: self.published_before,
            ..Filter::default()
        })
    }
}

content_list! {
    PressReleaseListQuery for PressRelease (PressReleaseFilter) {
        /// Press releases, newest first unless `orderBy` says otherwise.
        press_releases;
    }
}

/// A new press release. It starts as a draft.
#[derive(InputObject)]
pub struct CreatePressReleaseInput {
    /// The headline.
    title: String,
    /// Made from the title when left out.
    slug: Option<String>,
    /// A short plain-text summary.
    summary: Option<String>,
    /// The release, in Markdown.
    body: Option<String>,
    /// Background for journalists, in Markdown.
    notes_to_editors: Option<String>,
    /// Where the release was issued.
    location: Option<String>,
    /// The release date; set to now on first publication when left out.
    published_at: Option<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for CreatePressReleaseInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: Some(self.title),
            slug: self.slug,
            summary: Some(self.summary),
            body: Some(self.body),
            notes_to_editors: Some(self.notes_to_editors),
            location: Some(self.location),
            published_at: Some(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

/// Changes to a press release: only the fields given change; `null` clears a field.
#[derive(InputObject)]
pub struct UpdatePressReleaseInput {
    /// The headline.
    title: Option<String>,
    /// A new slug.
    slug: Option<String>,
    /// A short plain-text summary.
    summary: MaybeUndefined<String>,
    /// The release, in Markdown.
    body: MaybeUndefined<String>,
    /// Background for journalists, in Markdown.
    notes_to_editors: MaybeUndefined<String>,
    /// Where the release was issued.
    location: MaybeUndefined<String>,
    /// The release date.
    published_at: MaybeUndefined<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for UpdatePressReleaseInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            title: self.title,
            slug: self.slug,
            summary: patch(self.summary),
            body: patch(self.body),
            notes_to_editors: patch(self.notes_to_editors),
            location: patch(self.location),
            published_at: patch(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

content_mutations! {
    PressReleaseMutation for PressRelease (CreatePressReleaseInput, UpdatePressReleaseInput) {
        /// Creates a press release as a draft.
        create_press_release;
        /// Changes a press release.
        update_press_release;
        /// Deletes a press release.
        delete_press_release;
        /// Publishes a press release: the public sees it once its `publishedAt` has come, so a future `publishedAt` is an embargo.
        publish_press_release;
        /// Takes a press release back to draft.
        unpublish_press_release;
    }
}
