//! A webhook receiver the tests start on 127.0.0.1: it records every request and answers
//! 500 to as many of them as it is told to fail, or redirects every one elsewhere.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The status the receiver answered with.
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether `X-Quire-Signature` is the HMAC-SHA256 of the body with `secret`.
    pub fn signed_with(&self, secret: &str) -> bool {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&self.body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        self.header("x-quire-signature") == expected
    }
}

#[derive(Default)]
struct Shared {
    failures_left: AtomicUsize,
    received: Mutex<Vec<Received>>,
    /// Where to redirect every request, with a body that tells who answered.
    redirect: Option<(String, String)>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let fail = shared
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = match (&shared.redirect, fail) {
        (Some(_), _) => StatusCode::TEMPORARY_REDIRECT,
        (None, true) => StatusCode::INTERNAL_SERVER_ERROR,
        (None, false) => StatusCode::OK,
    };
    shared.received.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
        answered: status.as_u16(),
    });
    match &shared.redirect {
        Some((location, said)) => {
            (status, [(header::LOCATION, location.clone())], said.clone()).into_response()
        }
        None => status.into_response(),
    }
}

impl Receiver {
    /// A receiver that answers 500 to the first `failures` requests, then 200.
    pub async fn start(failures: usize) -> Receiver {
        let shared = Shared::default();
        shared.failures_left.store(failures, Ordering::SeqCst);
        Receiver::serve(shared).await
    }

    /// A receiver that answers every request with a 307 redirect to `location` (which keeps
    /// the method and body if followed), and a body of `said`.
    pub async fn redirecting(location: &str, said: &str) -> Receiver {
        let redirect = Some((location.to_string(), said.to_string()));
        Receiver::serve(Shared { redirect, ..Shared::default() }).await
    }

    async fn serve(shared: Shared) -> Receiver {
        let shared = Arc::new(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/hook", post(record)).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver { url: format!("http://{addr}/hook"), shared, server }
    }

    pub fn fail_next(&self, failures: usize) {
        self.shared.failures_left.store(failures, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests were answered 200, or panics after `within`.
    pub async fn wait_for_successes(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let ok: Vec<Received> =
                self.received().into_iter().filter(|r| r.answered == 200).collect();
            if ok.len() >= n {
                return ok;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} successful deliveries, got {}: {:#?}",
                ok.len(),
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// An address that accepts connections and never answers: a hung endpoint.
pub async fn black_hole() -> (String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (format!("http://{addr}/hook"), task)
}
