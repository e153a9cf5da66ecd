//! At most so many queries run at once; more wait their turn before they start. A query
//! waiting for a database connection holds what it has read so far and its half-built
//! answer, so letting every client's query start at once costs memory and buys nothing
//! once the connections are busy: on PostgreSQL (five connections), the home page for 64
//! clients at once peaked at 57 MB, and for 20 at 45 MB, at the same rate. Mutations never
//! wait here, because a sign-in may be held back on purpose.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct RunningQueries {
    permits: Arc<Semaphore>,
}

impl RunningQueries {
    /// Room for `most` queries at once (at least one).
    pub fn new(most: usize) -> RunningQueries {
        let most = most.clamp(1, Semaphore::MAX_PERMITS);
        RunningQueries { permits: Arc::new(Semaphore::new(most)) }
    }

    /// Waits, first come first served, until the query may start; it holds its place until
    /// the permit drops.
    pub async fn enter(&self) -> Option<OwnedSemaphorePermit> {
        // The semaphore is never closed.
        self.permits.clone().acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn queries_past_the_limit_wait_in_turn_for_one_to_end() {
        let running = RunningQueries::new(2);
        let first = running.enter().await;
        let second = running.enter().await;
        assert!(first.is_some() && second.is_some());
        let waiting = tokio::spawn({
            let running = running.clone();
            async move { running.enter().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a third waits while two run");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert!(matches!(third, Ok(Ok(Some(_)))), "the room one left is taken");
    }

    #[tokio::test]
    async fn no_room_means_room_for_one() {
        let running = RunningQueries::new(0);
        let only = running.enter().await;
        assert!(only.is_some());
        let next = tokio::time::timeout(Duration::from_millis(50), running.enter()).await;
        assert!(next.is_err());
    }
}
