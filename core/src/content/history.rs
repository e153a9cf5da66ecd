//! What happens alongside every version of an item, in the same transaction: a revision
//! (a full snapshot), an audit entry, and the webhook deliveries for the event.
//! `CONTENT_PUBLISHED` goes out when the public can see the item: at once, or when its
//! embargo ends (or the page above it returns), through [`announce_view`].

use quire_entity::{content_item, revision};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::changes::Changes;
use super::outbox::{self, Event};
use super::{ContentType, Item, now, sections, tags};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Publish,
    Unpublish,
    Schedule,
    Delete,
    RestoreFromTrash,
    RestoreRevision(i32),
}

impl Action {
    fn audit_name(self) -> &'static str {
        match self {
            Action::Create => "content.create",
            Action::Update => "content.update",
            Action::Publish => "content.publish",
            Action::Unpublish => "content.unpublish",
            Action::Schedule => "content.schedule",
            Action::Delete => "content.delete",
            Action::RestoreFromTrash => "content.restore",
            Action::RestoreRevision(_) => "content.restore_revision",
        }
    }

    fn event(self) -> Option<Event> {
        match self {
            Action::Create
            | Action::Update
            | Action::RestoreFromTrash
            | Action::RestoreRevision(_) => Some(Event::ContentUpdated),
            Action::Publish => Some(Event::ContentPublished),
            Action::Unpublish => Some(Event::ContentUnpublished),
            Action::Delete => Some(Event::ContentDeleted),
            Action::Schedule => None,
        }
    }
}

/// The GraphQL type name of a kind, as used in ids and the audit log.
pub fn type_name(kind: ContentType) -> &'static str {
    match kind {
        ContentType::Page => "Page",
        ContentType::NewsArticle => "NewsArticle",
        ContentType::PressRelease => "PressRelease",
        ContentType::Testimonial => "Testimonial",
        ContentType::Booklet => "Booklet",
    }
}

/// An item as stored in a revision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(flatten)]
    pub item: Item,
    pub tags: Vec<String>,
}

impl Snapshot {
    /// The editable fields of the snapshot, as changes to apply to the current item.
    pub fn into_changes(self) -> Changes {
        let i = self.item;
        Changes {
            title: i.title,
            slug: i.slug,
            summary: Some(i.summary),
            body: Some(i.body),
            published_at: None,
            parent_id: Some(i.parent_id),
            position: Some(i.position),
            seo_title: Some(i.seo_title),
            seo_description: Some(i.seo_description),
            seo_image_id: Some(i.seo_image_id),
            canonical_url: Some(i.canonical_url),
            no_index: Some(i.no_index),
            related: None,
            author_name: Some(i.author_name),
            hero_image_id: Some(i.hero_image_id),
            tags: (i.content_type == ContentType::NewsArticle).then_some(self.tags),
            notes_to_editors: Some(i.notes_to_editors),
            location: Some(i.location),
            quote: i.quote,
            author_role: Some(i.author_role),
            organisation: Some(i.organisation),
            featured: Some(i.featured),
            file_id: Some(i.file_id),
            cover_id: Some(i.cover_id),
        }
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    item: &Item,
    new_tags: Option<&[String]>,
    action: Action,
) -> ApiResult<()> {
    let tags = match new_tags {
        Some(tags) => tags.to_vec(),
        None => tags::of_items(conn, &[item.id]).await?.remove(&item.id).unwrap_or_default(),
    };
    let snapshot = serde_json::to_string(&Snapshot { item: item.clone(), tags })
        .map_err(|e| ApiError::Internal(e.into()))?;
    revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        content_id: Set(item.id),
        version: Set(item.version),
        snapshot: Set(snapshot),
        actor_kind: Set(actor.kind().to_string()),
        actor_id: Set(actor.id()),
        actor_name: Set(actor.name().to_string()),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    let detail = match action {
        Action::RestoreRevision(version) => Some(format!("restored version {version}")),
        Action::Schedule => {
            item.scheduled_at.map(|at| format!("{:?} at {at}", item.scheduled_action))
        }
        _ => None,
    };
    let subject = Subject { type_name: type_name(item.content_type), id: item.id };
    audit::record(conn, actor, action.audit_name(), Some(subject), detail).await?;
    let event = match action.event() {
        // Published for later, or below a page the public cannot see: announced when the
        // public can see it.
        Some(Event::ContentPublished) if !sections::in_view(conn, item).await? => None,
        event => event,
    };
    if let Some(event) = event {
        outbox::enqueue(conn, event, item).await?;
    }
    Ok(())
}

/// Tells webhooks that an item came into public view (`CONTENT_PUBLISHED`) or left it
/// (`CONTENT_UNPUBLISHED`) though nobody changed it: its embargo ended, or a page above it
/// was published or unpublished.
pub async fn announce_view(
    conn: &impl ConnectionTrait,
    item: &Item,
    entered: bool,
) -> ApiResult<()> {
    let event = if entered { Event::ContentPublished } else { Event::ContentUnpublished };
    outbox::enqueue(conn, event, item).await
}

pub async fn record_purge(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    item: &Item,
) -> ApiResult<()> {
    let subject = Subject { type_name: type_name(item.content_type), id: item.id };
    audit::record(conn, actor, "content.purge", Some(subject), item.title.clone()).await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<(revision::Model, Snapshot)> {
    let found = revision::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::not_found("revision"))?;
    let snapshot =
        serde_json::from_str(&found.snapshot).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((found, snapshot))
}

/// Revisions of an item, newest first; the cursor is the version. Clients ask through
/// [`super::revisions::list`], which checks who may see them.
pub(super) async fn list(
    conn: &impl ConnectionTrait,
    content_id: Uuid,
    window: &Window<i32>,
) -> ApiResult<Page<revision::Model>> {
    let mut query = revision::Entity::find().filter(revision::Column::ContentId.eq(content_id));
    if let Some(before) = window.cursor {
        query = query.filter(revision::Column::Version.lt(before));
    }
    let rows =
        query.order_by_desc(revision::Column::Version).limit(window.fetch()).all(conn).await?;
    Ok(window.page(rows, |r| r.version))
}

/// Whether an item exists at all (trashed or not), for listing its history.
pub async fn item_exists(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> ApiResult<Option<content_item::Model>> {
    Ok(content_item::Entity::find_by_id(id).one(conn).await?)
}
