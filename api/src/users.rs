//! People: accounts with argon2id password hashes, sign-in sessions, and a rate limit on
//! sign-in attempts per account and per address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::LazyLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use quire_entity::{session, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, Subject};
use crate::auth::{Actor, Role};
use crate::content::now;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

const SESSION_PREFIX: &str = "qsess_";
const SUBJECT: &str = "User";

/// Sign-in attempts allowed per minute for one email address, and for one client address.
pub struct LoginLimiter {
    by_email: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    pub fn new(per_email_per_minute: u32, per_address_per_minute: u32) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            by_email: RateLimiter::keyed(quota(per_email_per_minute)),
            by_address: RateLimiter::keyed(quota(per_address_per_minute)),
        }
    }

    fn check(&self, email: &str, address: Option<IpAddr>) -> ApiResult<()> {
        // Keys whose limit has fully recovered carry no information: drop them now and then.
        if self.by_email.len() > 10_000 || self.by_address.len() > 10_000 {
            self.by_email.retain_recent();
            self.by_address.retain_recent();
        }
        let address_ok = address.is_none_or(|ip| self.by_address.check_key(&ip).is_ok());
        let email_ok = self.by_email.check_key(&email.to_string()).is_ok();
        if address_ok && email_ok {
            Ok(())
        } else {
            Err(ApiError::RateLimited("too many sign-in attempts: wait a minute and try again"))
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

fn hash_password(password: &str) -> ApiResult<String> {
    let length = password.chars().count();
    if !(10..=200).contains(&length) {
        return Err(ApiError::bad_input("password", "a password is 10 to 200 characters"));
    }
    let hash: Result<PasswordHash, _> = Argon2::default().hash_password(password.as_bytes());
    hash.map(|hash| hash.to_string())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// Runs deliberately slow password work on a blocking thread, off the async workers that
/// serve every other request.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(e.into()))
}

async fn hash_password_blocking(password: String) -> ApiResult<String> {
    off_the_runtime(move || hash_password(&password)).await?
}

/// Checked against when the email is unknown, so that the answer takes as long either way.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password, never matches").unwrap_or_default());

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
    let password_hash = hash_password_blocking(new.password).await?;
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
        Some(password) => Some(hash_password_blocking(password).await?),
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
    limiter.check(&email, address)?;
    let found = user::Entity::find().filter(user::Column::Email.eq(&email)).one(db.conn()).await?;
    let hash = found.as_ref().map(|user| user.password_hash.clone());
    let password = password.to_string();
    let matches = off_the_runtime(move || match hash {
        Some(hash) => verify_password(&hash, &password),
        None => {
            verify_password(&DUMMY_HASH, &password);
            false
        }
    })
    .await?;
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
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "wrong horse battery"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn the_limiter_stops_the_sixth_try() {
        let limiter = LoginLimiter::new(5, 100);
        for _ in 0..5 {
            assert!(limiter.check("a@b.c", None).is_ok());
        }
        assert_eq!(limiter.check("a@b.c", None).err().map(|e| e.code()), Some("RATE_LIMITED"));
        assert!(limiter.check("other@b.c", None).is_ok());
    }
}
