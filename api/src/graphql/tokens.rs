//! API tokens over GraphQL, for admins.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use quire_entity::api_token;

use super::types::role::Role;
use super::{context, ids};
use quire_core::tokens;

const NAME: &str = "ApiToken";

/// A token that lets a program call the API with a role.
pub struct ApiToken(api_token::Model);

/// A token that lets a program call the API with a role.
#[Object]
impl ApiToken {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(NAME, self.0.id)
    }

    /// What the token is for, such as "website build".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the token may do.
    async fn role(&self) -> Role {
        Role::of(self.0.role)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was last used (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When it was revoked; a revoked token no longer works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new token and its secret, which is shown only this once.
#[derive(SimpleObject)]
pub struct ApiTokenSecret {
    /// Send it as `Authorization: Bearer <token>`. Quire keeps only its hash.
    token: String,
    /// The token's details.
    api_token: ApiToken,
}

#[derive(Default)]
pub struct TokenQuery;

#[Object]
impl TokenQuery {
    /// Every API token, oldest first (admins only).
    async fn api_tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiToken>> {
        let actor = context::actor(ctx)?;
        Ok(tokens::list(context::db(ctx)?, &actor).await?.into_iter().map(ApiToken).collect())
    }
}

#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// Creates an API token (admins only). The secret is in the answer and nowhere else.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the token is for, such as \"website build\".")] name: String,
        #[graphql(desc = "What the token may do: ADMIN or EDITOR.")] role: Role,
    ) -> async_graphql::Result<ApiTokenSecret> {
        let actor = context::actor(ctx)?;
        let created = tokens::create(context::db(ctx)?, &actor, &name, role.into()).await?;
        Ok(ApiTokenSecret { token: created.secret, api_token: ApiToken(created.token) })
    }

    /// Revokes an API token (admins only); it stops working at once.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's id.")] id: ID,
    ) -> async_graphql::Result<ApiToken> {
        let actor = context::actor(ctx)?;
        let uuid = ids::expect(&id, NAME, "id", "API token")?;
        Ok(ApiToken(tokens::revoke(context::db(ctx)?, &actor, uuid).await?))
    }
}
