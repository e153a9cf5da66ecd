//! `Testimonial`: quotes from the people the organisation works with.

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
    /// A quote from someone the organisation has worked with.
    Testimonial {
        kind: ContentType::Testimonial,
        label: "testimonial",
        sort: Sort { field: SortField::Position, descending: false },
        shape: node
    }
    {
        /// The quote, without quotation marks.
        async fn quote(&self) -> &str {
            self.0.quote.as_deref().unwrap_or_default()
        }

        /// Who said it.
        async fn author_name(&self) -> &str {
            self.0.author_name.as_deref().unwrap_or_default()
        }

        /// Their role, such as "Headteacher".
        async fn author_role(&self) -> Option<&str> {
            self.0.author_role.as_deref()
        }

        /// Their school or organisation.
        async fn organisation(&self) -> Option<&str> {
            self.0.organisation.as_deref()
        }

        /// Whether to show it on the home page.
        async fn featured(&self) -> bool {
            self.0.featured
        }

        /// Display order, lowest first.
        async fn position(&self) -> i32 {
            self.0.position
        }
    }
}

/// Which testimonials to list.
#[derive(InputObject, Default)]
pub struct TestimonialFilter {
    /// Only items with one of these statuses (editors; the public sees published items only).
    status: Option<Vec<ContentStatus>>,
    /// Only the items you created (signed-in people; nothing for tokens and the public).
    mine: Option<bool>,
    /// Only featured (or only not featured) testimonials.
    featured: Option<bool>,
}

#[derive(Default)]
pub struct TestimonialQuery;

#[Object]
impl TestimonialQuery {
    /// One testimonial by id.
    async fn testimonial(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The testimonial's id.")] id: ID,
    ) -> async_graphql::Result<Option<Testimonial>> {
        Ok(shared::find_by_id(ctx, &id).await?)
    }
}

impl IntoFilter for TestimonialFilter {
    fn into_filter(self, me: Option<Uuid>) -> ApiResult<Filter> {
        Ok(Filter {
            statuses: statuses(self.status),
            created_by: created_by(self.mine, me),
            featured: self.featured,
            ..Filter::default()
        })
    }
}

content_list! {
    TestimonialListQuery for Testimonial (TestimonialFilter) {
        /// Testimonials, in display order unless `orderBy` says otherwise.
        testimonials;
    }
}

/// A new testimonial. It starts as a draft.
#[derive(InputObject)]
pub struct CreateTestimonialInput {
    /// The quote, without quotation marks.
    quote: String,
    /// Who said it.
    author_name: String,
    /// Their role.
    author_role: Option<String>,
    /// Their school or organisation.
    organisation: Option<String>,
    /// Whether to show it on the home page (default false).
    featured: Option<bool>,
    /// Display order, lowest first (default 0).
    position: Option<i32>,
    /// Publication time to show; set to now on first publication when left out.
    published_at: Option<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for CreateTestimonialInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            quote: Some(self.quote),
            author_name: Some(Some(self.author_name)),
            author_role: Some(self.author_role),
            organisation: Some(self.organisation),
            featured: self.featured,
            position: self.position,
            published_at: Some(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

/// Changes to a testimonial: only the fields given change; `null` clears a field.
#[derive(InputObject)]
pub struct UpdateTestimonialInput {
    /// The quote.
    quote: Option<String>,
    /// Who said it.
    author_name: Option<String>,
    /// Their role.
    author_role: MaybeUndefined<String>,
    /// Their school or organisation.
    organisation: MaybeUndefined<String>,
    /// Whether to show it on the home page.
    featured: Option<bool>,
    /// Display order.
    position: Option<i32>,
    /// Publication time to show.
    published_at: MaybeUndefined<DateTime<Utc>>,
    /// Search engine and link preview fields.
    seo: Option<crate::graphql::site::seo::SeoInput>,
    /// Related content chosen by editors, in order (ids of any content type); replaces the list.
    related_ids: Option<Vec<ID>>,
}

impl IntoChanges for UpdateTestimonialInput {
    fn into_changes(self) -> ApiResult<Changes> {
        let mut changes = Changes {
            quote: self.quote,
            author_name: self.author_name.map(Some),
            author_role: patch(self.author_role),
            organisation: patch(self.organisation),
            featured: self.featured,
            position: self.position,
            published_at: patch(self.published_at),
            ..Changes::default()
        };
        crate::graphql::site::seo::add_structure(&mut changes, self.seo, self.related_ids)?;
        Ok(changes)
    }
}

content_mutations! {
    TestimonialMutation for Testimonial (CreateTestimonialInput, UpdateTestimonialInput) {
        /// Creates a testimonial as a draft.
        create_testimonial;
        /// Changes a testimonial.
        update_testimonial;
        /// Deletes a testimonial.
        delete_testimonial;
        /// Publishes a testimonial.
        publish_testimonial;
        /// Takes a testimonial back to draft.
        unpublish_testimonial;
    }
}
