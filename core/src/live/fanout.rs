//! One load per change and visibility class, shared by every subscriber that may see it.
//! The first subscriber to ask for a change as the public (or as staff) loads it; the
//! others wait for that load and share its result. Checks that an editor's credentials
//! still hold are shared the same way, once per change and credential.
//!
//! Loaded changes are kept for the subscribers that have yet to ask, up to [`BUDGET`] bytes
//! in all, newest kept: a subscriber that falls so far behind that its change was let go
//! loads it again for itself.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use super::Event;
use crate::content::{Viewer, sync};
use crate::db::Db;

/// Memory for loaded changes.
pub const BUDGET: usize = 4 * 1024 * 1024;

/// What a change costs to keep before anything is loaded for it.
const ENTRY_BYTES: usize = 256;

#[derive(Default)]
pub struct Fanout {
    recent: Mutex<Recent>,
}

#[derive(Default)]
struct Recent {
    /// By journal sequence number, so the oldest goes first.
    changes: BTreeMap<i64, Kept>,
    bytes: usize,
}

struct Kept {
    shared: Arc<Shared>,
    bytes: usize,
}

/// One change as each kind of subscriber sees it; `None` when it could not be loaded.
#[derive(Default)]
struct Shared {
    public: OnceCell<Option<Arc<sync::Change>>>,
    staff: OnceCell<Option<Arc<sync::Change>>>,
    /// Whether each credential still makes a staff member, as checked for this change.
    staff_checks: Mutex<HashMap<String, Arc<OnceCell<bool>>>>,
}

/// What a subscriber gets of an event.
pub enum Delivery {
    /// Nothing: the change is not theirs to hear of, or could not be loaded.
    Skip,
    /// The end of the subscription: the staff credentials it opened with no longer hold.
    End,
    /// The change, as they may see it.
    Change(Arc<sync::Change>),
}

impl Fanout {
    /// `event` for a subscriber who reads as `viewer`; staff name the `credentials` they
    /// subscribed with, which are checked again before each change, so a token revoked or
    /// a session ended since ends the subscription.
    pub async fn deliver(
        &self,
        db: &Db,
        viewer: Viewer,
        credentials: Option<&str>,
        event: &Event,
    ) -> Delivery {
        if viewer == Viewer::Public && !event.public {
            return Delivery::Skip;
        }
        if viewer == Viewer::Staff {
            let Some(credentials) = credentials else { return Delivery::End };
            if !self.still_staff(db, event, credentials).await {
                return Delivery::End;
            }
        }
        match self.change(db, viewer, event).await {
            Some(change) => Delivery::Change(change),
            None => Delivery::Skip,
        }
    }

    /// `event`'s change as `viewer` may see it, loaded once for all such subscribers;
    /// `None` when it could not be loaded (logged).
    async fn change(&self, db: &Db, viewer: Viewer, event: &Event) -> Option<Arc<sync::Change>> {
        let shared = self.shared(event.seq);
        let cell = match viewer {
            Viewer::Public => &shared.public,
            Viewer::Staff => &shared.staff,
        };
        cell.get_or_init(|| async {
            match sync::resolve(db.conn(), viewer, event).await {
                Ok(change) => {
                    self.charge(event.seq, footprint(&change));
                    Some(Arc::new(change))
                }
                Err(err) => {
                    tracing::error!(error = ?err, seq = event.seq, "loading a change for subscribers");
                    None
                }
            }
        })
        .await
        .clone()
    }

    /// Whether `credentials` still make a staff member, checked once for `event` however
    /// many subscriptions hold them.
    async fn still_staff(&self, db: &Db, event: &Event, credentials: &str) -> bool {
        let shared = self.shared(event.seq);
        let (check, new) = {
            let mut checks = shared.staff_checks.lock().unwrap_or_else(PoisonError::into_inner);
            let new = !checks.contains_key(credentials);
            (checks.entry(credentials.to_string()).or_default().clone(), new)
        };
        if new {
            self.charge(event.seq, ENTRY_BYTES + credentials.len());
        }
        *check
            .get_or_init(|| async {
                matches!(
                    crate::auth::authenticate_value(db, credentials).await,
                    Ok(actor) if actor.viewer() == Viewer::Staff
                )
            })
            .await
    }

    fn shared(&self, seq: i64) -> Arc<Shared> {
        let mut recent = self.lock();
        if let Some(kept) = recent.changes.get(&seq) {
            return kept.shared.clone();
        }
        let shared = Arc::new(Shared::default());
        recent.changes.insert(seq, Kept { shared: shared.clone(), bytes: ENTRY_BYTES });
        recent.bytes += ENTRY_BYTES;
        recent.shrink();
        shared
    }

    /// Counts `bytes` more for `seq`'s change, and lets the oldest go while over budget.
    fn charge(&self, seq: i64, bytes: usize) {
        let mut recent = self.lock();
        let Some(kept) = recent.changes.get_mut(&seq) else {
            // Let go already: only its current subscribers hold it.
            return;
        };
        kept.bytes += bytes;
        recent.bytes += bytes;
        recent.shrink();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn kept(&self) -> (usize, usize) {
        let recent = self.lock();
        (recent.changes.len(), recent.bytes)
    }
}

impl Recent {
    /// The newest change stays, even alone over budget, so that its subscribers share it.
    fn shrink(&mut self) {
        while self.bytes > BUDGET && self.changes.len() > 1 {
            if let Some((_, kept)) = self.changes.pop_first() {
                self.bytes -= kept.bytes;
            }
        }
    }
}

/// About what a loaded change holds in memory: its item's size as JSON, most of which is
/// its text.
fn footprint(change: &sync::Change) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(std::mem::size_of::<sync::Change>());
    if let Some(item) = &change.item {
        let _ = serde_json::to_writer(&mut count, item);
    }
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_changes_go_first_and_the_newest_stays() {
        let fanout = Fanout::default();
        let first = fanout.shared(1);
        assert!(Arc::ptr_eq(&first, &fanout.shared(1)), "one change, one shared load");
        fanout.shared(2);
        fanout.charge(1, BUDGET / 2);
        fanout.charge(2, BUDGET / 2);
        assert_eq!(fanout.kept().0, 1, "over budget, the oldest goes");
        assert!(!Arc::ptr_eq(&first, &fanout.shared(1)), "a change let go is loaded anew");
        fanout.charge(3, BUDGET);
        fanout.shared(4);
        fanout.charge(4, 2 * BUDGET);
        let (changes, bytes) = fanout.kept();
        assert_eq!(changes, 1);
        assert_eq!(bytes, 2 * BUDGET + ENTRY_BYTES);
    }

    #[test]
    fn many_changes_stay_within_the_budget() {
        let fanout = Fanout::default();
        for seq in 0..100_000 {
            fanout.shared(seq);
            fanout.charge(seq, 1000);
        }
        let (changes, bytes) = fanout.kept();
        assert!(bytes <= BUDGET, "{bytes}");
        assert_eq!(changes, BUDGET / (1000 + ENTRY_BYTES));
    }
}
