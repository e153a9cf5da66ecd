//! Named menus: ordered, nested items linking to content or to any URL, saved whole with
//! a version like content. An item linking to content the viewer cannot see is left out,
//! with the items below it.

use std::collections::HashMap;

use quire_entity::{content_item, menu, menu_revision};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::urls::{self, Addresses};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::clock::now;
use crate::content::{ContentType, Item, Viewer, read};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

pub use menu::Model as Menu;

/// The GraphQL type name, used in the audit log.
pub const TYPE_NAME: &str = "Menu";

const MAX_ITEMS: usize = 500;
const MAX_DEPTH: usize = 4;

/// A menu item as stored and as editors give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredItem {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default)]
    pub children: Vec<StoredItem>,
}

/// A menu item as a viewer sees it: its address made, its target loaded.
#[derive(Debug, Clone)]
pub struct ShownItem {
    pub label: String,
    pub url: String,
    pub target: Option<Item>,
    pub children: Vec<ShownItem>,
}

pub fn items_of(menu: &Menu) -> Vec<StoredItem> {
    serde_json::from_str(&menu.items).unwrap_or_default()
}

fn targets(items: &[StoredItem], out: &mut Vec<Uuid>) {
    for item in items {
        out.extend(item.target_id);
        targets(&item.children, out);
    }
}

/// The menu's items as `viewer` sees them, with one query for all their targets.
pub async fn shown_items(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    addresses: &Addresses,
    menu: &Menu,
) -> ApiResult<Vec<ShownItem>> {
    let items = items_of(menu);
    let mut ids = Vec::new();
    targets(&items, &mut ids);
    let found =
        if ids.is_empty() { HashMap::new() } else { read::by_ids(conn, viewer, &ids).await? };
    Ok(show(&items, &found, addresses))
}

fn show(
    items: &[StoredItem],
    found: &HashMap<Uuid, Item>,
    addresses: &Addresses,
) -> Vec<ShownItem> {
    items
        .iter()
        .filter_map(|item| {
            let (url, target) = match item.target_id {
                Some(id) => {
                    let target = found.get(&id)?;
                    (addresses.url(target)?, Some(target.clone()))
                }
                None => (item.url.clone()?, None),
            };
            Some(ShownItem {
                label: item.label.clone(),
                url,
                target,
                children: show(&item.children, found, addresses),
            })
        })
        .collect()
}

pub async fn find(conn: &impl ConnectionTrait, name: &str) -> ApiResult<Option<Menu>> {
    Ok(menu::Entity::find().filter(menu::Column::Name.eq(name.trim())).one(conn).await?)
}

/// Every menu, by name (editors).
pub async fn list(conn: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<Menu>> {
    actor.require_editor()?;
    Ok(menu::Entity::find().order_by_asc(menu::Column::Name).all(conn).await?)
}

fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(ApiError::bad_input(
            "name",
            "a menu's name is 1 to 64 lowercase letters, digits, `-` or `_`",
        ));
    }
    Ok(name.to_string())
}

/// Checks the items and trims their text; `ids` collects their targets.
fn check_items(
    items: Vec<StoredItem>,
    field: &str,
    depth: usize,
    count: &mut usize,
    ids: &mut Vec<Uuid>,
) -> ApiResult<Vec<StoredItem>> {
    if depth > MAX_DEPTH {
        return Err(ApiError::bad_input(field, format!("menus nest at most {MAX_DEPTH} levels")));
    }
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let at = format!("{field}.{index}");
        *count += 1;
        if *count > MAX_ITEMS {
            return Err(ApiError::bad_input(
                "items",
                format!("a menu holds at most {MAX_ITEMS} items"),
            ));
        }
        let label = item.label.trim().to_string();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(ApiError::bad_input(
                format!("{at}.label"),
                "a label of 1 to 200 characters",
            ));
        }
        let url = item.url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        match (&item.target_id, &url) {
            (Some(id), None) => ids.push(*id),
            (None, Some(url)) => {
                if !urls::is_link(url, &["/", "https://", "http://", "mailto:", "tel:", "#"]) {
                    return Err(ApiError::bad_input(
                        format!("{at}.url"),
                        "a path starting with `/`, an http(s) URL, `mailto:`, `tel:` or `#`",
                    ));
                }
            }
            _ => {
                return Err(ApiError::bad_input(
                    format!("{at}.targetId"),
                    "give either `targetId` or `url`",
                ));
            }
        }
        let children =
            check_items(item.children, &format!("{at}.children"), depth + 1, count, ids)?;
        out.push(StoredItem { label, target_id: item.target_id, url, children });
    }
    Ok(out)
}

