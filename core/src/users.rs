//! People: accounts with argon2id password hashes, sign-in sessions, and limits on
//! sign-in attempts that nobody can use to lock an account out.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration as StdDuration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use quire_entity::{session, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::actor::{Actor, Role};
use crate::audit::{self, Subject};
use crate::client_key::ClientKey;
use crate::clock::now;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

mod passwords;

const SESSION_PREFIX: &str = "qsess_";
const SUBJECT: &str = "User";

/// Limits on sign-in attempts, per minute. A limit per account alone would let anyone
/// lock the owner out by failing at their email on purpose, so refusals are per client:
/// - one account from one client (an IPv6 client is its /64) is refused past its limit,
///   which stops a guesser there without touching the owner signing in elsewhere;
/// - one client across accounts is refused past its limit, so nobody sprays passwords;
/// - one account from every client together has a generous budget, past which each
///   attempt is held back a little before it is checked: a guesser spread over many
///   addresses pays in time, and the owner still gets in.
pub struct LoginLimiter {
    by_account_and_client: DefaultKeyedRateLimiter<(String, Option<ClientKey>)>,
    by_client: DefaultKeyedRateLimiter<ClientKey>,
    by_account: DefaultKeyedRateLimiter<String>,
}

/// The longest an attempt is held back when its account is over its budget.
pub const MAX_SIGN_IN_SLOWDOWN: StdDuration = StdDuration::from_secs(2);

const TOO_MANY: &str = "too many sign-in attempts: wait a minute and try again";

impl LoginLimiter {
    pub fn new(
        per_account_and_client_per_minute: u32,
        per_client_per_minute: u32,
        per_account_per_minute: u32,
    ) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            by_account_and_client: RateLimiter::keyed(quota(per_account_and_client_per_minute)),
            by_client: RateLimiter::keyed(quota(per_client_per_minute)),
            by_account: RateLimiter::keyed(quota(per_account_per_minute)),
        }
    }

    /// Refuses the attempt, or holds it back as long as [`LoginLimiter::check`] says.
    async fn admit(&self, email: &str, address: Option<IpAddr>) -> ApiResult<()> {
        let hold_back = self.check(email, address)?;
        if !hold_back.is_zero() {
            tokio::time::sleep(hold_back).await;
        }
        Ok(())
    }

    /// Refuses the attempt, or says how long to hold it back first. An attempt refused
    /// by one limit is not counted by the next, so refused tries cost the owner nothing.
    fn check(&self, email: &str, address: Option<IpAddr>) -> ApiResult<StdDuration> {
        // Keys whose limit has fully recovered carry no information: drop them now and then.
        if self.by_account_and_client.len() > 10_000
            || self.by_client.len() > 10_000
            || self.by_account.len() > 10_000
        {
            self.by_account_and_client.retain_recent();
            self.by_client.retain_recent();
            self.by_account.retain_recent();
        }
        let client = address.map(ClientKey::of);
        if client.is_some_and(|c| self.by_client.check_key(&c).is_err()) {
            return Err(ApiError::RateLimited(TOO_MANY));
        }
        if self.by_account_and_client.check_key(&(email.to_string(), client)).is_err() {
            return Err(ApiError::RateLimited(TOO_MANY));
        }
        match self.by_account.check_key(&email.to_string()) {
            Ok(()) => Ok(StdDuration::ZERO),
            Err(busy) => {
                let wait = busy.wait_time_from(self.by_account.clock().now());
                tracing::debug!(email, "sign-in attempts at one account past its budget: slowed");
                Ok(wait.clamp(StdDuration::from_millis(100), MAX_SIGN_IN_SLOWDOWN))
            }
        }
    }
}

pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub display_name: Option<String>,
}

#[derive(Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<String>,
}

pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

fn normalise_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ApiError::bad_input("email", "this is not an email address"))
    }
}

fn check_password(password: &str) -> ApiResult<()> {
    if (10..=200).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::bad_input("password", "a password is 10 to 200 characters"))
    }
}

