//! Creating, changing, publishing, scheduling and deleting content. Every write runs in one
//! transaction that also stores the new version's revision, its audit entry and its webhook
//! deliveries; an existing row changes only if its `version` is still the one that was read,
//! so two editors can never overwrite each other silently.

use chrono::{DateTime, Utc};
use quire_entity::content_item::ScheduledAction;
use quire_entity::{asset, content_item};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::changes::Changes;
use super::history::{self, Action};
use super::sections::{self, Seen};
use super::{
    ContentType, Item, Status, any_item_id, item_id, journal, label, markdown, now, revisions,
    slugs, tags, validate,
};
use crate::actor::{Actor, Role};
use crate::commits::Scope;
use crate::db::{Db, WriteTx};
use crate::error::{ApiError, ApiResult};
use crate::site::settings::{self, Defaults};
use crate::site::urls::{self, Addresses};
use crate::site::{redirects, related};
use crate::{ids, search};

use content_item::Column;

/// Unique indexes that a write may hit, with the field each one stands for.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("ux_content_items_slug", "content_items.slug", "slug"),
    ("ux_content_items_path", "content_items.path", "slug"),
];

pub(crate) fn blank(kind: ContentType, id: Uuid, created_by: Option<Uuid>) -> Item {
    let now = now();
    Item {
        id,
        content_type: kind,
        status: Status::Draft,
        slug: None,
        title: None,
        path: None,
        parent_id: None,
        position: 0,
        summary: None,
        body: None,
        body_html: None,
        seo_title: None,
        seo_description: None,
        seo_image_id: None,
        canonical_url: None,
        no_index: false,
        author_name: None,
        hero_image_id: None,
        notes_to_editors: None,
        notes_to_editors_html: None,
        location: None,
        quote: None,
        author_role: None,
        organisation: None,
        featured: false,
        file_id: None,
        cover_id: None,
        published_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        created_by,
        deleted_at: None,
        scheduled_at: None,
        scheduled_action: None,
        download_count: 0,
        announce_at: None,
    }
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    kind: ContentType,
    changes: Changes,
) -> ApiResult<Item> {
    create_with_id(db, actor, kind, Uuid::now_v7(), changes).await
}

/// Creates an item with a chosen id (the example site keeps stable ids).
pub async fn create_with_id(
    db: &Db,
    actor: &Actor,
    kind: ContentType,
    id: Uuid,
    changes: Changes,
) -> ApiResult<Item> {
    actor.require_staff()?;
    let tx = db.write().await?;
    let mut item = blank(kind, id, actor.user_id());
    changes.apply_to(&mut item);
    let tags = derive(&*tx, &mut item, &changes, None).await?;
    content_item::Entity::insert(item.clone().into_active_model().reset_all())
        .exec_without_returning(&*tx)
        .await
        .map_err(|e| ApiError::from_db_unique(e, UNIQUE_FIELDS))?;
    if let Some(tags) = &tags {
        tags::replace(&*tx, item.id, tags).await?;
    }
    if let Some(ids) = &changes.related {
        related::replace(&*tx, item.id, ids).await?;
    }
    search::index(&*tx, &item).await?;
    history::record(&*tx, actor, &item, tags.as_deref(), Action::Create).await?;
    journal::record(&*tx, None, Some(&item)).await?;
    tx.commit_within(Scope::content(kind)).await?;
    tracing::info!(id = %item.id, kind = label(kind), "content created");
    Ok(item)
}

/// Whether `actor` may change `item`, by the rule every change keeps: what the desk asks
/// before it offers a form that saves.
pub fn may_edit(actor: &Actor, item: &Item) -> bool {
    check_may_edit(actor, item).is_ok()
}

