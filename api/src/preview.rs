//! Preview tokens: a signed, expiring pass to one item, draft or not, so a front end can
//! render a draft without holding an editor's token. The signing key lives in the database
//! so that every Quire process on it accepts the same tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use quire_entity::setting;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::content::now;
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
}

/// The signing key, made once per database.
async fn signing_key(db: &Db) -> ApiResult<Vec<u8>> {
    if let Some(stored) = setting::Entity::find_by_id(KEY.to_string()).one(db.conn()).await? {
        return URL_SAFE_NO_PAD.decode(stored.value).map_err(|e| ApiError::Internal(e.into()));
    }
    // First use: whichever process inserts first wins, and every process reads that one.
    let fresh = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let tx = db.write().await?;
    setting::Entity::insert(setting::ActiveModel { key: Set(KEY.to_string()), value: Set(fresh) })
        .on_conflict(OnConflict::column(setting::Column::Key).do_nothing().to_owned())
        .exec_without_returning(&*tx)
        .await?;
    tx.commit_private().await?;
    let stored = setting::Entity::find_by_id(KEY.to_string())
        .one(db.conn())
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the preview key is missing")))?;
    URL_SAFE_NO_PAD.decode(stored.value).map_err(|e| ApiError::Internal(e.into()))
}

fn mac(key: &[u8], payload: &str) -> ApiResult<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    mac.update(payload.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

pub async fn create(
    db: &Db,
    id: Uuid,
    ttl: Option<Duration>,
) -> ApiResult<(String, DateTime<Utc>)> {
    let ttl = ttl.unwrap_or(DEFAULT_TTL);
    if ttl <= Duration::zero() || ttl > MAX_TTL {
        return Err(ApiError::bad_input("expiresInSeconds", "between 1 second and 30 days"));
    }
    let expires_at = now() + ttl;
    // Whole seconds, rounded up: a token lasts at least as long as asked.
    let exp = expires_at.timestamp() + i64::from(expires_at.timestamp_subsec_nanos() > 0);
    let claims =
        serde_json::to_vec(&Claims { id, exp }).map_err(|e| ApiError::Internal(e.into()))?;
    let payload = URL_SAFE_NO_PAD.encode(claims);
    let signature = URL_SAFE_NO_PAD.encode(mac(&signing_key(db).await?, &payload)?);
    Ok((format!("{payload}.{signature}"), expires_at))
}

/// The item a token opens, if the token is genuine and has not expired.
pub async fn verify(db: &Db, token: &str) -> ApiResult<Uuid> {
    let invalid = || ApiError::bad_input("token", "this preview token is invalid or has expired");
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
    Ok(claims.id)
}
