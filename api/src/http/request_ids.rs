//! Ids for requests that arrive without an `x-request-id`: random (version 4) UUIDs from
//! the thread's own generator. tower-http's `MakeRequestUuid` asks the kernel for each one,
//! a `getrandom` system call per request.

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};
use uuid::{Builder, Uuid};

#[derive(Clone, Copy)]
pub struct RandomUuid;

fn random_uuid() -> Uuid {
    Builder::from_random_bytes(rand::random()).into_uuid()
}

impl MakeRequestId for RandomUuid {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = random_uuid().hyphenated().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_version_4_uuids() {
        let ids: std::collections::HashSet<Uuid> = (0..1000).map(|_| random_uuid()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.get_version_num() == 4));
    }
}
