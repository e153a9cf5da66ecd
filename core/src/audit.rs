//! The audit log: who did what to which subject, written in the same transaction as the
//! change itself. There is no way to change or remove an entry.

use quire_entity::audit_entry;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::actor::Actor;
use crate::clock::now;
use crate::error::ApiResult;
use crate::pagination::{Forward, Page};

/// What an entry is about.
pub struct Subject<'a> {
    pub type_name: &'a str,
    pub id: Uuid,
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    subject: Option<Subject<'_>>,
    detail: Option<String>,
) -> ApiResult<()> {
    audit_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(now()),
        actor_kind: Set(actor.kind().to_string()),
        actor_id: Set(actor.id()),
        actor_name: Set(actor.name().to_string()),
        action: Set(action.to_string()),
        subject_type: Set(subject.as_ref().map(|s| s.type_name.to_string())),
        subject_id: Set(subject.map(|s| s.id)),
        detail: Set(detail),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The log, newest first (admins only). Entry ids are UUID v7, so they sort by time and
/// serve as the cursor.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    page: Forward,
) -> ApiResult<Page<audit_entry::Model>> {
    actor.require_admin()?;
    let window = page.check::<Uuid>()?;
    let mut query = audit_entry::Entity::find();
    if let Some(before) = window.cursor {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    let rows = query.order_by_desc(audit_entry::Column::Id).limit(window.fetch()).all(conn).await?;
    Ok(window.page(rows, |e| e.id))
}
