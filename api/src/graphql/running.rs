//! At most so many queries run at once; more wait their turn before they start. A query
//! waiting for a database connection holds what it has read so far and its half-built
//! answer, so letting every client's query start at once costs memory and buys nothing
//! once the connections are busy: on PostgreSQL (five connections), the home page for 64
//! clients at once peaked at 57 MB, and for 20 at 45 MB, at the same rate. Mutations never
//! wait here, because a sign-in may be held back on purpose; nor do queries that read no
//! data (`__typename`, introspection).
//!
//! One client address may hold only its share of the room (half, by default): the rest of
//! its queries wait behind each other, not in the line everyone else stands in, so a client
//! sending many slow queries cannot make every other client's queries wait for them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Clients = Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>;

#[derive(Clone)]
pub struct RunningQueries {
    permits: Arc<Semaphore>,
    /// The most one client address may hold at once.
    share: usize,
    /// The clients with a query running or waiting, each with its share.
    clients: Clients,
}

/// A running query's place; dropping it makes room for the next.
pub struct Place {
    // Dropped in this order: the permits before the client's entry is looked at.
    _all: Option<OwnedSemaphorePermit>,
    _own: Option<OwnedSemaphorePermit>,
    _client: ClientEntry,
}

impl RunningQueries {
    /// Room for `most` queries at once (at least one), of which one client address may hold
    /// `share` (at least one, at most `most`).
    pub fn new(most: usize, share: usize) -> RunningQueries {
        let most = most.clamp(1, Semaphore::MAX_PERMITS);
        RunningQueries {
            permits: Arc::new(Semaphore::new(most)),
            share: share.clamp(1, most),
            clients: Arc::default(),
        }
    }

    /// Waits, first come first served among the client's own queries and then among
    /// everyone's, until the query may start; it holds its place until the place drops.
    pub async fn enter(&self, client: IpAddr) -> Place {
        let entry = self.entry(client);
        // The semaphores are never closed.
        let own = entry.share.clone().acquire_owned().await.ok();
        let all = self.permits.clone().acquire_owned().await.ok();
        Place { _all: all, _own: own, _client: entry }
    }

    fn entry(&self, client: IpAddr) -> ClientEntry {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let share =
            clients.entry(client).or_insert_with(|| Arc::new(Semaphore::new(self.share))).clone();
        ClientEntry { client, share, clients: self.clients.clone() }
    }

    #[cfg(test)]
    fn clients(&self) -> usize {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A client's share, held while one of its queries waits or runs. The last one to let go
/// removes the client's entry, so the map is only as large as the set of clients with a
/// query in flight, also when a waiting request is cancelled.
struct ClientEntry {
    client: IpAddr,
    share: Arc<Semaphore>,
    clients: Clients,
}

impl Drop for ClientEntry {
    fn drop(&mut self) {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        // Every other holder took its copy under this lock, and lets go of its permit
        // before its entry: two copies left are the map's and this one.
        if Arc::strong_count(&self.share) == 2 {
            clients.remove(&self.client);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    async fn waits(running: &RunningQueries, client: IpAddr) -> bool {
        tokio::time::timeout(Duration::from_millis(50), running.enter(client)).await.is_err()
    }

    #[tokio::test]
    async fn queries_past_the_limit_wait_in_turn_for_one_to_end() {
        let running = RunningQueries::new(2, 2);
        let first = running.enter(A).await;
        let _second = running.enter(B).await;
        let waiting = tokio::spawn({
            let running = running.clone();
            async move { running.enter(B).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a third waits while two run");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert!(matches!(third, Ok(Ok(_))), "the room one left is taken");
    }

    #[tokio::test]
    async fn one_client_holds_only_its_share() {
        let running = RunningQueries::new(4, 2);
        let first = running.enter(A).await;
        let _second = running.enter(A).await;
        assert!(waits(&running, A).await, "a client past its share waits");
        let _other = running.enter(B).await;
        let _another = running.enter(B).await;
        assert!(waits(&running, B).await, "and so does every client");
        drop(first);
        assert!(!waits(&running, A).await, "its own query ending makes room for it");
    }

    #[tokio::test]
    async fn clients_with_nothing_in_flight_are_forgotten() {
        let running = RunningQueries::new(2, 1);
        let first = running.enter(A).await;
        assert!(waits(&running, A).await, "a cancelled wait");
        let other = running.enter(B).await;
        assert_eq!(running.clients(), 2);
        drop((first, other));
        assert_eq!(running.clients(), 0);
    }

    #[tokio::test]
    async fn no_room_means_room_for_one() {
        let running = RunningQueries::new(0, 0);
        let _only = running.enter(A).await;
        assert!(waits(&running, B).await);
    }
}
