//! The GraphQL API. [`schema()`] builds it with no database, so `quire schema` and the
//! drift test need nothing; the server adds the database and per-request data.
//!
//! Permission rules live in quire-core's services: a resolver fetches the actor, calls one
//! service, which decides, and wraps what it returns. A test below fails if a resolver asks
//! for a role itself. The exceptions:
//! - [`RequestGuard`] lets the public call only the [`PUBLIC_MUTATIONS`]: any other mutation
//!   is answered `UNAUTHENTICATED` before it is validated or run, whatever its arguments.
//!   The services check again. Because of it, `create…` and `update…` may read their input
//!   (ids, uploaded files) before their service checks the caller: only staff get there.

mod actor;
mod assets;
mod audit_log;
mod batch;
mod content;
mod context;
pub mod cost;
mod cost_budget;
mod document_cache;
pub(crate) mod errors;
mod guard;
mod ids;
mod loaders;
mod markdown;
mod newsletter;
mod node;
mod pagination;
mod preview;
mod revisions;
mod running;
mod search;
mod site;
mod sync;
mod tokens;
mod trash;
mod types;
mod users;
mod variable_fit;
mod webhooks;

use async_graphql::{MergedObject, Schema, SchemaBuilder};

pub use content::columns;
pub use context::{RequestContext, SignInSettings, WsCredentials};
pub use cost_budget::CostBudget;
pub use document_cache::{DocumentCache, Known};
pub use guard::{PUBLIC_MUTATIONS, Refused, RequestGuard, reads_data};
pub use loaders::ContentLoader;
pub use running::RunningQueries;
pub use variable_fit::InputIndex;

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
    site::settings::SiteSettingsQuery,
    site::menus::MenuQuery,
    site::redirects::RedirectQuery,
    markdown::MarkdownQuery,
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
    site::settings::SiteSettingsMutation,
    site::menus::MenuMutation,
    site::redirects::RedirectMutation,
);

pub type QuireSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Live updates, over graphql-ws at `/graphql/ws`.
pub type SubscriptionRoot = sync::Subscriptions;

pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
}

/// The schema built twice, with one set of shared data, differing only in validation.
/// async-graphql validates each request in full; but all of it except the variables'
/// values depends on the text alone, so a text that passed once runs on
/// `validated_before`, which skips the text's rules, when its values certainly fit (see
/// [`variable_fit`]). Full validation was about a twelfth of the work of a lookup.
#[derive(Clone)]
pub struct Schemas {
    pub full: QuireSchema,
    pub validated_before: QuireSchema,
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }

    /// A resolver that asked for a role itself would hold a permission rule that belongs in
    /// a core service (see the exceptions at the top of this module).
    #[test]
    fn resolvers_hold_no_permission_rules() {
        // Spelled in parts, so that this file does not name them.
        let rules = ["admin", "editor", "staff", "owner_or_editor"].map(|r| format!("require_{r}"));
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/graphql");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        assert!(
            files.iter().any(|f| f.ends_with("revisions.rs")),
            "no resolvers under {}",
            root.display()
        );
        let mut found = Vec::new();
        for file in &files {
            let text =
                std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            for (number, line) in text.lines().enumerate() {
                if rules.iter().any(|rule| line.contains(rule.as_str())) {
                    found.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "permission rules belong in quire-core's services:\n{}",
            found.join("\n")
        );
    }

    /// Every type, field, argument and enum value of the schema says what it is, for the
    /// front-end developers who read `schema.graphql`. The connection types async-graphql
    /// generates (`…Connection`, `…Edge`, `PageInfo`) are its own and carry none.
    #[test]
    fn every_part_of_the_schema_is_described() {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let document = async_graphql::parser::parse_schema(super::sdl())
            .unwrap_or_else(|e| panic!("the schema does not parse: {e}"));
        let generated = |name: &str| {
            name.ends_with("Connection") || name.ends_with("Edge") || name == "PageInfo"
        };
        let mut missing = Vec::new();
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else { continue };
            let ty = &ty.node;
            let name = ty.name.node.as_str();
            if name.starts_with("__") || generated(name) {
                continue;
            }
            if ty.description.is_none() && !matches!(ty.kind, TypeKind::Scalar) {
                missing.push(name.to_string());
            }
            let fields = match &ty.kind {
                TypeKind::Object(object) => &object.fields,
                TypeKind::Interface(interface) => &interface.fields,
                TypeKind::Enum(values) => {
                    for value in &values.values {
                        if value.node.description.is_none() {
                            missing.push(format!("{name}.{}", value.node.value.node));
                        }
                    }
                    continue;
                }
                TypeKind::InputObject(input) => {
                    for field in &input.fields {
                        if field.node.description.is_none() {
                            missing.push(format!("{name}.{}", field.node.name.node));
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            for field in fields {
                let field = &field.node;
                if field.description.is_none() {
                    missing.push(format!("{name}.{}", field.name.node));
                }
                for argument in &field.arguments {
                    if argument.node.description.is_none() {
                        missing.push(format!(
                            "{name}.{}({})",
                            field.name.node, argument.node.name.node
                        ));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "described nowhere in the schema: {missing:?}");
    }
}
