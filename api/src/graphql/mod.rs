//! The GraphQL API. [`schema()`] builds it with no database, so `quire schema` and the
//! drift test need nothing; the server adds the database and per-request data.

mod actor;
mod assets;
mod audit_log;
mod batch;
mod content;
mod context;
pub mod cost;
mod document_cache;
pub(crate) mod errors;
mod guard;
mod ids;
mod loaders;
mod newsletter;
mod node;
mod pagination;
mod preview;
mod revisions;
mod search;
mod sync;
mod tokens;
mod trash;
mod types;
mod users;
mod webhooks;

use async_graphql::{MergedObject, Schema, SchemaBuilder};

pub use context::{RequestContext, SignInSettings};
pub use document_cache::DocumentCache;
pub use guard::{PUBLIC_MUTATIONS, Refused, RequestGuard};
pub use loaders::ContentLoader;

/// Reading content.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    content::page::PageQuery,
    content::page::PageListQuery,
    content::news_article::NewsArticleQuery,
    content::news_article::NewsArticleListQuery,
    content::press_release::PressReleaseQuery,
    content::press_release::PressReleaseListQuery,
    content::testimonial::TestimonialQuery,
    content::testimonial::TestimonialListQuery,
    content::booklet::BookletQuery,
    content::booklet::BookletListQuery,
    tokens::TokenQuery,
    users::UserQuery,
    revisions::RevisionQuery,
    trash::TrashQuery,
    audit_log::AuditLogQuery,
    preview::PreviewQuery,
    webhooks::WebhookQuery,
    assets::AssetQuery,
    sync::SyncQuery,
    newsletter::NewsletterQuery,
    search::SearchQuery,
);

/// Changing content.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    content::page::PageMutation,
    content::news_article::NewsArticleMutation,
    content::press_release::PressReleaseMutation,
    content::testimonial::TestimonialMutation,
    content::booklet::BookletMutation,
    tokens::TokenMutation,
    users::UserMutation,
    revisions::RevisionMutation,
    trash::TrashMutation,
    preview::PreviewMutation,
    webhooks::WebhookMutation,
    assets::AssetMutation,
    newsletter::NewsletterMutation,
);

pub type QuireSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Live updates, over graphql-ws at `/graphql/ws`.
pub type SubscriptionRoot = sync::Subscriptions;

pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
}

/// The schema without any runtime data: enough to print or introspect it.
pub fn schema() -> QuireSchema {
    schema_builder().finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
/// Scalars carry `@specifiedBy`, as introspection reports them, so that code generators
/// reading either agree.
pub fn sdl() -> String {
    schema().sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// The global id of an asset, for callers that store assets outside the API.
pub fn asset_id(id: uuid::Uuid) -> async_graphql::ID {
    ids::encode(types::asset::NAME, id)
}

/// The global id of an object of `type_name`.
pub fn global_id(type_name: &str, id: uuid::Uuid) -> async_graphql::ID {
    ids::encode(type_name, id)
}
