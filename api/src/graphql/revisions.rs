//! The versions of a content item, and restoring one.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use quire_entity::revision;

use super::actor::ActorInfo;
use super::node::Node;
use super::pagination::{Cursor, connection};
use super::{context, ids};
use quire_core::content::{revisions, write};
use quire_core::error::ApiError;
use quire_core::pagination::Forward;

/// One version of a content item.
pub struct Revision(revision::Model);

/// One version of a content item.
#[Object]
impl Revision {
    /// Opaque id; pass it to `restoreRevision`.
    async fn id(&self) -> ID {
        ids::encode(revisions::TYPE_NAME, self.0.id)
    }

    /// The item's version this revision records.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the version was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who made it.
    async fn author(&self) -> ActorInfo {
        ActorInfo::stored(&self.0.actor_kind, self.0.actor_id, &self.0.actor_name)
    }

    /// The whole item as it was, tags included.
    async fn snapshot(&self) -> async_graphql::Result<Json<serde_json::Value>> {
        serde_json::from_str(&self.0.snapshot)
            .map(Json)
            .map_err(|e| ApiError::Internal(e.into()).into())
    }
}

#[derive(Default)]
pub struct RevisionQuery;

#[Object]
impl RevisionQuery {
    /// The versions of a content item, newest first (editors, admins, and the author who
    /// created it).
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The content item's id.")] id: ID,
        #[graphql(desc = "How many to return: 20 by default, 100 at most.")] first: Option<i32>,
        #[graphql(
            desc = "Return those after this cursor (a previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Revision>> {
        let actor = context::actor(ctx)?;
        let page = Forward { first, after };
        let versions = revisions::list(context::db(ctx)?.conn(), &actor, &id, page).await?;
        Ok(connection(versions, Revision))
    }
}

#[derive(Default)]
pub struct RevisionMutation;

#[Object]
impl RevisionMutation {
    /// Makes an old revision's content the newest version (a new revision; nothing is
    /// overwritten). The item's status does not change.
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The revision's id.")] id: ID,
    ) -> async_graphql::Result<Node> {
        let actor = context::actor(ctx)?;
        Ok(Node::from(write::restore_revision(context::db(ctx)?, &actor, &id).await?))
    }
}
