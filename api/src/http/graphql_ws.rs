//! Subscriptions over WebSocket (`graphql-transport-ws`, and the older `graphql-ws`) at
//! `/graphql/ws`. A token may come in the upgrade request's `Authorization` header or, as
//! browsers cannot set headers on a WebSocket, as `Authorization` in `connection_init`'s
//! payload; without one the connection is the public's.

use std::net::SocketAddr;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::AppState;
use crate::auth::{self, Actor};
use crate::graphql::RequestContext;

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
    let schema = state.schema.clone();
    let db = state.db.clone();
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        GraphQLWebSocket::new(stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                let actor = match token_in(&payload) {
                    Some(value) => actor_for(&db, value).await?,
                    None => from_header,
                };
                let mut data = Data::default();
                data.insert(RequestContext::new(db, actor, Some(peer.ip())));
                Ok(data)
            })
            .serve()
    })
}

/// `{"Authorization": "Bearer …"}` (either case of the key) in the init payload.
fn token_in(payload: &serde_json::Value) -> Option<&str> {
    ["Authorization", "authorization"].iter().find_map(|key| payload.get(*key)?.as_str())
}

async fn actor_for(db: &crate::db::Db, value: &str) -> async_graphql::Result<Actor> {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(value)
        .map_err(|_| async_graphql::Error::new("the Authorization value is not valid"))?;
    headers.insert(AUTHORIZATION, value);
    auth::authenticate(db, &headers).await.map_err(Into::into)
}
