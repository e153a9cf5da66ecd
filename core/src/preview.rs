//! Preview tokens: a signed, expiring pass to one item, draft or not, so a front end can
//! render a draft without holding an editor's token. The signing key lives in the database
//! so that every Quire process on it accepts the same tokens.
//!
//! A token names its creator and the item's preview generation, and both are checked on
//! every use: it stops working when its creator's account is deactivated (or their API
//! token revoked), and when an editor revokes the item's preview tokens, which moves the
//! generation on. The generation is a setting per item that has ever been revoked, so
//! tokens stay stateless and nothing is stored per token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use quire_entity::{api_token, setting, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::clock::now;
use crate::content::{self, Item, Viewer, history, read};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

const KEY: &str = "preview_signing_key";
pub const DEFAULT_TTL: Duration = Duration::hours(1);
pub const MAX_TTL: Duration = Duration::days(30);

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Claims {
    /// The item.
    id: Uuid,
    /// Expiry, seconds since the epoch.
    exp: i64,
    /// Who made it.
    by: Creator,
    /// The item's preview generation when it was made.
    generation: u64,
}

/// The account a token lives and dies with.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
enum Creator {
    #[serde(rename = "user")]
    User(Uuid),
    #[serde(rename = "token")]
    ApiToken(Uuid),
}

impl Creator {
    fn of(actor: &Actor) -> ApiResult<Creator> {
        match actor {
            Actor::User { id, .. } => Ok(Creator::User(*id)),
            Actor::Token { id, .. } => Ok(Creator::ApiToken(*id)),
            Actor::Public | Actor::System => {
                Err(ApiError::Forbidden("preview tokens are made by people and API tokens"))
            }
        }
    }

    /// Whether the account is still there and active.
    async fn active(self, conn: &impl ConnectionTrait) -> ApiResult<bool> {
        Ok(match self {
            Creator::User(id) => {
                user::Entity::find_by_id(id).one(conn).await?.is_some_and(|u| u.active)
            }
            Creator::ApiToken(id) => api_token::Entity::find_by_id(id)
                .one(conn)
                .await?
                .is_some_and(|t| t.revoked_at.is_none()),
        })
    }
}

fn generation_key(item: Uuid) -> String {
    format!("preview_generation:{item}")
}

/// The item's preview generation: 0 until its tokens are first revoked.
async fn generation(conn: &impl ConnectionTrait, item: Uuid) -> ApiResult<u64> {
    match setting::Entity::find_by_id(generation_key(item)).one(conn).await? {
        None => Ok(0),
        Some(stored) => stored.value.parse().map_err(|e: std::num::ParseIntError| {
            ApiError::Internal(anyhow::anyhow!("preview generation of {item}: {e}"))
        }),
    }
}

/// The signing key, made once per database.
async fn signing_key(db: &Db) -> ApiResult<Vec<u8>> {
    crate::keys::stored(db, KEY).await
}

fn mac(key: &[u8], payload: &str) -> ApiResult<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    mac.update(payload.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

/// A token to one item, for editors and admins, and for the author who created the item;
/// it lasts `expires_in_seconds` (an hour when left out, at most 30 days). `id` is the
/// item's id as the client gave it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    id: &str,
    expires_in_seconds: Option<i32>,
) -> ApiResult<(String, DateTime<Utc>)> {
    actor.require_staff()?;
    let id = content::any_item_id(id)?;
    let item = read::find(db.conn(), Viewer::Staff, None, id)
        .await?
        .ok_or_else(|| ApiError::not_found("content item"))?;
    actor.require_owner_or_editor(item.created_by)?;
    let ttl = expires_in_seconds.map(|s| Duration::seconds(i64::from(s)));
    sign(db, actor, id, ttl).await
}

/// A token to item `id`, made by `creator`, whose right to it has been checked.
async fn sign(
    db: &Db,
    creator: &Actor,
    id: Uuid,
    ttl: Option<Duration>,
) -> ApiResult<(String, DateTime<Utc>)> {
    let by = Creator::of(creator)?;
    let ttl = ttl.unwrap_or(DEFAULT_TTL);
    if ttl <= Duration::zero() || ttl > MAX_TTL {
        return Err(ApiError::bad_input("expiresInSeconds", "between 1 second and 30 days"));
    }
    let generation = generation(db.conn(), id).await?;
    let expires_at = now() + ttl;
    // Whole seconds, rounded up: a token lasts at least as long as asked.
    let exp = expires_at.timestamp() + i64::from(expires_at.timestamp_subsec_nanos() > 0);
    let claims = serde_json::to_vec(&Claims { id, exp, by, generation })
        .map_err(|e| ApiError::Internal(e.into()))?;
    let payload = URL_SAFE_NO_PAD.encode(claims);
    let signature = URL_SAFE_NO_PAD.encode(mac(&signing_key(db).await?, &payload)?);
    Ok((format!("{payload}.{signature}"), expires_at))
}

/// The item a token opens, draft or not, for anyone who holds the token; none when the item
/// has gone since (to the trash, or for good).
pub async fn open(db: &Db, token: &str) -> ApiResult<Option<Item>> {
    let id = verify(db, token).await?;
    read::find(db.conn(), Viewer::Staff, None, id).await
}

/// The item a token opens, if the token is genuine, has not expired, was not revoked and
/// its creator's account is still active.
async fn verify(db: &Db, token: &str) -> ApiResult<Uuid> {
    let invalid =
        || ApiError::bad_input("token", "this preview token is invalid, expired or revoked");
    let (payload, signature) = token.split_once('.').ok_or_else(invalid)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
    let key = signing_key(db).await?;
    let mut check = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    check.update(payload.as_bytes());
    check.verify_slice(&signature).map_err(|_| invalid())?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(invalid)?;
    if claims.exp <= now().timestamp() {
        return Err(invalid());
    }
    if generation(db.conn(), claims.id).await? != claims.generation
        || !claims.by.active(db.conn()).await?
    {
        return Err(invalid());
    }
    Ok(claims.id)
}

/// Ends every preview token of an item made so far (editors and admins). Tokens made
/// afterwards work as usual. `id` is the item's id as the client gave it.
pub async fn revoke(db: &Db, actor: &Actor, id: &str) -> ApiResult<()> {
    actor.require_editor()?;
    let id = content::any_item_id(id)?;
    let tx = db.write().await?;
    let item =
        history::item_exists(&*tx, id).await?.ok_or_else(|| ApiError::not_found("content item"))?;
    let next = generation(&*tx, id).await?.saturating_add(1);
    setting::Entity::insert(setting::ActiveModel {
        key: Set(generation_key(id)),
        value: Set(next.to_string()),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key).update_column(setting::Column::Value).to_owned(),
    )
    .exec_without_returning(&*tx)
    .await?;
    let subject = Subject { type_name: history::type_name(item.content_type), id };
    audit::record(&*tx, actor, "preview.revoke", Some(subject), None).await?;
    tx.commit_private().await?;
    Ok(())
}
