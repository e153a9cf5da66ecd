//! The editorial workflow around content: revisions, the trash, previews and the audit log.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Json, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use quire_entity::{audit_entry, revision};
use uuid::Uuid;

use super::actor::ActorInfo;
use super::node::{Node, content_kind};
use super::{context, ids};
use quire_core::content::list::page_size;
use quire_core::content::{Viewer, history, read, write};
use quire_core::error::{ApiError, ApiResult};
use quire_core::{audit, preview};

/// One version of a content item.
pub struct Revision(revision::Model);

#[Object]
impl Revision {
    /// Opaque id; pass it to `restoreRevision`.
    async fn id(&self) -> ID {
        ids::encode("Revision", self.0.id)
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

/// One entry of the audit log.
pub struct AuditEntry(audit_entry::Model);

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

/// The UUID of a content item's id, whatever its type.
fn content_uuid(id: &ID) -> ApiResult<Uuid> {
    match ids::decode(id) {
        Some((type_name, uuid)) if content_kind(&type_name).is_some() => Ok(uuid),
        Some(_) => Err(ApiError::not_found("content item")),
        None => Err(ApiError::bad_input("id", "this is not a valid id")),
    }
}

fn encode_cursor(value: &impl serde::Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

pub(super) fn decode_cursor<T: serde::de::DeserializeOwned>(
    cursor: Option<String>,
) -> ApiResult<Option<T>> {
    cursor
        .map(|raw| {
            URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| ApiError::bad_input("after", "this cursor is not valid"))
        })
        .transpose()
}

/// Fetches one more than asked for, to know whether another page follows.
pub(super) fn connection<C, T, N: async_graphql::OutputType>(
    mut rows: Vec<T>,
    limit: u64,
    had_cursor: bool,
    cursor: impl Fn(&T) -> C,
    node: impl Fn(T) -> N,
) -> Connection<String, N>
where
    C: serde::Serialize,
{
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let mut out = Connection::new(had_cursor, has_next);
    out.edges
        .extend(rows.into_iter().map(|row| Edge::new(encode_cursor(&cursor(&row)), node(row))));
    out
}

#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// The versions of a content item, newest first (editors, admins, and the author who
    /// created it).
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The content item's id.")] id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Revision>> {
        let actor = context::actor(ctx)?;
        actor.require_staff()?;
        let uuid = content_uuid(&id)?;
        let limit = page_size(first, "first")?;
        let before: Option<i32> = decode_cursor(after.clone())?;
        let db = context::db(ctx)?;
        let Some(item) = history::item_exists(db.conn(), uuid).await? else {
            return Err(ApiError::not_found("content item").into());
        };
        actor.require_owner_or_editor(item.created_by)?;
        let rows = history::list(db.conn(), uuid, before, limit + 1).await?;
        Ok(connection(rows, limit, after.is_some(), |r| r.version, Revision))
    }

    /// Items in the trash, most recently deleted first (editors and admins).
    async fn trash(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Node>> {
        context::actor(ctx)?.require_editor()?;
        let limit = page_size(first, "first")?;
        let position: Option<(DateTime<Utc>, Uuid)> = decode_cursor(after.clone())?;
        let rows = read::trash(context::db(ctx)?.conn(), position, limit + 1).await?;
        Ok(connection(rows, limit, after.is_some(), |item| (item.deleted_at, item.id), Node::from))
    }

    /// The audit log, newest first (admins only).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, AuditEntry>> {
        context::actor(ctx)?.require_admin()?;
        let limit = page_size(first, "first")?;
        let before: Option<Uuid> = decode_cursor(after.clone())?;
        let rows = audit::list(context::db(ctx)?.conn(), before, limit + 1).await?;
        Ok(connection(rows, limit, after.is_some(), |e| e.id, AuditEntry))
    }

    /// The item a preview token opens, draft or not. Anyone holding the token may ask.
    async fn preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
    ) -> async_graphql::Result<Option<Node>> {
        // A draft seen through a token is nobody else's to cache, and the token expires.
        ctx.insert_http_header(http::header::CACHE_CONTROL, "private, no-store");
        let db = context::db(ctx)?;
        let id = preview::verify(db, &token).await?;
        Ok(read::find(db.conn(), Viewer::Staff, None, id).await?.map(Node::from))
    }
}

#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Makes an old revision's content the newest version (a new revision; nothing is
    /// overwritten). The item's status does not change.
    async fn restore_revision(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Node> {
        let actor = context::actor(ctx)?;
        actor.require_staff()?;
        let uuid = ids::expect(&id, "Revision", "id", "revision")?;
        Ok(Node::from(write::restore_revision(context::db(ctx)?, &actor, uuid).await?))
    }

    /// Takes an item out of the trash (editors and admins).
    async fn restore_from_trash(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Node> {
        let actor = context::actor(ctx)?;
        actor.require_editor()?;
        let uuid = content_uuid(&id)?;
        Ok(Node::from(write::restore_from_trash(context::db(ctx)?, &actor, uuid).await?))
    }

    /// Deletes a trashed item for good (admins only). Its audit entries stay.
    async fn purge(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let actor = context::actor(ctx)?;
        actor.require_admin()?;
        let uuid = content_uuid(&id)?;
        write::purge(context::db(ctx)?, &actor, uuid).await?;
        Ok(id)
    }

    /// A token that lets whoever holds it see this one item, draft or not, until it expires
    /// (default one hour, at most 30 days), until `revokePreviewTokens` ends it, or until
    /// the account that made it is deactivated (or its API token revoked). Editors,
    /// admins, and the author who created the item.
    async fn create_preview_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expires_in_seconds: Option<i32>,
    ) -> async_graphql::Result<String> {
        let actor = context::actor(ctx)?;
        actor.require_staff()?;
        let uuid = content_uuid(&id)?;
        let db = context::db(ctx)?;
        let Some(item) = read::find(db.conn(), Viewer::Staff, None, uuid).await? else {
            return Err(ApiError::not_found("content item").into());
        };
        actor.require_owner_or_editor(item.created_by)?;
        let ttl = expires_in_seconds.map(|s| chrono::Duration::seconds(i64::from(s)));
        Ok(preview::create(db, &actor, uuid, ttl).await?.0)
    }

    /// Ends every preview token of this item made so far, whoever made it (editors and
    /// admins). Tokens made afterwards work. Always true.
    async fn revoke_preview_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The content item's id.")] id: ID,
    ) -> async_graphql::Result<bool> {
        let actor = context::actor(ctx)?;
        actor.require_editor()?;
        let uuid = content_uuid(&id)?;
        preview::revoke(context::db(ctx)?, &actor, uuid).await?;
        Ok(true)
    }
}
