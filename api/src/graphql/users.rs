//! People: signing in and out, `me`, and user management for admins.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use quire_entity::user;

use super::types::role::Role;
use super::{context, ids};
use quire_core::users::{self, NewUser, UserChanges};

const NAME: &str = "User";

/// A person who signs in.
pub struct User(pub user::Model);

/// A person who signs in.
#[Object]
impl User {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(NAME, self.0.id)
    }

    /// Their email address, which they sign in with.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// The name shown in revisions and the audit log.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// What they may do.
    async fn role(&self) -> Role {
        Role::of(self.0.role)
    }

    /// False once deactivated: they can no longer sign in.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// When the account was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A signed-in session.
#[derive(SimpleObject)]
pub struct Session {
    /// Send it as `Authorization: Bearer <token>`. Quire keeps only its hash.
    token: String,
    /// When the session ends.
    expires_at: DateTime<Utc>,
    /// Who signed in.
    user: User,
}

/// A new user.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// They sign in with it; stored lowercase.
    email: String,
    /// At least 10 characters.
    #[graphql(secret)]
    password: String,
    /// What they may do.
    role: Role,
    /// The name shown to others; the email when left out.
    display_name: Option<String>,
}

/// Changes to a user: only the fields given change.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// The name shown to others.
    display_name: Option<String>,
    /// What they may do.
    role: Option<Role>,
    /// A new password (at least 10 characters); ends the user's sessions.
    #[graphql(secret)]
    password: Option<String>,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; null for API tokens and the public.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(users::me(context::db(ctx)?, &context::actor(ctx)?).await?.map(User))
    }

    /// Every user, by email (admins only).
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        let actor = context::actor(ctx)?;
        Ok(users::list(context::db(ctx)?, &actor).await?.into_iter().map(User).collect())
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Signs in. Wrong email and wrong password get the same answer. Attempts are limited
    /// (RATE_LIMITED) per account from one client address and per client address, so
    /// failing at someone's account on purpose does not lock them out elsewhere; many
    /// addresses at one account are slowed down.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email address the account signs in with.")] email: String,
        #[graphql(secret, desc = "The account's password.")] password: String,
    ) -> async_graphql::Result<Session> {
        let settings = context::sign_in(ctx)?;
        let ip = context::request(ctx)?.client_ip;
        let signed_in = users::login(
            context::db(ctx)?,
            &settings.limiter,
            &email,
            &password,
            ip,
            settings.session_ttl,
        )
        .await?;
        Ok(Session {
            token: signed_in.token,
            expires_at: signed_in.expires_at,
            user: User(signed_in.user),
        })
    }

    /// Ends the current session; false when the caller has none.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(users::logout(context::db(ctx)?, &context::actor(ctx)?).await?)
    }

    /// Changes the signed-in person's own password, given their current one; their other
    /// sessions end, this one stays. Each try counts as a sign-in attempt at the account
    /// (`RATE_LIMITED` past the limit).
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret, desc = "The password they sign in with now.")] current_password: String,
        #[graphql(secret, desc = "The new password: 10 to 200 characters.")] new_password: String,
    ) -> async_graphql::Result<bool> {
        let (db, actor) = (context::db(ctx)?, context::actor(ctx)?);
        let (limiter, address) =
            (&context::sign_in(ctx)?.limiter, context::request(ctx)?.client_ip);
        let changed =
            users::change_password(db, &actor, limiter, address, &current_password, new_password);
        Ok(changed.await?)
    }

    /// Creates a user (admins only).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new user's email, password, role and name.")] input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let new = NewUser {
            email: input.email,
            password: input.password,
            role: input.role.into(),
            display_name: input.display_name,
        };
        Ok(User(users::create(context::db(ctx)?, &context::actor(ctx)?, new).await?))
    }

    /// Changes a user (admins only).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: ID,
        #[graphql(desc = "The fields to change; those left out stay as they are.")]
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let id = ids::expect(&id, NAME, "id", "user")?;
        let changes = UserChanges {
            display_name: input.display_name,
            role: input.role.map(Into::into),
            password: input.password,
        };
        Ok(User(users::update(context::db(ctx)?, &context::actor(ctx)?, id, changes).await?))
    }

    /// Deactivates a user and ends their sessions (admins only).
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: ID,
    ) -> async_graphql::Result<User> {
        let id = ids::expect(&id, NAME, "id", "user")?;
        Ok(User(users::deactivate(context::db(ctx)?, &context::actor(ctx)?, id).await?))
    }
}