async fn hash_password(password: String) -> ApiResult<String> {
    check_password(&password)?;
    passwords::hash(password).await
}

/// Checked against when the email is unknown, so that the answer takes as long either way.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn create(db: &Db, actor: &Actor, new: NewUser) -> ApiResult<user::Model> {
    actor.require_admin()?;
    let email = normalise_email(&new.email)?;
    let display_name = new.display_name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let display_name = display_name.unwrap_or_else(|| email.clone());
    if display_name.chars().count() > 200 {
        return Err(ApiError::bad_input("displayName", "at most 200 characters"));
    }
    let password_hash = hash_password(new.password).await?;
    let tx = db.write().await?;
    if user::Entity::find().filter(user::Column::Email.eq(&email)).one(&*tx).await?.is_some() {
        return Err(ApiError::bad_input("email", "a user with this email already exists"));
    }
    let now = now();
    let created = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        password_hash: Set(password_hash),
        role: Set(new.role.into()),
        display_name: Set(display_name),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await
    .map_err(|e| ApiError::from_db_unique(e, &[("users_email", "users.email", "email")]))?;
    audit::record(
        &*tx,
        actor,
        "user.create",
        Some(Subject { type_name: SUBJECT, id: created.id }),
        Some(new.role.name().into()),
    )
    .await?;
    tx.commit_private().await?;
    Ok(created)
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: UserChanges,
) -> ApiResult<user::Model> {
    actor.require_admin()?;
    let password_hash = match changes.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let tx = db.write().await?;
    let current =
        user::Entity::find_by_id(id).one(&*tx).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let mut next = current.into_active_model();
    if let Some(name) = changes.display_name {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::bad_input(
                "displayName",
                "a display name is 1 to 200 characters",
            ));
        }
        next.display_name = Set(name);
    }
    if let Some(role) = changes.role {
        next.role = Set(role.into());
    }
    let password_changed = password_hash.is_some();
    if let Some(hash) = password_hash {
        next.password_hash = Set(hash);
    }
    next.updated_at = Set(now());
    let updated = next.update(&*tx).await?;
    if password_changed {
        end_sessions(&*tx, id).await?;
    }
    audit::record(&*tx, actor, "user.update", Some(Subject { type_name: SUBJECT, id }), None)
        .await?;
    tx.commit_private().await?;
    Ok(updated)
}

/// A signed-in person changes their own password, giving the current one. Their other
/// sessions end; the one they are using stays. Each try is a guess at the password, so it
/// counts as a sign-in attempt at the account from `address` (see [`LoginLimiter`]):
/// a stolen session cannot be used to guess the password faster than signing in could.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    limiter: &LoginLimiter,
    address: Option<IpAddr>,
    current_password: &str,
    new_password: String,
) -> ApiResult<bool> {
    actor.require_staff()?;
    let Actor::User { id, session_id, .. } = actor else {
        return Err(ApiError::Forbidden("only a signed-in person has a password"));
    };
    let wrong = || ApiError::bad_input("currentPassword", "this is not your current password");
    if current_password.len() > 1024 {
        return Err(wrong());
    }
    let user = find(db, *id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    limiter.admit(&user.email, address).await?;
    if !passwords::verify(user.password_hash.clone(), current_password.to_string()).await? {
        return Err(wrong());
    }
    check_password(&new_password)
        .map_err(|_| ApiError::bad_input("newPassword", "a password is 10 to 200 characters"))?;
    let hash = passwords::hash(new_password).await?;
    let tx = db.write().await?;
    let mut next = user.into_active_model();
    next.password_hash = Set(hash);
    next.updated_at = Set(now());
    next.update(&*tx).await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, sea_orm::prelude::Expr::value(now()))
        .filter(session::Column::UserId.eq(*id))
        .filter(session::Column::Id.ne(*session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&*tx)
        .await?;
    audit::record(
        &*tx,
        actor,
        "user.password",
        Some(Subject { type_name: SUBJECT, id: *id }),
        None,
    )
    .await?;
    tx.commit_private().await?;
    Ok(true)
}

/// Deactivates a user and ends all their sessions.
pub async fn deactivate(db: &Db, actor: &Actor, id: Uuid) -> ApiResult<user::Model> {
    actor.require_admin()?;
    if actor.user_id() == Some(id) {
        return Err(ApiError::bad_input("id", "you cannot deactivate yourself"));
    }
    let tx = db.write().await?;
    let current =
        user::Entity::find_by_id(id).one(&*tx).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let mut next = current.into_active_model();
    next.active = Set(false);
    next.updated_at = Set(now());
    let updated = next.update(&*tx).await?;
    end_sessions(&*tx, id).await?;
    audit::record(&*tx, actor, "user.deactivate", Some(Subject { type_name: SUBJECT, id }), None)
        .await?;
    tx.commit_private().await?;
    Ok(updated)
}

async fn end_sessions(conn: &impl ConnectionTrait, user_id: Uuid) -> ApiResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, sea_orm::prelude::Expr::value(now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn list(db: &Db, actor: &Actor) -> ApiResult<Vec<user::Model>> {
    actor.require_admin()?;
    Ok(user::Entity::find().order_by_asc(user::Column::Email).all(db.conn()).await?)
}

pub async fn find(db: &Db, id: Uuid) -> ApiResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db.conn()).await?)
}

