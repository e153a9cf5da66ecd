//! The newsletter: a double opt-in sign-up (a confirmation mail with a link and a token),
//! confirmation and unsubscribing by emailed tokens, and the admins' list and export.
//!
//! The public never learns whether an address is subscribed: signing up answers the same
//! for a new, a pending and a confirmed address, and the mail goes out from a background
//! worker so its latency never shows in the answer. Tokens are random and stored only as
//! SHA-256 hashes.

pub mod mail;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use email_address::{EmailAddress, Options};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use quire_entity::newsletter_subscriber::{self, Status};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit;
use crate::client_key::ClientKey;
use crate::clock::now;
use crate::config::NewsletterConfig;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Forward, Page};
use mail::{Confirmation, MailWorker, Mailer};

/// What the sign-up needs beyond the database: its limits and the mail queue.
pub struct Newsletter {
    limiter: SignupLimiter,
    mailer: Mailer,
    confirm_ttl: Duration,
}

/// The newsletter's settings, and the worker that sends its mail (run it beside the server).
pub fn setup(
    config: &NewsletterConfig,
    public_url: Option<&str>,
    data_dir: &Path,
) -> anyhow::Result<(Newsletter, MailWorker)> {
    // At most a year: a larger number would overflow the expiry time.
    let confirm_ttl = Duration::hours(config.newsletter_confirm_ttl_hours.clamp(1, 24 * 366));
    let (mailer, worker) = mail::setup(config, public_url, data_dir, confirm_ttl)?;
    let limiter = SignupLimiter::new(
        config.newsletter_signups_per_email_per_hour,
        config.newsletter_signups_per_address_per_hour,
    );
    Ok((Newsletter { limiter, mailer, confirm_ttl }, worker))
}

/// Sign-ups allowed per hour for one email address (so nobody can flood someone's inbox
/// with confirmation mail) and from one client address.
struct SignupLimiter {
    by_email: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<ClientKey>,
}

const RATE_LIMITED: &str = "too many sign-ups: wait a while and try again";

impl SignupLimiter {
    fn new(per_email_per_hour: u32, per_address_per_hour: u32) -> Self {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        SignupLimiter {
            by_email: RateLimiter::keyed(quota(per_email_per_hour)),
            by_address: RateLimiter::keyed(quota(per_address_per_hour)),
        }
    }

    fn forget_recovered(&self) {
        if self.by_email.len() > 10_000 || self.by_address.len() > 10_000 {
            self.by_email.retain_recent();
            self.by_address.retain_recent();
        }
    }

    fn check_address(&self, address: Option<IpAddr>) -> ApiResult<()> {
        self.forget_recovered();
        match address {
            Some(ip) if self.by_address.check_key(&ClientKey::of(ip)).is_err() => {
                Err(ApiError::RateLimited(RATE_LIMITED))
            }
            _ => Ok(()),
        }
    }

    fn check_email(&self, email: &str) -> ApiResult<()> {
        match self.by_email.check_key(&email.to_string()) {
            Ok(()) => Ok(()),
            Err(_) => Err(ApiError::RateLimited(RATE_LIMITED)),
        }
    }
}

/// The address trimmed and lowercased, if it is one mail can be sent to: no display name,
/// no IP literal, a domain with a dot.
fn normalise_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let options = Options::default().with_required_tld().without_display_text();
    let valid = email.len() <= 254
        && EmailAddress::parse_with_options(&email, options.without_domain_literal()).is_ok()
        && email.parse::<lettre::Address>().is_ok();
    if valid {
        Ok(email)
    } else {
        Err(ApiError::bad_input("email", "this is not an email address"))
    }
}

fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Tokens are 43 URL-safe characters; anything else is not worth a database look-up.
fn plausible(token: &str) -> bool {
    (20..=100).contains(&token.len())
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Signs `email` up, or renews a pending sign-up with fresh tokens, and queues the
/// confirmation mail. A confirmed address is left as it is and gets no mail. The caller
/// learns nothing either way.
pub async fn subscribe(
    db: &Db,
    newsletter: &Newsletter,
    email: &str,
    client: Option<IpAddr>,
) -> ApiResult<()> {
    newsletter.limiter.check_address(client)?;
    let email = normalise_email(email)?;
    newsletter.limiter.check_email(&email)?;
    let confirm = new_token();
    let unsubscribe = new_token();
    let now = now();
    let expires = now + newsletter.confirm_ttl;
    let tx = db.write().await?;
    let existing = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::Email.eq(&email))
        .one(&*tx)
        .await?;
    match existing {
        Some(subscriber) if subscriber.status == Status::Confirmed => return Ok(()),
        Some(subscriber) => {
            let mut next = subscriber.into_active_model();
            next.status = Set(Status::Pending);
            next.confirm_token_hash = Set(Some(hash(&confirm)));
            next.confirm_expires_at = Set(Some(expires));
            next.unsubscribe_token_hash = Set(hash(&unsubscribe));
            next.updated_at = Set(now);
            next.confirmed_at = Set(None);
            next.unsubscribed_at = Set(None);
            next.update(&*tx).await?;
        }
        None => {
            let inserted = newsletter_subscriber::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email.clone()),
                status: Set(Status::Pending),
                confirm_token_hash: Set(Some(hash(&confirm))),
                confirm_expires_at: Set(Some(expires)),
                unsubscribe_token_hash: Set(hash(&unsubscribe)),
                created_at: Set(now),
                updated_at: Set(now),
                confirmed_at: Set(None),
                unsubscribed_at: Set(None),
            }
            .insert(&*tx)
            .await;
            match inserted {
                Ok(_) => {}
                // The same address signed up at the same moment: that request sends the mail.
                Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    return Ok(());
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
    tx.commit_private().await?;
    newsletter.mailer.send(Confirmation { to: email, confirm, unsubscribe });
    Ok(())
}

/// Confirms the pending sign-up that `token` was mailed for. A token works once, and only
/// until it expires.
pub async fn confirm(db: &Db, token: &str) -> ApiResult<()> {
    let unknown =
        || ApiError::NotFound("this confirmation token is unknown, used or expired".into());
    if !plausible(token) {
        return Err(unknown());
    }
    let now = now();
    let tx = db.write().await?;
    let subscriber = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::ConfirmTokenHash.eq(hash(token)))
        .filter(newsletter_subscriber::Column::Status.eq(Status::Pending))
        .one(&*tx)
        .await?
        .filter(|s| s.confirm_expires_at.is_some_and(|at| at > now))
        .ok_or_else(unknown)?;
    let mut next = subscriber.into_active_model();
    next.status = Set(Status::Confirmed);
    next.confirmed_at = Set(Some(now));
    next.confirm_token_hash = Set(None);
    next.confirm_expires_at = Set(None);
    next.updated_at = Set(now);
    next.update(&*tx).await?;
    tx.commit_private().await?;
    Ok(())
}