/// Authors may change only their own drafts; editors and admins anything.
fn check_may_edit(actor: &Actor, item: &Item) -> ApiResult<()> {
    actor.require_owner_or_editor(item.created_by)?;
    if actor.role() == Some(Role::Author) && item.status != Status::Draft {
        return Err(ApiError::Forbidden("authors may change only their own drafts"));
    }
    Ok(())
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    kind: ContentType,
    id: Uuid,
    changes: Changes,
    expected_version: Option<i32>,
) -> ApiResult<Item> {
    let tx = db.write().await?;
    let current = find_live(&*tx, Some(kind), id).await?;
    check_may_edit(actor, &current)?;
    if let Some(expected) = expected_version
        && expected != current.version
    {
        return Err(stale(&current));
    }
    // A new parent or publication time may take pages below this one in or out of view.
    let before = if changes.parent_id.is_some() || changes.published_at.is_some() {
        sections::seen(&*tx, &current, now()).await?
    } else {
        None
    };
    let (next, tags) = apply(&*tx, actor, db.site_defaults(), &current, &changes).await?;
    let saved = commit_version(tx, actor, next, &current, tags, Action::Update, before).await?;
    tracing::info!(%id, kind = label(kind), version = saved.version, "content updated");
    Ok(saved)
}

/// Applies changes to a copy of `current` and derives what follows from them: tags,
/// related items, the pages below a moved page, and redirects from old addresses.
async fn apply(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    defaults: &Defaults,
    current: &Item,
    changes: &Changes,
) -> ApiResult<(Item, Option<Vec<String>>)> {
    let mut next = current.clone();
    changes.apply_to(&mut next);
    let tags = derive(conn, &mut next, changes, Some(current)).await?;
    if next.parent_id != current.parent_id || next.published_at != current.published_at {
        sections::check_ancestors(conn, &next).await?;
    }
    if let Some(ids) = &changes.related {
        related::replace(conn, current.id, ids).await?;
    }
    let moved = (current.slug != next.slug
        || current.path != next.path
        || current.published_at != next.published_at)
        && current.status == Status::Published;
    let addresses = match moved {
        true => Some(settings::load(conn, defaults).await?.addresses()),
        false => None,
    };
    if let Some(addresses) = &addresses {
        record_move(conn, addresses, current, &next).await?;
    }
    if let (Some(old), Some(new)) = (&current.path, &next.path)
        && old != new
    {
        move_descendants(conn, actor, addresses.as_ref(), old, new).await?;
    }
    Ok((next, tags))
}

/// Records a redirect from a published item's old address to its new one.
async fn record_move(
    conn: &impl ConnectionTrait,
    addresses: &Addresses,
    before: &Item,
    after: &Item,
) -> ApiResult<()> {
    if before.status != Status::Published {
        return Ok(());
    }
    if let (Some(old), Some(new)) = (addresses.path(before), addresses.path(after)) {
        redirects::record_move(conn, addresses, after, &old, &new).await?;
    }
    Ok(())
}

/// Makes an old revision's content the newest version. The status stays as it is. `id` is
/// the revision's id as the client gave it.
pub async fn restore_revision(db: &Db, actor: &Actor, id: &str) -> ApiResult<Item> {
    actor.require_staff()?;
    let revision_id = ids::expect(id, revisions::TYPE_NAME, "id", "revision")?;
    let tx = db.write().await?;
    let (revision, snapshot) = history::find(&*tx, revision_id).await?;
    let current = find_live(&*tx, None, revision.content_id).await?;
    check_may_edit(actor, &current)?;
    let changes = snapshot.into_changes();
    let before = sections::seen(&*tx, &current, now()).await?;
    let (next, tags) = apply(&*tx, actor, db.site_defaults(), &current, &changes).await?;
    let action = Action::RestoreRevision(revision.version);
    commit_version(tx, actor, next, &current, tags, action, before).await
}

/// Publishes now, or with `at` in the future schedules the publication: the item is then
/// `SCHEDULED`, invisible to the public, and the scheduler publishes it on time. `id` is the
/// item's id as the client gave it.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    kind: ContentType,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<Item> {
    actor.require_editor()?;
    let id = item_id(id, kind)?;
    let tx = db.write().await?;
    let current = find_live(&*tx, Some(kind), id).await?;
    let mut next = current.clone();
    let action = match at.filter(|at| *at > now()) {
        Some(at) => {
            if current.status == Status::Published {
                return Err(ApiError::bad_input("at", "this item is already published"));
            }
            next.status = Status::Scheduled;
            next.published_at = Some(at);
            next.scheduled_at = Some(at);
            next.scheduled_action = Some(ScheduledAction::Publish);
            Action::Schedule
        }
        None => {
            if current.status == Status::Published && current.scheduled_at.is_none() && at.is_none()
            {
                return Ok(current);
            }
            next.status = Status::Published;
            // "Now" means now for an item that was waiting for its scheduled time; otherwise
            // a date the editor gave (perhaps a future one: an embargo) is kept.
            let kept = current.published_at.filter(|_| current.status != Status::Scheduled);
            next.published_at = at.or(kept).or(Some(now()));
            next.scheduled_at = None;
            next.scheduled_action = None;
            Action::Publish
        }
    };
    sections::check_ancestors(&*tx, &next).await?;
    let before = sections::seen(&*tx, &current, now()).await?;
    let saved = commit_version(tx, actor, next, &current, None, action, before).await?;
    tracing::info!(%id, kind = label(kind), status = ?saved.status, "content published or scheduled");
    Ok(saved)
}