/// The signed-in person acting; none for API tokens, the public and Quire itself.
pub async fn me(db: &Db, actor: &Actor) -> ApiResult<Option<user::Model>> {
    let Some(id) = actor.user_id() else { return Ok(None) };
    find(db, id).await
}

/// Signs in. A wrong password, an unknown email and a deactivated account all get the
/// same answer, after the same amount of work.
pub async fn login(
    db: &Db,
    limiter: &LoginLimiter,
    email: &str,
    password: &str,
    address: Option<IpAddr>,
    session_ttl: Duration,
) -> ApiResult<SignedIn> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || password.len() > 1024 {
        return Err(ApiError::Unauthenticated("wrong email or password"));
    }
    limiter.admit(&email, address).await?;
    let found = user::Entity::find().filter(user::Column::Email.eq(&email)).one(db.conn()).await?;
    let hash = match &found {
        Some(user) => user.password_hash.clone(),
        None => {
            let dummy = "not a real password, never matches".to_string();
            DUMMY_HASH.get_or_try_init(|| passwords::hash(dummy)).await?.clone()
        }
    };
    let matches = passwords::verify(hash, password.to_string()).await?;
    let verified = matches && found.as_ref().is_some_and(|user| user.active);
    let tx = db.write().await?;
    let Some(user) = found.filter(|_| verified) else {
        audit::record(&*tx, &Actor::Public, "login.failed", None, Some(email.clone())).await?;
        tx.commit_private().await?;
        return Err(ApiError::Unauthenticated("wrong email or password"));
    };
    let secret = format!("{SESSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
    let now = now();
    let expires_at = now + session_ttl;
    let session = session::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        token_hash: Set(token_hash(&secret)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    let actor = Actor::User {
        id: user.id,
        role: user.role.into(),
        name: user.display_name.clone(),
        session_id: session.id,
    };
    audit::record(&*tx, &actor, "login", Some(Subject { type_name: SUBJECT, id: user.id }), None)
        .await?;
    tx.commit_private().await?;
    Ok(SignedIn { token: secret, expires_at, user })
}

/// Ends the caller's session. Returns false when the caller has no session.
pub async fn logout(db: &Db, actor: &Actor) -> ApiResult<bool> {
    let Actor::User { session_id, id, .. } = actor else { return Ok(false) };
    let tx = db.write().await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, sea_orm::prelude::Expr::value(now()))
        .filter(session::Column::Id.eq(*session_id))
        .exec(&*tx)
        .await?;
    audit::record(&*tx, actor, "logout", Some(Subject { type_name: SUBJECT, id: *id }), None)
        .await?;
    tx.commit_private().await?;
    Ok(true)
}

