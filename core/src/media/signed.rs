//! Signed file URLs: staff see each asset's `url` with `?expires=…&sig=…`, which anyone may
//! load until it expires, so that an editor's client can show an upload in an `<img>` (which
//! sends no `Authorization`) before published content uses it. The public's URLs carry no
//! signature.
//!
//! The signature is an HMAC-SHA256 over the asset's id and the expiry, under a key kept in
//! the database (as the preview key is) so that every Quire process on it accepts the same
//! URLs. The expiry is rounded up to the next whole hour and one more: a URL lasts between
//! one and two hours and stays the same for an hour, so a browser's cache keeps working.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// Its own key, not the preview key's: a file URL's signature can never pass as a preview
/// token's, nor the other way round.
const KEY: &str = "file_url_signing_key";
/// A signed URL lasts at least this long (seconds), and at most twice as long.
pub const LIFETIME_SECS: i64 = 3600;

/// Signs and checks file URLs.
pub struct Signer {
    /// Keyed once; cloned for each signature.
    keyed: Hmac<Sha256>,
}

/// What a signed URL adds: `?expires=<unix seconds>&sig=<hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub expires: i64,
    pub sig: String,
}

impl Signature {
    pub fn query(&self) -> String {
        format!("expires={}&sig={}", self.expires, self.sig)
    }
}

impl Signer {
    /// The signer with the database's key, made on first use.
    pub async fn load(db: &Db) -> ApiResult<Signer> {
        Signer::with_key(&stored_key(db).await?)
    }

    pub fn with_key(key: &[u8]) -> ApiResult<Signer> {
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("the file URL key: {e}")))?;
        Ok(Signer { keyed })
    }

    /// A signature for `asset` that lasts from `now` for one to two hours.
    pub fn sign(&self, asset: Uuid, now: DateTime<Utc>) -> Signature {
        let expires = (now.timestamp().div_euclid(LIFETIME_SECS) + 2) * LIFETIME_SECS;
        Signature { expires, sig: hex::encode(self.mac(asset, expires).finalize().into_bytes()) }
    }

    /// Whether `expires` and `sig`, as given in a URL, are a signature for `asset` that has
    /// not expired at `now`. The comparison takes the same time whatever the signature.
    pub fn verify(&self, asset: Uuid, expires: &str, sig: &str, now: DateTime<Utc>) -> bool {
        let Ok(expires) = expires.parse::<i64>() else { return false };
        let Ok(sig) = hex::decode(sig) else { return false };
        expires > now.timestamp() && self.mac(asset, expires).verify_slice(&sig).is_ok()
    }

    fn mac(&self, asset: Uuid, expires: i64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(format!("file:{asset}:{expires}").as_bytes());
        mac
    }
}

async fn stored_key(db: &Db) -> ApiResult<Vec<u8>> {
    crate::keys::stored(db, KEY).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap_or_default()
    }

    #[test]
    fn signatures_last_one_to_two_hours_and_name_one_asset() {
        let Ok(signer) = Signer::with_key(b"key") else { panic!("a signer") };
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let signed = signer.sign(a, at(10 * 3600 + 1));
        assert_eq!(signed.expires, 12 * 3600);
        assert_eq!(signer.sign(a, at(11 * 3600 - 1)), signed, "the same URL within the hour");
        assert!(signer.verify(a, "43200", &signed.sig, at(12 * 3600 - 1)));
        assert!(!signer.verify(a, "43200", &signed.sig, at(12 * 3600)), "expired");
        assert!(!signer.verify(b, "43200", &signed.sig, at(0)), "another asset");
        assert!(!signer.verify(a, "43201", &signed.sig, at(0)), "another expiry");
        assert!(!signer.verify(a, "43200", "zz", at(0)));
        assert!(!signer.verify(a, "soon", &signed.sig, at(0)));
        let Ok(other) = Signer::with_key(b"other key") else { panic!("a signer") };
        assert!(!other.verify(a, "43200", &signed.sig, at(0)), "another key");
    }
}
