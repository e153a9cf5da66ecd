//! Redirects from old front-end paths. Quire records one when a published item's address
//! changes (its slug, a page's move, or a move of a page above it); editors add their own.
//! A recorded redirect follows its item: it answers with the item's address as it is now,
//! and only to those who may see the item.

use quire_entity::redirect::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::urls::{self, Addresses};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::clock::now;
use crate::content::{Item, Viewer, read};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::pagination::{Forward, Page};

pub use redirect::Model as Redirect;

/// The GraphQL type name, used inside ids.
pub const TYPE_NAME: &str = "Redirect";

/// How many hops a chain of editors' redirects may take before it is refused as too long.
const MAX_HOPS: usize = 10;

/// Records that an item seen by the public at `old` now lives at `new` (both from
/// [`Addresses::path`]). Any redirect from `new` goes: the item is there now.
pub async fn record_move(
    conn: &impl ConnectionTrait,
    addresses: &Addresses,
    item: &Item,
    old: &str,
    new: &str,
) -> ApiResult<()> {
    let (old, new) = (addresses.normalise_path(old), addresses.normalise_path(new));
    if old == new || old.contains("://") {
        return Ok(());
    }
    redirect::Entity::delete_many()
        .filter(Column::FromPath.is_in([old.clone(), new.clone()]))
        .exec(conn)
        .await?;
    redirect::ActiveModel::from(redirect::Model {
        id: Uuid::now_v7(),
        from_path: old.clone(),
        to_path: new.clone(),
        target_id: Some(item.id),
        permanent: true,
        automatic: true,
        created_at: now(),
    })
    .insert(conn)
    .await?;
    // Editors' redirects to the old address go straight to the new one.
    redirect::Entity::update_many()
        .col_expr(Column::ToPath, Expr::value(new))
        .filter(Column::ToPath.eq(old))
        .filter(Column::Automatic.eq(false))
        .exec(conn)
        .await?;
    Ok(())
}

/// Where `path` goes, for a front-end answering a 404: the redirect from it, with `to`
/// the end of its chain and `permanent` only if every step is; `None` when it goes nowhere
/// or to something the viewer may not see.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    addresses: &Addresses,
    path: &str,
) -> ApiResult<Option<Redirect>> {
    let start = addresses.normalise_path(path);
    let Some(first) = find_from(conn, &start).await? else { return Ok(None) };
    let mut row = first.clone();
    let mut permanent = true;
    for _ in 0..MAX_HOPS {
        permanent &= row.permanent;
        let to = match row.target_id {
            Some(target) => {
                let Some(item) = read::find(conn, viewer, None, target).await? else {
                    return Ok(None);
                };
                let Some(path) = addresses.path(&item) else { return Ok(None) };
                return Ok(ending(first, path, permanent, &start));
            }
            None => row.to_path.clone(),
        };
        if to.contains("://") {
            return Ok(ending(first, to, permanent, &start));
        }
        match find_from(conn, &to).await? {
            Some(next) => row = next,
            None => return Ok(ending(first, to, permanent, &start)),
        }
    }
    // Longer than any chain Quire lets editors make: refuse to answer rather than loop.
    Ok(None)
}

/// The redirect from `path` (normalised), if there is one.
pub async fn find_from(conn: &impl ConnectionTrait, path: &str) -> ApiResult<Option<Redirect>> {
    Ok(redirect::Entity::find().filter(Column::FromPath.eq(path)).one(conn).await?)
}

fn ending(first: Redirect, to: String, permanent: bool, start: &str) -> Option<Redirect> {
    (to != start).then_some(Redirect { to_path: to, permanent, ..first })
}