/// The signed-in user behind a session token; `None` when the secret is not a session
/// token at all, an error when it is one but no longer valid.
pub async fn actor_for_session(db: &Db, secret: &str) -> ApiResult<Option<Actor>> {
    if !secret.starts_with(SESSION_PREFIX) {
        return Ok(None);
    }
    let invalid = || ApiError::Unauthenticated("the session has ended: sign in again");
    let session = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(secret)))
        .one(db.conn())
        .await?
        .filter(|s| s.revoked_at.is_none() && s.expires_at > now())
        .ok_or_else(invalid)?;
    let user = user::Entity::find_by_id(session.user_id)
        .one(db.conn())
        .await?
        .filter(|u| u.active)
        .ok_or_else(invalid)?;
    Ok(Some(Actor::User {
        id: user.id,
        role: user.role.into(),
        name: user.display_name,
        session_id: session.id,
    }))
}

/// `quire user create`: the first admin has no one to create them.
pub async fn create_first(db: &Db, new: NewUser) -> ApiResult<user::Model> {
    create(db, &Actor::System, new).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            normalise_email(" Head@School.ORG.uk ").ok().as_deref(),
            Some("head@school.org.uk")
        );
        for bad in ["", "no-at", "a@b", "a@.b", "a b@c.d", "@c.d"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_10_to_200_characters() {
        assert!(check_password("correct horse battery").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(201)).is_err());
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("an address"))
    }

    fn code(result: ApiResult<StdDuration>) -> Option<&'static str> {
        result.err().map(|e| e.code())
    }

    #[test]
    fn the_limiter_stops_the_sixth_try() {
        let limiter = LoginLimiter::new(5, 100, 100);
        for _ in 0..5 {
            assert_eq!(limiter.check("a@b.c", None).ok(), Some(StdDuration::ZERO));
        }
        assert_eq!(code(limiter.check("a@b.c", None)), Some("RATE_LIMITED"));
        assert!(limiter.check("other@b.c", None).is_ok());
    }

    #[test]
    fn a_guesser_does_not_lock_the_owner_out() {
        let limiter = LoginLimiter::new(5, 100, 100);
        for _ in 0..5 {
            assert!(limiter.check("a@b.c", ip("203.0.113.9")).is_ok());
        }
        for _ in 0..20 {
            assert_eq!(code(limiter.check("a@b.c", ip("203.0.113.9"))), Some("RATE_LIMITED"));
        }
        assert_eq!(limiter.check("a@b.c", ip("198.51.100.7")).ok(), Some(StdDuration::ZERO));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64() {
        let limiter = LoginLimiter::new(3, 5, 100);
        for i in 1..=3 {
            assert!(limiter.check("a@b.c", ip(&format!("2001:db8:1:2::{i}"))).is_ok());
        }
        let rotated = limiter.check("a@b.c", ip("2001:db8:1:2:ffff::4"));
        assert_eq!(code(rotated), Some("RATE_LIMITED"), "one account from one /64");
        // Four tries so far from this /64, the refused one included; the fifth is its last.
        assert!(limiter.check("other@b.c", ip("2001:db8:1:2::5")).is_ok());
        let sprayed = limiter.check("fresh@b.c", ip("2001:db8:1:2::6"));
        assert_eq!(code(sprayed), Some("RATE_LIMITED"), "one /64 across accounts");
        assert!(limiter.check("a@b.c", ip("2001:db8:1:3::1")).is_ok(), "the next /64 is not held");
    }

    #[test]
    fn an_account_past_its_budget_is_slowed_never_refused() {
        let limiter = LoginLimiter::new(5, 100, 3);
        for i in 0..3 {
            let wait = limiter.check("a@b.c", ip(&format!("203.0.113.{i}")));
            assert_eq!(wait.ok(), Some(StdDuration::ZERO));
        }
        for i in 3..10 {
            let wait = limiter.check("a@b.c", ip(&format!("203.0.113.{i}"))).expect("not refused");
            assert!(wait > StdDuration::ZERO && wait <= MAX_SIGN_IN_SLOWDOWN, "{wait:?}");
        }
    }
}
