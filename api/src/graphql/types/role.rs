//! The GraphQL face of the core's [`quire_core::auth::Role`].

use async_graphql::Enum;
use quire_core::auth;

/// What a person or token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "quire_core::auth::Role")]
pub enum Role {
    /// Everything: content, users, API tokens, webhooks, purging the trash.
    Admin,
    /// All content: create, edit, publish, delete, restore.
    Editor,
    /// Creates drafts and edits their own drafts; cannot publish or delete.
    Author,
}

impl Role {
    /// The role of a stored user or token.
    pub fn of(role: impl Into<auth::Role>) -> Self {
        role.into().into()
    }
}
