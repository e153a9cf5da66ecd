//! Subscriptions over WebSocket (`graphql-transport-ws`, and the older `graphql-ws`) at
//! `/graphql/ws`. A token may come in the upgrade request's `Authorization` header or, as
//! browsers cannot set headers on a WebSocket, as `Authorization` in `connection_init`'s
//! payload; without one the connection is the public's. The token is checked again before
//! each change is sent, so a signed-out or deactivated editor stops hearing of drafts, and
//! queries and mutations go over HTTP only, where each request is authenticated.
//!
//! Each connection is bounded: a client address holds at most so many connections (more are
//! refused with 429 and `RATE_LIMITED` before the upgrade), a message (fragments counted
//! together) or frame over the size limit closes the socket with 1009, a subscription past
//! the per-connection limit is answered with a `RATE_LIMITED` error and ends, and a socket
//! that does not send `connection_init` in time is closed with 4408. What a connection
//! holds is bounded in bytes with them: one incoming message; outgoing, one message past
//! the write buffer, since the next is not made until the last has gone (a client that
//! stops reading stops its own subscriptions, and falls behind in the shared journal
//! instead); and a bounded number of subscriptions, each a document of one message.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Data, Executor};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};

use super::AppState;
use super::ws_connections::Connections;
use crate::config::WebSocketConfig;
use crate::graphql::{QuireSchema, Refused, RequestContext, errors};
use quire_core::auth;
use quire_core::error::codes;

pub use crate::graphql::WsCredentials;

/// What one WebSocket connection, and one client address, may hold.
pub struct Limits {
    connections: Connections,
    max_message_bytes: usize,
    max_subscriptions: usize,
    init_timeout: Duration,
}

impl Limits {
    pub fn new(config: &WebSocketConfig) -> Self {
        Limits {
            connections: Connections::new(config.ws_max_connections_per_address),
            max_message_bytes: config.ws_max_message_bytes.max(1),
            max_subscriptions: config.ws_max_subscriptions,
            init_timeout: Duration::from_millis(config.ws_init_timeout_ms),
        }
    }
}

/// graphql-transport-ws: the client did not send `connection_init` in time.
const INIT_TIMEOUT: u16 = 4408;

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let client = state.client_ip(peer, &headers);
    let limits = &state.websockets;
    let Some(slot) = limits.connections.open(client) else {
        return too_many_connections();
    };
    let from_header = match auth::authenticate(&state.db, &headers).await {
        Ok(actor) => actor,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let header_value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let executor = SubscriptionsOnly {
        schema: state.schema.clone(),
        guard: state.guard.clone(),
        active: Arc::default(),
        most: limits.max_subscriptions,
    };
    let init_timeout = limits.init_timeout;
    let db = state.db.clone();
    let on_init = move |payload: serde_json::Value| async move {
        let (actor, credentials) = match token_in(&payload) {
            Some(value) => (auth::authenticate_value(&db, value).await?, Some(value.to_string())),
            None => (from_header, header_value),
        };
        let mut data = Data::default();
        data.insert(RequestContext::new(db, actor, Some(client)));
        data.insert(WsCredentials(credentials));
        Ok(data)
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // A fragmented message is held whole until its last fragment: the limit is on that.
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .on_upgrade(move |socket| async move {
            serve(socket, executor, protocol, init_timeout, on_init).await;
            drop(slot);
        })
}

/// Runs the protocol until either side ends it; when a limit ends it, says which in the
/// close frame.
async fn serve<OnInit, InitFut>(
    socket: WebSocket,
    executor: SubscriptionsOnly,
    protocol: GraphQLProtocol,
    init_timeout: Duration,
    on_init: OnInit,
) where
    OnInit: FnOnce(serde_json::Value) -> InitFut + Send + 'static,
    InitFut: Future<Output = async_graphql::Result<Data>> + Send + 'static,
{
    let (mut sink, mut stream) = socket.split();
    let too_large = AtomicBool::new(false);
    let (initialised, init_seen) = tokio::sync::oneshot::channel::<()>();
    let input = (&mut stream).inspect(|message| {
        if let Err(err) = message {
            too_large.fetch_or(is_too_large(err), Ordering::Relaxed);
        }
    });
    let session = GraphQLWebSocket::new_with_pair(&mut sink, input, executor, protocol)
        .on_connection_init(move |payload| {
            let _ = initialised.send(());
            on_init(payload)
        });
    let init_overdue = async {
        if tokio::time::timeout(init_timeout, init_seen).await.is_ok() {
            std::future::pending::<()>().await;
        }
    };
    let close = tokio::select! {
        () = session.serve() => too_large
            .load(Ordering::Relaxed)
            .then_some((close_code::SIZE, "the message is too large")),
        () = init_overdue => Some((INIT_TIMEOUT, "Connection initialisation timeout")),
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame { code, reason: reason.into() };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
}

/// A message or frame over the size limit (the socket cannot be read past it).
fn is_too_large(err: &axum::Error) -> bool {
    std::error::Error::source(err)
        .and_then(|cause| cause.downcast_ref::<tungstenite::Error>())
        .is_some_and(|cause| matches!(cause, tungstenite::Error::Capacity(_)))
}

fn too_many_connections() -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": "too many WebSocket connections from this address",
        "extensions": { "code": codes::RATE_LIMITED },
    }] });
    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

