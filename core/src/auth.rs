//! Who is calling: the HTTP layer turns `Authorization: Bearer …` into an [`Actor`] once per
//! request, from a session or an API token; services ask the actor for the right they need.

use http::HeaderMap;

pub use crate::actor::{Actor, Role};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::{tokens, users};

/// Reads the bearer token, if any. A token that is malformed, unknown, expired or revoked
/// is an error rather than a silent downgrade to the public, so a client notices at once.
/// The caller named by an `Authorization` value (`Bearer …`), as sent over a WebSocket.
pub async fn authenticate_value(db: &Db, value: &str) -> ApiResult<Actor> {
    let mut headers = HeaderMap::new();
    let value = http::HeaderValue::from_str(value)
        .map_err(|_| ApiError::Unauthenticated("the Authorization value is not valid"))?;
    headers.insert(http::header::AUTHORIZATION, value);
    authenticate(db, &headers).await
}

pub async fn authenticate(db: &Db, headers: &HeaderMap) -> ApiResult<Actor> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(Actor::Public);
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`"))?;
    if let Some(actor) = users::actor_for_session(db, secret).await? {
        return Ok(actor);
    }
    match tokens::find_active(db, secret).await? {
        Some(token) => Ok(Actor::Token { id: token.id, role: token.role.into(), name: token.name }),
        None => Err(ApiError::Unauthenticated("the token is invalid, expired or revoked")),
    }
}
