//! The signal a committed write gives the rest of the process: a generation number that
//! moves on with every write (the public response cache keys on it) and a wake-up for the
//! listener that turns the journal's new rows into live events. It sits below `db`, which
//! gives the signal, and `live`, which listens for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;
use uuid::Uuid;

/// The channel PostgreSQL notifies at each commit that public answers could show (see
/// [`crate::db::WriteTx::commit`]), so every Quire process on the database hears of it.
pub const CHANNEL: &str = "quire_content_changes";

#[derive(Clone)]
pub struct Commits {
    inner: Arc<Inner>,
}

struct Inner {
    /// Names this server in its notifications to other processes.
    tag: String,
    generation: AtomicU64,
    wake: Notify,
}

impl Default for Commits {
    fn default() -> Self {
        Commits {
            inner: Arc::new(Inner {
                tag: Uuid::now_v7().simple().to_string(),
                generation: AtomicU64::new(0),
                wake: Notify::new(),
            }),
        }
    }
}

impl Commits {
    /// Moves on with every committed write; anything computed under an earlier generation
    /// may be stale.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// A write transaction here has committed, before its caller hears so.
    pub fn committed(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.wake.notify_one();
    }

    /// Another process committed a write to the same database.
    pub fn committed_elsewhere(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Waits for the next local commit (or one that came before the wait and was not yet
    /// waited for).
    pub async fn next_local(&self) {
        self.inner.wake.notified().await;
    }

    /// What this server's notifications carry: a random name of its own.
    pub fn tag(&self) -> &str {
        &self.inner.tag
    }
}