/// Takes an item back to draft now, or with `at` in the future schedules that; a scheduled
/// publication is cancelled. `id` is the item's id as the client gave it.
pub async fn unpublish(
    db: &Db,
    actor: &Actor,
    kind: ContentType,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<Item> {
    actor.require_editor()?;
    let id = item_id(id, kind)?;
    let tx = db.write().await?;
    let current = find_live(&*tx, Some(kind), id).await?;
    let mut next = current.clone();
    let action = match at.filter(|at| *at > now()) {
        Some(at) => {
            if current.status != Status::Published {
                return Err(ApiError::bad_input(
                    "at",
                    "only a published item can be unpublished later",
                ));
            }
            next.scheduled_at = Some(at);
            next.scheduled_action = Some(ScheduledAction::Unpublish);
            Action::Schedule
        }
        None => {
            if current.status == Status::Draft && current.scheduled_at.is_none() {
                return Ok(current);
            }
            if current.status == Status::Scheduled {
                // The date was the schedule's, not the editor's.
                next.published_at = None;
            }
            next.status = Status::Draft;
            next.scheduled_at = None;
            next.scheduled_action = None;
            Action::Unpublish
        }
    };
    let before = sections::seen(&*tx, &current, now()).await?;
    commit_version(tx, actor, next, &current, None, action, before).await
}

/// Carries out a due schedule, if it is still due and no other process holds the row.
/// Returns whether this call did it.
pub async fn run_schedule(db: &Db, id: Uuid) -> ApiResult<bool> {
    let tx = db.write().await?;
    let Some(current) = lock_if_free(&*tx, id).await? else { return Ok(false) };
    let due = current.deleted_at.is_none() && current.scheduled_at.is_some_and(|at| at <= now());
    let Some(scheduled) = current.scheduled_action.filter(|_| due) else { return Ok(false) };
    // What the public saw just before the scheduled time: a due unpublication hides the
    // item (and the pages below it) from then on, before this runs.
    let until = current.scheduled_at.unwrap_or_else(now) - chrono::Duration::microseconds(1);
    let before = sections::seen(&*tx, &current, until).await?;
    let mut next = current.clone();
    next.scheduled_at = None;
    next.scheduled_action = None;
    let action = match scheduled {
        ScheduledAction::Publish => {
            next.status = Status::Published;
            Action::Publish
        }
        ScheduledAction::Unpublish => {
            next.status = Status::Draft;
            Action::Unpublish
        }
    };
    commit_version(tx, &Actor::System, next, &current, None, action, before).await?;
    tracing::info!(%id, action = ?scheduled, "scheduled change carried out");
    Ok(true)
}

/// Journals the arrival in public view of an embargoed item whose time has come, once, as
/// no edit happens then; it enters the public search index and webhooks hear that it is
/// published, with the pages below it that were waiting for it. Returns whether this call
/// did it.
pub async fn announce(db: &Db, id: Uuid) -> ApiResult<bool> {
    let tx = db.write().await?;
    let Some(mut item) = lock_if_free(&*tx, id).await? else { return Ok(false) };
    if item.announce_at.is_none_or(|at| at > now()) {
        return Ok(false);
    }
    content_item::Entity::update_many()
        .col_expr(
            Column::AnnounceAt,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(&*tx)
        .await?;
    item.announce_at = None;
    journal::record(&*tx, None, Some(&item)).await?;
    if sections::in_view(&*tx, &item).await? {
        search::set_public(&*tx, &item, true).await?;
        history::announce_view(&*tx, &item, true).await?;
        // Nothing below an embargoed page was in view.
        sections::follow(&*tx, &item, &Seen::default(), true).await?;
    }
    tx.commit_within(Scope::content(item.content_type)).await?;
    Ok(true)
}

/// On PostgreSQL, `FOR UPDATE SKIP LOCKED`: another process working on the row makes this
/// one pass it by. SQLite has one writer at a time already.
async fn lock_if_free(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<Item>> {
    let query = content_item::Entity::find_by_id(id);
    Ok(locked(conn, query, LockType::Update, Some(LockBehavior::SkipLocked)).one(conn).await?)
}

/// Adds a row lock on PostgreSQL, where write transactions run side by side: a writer then
/// waits for the one before it and reads what it wrote, as on SQLite, whose write
/// transactions take turns.
fn locked<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    lock: LockType,
    behavior: Option<LockBehavior>,
) -> sea_orm::Select<E> {
    if conn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return query;
    }
    match behavior {
        Some(behavior) => query.lock_with_behavior(lock, behavior),
        None => query.lock(lock),
    }
}

/// Moves an item to the trash. Its slug stays reserved until it is purged. `id` is the
/// item's id as the client gave it.
pub async fn delete(db: &Db, actor: &Actor, kind: ContentType, id: &str) -> ApiResult<Uuid> {
    actor.require_editor()?;
    let id = item_id(id, kind)?;
    let tx = db.write().await?;
    let current = find_live(&*tx, Some(kind), id).await?;
    if kind == ContentType::Page {
        let children = content_item::Entity::find()
            .filter(Column::ParentId.eq(id))
            .filter(Column::DeletedAt.is_null())
            .count(&*tx)
            .await?;
        if children > 0 {
            return Err(ApiError::bad_input(
                "id",
                "this page has child pages: move or delete them first",
            ));
        }
    }
    let mut next = current.clone();
    next.deleted_at = Some(now());
    commit_version(tx, actor, next, &current, None, Action::Delete, None).await?;
    tracing::info!(%id, kind = label(kind), "content moved to the trash");
    Ok(id)
}

/// Takes an item out of the trash. `id` is the item's id as the client gave it.
pub async fn restore_from_trash(db: &Db, actor: &Actor, id: &str) -> ApiResult<Item> {
    actor.require_editor()?;
    let id = any_item_id(id)?;
    let tx = db.write().await?;
    let current = find_trashed(&*tx, id).await?;
    if let Some(parent) = current.parent_id {
        let parent = content_item::Entity::find_by_id(parent);
        let parent = locked(&*tx, parent, LockType::Share, None).one(&*tx).await?;
        if parent.is_none_or(|p| p.deleted_at.is_some()) {
            return Err(ApiError::bad_input("id", "restore this page's parent first"));
        }
    }
    let mut next = current.clone();
    next.deleted_at = None;
    commit_version(tx, actor, next, &current, None, Action::RestoreFromTrash, None).await
}

/// Deletes a trashed item for good, with its revisions; its audit entries stay. `id` is the
/// item's id as the client gave it.
pub async fn purge(db: &Db, actor: &Actor, id: &str) -> ApiResult<Uuid> {
    actor.require_admin()?;
    let id = any_item_id(id)?;
    let tx = db.write().await?;
    let current = find_trashed(&*tx, id).await?;
    let children = content_item::Entity::find().filter(Column::ParentId.eq(id)).count(&*tx).await?;
    if children > 0 {
        return Err(ApiError::bad_input("id", "purge this page's child pages first"));
    }
    content_item::Entity::delete_by_id(id).exec(&*tx).await?;
    search::remove(&*tx, id).await?;
    related::forget(&*tx, id).await?;
    history::record_purge(&*tx, actor, &current).await?;
    journal::record(&*tx, Some(&current), None).await?;
    tx.commit_within(Scope::content(current.content_type)).await?;
    tracing::info!(%id, "content purged");
    Ok(id)
}

/// The item to change, locked for the rest of the transaction.
async fn find_live(
    conn: &impl ConnectionTrait,
    kind: Option<ContentType>,
    id: Uuid,
) -> ApiResult<Item> {
    let mut query = content_item::Entity::find_by_id(id).filter(Column::DeletedAt.is_null());
    if let Some(kind) = kind {
        query = query.filter(Column::ContentType.eq(kind));
    }
    locked(conn, query, LockType::Update, None)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::not_found(kind.map_or("item", label)))
}

