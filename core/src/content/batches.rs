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
//! A statement keeps its shape's turn for ten seconds at most, and lookups whose client has
//! gone are left out of the next.
//!
//! Every lookup is answered by a statement that began after it was asked, at that
//! statement's time: it sees every write committed before it was asked, as a statement of
//! its own would. The values are unique (a slug of any kind but pages, a page's path), so
//! each row answers exactly the lookups of its value. The statement is built by the same
//! code as a single lookup's, so the visibility rule stays in one place.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::oneshot;

use super::Item;
use super::read::Lookup;
use crate::db::{OwnedReads, Reads};

/// Statements of one shape running at once. One lets the most lookups gather for the next:
/// in the benchmark's lookups by slug, two at once answered 8% fewer requests a second, and
/// four no more than reading each alone.
const RUNNING_PER_SHAPE: usize = 1;

/// Values read by one statement at most; more wait for the next.
pub(crate) const MOST_PER_STATEMENT: usize = 64;

/// How long one statement may keep its shape's turn. A lookup by a unique index takes well
/// under a millisecond; one stuck (on a lock, or on a connection the network has silently
/// dropped) would otherwise hold back every later lookup of its shape.
const STATEMENT_TIME: Duration = Duration::from_secs(10);

/// The lookups waiting and running, by shape; one per database handle.
#[derive(Clone, Default)]
pub struct Batches(Arc<Mutex<HashMap<Lookup, Queue>>>);

#[derive(Default)]
struct Queue {
    running: usize,
    waiting: VecDeque<Waiter>,
}

struct Waiter {
    value: String,
    reply: oneshot::Sender<Result<Option<Item>, String>>,
}

impl Batches {
    /// The item `lookup` finds for `value`, read from `reads`, alone or with others.
    pub(crate) async fn read(
        &self,
        lookup: Lookup,
        value: &str,
        reads: Reads<'_>,
    ) -> Result<Option<Item>, DbErr> {
        let (reply, answered) = oneshot::channel();
        let start = {
            let mut queues = self.queues();
            let queue = queues.entry(lookup).or_default();
            queue.waiting.push_back(Waiter { value: value.to_owned(), reply });
            if queue.running < RUNNING_PER_SHAPE {
                queue.running += 1;
                Some(next_batch(queue))
            } else {
                None
            }
        };
        // The statement runs on a task of its own, so that a client hanging up cannot stop
        // it halfway and leave the lookups that joined it without an answer. The turn is
        // taken here, so that it is given back even if that task never runs.
        if let Some(batch) = start {
            let turn = Turn { batches: self.clone(), lookup, given_back: false };
            tokio::spawn(turn.run(reads.for_task(), batch));
        }
        match answered.await {
            Ok(found) => found.map_err(DbErr::Custom),
            Err(_) => Err(DbErr::Custom("a batch of lookups ended without an answer".into())),
        }
    }

    /// Lookups waiting for a statement to read them (for the tests that hold them together).
    pub fn waiting(&self) -> usize {
        self.queues().values().map(|queue| queue.waiting.len()).sum()
    }

    fn queues(&self) -> MutexGuard<'_, HashMap<Lookup, Queue>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The lookups that wait longest, as many as one statement reads; those whose client has
/// gone are left out.
fn next_batch(queue: &mut Queue) -> Vec<Waiter> {
    queue.waiting.retain(|waiter| !waiter.reply.is_closed());
    let count = queue.waiting.len().min(MOST_PER_STATEMENT);
    queue.waiting.drain(..count).collect()
}

/// A shape's turn to run statements (see [`RUNNING_PER_SHAPE`]).
struct Turn {
    batches: Batches,
    lookup: Lookup,
    given_back: bool,
}

impl Turn {
    /// Reads `batch`, then every batch that gathered meanwhile, until none is waiting.
    async fn run(mut self, reads: OwnedReads, mut batch: Vec<Waiter>) {
        loop {
            answer(self.lookup, &reads, batch).await;
            match self.next() {
                Some(next) => batch = next,
                None => return,
            }
        }
    }

    /// The next batch; or `None`, the turn given back, when none is waiting. Both happen
    /// under one lock, so a lookup arriving meanwhile either joins the batch or starts a
    /// turn of its own.
    fn next(&mut self) -> Option<Vec<Waiter>> {
        let mut queues = self.batches.queues();
        let queue = queues.get_mut(&self.lookup)?;
        let batch = next_batch(queue);
        if !batch.is_empty() {
            return Some(batch);
        }
        give_back(&mut queues, self.lookup);
        self.given_back = true;
        None
    }
}

/// Ends one of `lookup`'s turns; its queue goes with the last.
fn give_back(queues: &mut HashMap<Lookup, Queue>, lookup: Lookup) {
    if let Some(queue) = queues.get_mut(&lookup) {
        queue.running -= 1;
        if queue.running == 0 {
            queues.remove(&lookup);
        }
    }
}

/// A turn that ends before its work (its task panicked, or never ran) is given back; if it
/// was the shape's last, the lookups still waiting are answered with an error as their
/// queue goes, rather than waiting for ever.
impl Drop for Turn {
    fn drop(&mut self) {
        if !self.given_back {
            give_back(&mut self.batches.queues(), self.lookup);
        }
    }
}

/// Reads one statement for `batch` and answers each lookup in it.
async fn answer(lookup: Lookup, reads: &OwnedReads, mut batch: Vec<Waiter>) {
    batch.sort_unstable_by(|a, b| a.value.cmp(&b.value));
    let mut values: Vec<&str> = batch.iter().map(|waiter| waiter.value.as_str()).collect();
    values.dedup();
    let read = tokio::time::timeout(STATEMENT_TIME, lookup.run_many(reads, &values)).await;
    let found = match read {
        Ok(Ok(found)) => found,
        failed => {
            let detail = match failed {
                Ok(Err(err)) => err.to_string(),
                _ => format!("a batch of lookups took longer than {STATEMENT_TIME:?}"),
            };
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
