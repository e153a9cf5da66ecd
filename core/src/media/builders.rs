//! The small pool that makes image variants: a few at a time in all, one at a time per
//! client address (so that one client cannot hold every turn), and a single build for
//! identical requests that arrive together. A large image takes more of the pool's turns,
//! so that the pixels being decoded at once stay within one largest image's worth.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// Requests of one client that may wait for its turn (the one building included); more
/// are told to come back later.
pub const QUEUE_PER_CLIENT: usize = 8;
/// How long a request waits for its client's turn before it is told to come back later.
const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq, Eq)]
pub enum BuildError {
    /// The client has too many builds waiting: it should come back later.
    Busy,
    /// The build failed (and was logged).
    Failed,
}

/// What a finished build tells those waiting for it.
type Outcome = Option<Result<(), ()>>;

#[derive(Clone)]
pub struct Builders {
    inner: Arc<Inner>,
}

struct Inner {
    turns: Arc<Semaphore>,
    /// The pool's turns, and the pixels they share.
    total_turns: u32,
    max_pixels: u64,
    clients: Mutex<HashMap<IpAddr, Slot>>,
    in_flight: Mutex<HashMap<PathBuf, watch::Receiver<Outcome>>>,
}

/// One client's turn, and how many of its requests hold or wait for it.
struct Slot {
    turn: Arc<Semaphore>,
    users: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key a client's turn is kept under: its address, or its /64 for IPv6, since one
/// machine is usually given a whole /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        },
    }
}

impl Builders {
    /// A pool that makes up to `turns` variants at once, of images of up to `max_pixels`
    /// pixels between them.
    pub fn new(turns: usize, max_pixels: u64) -> Builders {
        let total_turns = u32::try_from(turns.clamp(1, 64)).unwrap_or(1);
        Builders {
            inner: Arc::new(Inner {
                turns: Arc::new(Semaphore::new(total_turns as usize)),
                total_turns,
                max_pixels: max_pixels.max(1),
                clients: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The pool's turns a build from an image of `pixels` takes: its share of the pixels
    /// the pool may decode at once, rounded up.
    fn turns_for(&self, pixels: u64) -> u32 {
        let Inner { total_turns, max_pixels, .. } = *self.inner;
        let share = pixels.saturating_mul(u64::from(total_turns)).div_ceil(max_pixels);
        u32::try_from(share).unwrap_or(u32::MAX).clamp(1, total_turns)
    }

    /// Runs `work`, which makes what `key` names from an image of `pixels`, in its client's
    /// turn and the pool's; when the same `key` is being made already, waits for that build
    /// instead. The build runs to its end even if the request that started it goes away,
    /// still holding its client's turn.
    pub async fn run<F, Fut>(
        &self,
        key: PathBuf,
        client: IpAddr,
        pixels: u64,
        work: F,
    ) -> Result<(), BuildError>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), ()>> + Send + 'static,
    {
        if let Some(building) = self.joining(&key) {
            return wait(building).await;
        }
        let turn = self.client_turn(client_key(client)).await?;
        // It may have been started while this request waited for its turn.
        if let Some(building) = self.joining(&key) {
            return wait(building).await;
        }
        let (done, building) = watch::channel(None);
        lock(&self.inner.in_flight).insert(key.clone(), building.clone());
        let inner = self.inner.clone();
        let turns = self.turns_for(pixels);
        tokio::spawn(async move {
            let _listed = Listed { inner: inner.clone(), key };
            let _turn = turn;
            let outcome = match inner.turns.clone().acquire_many_owned(turns).await {
                Ok(_permit) => work().await,
                Err(_) => Err(()),
            };
            let _ = done.send(Some(outcome));
        });
        wait(building).await
    }

    fn joining(&self, key: &PathBuf) -> Option<watch::Receiver<Outcome>> {
        lock(&self.inner.in_flight).get(key).cloned()
    }

    async fn client_turn(&self, client: IpAddr) -> Result<ClientTurn, BuildError> {
        let (turn, users) = {
            let mut clients = lock(&self.inner.clients);
            let slot = clients
                .entry(client)
                .or_insert_with(|| Slot { turn: Arc::new(Semaphore::new(1)), users: 0 });
            slot.users += 1;
            (slot.turn.clone(), slot.users)
        };
        let user = User { inner: self.inner.clone(), client };
        if users > QUEUE_PER_CLIENT {
            return Err(BuildError::Busy);
        }
        let permit = tokio::time::timeout(WAIT, turn.acquire_owned())
            .await
            .map_err(|_| BuildError::Busy)?
            .map_err(|_| BuildError::Failed)?;
        Ok(ClientTurn { _permit: permit, _user: user })
    }

    /// Clients that hold or wait for a turn.
    #[cfg(test)]
    fn clients(&self) -> usize {
        lock(&self.inner.clients).len()
    }
}

async fn wait(mut building: watch::Receiver<Outcome>) -> Result<(), BuildError> {
    match building.wait_for(Option::is_some).await {
        Ok(outcome) => match *outcome {
            Some(Ok(())) => Ok(()),
            _ => Err(BuildError::Failed),
        },
        // The build's task ended without a word: it panicked.
        Err(_) => Err(BuildError::Failed),
    }
}

/// A client's turn; the permit goes back first, then the client stops counting as a user.
struct ClientTurn {
    _permit: OwnedSemaphorePermit,
    _user: User,
}

/// A request that holds or waits for its client's turn; the client is forgotten with its
/// last one.
struct User {
    inner: Arc<Inner>,
    client: IpAddr,
}

impl Drop for User {
    fn drop(&mut self) {
        let mut clients = lock(&self.inner.clients);
        if let Some(slot) = clients.get_mut(&self.client) {
            slot.users -= 1;
            if slot.users == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

/// A build in the in-flight list, taken off it when the build ends however it ends.
struct Listed {
    inner: Arc<Inner>,
    key: PathBuf,
}

impl Drop for Listed {
    fn drop(&mut self) {
        lock(&self.inner.in_flight).remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(client_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_key(ip("192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn large_images_take_more_turns() {
        let builders = Builders::new(2, 100);
        assert_eq!(builders.turns_for(1), 1);
        assert_eq!(builders.turns_for(50), 1);
        assert_eq!(builders.turns_for(51), 2, "past half the pixels: the whole pool");
        assert_eq!(builders.turns_for(u64::MAX), 2);
    }

    #[tokio::test]
    async fn identical_requests_build_once() {
        let builders = Builders::new(2, 100);
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for n in 0..6 {
            let (builders, runs) = (builders.clone(), runs.clone());
            // Different clients, the same variant.
            let client = ip(&format!("192.0.2.{n}"));
            tasks.push(tokio::spawn(async move {
                builders
                    .run(PathBuf::from("a"), client, 10, move || async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(())
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("joined"), Ok(()));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(builders.clients(), 0, "clients are forgotten");
    }

    #[tokio::test]
    async fn one_client_builds_one_at_a_time_and_queues_a_few() {
        let builders = Builders::new(4, 100);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for n in 0..(QUEUE_PER_CLIENT + 4) {
            let (builders, running, most) = (builders.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                builders
                    .run(PathBuf::from(n.to_string()), ip("192.0.2.1"), 10, move || async move {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            }));
        }
        let mut busy = 0;
        for task in tasks {
            match task.await.expect("joined") {
                Ok(()) => {}
                Err(BuildError::Busy) => busy += 1,
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "one at a time for one client");
        assert_eq!(busy, 4, "past the queue, told to come back");
    }
}