async fn find_trashed(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<Item> {
    let query = content_item::Entity::find_by_id(id).filter(Column::DeletedAt.is_not_null());
    locked(conn, query, LockType::Update, None)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::not_found("item in the trash"))
}

fn stale(current: &Item) -> ApiError {
    ApiError::Conflict(format!(
        "this {} was changed by someone else (it is now at version {}): reload it and try again",
        label(current.content_type),
        current.version
    ))
}

/// Writes the next version and what goes with every version (its tags when they change,
/// its search rows, revision, audit entry and webhook deliveries), then commits: the one
/// way a change to an existing item is finished. `before` is what the public saw of a page
/// and the pages below it before the change, when the change may alter that.
async fn commit_version(
    tx: WriteTx,
    actor: &Actor,
    next: Item,
    current: &Item,
    tags: Option<Vec<String>>,
    action: Action,
    before: Option<Seen>,
) -> ApiResult<Item> {
    let saved = save(&*tx, next, current).await?;
    let text_changed = search::reindex(&*tx, current, &saved).await?;
    let view_may_differ = sections::view_may_differ(current, &saved);
    let public = sections::in_view(&*tx, &saved).await?;
    if view_may_differ || (public && text_changed) {
        search::set_public(&*tx, &saved, public).await?;
    }
    if let Some(tags) = &tags {
        tags::replace(&*tx, saved.id, tags).await?;
    }
    history::record(&*tx, actor, &saved, tags.as_deref(), action).await?;
    // An edit (a new publication time, a move) can bring an item into public view or take
    // it out, as publishing does; webhooks hear of that too.
    if view_may_differ && matches!(action, Action::Update | Action::RestoreRevision(_)) {
        let was = match &before {
            Some(seen) => Some(seen.contains(current.id)),
            None if current.content_type != ContentType::Page => {
                Some(journal::in_public_view(current, now()))
            }
            None => None,
        };
        if was.is_some_and(|was| was != public) {
            history::announce_view(&*tx, &saved, public).await?;
        }
    }
    journal::record(&*tx, Some(current), Some(&saved)).await?;
    if let Some(before) = &before {
        sections::follow(&*tx, &saved, before, false).await?;
    }
    tx.commit_within(Scope::content(saved.content_type)).await?;
    Ok(saved)
}

