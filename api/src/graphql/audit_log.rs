//! The audit log.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use quire_entity::audit_entry;

use super::actor::ActorInfo;
use super::pagination::{Cursor, connection};
use super::{context, ids};
use quire_core::audit;
use quire_core::pagination::Forward;

/// One entry of the audit log.
pub struct AuditEntry(audit_entry::Model);

/// One entry of the audit log.
#[Object]
impl AuditEntry {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode("AuditEntry", self.0.id)
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who did it.
    async fn actor(&self) -> ActorInfo {
        ActorInfo::stored(&self.0.actor_kind, self.0.actor_id, &self.0.actor_name)
    }

    /// What was done, such as `content.publish`, `login`, `token.revoke`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The id of what it was done to, as the API names it.
    async fn subject_id(&self) -> Option<ID> {
        Some(ids::encode(self.0.subject_type.as_deref()?, self.0.subject_id?))
    }

    /// The type of what it was done to, such as `NewsArticle` or `User`.
    async fn subject_type(&self) -> Option<&str> {
        self.0.subject_type.as_deref()
    }

    /// More about it, such as the email of a failed sign-in.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

#[derive(Default)]
pub struct AuditLogQuery;

#[Object]
impl AuditLogQuery {
    /// The audit log, newest first (admins only).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 20 by default, 100 at most.")] first: Option<i32>,
        #[graphql(
            desc = "Return those after this cursor (a previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, AuditEntry>> {
        let actor = context::actor(ctx)?;
        let entries =
            audit::list(context::db(ctx)?.conn(), &actor, Forward { first, after }).await?;
        Ok(connection(entries, AuditEntry))
    }
}
