//! API tokens: random secrets shown once, stored as SHA-256 hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use quire_entity::api_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, prelude::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::actor::{Actor, Role};
use crate::audit::{self, Subject};
use crate::clock::now;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

const PREFIX: &str = "quire_";
/// `last_used_at` is a hint, not an audit trail: write it at most this often per token.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

pub struct CreatedToken {
    pub token: api_token::Model,
    pub secret: String,
}

impl CreatedToken {
    pub fn id(&self) -> Uuid {
        self.token.id
    }
}

pub trait RoleName {
    fn role_name(&self) -> &'static str;
}

impl RoleName for api_token::Model {
    fn role_name(&self) -> &'static str {
        Role::from(self.role).name()
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn create(db: &Db, actor: &Actor, name: &str, role: Role) -> ApiResult<CreatedToken> {
    actor.require_admin()?;
    let role = match role {
        Role::Admin => api_token::Role::Admin,
        Role::Editor => api_token::Role::Editor,
        Role::Author => {
            return Err(ApiError::bad_input("role", "API tokens are for editors or admins"));
        }
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_input("name", "a token needs a name of 1 to 100 characters"));
    }
    let secret = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
    let tx = db.write().await?;
    let token = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_string()),
        role: Set(role),
        token_hash: Set(hash(&secret)),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        actor,
        "token.create",
        Some(Subject { type_name: "ApiToken", id: token.id }),
        Some(token.name.clone()),
    )
    .await?;
    tx.commit_private().await?;
    tracing::info!(token_id = %token.id, role = ?role, "API token created");
    Ok(CreatedToken { token, secret })
}

pub async fn list(db: &Db, actor: &Actor) -> ApiResult<Vec<api_token::Model>> {
    actor.require_admin()?;
    Ok(api_token::Entity::find()
        .order_by_asc(api_token::Column::CreatedAt)
        .order_by_asc(api_token::Column::Id)
        .all(db.conn())
        .await?)
}

/// Revokes a token; revoking twice is harmless and keeps the first revocation time.
pub async fn revoke(db: &Db, actor: &Actor, id: Uuid) -> ApiResult<api_token::Model> {
    actor.require_admin()?;
    let tx = db.write().await?;
    let token = api_token::Entity::find_by_id(id)
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found("API token"))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(now()));
    let token = active.update(&*tx).await?;
    audit::record(&*tx, actor, "token.revoke", Some(Subject { type_name: "ApiToken", id }), None)
        .await?;
    tx.commit_private().await?;
    tracing::info!(token_id = %token.id, "API token revoked");
    Ok(token)
}

pub async fn find_active(db: &Db, secret: &str) -> ApiResult<Option<api_token::Model>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(secret)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db.conn())
        .await?
    else {
        return Ok(None);
    };
    let now = now();
    if token.last_used_at.is_none_or(|at| now - at > LAST_USED_GRANULARITY) {
        // Through the write turn: on SQLite a write beside it would make the write
        // transaction in progress fail with "database is locked".
        let tx = db.write().await?;
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(&*tx)
            .await?;
        tx.commit_private().await?;
    }
    Ok(Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(hash("abc").len(), 64);
        assert_ne!(hash("abc"), hash("abd"));
    }
}
