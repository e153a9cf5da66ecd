//! The public's lookups by a unique value, read together when they arrive together.
//!
//! On PostgreSQL a lookup of one article by its slug costs a statement: a round trip, the
//! driver's work on both sides, and the server's own work for each statement, which for a
//! lookup by an index is most of it. Under load many clients ask for different articles at
//! once, and each paid all of that. Here, a lookup that arrives while lookups of its shape
//! are being read waits for one of them to end, and then goes with every other lookup
//! waiting by then in one statement (`slug IN (...)`). A lookup that finds nothing running
//! is read at once, by a statement of its own.
//!
//! Every lookup is answered by a statement that began after it was asked, at that
//! statement's time: it sees every write committed before it was asked, as a statement of
//! its own would. The values are unique (a slug of any kind but pages, a page's path), so
//! each row answers exactly the lookups of its value. The statement is built by the same
//! code as a single lookup's, so the visibility rule stays in one place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::oneshot;

use super::Item;
use super::read::Lookup;

/// Statements of one shape running at once. One lets the most lookups gather for the next:
/// in the benchmark's lookups by slug, two at once answered 8% fewer requests a second, and
/// four no more than reading each alone.
const RUNNING_PER_SHAPE: usize = 1;

/// Values read by one statement at most; more wait for the next.
pub const MOST_PER_STATEMENT: usize = 64;

/// The lookups waiting and running, by shape; one per database handle.
#[derive(Clone, Default)]
pub struct Batches(Arc<Mutex<HashMap<Lookup, Queue>>>);

#[derive(Default)]
struct Queue {
    running: usize,
    waiting: Vec<Waiter>,
}

struct Waiter {
    value: String,
    reply: oneshot::Sender<Result<Option<Item>, String>>,
}

impl Batches {
    /// The item `lookup` finds for `value`, read through `pool`, alone or with others.
    pub(crate) async fn read(
        &self,
        lookup: Lookup,
        value: &str,
        pool: &DatabaseConnection,
    ) -> Result<Option<Item>, DbErr> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queues = self.queues();
            let queue = queues.entry(lookup).or_default();
            queue.waiting.push(Waiter { value: value.to_owned(), reply });
            (queue.running < RUNNING_PER_SHAPE).then(|| {
                queue.running += 1;
                next_batch(queue)
            })
        };
        // The statement runs on a task of its own, so that a client hanging up cannot stop
        // it halfway and leave the lookups that joined it without an answer.
        if let Some(batch) = start {
            tokio::spawn(self.clone().run(lookup, pool.clone(), batch));
        }
        match answer.await {
            Ok(found) => found.map_err(DbErr::Custom),
            Err(_) => Err(DbErr::Custom("a batch of lookups ended without an answer".into())),
        }
    }

    fn queues(&self) -> MutexGuard<'_, HashMap<Lookup, Queue>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads `batch`, then every batch that gathered meanwhile, until none is waiting.
    async fn run(self, lookup: Lookup, pool: DatabaseConnection, mut batch: Vec<Waiter>) {
        let mut running = Running { batches: &self, lookup, ended: false };
        loop {
            answer(lookup, &pool, batch).await;
            let mut queues = self.queues();
            let Some(queue) = queues.get_mut(&lookup) else { break };
            if queue.waiting.is_empty() {
                queue.running -= 1;
                if queue.running == 0 {
                    queues.remove(&lookup);
                }
                break;
            }
            batch = next_batch(queue);
        }
        running.ended = true;
    }
}

/// The lookups that wait longest, as many as one statement reads.
fn next_batch(queue: &mut Queue) -> Vec<Waiter> {
    let count = queue.waiting.len().min(MOST_PER_STATEMENT);
    queue.waiting.drain(..count).collect()
}

/// Reads one statement for `batch` and answers each lookup in it.
async fn answer(lookup: Lookup, pool: &DatabaseConnection, mut batch: Vec<Waiter>) {
    batch.sort_unstable_by(|a, b| a.value.cmp(&b.value));
    let mut values: Vec<&str> = batch.iter().map(|waiter| waiter.value.as_str()).collect();
    values.dedup();
    let found = match lookup.run_many(pool, &values).await {
        Ok(found) => found,
        Err(err) => {
            let detail = err.to_string();
            for waiter in batch {
                let _ = waiter.reply.send(Err(detail.clone()));
            }
            return;
        }
    };
    let mut items: HashMap<String, Item> = found
        .into_iter()
        .filter_map(|item| Some((lookup.value_of(&item)?.to_owned(), item)))
        .collect();
    // Each item moves to the last lookup of its value, and is copied for any before it.
    let mut waiters = batch.into_iter().peekable();
    while let Some(waiter) = waiters.next() {
        let again = waiters.peek().is_some_and(|next| next.value == waiter.value);
        let item =
            if again { items.get(&waiter.value).cloned() } else { items.remove(&waiter.value) };
        let _ = waiter.reply.send(Ok(item));
    }
}

/// Gives up a shape's turn if its task ends before its work (a panic), failing the lookups
/// still waiting, so that none waits for ever.
struct Running<'a> {
    batches: &'a Batches,
    lookup: Lookup,
    ended: bool,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let mut queues = self.batches.queues();
        if let Some(queue) = queues.get_mut(&self.lookup) {
            queue.running -= 1;
            if queue.running == 0 {
                queues.remove(&self.lookup);
            }
        }
    }
}