/// `{"Authorization": "Bearer …"}` (either case of the key) in the init payload.
fn token_in(payload: &serde_json::Value) -> Option<&str> {
    ["Authorization", "authorization"].iter().find_map(|key| payload.get(*key)?.as_str())
}

/// The schema as one connection runs it: queries and mutations are refused, since the
/// connection's caller was checked when it opened, and a request must be checked when it
/// runs (refused here rather than in a schema extension, which would wrap every field of
/// every HTTP answer too); and at most `most` subscriptions run at a time.
#[derive(Clone)]
struct SubscriptionsOnly {
    schema: QuireSchema,
    /// The same limits on cost as over HTTP.
    guard: crate::graphql::RequestGuard,
    /// This connection's running subscriptions.
    active: Arc<AtomicUsize>,
    most: usize,
}

impl Executor for SubscriptionsOnly {
    async fn execute(&self, _request: async_graphql::Request) -> async_graphql::Response {
        not_over_websocket()
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        self.subscribe(request, session_data)
            .map(|mut response| {
                let before_execution = errors::before_execution(&response);
                errors::label(&mut response, before_execution);
                response
            })
            .boxed()
    }
}

impl SubscriptionsOnly {
    fn subscribe(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
            // async-graphql reports the syntax error.
            return Executor::execute_stream(&self.schema, request, session_data);
        };
        if !is_subscription(&document, request.operation_name.as_deref()) {
            return futures_util::stream::once(async { not_over_websocket() }).boxed();
        }
        let operation = request.operation_name.as_deref();
        if let Err(Refused::TooComplex(refusal)) =
            self.guard.check(&document, operation, &request.variables, false)
        {
            let message = format!("the query is too complex: {}", refusal.message());
            return futures_util::stream::once(async move {
                self::refusal(&message, codes::QUERY_TOO_COMPLEX)
            })
            .boxed();
        }
        request.set_parsed_query(document);
        let Some(place) = Running::start(&self.active, self.most) else {
            return futures_util::stream::once(async { too_many_subscriptions() }).boxed();
        };
        // The place is given back when the subscription's stream is dropped: when it ends,
        // the client completes it, or the connection closes.
        Executor::execute_stream(&self.schema, request, session_data)
            .map(move |response| {
                let _ = &place;
                response
            })
            .boxed()
    }
}

/// One running subscription of a connection.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(active: &Arc<AtomicUsize>, most: usize) -> Option<Running> {
        active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < most).then_some(n + 1))
            .ok()
            .map(|_| Running(active.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn not_over_websocket() -> async_graphql::Response {
    refusal("send queries and mutations over HTTP", codes::BAD_USER_INPUT)
}

fn too_many_subscriptions() -> async_graphql::Response {
    refusal(
        "this connection holds as many subscriptions as it may: complete one first",
        codes::RATE_LIMITED,
    )
}

fn refusal(message: &str, code: &'static str) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![errors::coded(message, code)])
}

fn is_subscription(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Subscription,
        DocumentOperations::Multiple(ops) => ops.iter().all(|(name, op)| {
            op.node.ty == OperationType::Subscription
                || operation_name.is_some_and(|wanted| wanted != name.as_str())
        }),
    }
}