/// Writes `next` over `current` only if nobody changed the row since it was read, and
/// returns what was written.
async fn save(conn: &impl ConnectionTrait, mut next: Item, current: &Item) -> ApiResult<Item> {
    next.version = current.version + 1;
    next.updated_at = now();
    next.announce_at = journal::announcement(&next);
    let mut changes = next.clone().into_active_model().reset_all();
    // Counted apart from editing, in batches: a save never writes over them.
    changes.download_count = sea_orm::ActiveValue::NotSet;
    let result = content_item::Entity::update_many()
        .set(changes)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(conn)
        .await
        .map_err(|e| ApiError::from_db_unique(e, UNIQUE_FIELDS))?;
    if result.rows_affected == 1 { Ok(next) } else { Err(stale(current)) }
}

/// Fills in what follows from the fields: slug, page path, rendered HTML; checks the rules
/// that need the database (unique slugs and paths, parents, files); returns the normalised
/// tags when they change.
async fn derive(
    conn: &impl ConnectionTrait,
    item: &mut Item,
    changes: &Changes,
    current: Option<&Item>,
) -> ApiResult<Option<Vec<String>>> {
    validate::item(item)?;
    let tags = changes.tags.as_deref().map(tags::normalise).transpose()?;
    if item.content_type != ContentType::Testimonial {
        item.slug = match (&changes.slug, current) {
            (Some(given), _) => Some(slugs::check(given)?),
            (None, Some(current)) => current.slug.clone(),
            (None, None) => Some(slugs::from_title(item.title.as_deref().unwrap_or_default())?),
        };
    }
    if item.content_type == ContentType::Page {
        item.path = Some(page_path(conn, item).await?);
    } else if let Some(slug) = &item.slug
        // An unchanged slug is this item's already.
        && current.is_none_or(|c| c.slug.as_ref() != Some(slug))
    {
        let clash = content_item::Entity::find()
            .filter(Column::ContentType.eq(item.content_type))
            .filter(Column::Slug.eq(slug.as_str()))
            .filter(Column::Id.ne(item.id))
            .count(conn)
            .await?;
        if clash > 0 {
            return Err(ApiError::bad_input(
                "slug",
                format!(
                    "another {} (perhaps in the trash) already has the slug `{slug}`",
                    label(item.content_type)
                ),
            ));
        }
    }
    for (field, id) in [
        ("heroImageId", changes.hero_image_id),
        ("fileId", changes.file_id),
        ("coverId", changes.cover_id),
        ("seo.imageId", changes.seo_image_id),
    ] {
        if let Some(Some(id)) = id
            && asset::Entity::find_by_id(id).one(conn).await?.is_none()
        {
            return Err(ApiError::bad_input(field, "no such asset"));
        }
    }
    if let Some(url) = &item.canonical_url
        && !urls::is_link(url, urls::WEB)
    {
        return Err(ApiError::bad_input("seo.canonicalUrl", "give a full http(s) URL"));
    }
    item.body_html = item.body.as_deref().map(markdown::to_safe_html);
    item.notes_to_editors_html = item.notes_to_editors.as_deref().map(markdown::to_safe_html);
    Ok(tags)
}