/// Saves a menu whole, creating it if new, if it is still at `expected_version` (when
/// given; 0 for a menu that should not exist yet). Each save is a revision and an audit entry.
pub async fn save(
    db: &Db,
    actor: &Actor,
    name: &str,
    items: Vec<StoredItem>,
    expected_version: Option<i32>,
) -> ApiResult<Menu> {
    actor.require_editor()?;
    let name = check_name(name)?;
    let mut ids = Vec::new();
    let items = check_items(items, "items", 1, &mut 0, &mut ids)?;
    let tx = db.write().await?;
    ids.sort();
    ids.dedup();
    if !ids.is_empty() {
        let live = content_item::Entity::find()
            .filter(content_item::Column::Id.is_in(ids.clone()))
            .filter(content_item::Column::DeletedAt.is_null())
            // Testimonials have no address to link to.
            .filter(content_item::Column::ContentType.ne(ContentType::Testimonial))
            .count(&*tx)
            .await?;
        if live != ids.len() as u64 {
            return Err(ApiError::bad_input(
                "items",
                "a `targetId` names no content item with an address",
            ));
        }
    }
    let mut query = menu::Entity::find().filter(menu::Column::Name.eq(&name));
    if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    let current = query.one(&*tx).await?;
    let version = current.as_ref().map_or(0, |m| m.version);
    if expected_version.is_some_and(|expected| expected != version) {
        return Err(ApiError::Conflict(format!(
            "the menu `{name}` was changed by someone else (it is now at version {version}): reload it and try again"
        )));
    }
    let json = serde_json::to_string(&items).map_err(anyhow::Error::from)?;
    let at = now();
    let saved = match current {
        Some(current) => {
            let next = Menu { items: json, version: version + 1, updated_at: at, ..current };
            next.clone().into_active_model().reset_all().update(&*tx).await?;
            next
        }
        None => {
            let next = Menu {
                id: Uuid::now_v7(),
                name: name.clone(),
                items: json,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            next.clone().into_active_model().insert(&*tx).await.map_err(|e| {
                if !matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
                    return ApiError::from(e);
                }
                ApiError::Conflict(format!(
                    "the menu `{name}` was created by someone else: reload it and try again"
                ))
            })?;
            next
        }
    };
    menu_revision::ActiveModel::from(menu_revision::Model {
        id: Uuid::now_v7(),
        menu_id: saved.id,
        version: saved.version,
        items: saved.items.clone(),
        actor_kind: actor.kind().to_string(),
        actor_id: actor.id(),
        actor_name: actor.name().to_string(),
        created_at: at,
    })
    .insert(&*tx)
    .await?;
    let subject = Subject { type_name: TYPE_NAME, id: saved.id };
    audit::record(
        &*tx,
        actor,
        "menu.save",
        Some(subject),
        Some(format!("{name}, version {}", saved.version)),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(menu = %name, version = saved.version, "menu saved");
    Ok(saved)
}

/// Deletes a menu; returns whether there was one.
pub async fn delete(db: &Db, actor: &Actor, name: &str) -> ApiResult<bool> {
    actor.require_editor()?;
    let tx = db.write().await?;
    let Some(found) = find(&*tx, name).await? else { return Ok(false) };
    menu::Entity::delete_by_id(found.id).exec(&*tx).await?;
    menu_revision::Entity::delete_many()
        .filter(menu_revision::Column::MenuId.eq(found.id))
        .exec(&*tx)
        .await?;
    let subject = Subject { type_name: TYPE_NAME, id: found.id };
    audit::record(&*tx, actor, "menu.delete", Some(subject), Some(found.name)).await?;
    tx.commit().await?;
    Ok(true)
}

/// A menu's saved versions, newest first, at most 100 (editors).
pub async fn revisions(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    menu: &Menu,
) -> ApiResult<Vec<menu_revision::Model>> {
    actor.require_editor()?;
    Ok(menu_revision::Entity::find()
        .filter(menu_revision::Column::MenuId.eq(menu.id))
        .order_by_desc(menu_revision::Column::Version)
        .limit(100)
        .all(conn)
        .await?)
}

/// The items a menu had at one of its versions.
pub fn revision_items(revision: &menu_revision::Model) -> Vec<StoredItem> {
    serde_json::from_str(&revision.items).unwrap_or_default()
}