/// An editor's redirect from `from` (a path) to `to` (a path or a full URL). A chain is
/// collapsed: redirects to `from` now go to where this one ends. A loop is refused.
pub async fn create(
    db: &Db,
    actor: &Actor,
    addresses: &Addresses,
    from: &str,
    to: &str,
    permanent: bool,
) -> ApiResult<Redirect> {
    actor.require_editor()?;
    let from_given = from.trim();
    let elsewhere = from_given.contains("://")
        && (addresses.base.is_empty() || !from_given.starts_with(&addresses.base));
    if from_given.is_empty() || elsewhere || !urls::is_link(from_given, &[""]) {
        return Err(ApiError::bad_input("from", "give a path on the site, such as `/old-page`"));
    }
    let from = addresses.normalise_path(from_given);
    let to = to.trim();
    let on_site = !addresses.base.is_empty() && to.starts_with(&format!("{}/", addresses.base));
    let to = if to.starts_with('/') || on_site {
        addresses.normalise_path(to)
    } else if urls::is_link(to, urls::WEB) {
        to.to_string()
    } else {
        return Err(ApiError::bad_input("to", "give a path starting with `/` or an http(s) URL"));
    };
    if !urls::is_link(&to, &["/", "http"]) {
        return Err(ApiError::bad_input("to", "give a shorter address without spaces"));
    }
    if from == to {
        return Err(ApiError::bad_input("to", "a redirect cannot lead to itself"));
    }
    let tx = db.write().await?;
    if find_from(&*tx, &from).await?.is_some() {
        return Err(ApiError::bad_input("from", "there is already a redirect from this path"));
    }
    // The end of the editors' redirects from `to`; reaching `from` would be a loop. A
    // redirect Quire recorded is not followed here but when asked, by whoever asks: its
    // item's address now may be one the public must not see.
    let end = editors_chain_end(&*tx, &to).await?;
    if end.as_deref().is_none_or(|end| end == from) {
        return Err(ApiError::bad_input("to", "this redirect would make a loop"));
    }
    let end = end.unwrap_or_default();
    let row = redirect::Model {
        id: Uuid::now_v7(),
        from_path: from.clone(),
        to_path: end.clone(),
        target_id: None,
        permanent,
        automatic: false,
        created_at: now(),
    };
    row.clone().into_active_model().insert(&*tx).await.map_err(|e| {
        ApiError::from_db_unique(e, &[("ux_redirects_from_path", "redirects.from_path", "from")])
    })?;
    redirect::Entity::update_many()
        .col_expr(Column::ToPath, Expr::value(end))
        .filter(Column::ToPath.eq(from.clone()))
        .filter(Column::Automatic.eq(false))
        .exec(&*tx)
        .await?;
    let subject = Subject { type_name: TYPE_NAME, id: row.id };
    audit::record(
        &*tx,
        actor,
        "redirect.create",
        Some(subject),
        Some(format!("{from} → {}", row.to_path)),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Where the editors' redirects from `start` end, hop by hop; `None` for a chain longer
/// than any Quire lets editors make.
async fn editors_chain_end(conn: &impl ConnectionTrait, start: &str) -> ApiResult<Option<String>> {
    let mut at = start.to_string();
    for _ in 0..MAX_HOPS {
        match find_from(conn, &at).await? {
            Some(row) if row.target_id.is_none() && !row.to_path.contains("://") => {
                at = row.to_path;
            }
            Some(row) if row.target_id.is_none() => return Ok(Some(row.to_path)),
            _ => return Ok(Some(at)),
        }
    }
    Ok(None)
}

/// Removes a redirect. `id` is its id as the client gave it.
pub async fn delete(db: &Db, actor: &Actor, id: &str) -> ApiResult<Uuid> {
    actor.require_editor()?;
    let id = ids::expect(id, TYPE_NAME, "id", "redirect")?;
    let tx = db.write().await?;
    let Some(row) = redirect::Entity::find_by_id(id).one(&*tx).await? else {
        return Err(ApiError::not_found("redirect"));
    };
    redirect::Entity::delete_by_id(id).exec(&*tx).await?;
    let subject = Subject { type_name: TYPE_NAME, id };
    audit::record(&*tx, actor, "redirect.delete", Some(subject), Some(row.from_path)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every redirect, newest first (editors).
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    page: Forward,
) -> ApiResult<Page<Redirect>> {
    actor.require_editor()?;
    let window = page.check::<Uuid>()?;
    let mut query = redirect::Entity::find();
    if let Some(before) = window.cursor {
        query = query.filter(Column::Id.lt(before));
    }
    let rows = query.order_by_desc(Column::Id).limit(window.fetch()).all(conn).await?;
    Ok(window.page(rows, |r| r.id))
}
