//! Ids for requests that arrive without an `x-request-id`: a UUID made of a random number
//! drawn once per process and a counter. Ids need to be unique, not unguessable, and a
//! random UUID per request cost a `getrandom` system call each.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use uuid::Uuid;

#[derive(Clone)]
pub struct ProcessCounter {
    process: u64,
    next: Arc<AtomicU64>,
}

impl ProcessCounter {
    pub fn new() -> ProcessCounter {
        ProcessCounter { process: Uuid::new_v4().as_u64_pair().0, next: Arc::default() }
    }

    fn next_id(&self) -> Uuid {
        Uuid::from_u64_pair(self.process, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl MakeRequestId for ProcessCounter {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = self.next_id().hyphenated().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_within_a_process_and_between_processes() {
        let one = ProcessCounter::new();
        let ids: std::collections::HashSet<Uuid> = (0..1000).map(|_| one.next_id()).collect();
        assert_eq!(ids.len(), 1000);
        let other = ProcessCounter::new();
        assert_ne!(one.next_id().as_u64_pair().0, other.next_id().as_u64_pair().0);
    }
}