/// Unsubscribes the address that `token` was mailed to, pending or confirmed. Doing it
/// again with the same token is harmless; a new sign-up makes new tokens.
pub async fn unsubscribe(db: &Db, token: &str) -> ApiResult<()> {
    let unknown = || ApiError::NotFound("this unsubscribe token is unknown".into());
    if !plausible(token) {
        return Err(unknown());
    }
    let tx = db.write().await?;
    let subscriber = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::UnsubscribeTokenHash.eq(hash(token)))
        .one(&*tx)
        .await?
        .ok_or_else(unknown)?;
    if subscriber.status != Status::Unsubscribed {
        let now = now();
        let mut next = subscriber.into_active_model();
        next.status = Set(Status::Unsubscribed);
        next.unsubscribed_at = Set(Some(now));
        next.confirm_token_hash = Set(None);
        next.confirm_expires_at = Set(None);
        next.updated_at = Set(now);
        next.update(&*tx).await?;
    }
    tx.commit_private().await?;
    Ok(())
}

/// Subscribers newest first (admins only). Ids are UUID v7, so they sort by sign-up time
/// and serve as the cursor.
pub async fn subscribers(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    status: Option<Status>,
    page: Forward,
) -> ApiResult<Page<newsletter_subscriber::Model>> {
    actor.require_admin()?;
    let window = page.check::<Uuid>()?;
    let mut query = newsletter_subscriber::Entity::find();
    if let Some(status) = status {
        query = query.filter(newsletter_subscriber::Column::Status.eq(status));
    }
    if let Some(before) = window.cursor {
        query = query.filter(newsletter_subscriber::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(newsletter_subscriber::Column::Id)
        .limit(window.fetch())
        .all(conn)
        .await?;
    Ok(window.page(rows, |s| s.id))
}

/// Every confirmed subscriber, oldest confirmation first, for an admin's export. The
/// export is written to the audit log: it hands out personal data.
pub async fn export(db: &Db, actor: &Actor) -> ApiResult<Vec<newsletter_subscriber::Model>> {
    actor.require_admin()?;
    let rows = newsletter_subscriber::Entity::find()
        .filter(newsletter_subscriber::Column::Status.eq(Status::Confirmed))
        .order_by_asc(newsletter_subscriber::Column::ConfirmedAt)
        .order_by_asc(newsletter_subscriber::Column::Id)
        .all(db.conn())
        .await?;
    let tx = db.write().await?;
    let detail = format!("{} confirmed subscribers", rows.len());
    audit::record(&*tx, actor, "newsletter.export", None, Some(detail)).await?;
    tx.commit_private().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_normalised() {
        assert_eq!(
            normalise_email("  Head@School.ORG.uk ").ok().as_deref(),
            Some("head@school.org.uk")
        );
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@.b.c",
            "a b@c.d",
            "@c.d",
            "x@[127.0.0.1]",
            "Ann <ann@example.org>",
            "a@b.c\r\nBcc: x@y.z",
            &format!("{}@example.org", "a".repeat(250)),
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(plausible(&a));
        assert_eq!(hash(&a).len(), 64);
        assert!(!plausible("short"));
        assert!(!plausible(&"é".repeat(30)));
    }

    #[test]
    fn the_limiter_counts_per_email_and_per_address() {
        let limiter = SignupLimiter::new(2, 3);
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        assert!(limiter.check_email("a@b.c").is_ok());
        assert!(limiter.check_email("a@b.c").is_ok());
        assert_eq!(limiter.check_email("a@b.c").err().map(|e| e.code()), Some("RATE_LIMITED"));
        assert!(limiter.check_email("other@b.c").is_ok());
        for _ in 0..3 {
            assert!(limiter.check_address(ip).is_ok());
        }
        assert!(limiter.check_address(ip).is_err());
        assert!(limiter.check_address(None).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_slash_64() {
        let limiter = SignupLimiter::new(100, 2);
        let ip = |text: &str| Some(text.parse::<IpAddr>().expect("an address"));
        assert!(limiter.check_address(ip("2001:db8:5:6::1")).is_ok());
        assert!(limiter.check_address(ip("2001:db8:5:6::2")).is_ok());
        assert!(limiter.check_address(ip("2001:db8:5:6:dead:beef::3")).is_err());
        assert!(limiter.check_address(ip("2001:db8:5:7::1")).is_ok());
    }
}
