//! Who is calling: the HTTP layer turns `Authorization: Bearer …` into an [`Actor`] once per
//! request; resolvers ask the actor for the right they need.

use async_graphql::Enum;
use http::HeaderMap;
use quire_entity::api_token;
use uuid::Uuid;

use crate::content::Viewer;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::tokens;

/// What a token or user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Role {
    /// Everything, including API tokens.
    Admin,
    /// All content: create, edit, publish, delete.
    Editor,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
        }
    }
}

impl From<api_token::Role> for Role {
    fn from(role: api_token::Role) -> Self {
        match role {
            api_token::Role::Admin => Role::Admin,
            api_token::Role::Editor => Role::Editor,
        }
    }
}

impl From<Role> for api_token::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => api_token::Role::Admin,
            Role::Editor => api_token::Role::Editor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// No credentials: reads published content only.
    Public,
    /// A caller holding an API token.
    Token { id: Uuid, role: Role },
}

impl Actor {
    /// Which content this actor may read.
    pub fn viewer(&self) -> Viewer {
        match self {
            Actor::Public => Viewer::Public,
            Actor::Token { .. } => Viewer::Staff,
        }
    }

    pub fn require_editor(&self) -> ApiResult<()> {
        match self {
            Actor::Public => Err(ApiError::Unauthenticated("a token is required")),
            Actor::Token { .. } => Ok(()),
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        match self {
            Actor::Public => Err(ApiError::Unauthenticated("a token is required")),
            Actor::Token {
                role: Role::Admin, ..
            } => Ok(()),
            Actor::Token { .. } => Err(ApiError::Forbidden("this needs an admin token")),
        }
    }
}

/// Reads the bearer token, if any. A token that is malformed, unknown or revoked is an
/// error rather than a silent downgrade to the public, so a client notices at once.
pub async fn authenticate(db: &Db, headers: &HeaderMap) -> ApiResult<Actor> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(Actor::Public);
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    match tokens::find_active(db, secret).await? {
        Some(token) => Ok(Actor::Token {
            id: token.id,
            role: token.role.into(),
        }),
        None => Err(ApiError::Unauthenticated("the token is invalid or revoked")),
    }
}