/// A page's path is its parent's path and its own slug; it must be unique and the parent
/// must be another page that is not below this one.
async fn page_path(conn: &impl ConnectionTrait, page: &Item) -> ApiResult<String> {
    let slug = page.slug.clone().unwrap_or_default();
    let path = match page.parent_id {
        None => slug,
        Some(parent_id) => {
            // Shared lock: the parent cannot go to the trash while a child joins it.
            let parent = content_item::Entity::find_by_id(parent_id)
                .filter(Column::ContentType.eq(ContentType::Page))
                .filter(Column::DeletedAt.is_null());
            let parent = locked(conn, parent, LockType::Share, None)
                .one(conn)
                .await?
                .ok_or_else(|| ApiError::bad_input("parentId", "no such page"))?;
            let parent_path = parent.path.unwrap_or_default();
            if let Some(own) = &page.path
                && (parent.id == page.id || parent_path.starts_with(&format!("{own}/")))
            {
                return Err(ApiError::bad_input("parentId", "a page cannot be moved below itself"));
            }
            format!("{parent_path}/{slug}")
        }
    };
    let clash = content_item::Entity::find()
        .filter(Column::Path.eq(path.as_str()))
        .filter(Column::Id.ne(page.id))
        .count(conn)
        .await?;
    if clash > 0 {
        return Err(ApiError::bad_input(
            "slug",
            format!("another page already has the path `{path}`"),
        ));
    }
    Ok(path)
}

/// Re-roots the paths of every page below a page whose path changed. Each of them gets a
/// new version, with its revision, like any other change.
async fn move_descendants(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    addresses: Option<&Addresses>,
    old: &str,
    new: &str,
) -> ApiResult<()> {
    // Every page below is locked before the first is journaled: the journal's order lock,
    // once taken, is held to commit, and waiting for a row with it held would deadlock with
    // an editor who holds that row and waits for the journal.
    let query = content_item::Entity::find()
        .filter(Column::ContentType.eq(ContentType::Page))
        .filter(Column::Path.like(format!("{old}/%")))
        .order_by_asc(Column::Id);
    let below = locked(conn, query, LockType::Update, None).all(conn).await?;
    for page in below {
        // Moving a page moves the pages below it: an author may do that only to their own.
        check_may_edit(actor, &page)?;
        let mut next = page.clone();
        let rest = page.path.as_deref().unwrap_or_default().get(old.len()..).unwrap_or_default();
        next.path = Some(format!("{new}{rest}"));
        let saved = save(conn, next, &page).await?;
        if let Some(addresses) = addresses {
            record_move(conn, addresses, &page, &saved).await?;
        }
        history::record(conn, actor, &saved, None, Action::Update).await?;
        journal::record(conn, Some(&page), Some(&saved)).await?;
    }
    Ok(())
}
