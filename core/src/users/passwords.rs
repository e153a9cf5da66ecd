//! Password hashing and checking (argon2id) at a bounded cost. Each hash needs 19 MiB of
//! working memory: allocated per sign-in, every sign-in running at once would take its
//! own, and the allocator keeps freed blocks of that size, so the process would grow with
//! its busiest moment. Instead at most [`WORKERS`] run at a time, on blocking threads, each
//! in memory set aside once and reused.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Hashes computed at once. Sign-in is rare beside reading; two keep up with people
/// signing in while holding 38 MiB at most.
const WORKERS: usize = 2;

struct Pool {
    permits: Arc<Semaphore>,
    /// Working memory given back by finished hashes, for the next.
    memory: Mutex<Vec<Box<[Block]>>>,
}

static POOL: LazyLock<Pool> =
    LazyLock::new(|| Pool { permits: Arc::new(Semaphore::new(WORKERS)), memory: Mutex::default() });

fn internal(what: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{what}: {err}"))
}

/// Runs `work` on a blocking thread with a worker's memory. The permit and the memory go
/// with the work, so a request that gives up waiting cannot let a further hash start
/// while its own is still running.
async fn with_memory<T: Send + 'static>(
    work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
) -> ApiResult<T> {
    let permit = POOL.permits.clone().acquire_owned().await.map_err(|e| internal("permit", e))?;
    tokio::task::spawn_blocking(move || {
        let pool = &*POOL;
        let taken = pool.memory.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut memory = taken.unwrap_or_else(|| {
            vec![Block::new(); Params::DEFAULT_M_COST as usize].into_boxed_slice()
        });
        let result = work(&mut memory);
        pool.memory.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
        drop(permit);
        result
    })
    .await
    .map_err(|e| internal("password work", e))
}

/// An argon2id hash of `password` in PHC form (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: String) -> ApiResult<String> {
    with_memory(move |memory| hash_with(memory, &password)).await?
}

fn hash_with(memory: &mut [Block], password: &str) -> ApiResult<String> {
    let params = Params::default();
    let salt = Salt::new(&rand::random::<[u8; 16]>()).map_err(|e| internal("salt", e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
        .map_err(|e| internal("hashing a password", e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| internal("parameters", e))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| internal("output", e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC hash `hash`. A hash that does not parse matches
/// nothing.
pub async fn verify(hash: String, password: String) -> ApiResult<bool> {
    with_memory(move |memory| verify_with(memory, &hash, &password)).await
}

fn verify_with(memory: &mut [Block], hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = if params.block_count() <= memory.len() {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    } else {
        // Made with more memory than a worker holds (not by this Quire): allocated once.
        argon2.hash_password_into(password.as_bytes(), salt, &mut out)
    };
    // `Output` compares in constant time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| &out == expected)
}

#[cfg(test)]
mod tests {
    use argon2::PasswordVerifier;

    use super::*;

    #[tokio::test]
    async fn hashes_verify_here_and_with_the_argon2_crate() {
        let hash = super::hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify(hash.clone(), "correct horse battery".into()).await.unwrap());
        assert!(!verify(hash.clone(), "wrong horse battery".into()).await.unwrap());
        assert!(Argon2::default().verify_password(b"correct horse battery", hash.as_str()).is_ok());
        assert!(!verify("not a hash".into(), "x".into()).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_from_the_argon2_crate_verify_whatever_their_parameters() {
        use argon2::PasswordHasher;
        let made = Argon2::default().hash_password(b"an older password").unwrap().to_string();
        assert!(verify(made.clone(), "an older password".into()).await.unwrap());
        assert!(!verify(made, "another password".into()).await.unwrap());
        // More memory than a worker holds, and another variant.
        let params = Params::new(32 * 1024, 1, 1, None).unwrap();
        let big = Argon2::new(Algorithm::Argon2i, Version::V0x10, params);
        let made = big.hash_password(b"big password").unwrap().to_string();
        assert!(verify(made.clone(), "big password".into()).await.unwrap());
        assert!(!verify(made, "small password".into()).await.unwrap());
    }
}
