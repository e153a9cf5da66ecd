//! Subscriptions over WebSocket (`graphql-transport-ws`, and the older `graphql-ws`) at
//! `/graphql/ws`. A token may come in the upgrade request's `Authorization` header or, as
//! browsers cannot set headers on a WebSocket, as `Authorization` in `connection_init`'s
//! payload; without one the connection is the public's. The token is checked again before
//! each change is sent, so a signed-out or deactivated editor stops hearing of drafts, and
//! queries and mutations go over HTTP only, where each request is authenticated.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, Executor, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};

use super::AppState;
use crate::auth;
use crate::graphql::{QuireSchema, RequestContext};

/// The `Authorization` value a WebSocket connection was opened with, if any.
#[derive(Clone)]
pub struct WsCredentials(pub Option<String>);

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = match auth::authenticate(&state.db, &headers).await {
        Ok(actor) => actor,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let header_value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let client = state.client_ip(peer, &headers);
    let schema = SubscriptionsOnly(state.schema.clone());
    let db = state.db.clone();
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        GraphQLWebSocket::new(stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                let (actor, credentials) = match token_in(&payload) {
                    Some(value) => {
                        (auth::authenticate_value(&db, value).await?, Some(value.to_string()))
                    }
                    None => (from_header, header_value),
                };
                let mut data = Data::default();
                data.insert(RequestContext::new(db, actor, Some(client)));
                data.insert(WsCredentials(credentials));
                Ok(data)
            })
            .serve()
    })
}

/// `{"Authorization": "Bearer …"}` (either case of the key) in the init payload.
fn token_in(payload: &serde_json::Value) -> Option<&str> {
    ["Authorization", "authorization"].iter().find_map(|key| payload.get(*key)?.as_str())
}

/// The schema as the WebSocket runs it: queries and mutations are refused, since the
/// connection's caller was checked when it opened, and a request must be checked when it
/// runs. (Refused here rather than in a schema extension, which would wrap every field of
/// every HTTP answer too.)
#[derive(Clone)]
struct SubscriptionsOnly(QuireSchema);

impl Executor for SubscriptionsOnly {
    async fn execute(&self, _request: async_graphql::Request) -> async_graphql::Response {
        not_over_websocket()
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        if !is_subscription(&request) {
            return futures_util::stream::once(async { not_over_websocket() }).boxed();
        }
        Executor::execute_stream(&self.0, request, session_data)
    }
}

fn not_over_websocket() -> async_graphql::Response {
    let mut error = ServerError::new("send queries and mutations over HTTP", None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

fn is_subscription(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Subscription,
        DocumentOperations::Multiple(ops) => ops.iter().all(|(name, op)| {
            op.node.ty == OperationType::Subscription
                || request.operation_name.as_deref().is_some_and(|wanted| wanted != name.as_str())
        }),
    }
}
