//! Live updates: `subscription { contentChanged }` over graphql-ws at `/graphql/ws`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::fixtures::{create, editor, publish};
use crate::support::{TestApp, e2e};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const SUBSCRIPTION: &str = "subscription { contentChanged { cursor id kind contentType node { ... on NewsArticle { title } } } }";

/// A graphql-transport-ws client, subscribed; `token` goes in `connection_init`.
pub async fn subscribe(app: &TestApp, token: Option<&str>, query: &str) -> Socket {
    subscribe_at(app.addr, token, query).await
}

pub async fn subscribe_at(addr: std::net::SocketAddr, token: Option<&str>, query: &str) -> Socket {
    let url = format!("ws://{addr}/graphql/ws");
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(&mut socket, json!({ "type": "connection_init", "payload": payload })).await;
    // Answers the test waits for may take long on a busy machine; only the quiet that
    // says "nothing more is coming" is kept short.
    assert_eq!(within(&mut socket, REPLY).await.unwrap()["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
    send(&mut socket, subscribe).await;
    // The subscription is registered once the server has read the message; a ping round
    // trip after it proves that.
    send(&mut socket, json!({ "type": "ping" })).await;
    // Changes made before may arrive first; they are not what the test waits for.
    while within(&mut socket, REPLY).await.expect("a pong")["type"] != "pong" {}
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// A subscription starts listening shortly after the server reads it, with no message to
/// say so: publishes `type_name` items until every socket has heard one, then drains them.
pub async fn until_listening(
    app: &TestApp,
    token: &str,
    type_name: &str,
    sockets: &mut [&mut Socket],
) {
    let title = format!("{{ title: \"Probe {}\" }}", uuid::Uuid::now_v7().simple());
    let probe = create(app, token, type_name, &title).await;
    let id = probe["id"].as_str().unwrap().to_string();
    let mut listening = vec![false; sockets.len()];
    for _ in 0..20 {
        publish(app, token, type_name, &id).await;
        let unpublish = format!("mutation($id: ID!) {{ unpublish{type_name}(id: $id) {{ id }} }}");
        app.gql_as(token, &unpublish, json!({ "id": id })).await;
        for (socket, heard) in sockets.iter_mut().zip(listening.iter_mut()) {
            if !*heard {
                *heard =
                    tokio::time::timeout(Duration::from_millis(300), socket.next()).await.is_ok();
            }
        }
        if listening.iter().all(|heard| *heard) {
            for socket in sockets.iter_mut() {
                while next(socket).await.is_some() {}
            }
            return;
        }
    }
    panic!("a subscription never started listening");
}

/// How long a reply the server owes may take.
const REPLY: Duration = Duration::from_secs(15);

/// The next message, or `None` after a quiet second.
async fn next(socket: &mut Socket) -> Option<Value> {
    within(socket, Duration::from_secs(1)).await
}

/// The next message, or `None` after `quiet` without one.
async fn within(socket: &mut Socket, quiet: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(quiet, socket.next()).await.ok()??;
        if let Message::Text(text) = message.unwrap() {
            return Some(serde_json::from_str(&text).unwrap());
        }
    }
}

pub async fn next_change(socket: &mut Socket) -> Option<Value> {
    let message = next(socket).await?;
    assert_eq!(message["type"], "next", "{message}");
    Some(message["payload"]["data"]["contentChanged"].clone())
}

async fn the_public_hears_of_publications_only(app: TestApp) {
    let token = editor(&app).await;
    let mut public = subscribe(&app, None, SUBSCRIPTION).await;
    let mut staff = subscribe(&app, Some(&token), SUBSCRIPTION).await;
    until_listening(&app, &token, "NewsArticle", &mut [&mut public, &mut staff]).await;

    let item = create(&app, &token, "NewsArticle", "{ title: \"Breaking\" }").await;
    let heard = next_change(&mut staff).await.expect("the editor hears of the draft");
    assert_eq!(heard["id"], item["id"]);
    assert_eq!(heard["kind"], "UPSERTED");
    assert_eq!(heard["node"]["title"], "Breaking");
    assert!(next(&mut public).await.is_none(), "the public heard of a draft");

    publish(&app, &token, "NewsArticle", item["id"].as_str().unwrap()).await;
    let heard = next_change(&mut public).await.expect("the public hears of the publication");
    assert_eq!(heard["id"], item["id"]);
    assert_eq!(heard["kind"], "UPSERTED");
    assert_eq!(heard["contentType"], "NEWS_ARTICLE");
    assert_eq!(heard["node"]["title"], "Breaking");
    assert_eq!(next_change(&mut staff).await.unwrap()["id"], item["id"]);

    let unpublish = "mutation($id: ID!) { unpublishNewsArticle(id: $id) { id } }";
    app.gql_as(&token, unpublish, json!({ "id": item["id"] })).await;
    let heard = next_change(&mut public).await.expect("the public hears it go");
    assert_eq!(heard["kind"], "DELETED");
    assert!(heard["node"].is_null());

    // The cursor of a live change continues a delta sync.
    let query = "query($after: String) { changes(after: $after) { nodes { id } } }";
    let response = app.gql(query, json!({ "after": heard["cursor"] })).await;
    assert_eq!(response["data"]["changes"]["nodes"], json!([]));
}
e2e!(the_public_hears_of_publications_only);

async fn subscriptions_filter_by_type_and_refuse_bad_tokens(app: TestApp) {
    let token = editor(&app).await;
    let only_releases =
        "subscription { contentChanged(types: [PRESS_RELEASE]) { id contentType } }";
    let mut socket = subscribe(&app, Some(&token), only_releases).await;
    until_listening(&app, &token, "PressRelease", &mut [&mut socket]).await;
    create(&app, &token, "NewsArticle", "{ title: \"News\" }").await;
    let release = create(&app, &token, "PressRelease", "{ title: \"Release\" }").await;
    let heard = next_change(&mut socket).await.expect("the press release");
    assert_eq!(heard["id"], release["id"]);

    let url = format!("ws://{}/graphql/ws", app.addr);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nope" } });
    send(&mut socket, init).await;
    // The server closes the connection rather than acknowledging it.
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    assert!(matches!(answer, None | Some(Ok(Message::Close(_))) | Some(Err(_))), "{answer:?}");
}
e2e!(subscriptions_filter_by_type_and_refuse_bad_tokens);

async fn a_revoked_token_stops_hearing_and_sockets_run_subscriptions_only(app: TestApp) {
    let admin = app.create_token(quire_api::auth::Role::Admin).await;
    let token = editor(&app).await;
    let mut staff = subscribe(&app, Some(&token), SUBSCRIPTION).await;
    until_listening(&app, &admin, "NewsArticle", &mut [&mut staff]).await;

    // A query over the socket is refused: requests are checked over HTTP.
    send(&mut staff, json!({ "id": "2", "type": "subscribe", "payload": { "query": "{ news { nodes { id } } }" } })).await;
    let refused = next(&mut staff).await.expect("an answer");
    assert_eq!(refused["id"], "2");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
    while next(&mut staff).await.is_some() {}

    let tokens = app.gql_as(&admin, "{ apiTokens { id role } }", json!({})).await;
    let editor_token = crate::support::data(&tokens)["apiTokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "EDITOR")
        .unwrap()["id"]
        .clone();
    let revoke = "mutation($id: ID!) { revokeApiToken(id: $id) { id } }";
    crate::support::data(&app.gql_as(&admin, revoke, json!({ "id": editor_token })).await);
    create(&app, &admin, "NewsArticle", "{ title: \"After the revocation\" }").await;
    let after = next(&mut staff).await;
    assert!(
        after.as_ref().is_none_or(|m| m["type"] == "complete"),
        "a revoked token heard: {after:?}"
    );
}
e2e!(a_revoked_token_stops_hearing_and_sockets_run_subscriptions_only);

/// SQL statements the server runs for one publication, from the mutation until every
/// socket has heard of it; staff's sockets hear of the draft first.
async fn statements_for_a_publication(
    app: &TestApp,
    token: &str,
    staff: bool,
    sockets: &mut [Socket],
) -> u64 {
    let title = format!("Measured {}", uuid::Uuid::now_v7().simple());
    let item = create(app, token, "NewsArticle", &format!("{{ title: \"{title}\" }}")).await;
    for socket in sockets.iter_mut().filter(|_| staff) {
        assert_eq!(next_change(socket).await.expect("the draft")["id"], item["id"]);
    }
    let before = app.statements();
    publish(app, token, "NewsArticle", item["id"].as_str().unwrap()).await;
    for socket in sockets.iter_mut() {
        let heard = next_change(socket).await.expect("every subscriber hears of it");
        assert_eq!(heard["id"], item["id"]);
        assert_eq!(heard["node"]["title"], title.as_str());
    }
    app.statements() - before
}

async fn subscribers(app: &TestApp, token: &str, staff: Option<&str>, n: usize) -> Vec<Socket> {
    let mut sockets = Vec::new();
    for _ in 0..n {
        sockets.push(subscribe(app, staff, SUBSCRIPTION).await);
    }
    until_listening(app, token, "NewsArticle", &mut sockets.iter_mut().collect::<Vec<_>>()).await;
    sockets
}

async fn one_change_is_loaded_once_however_many_subscribe(app: TestApp) {
    let token = editor(&app).await;
    let mut one = subscribers(&app, &token, None, 1).await;
    let for_one = statements_for_a_publication(&app, &token, false, &mut one).await;
    let mut many = subscribers(&app, &token, None, 20).await;
    let for_many = statements_for_a_publication(&app, &token, false, &mut many).await;
    println!(
        "statements for a publication: {for_one} with 1 public subscriber, {for_many} with 20"
    );
    assert_eq!(for_many, for_one, "20 public subscribers cost more than 1");
    drop((one, many));

    // Editors' subscriptions share the load of the draft view, and the check of their
    // token, as long as they hold the same one.
    let mut one = subscribers(&app, &token, Some(&token), 1).await;
    let for_one = statements_for_a_publication(&app, &token, true, &mut one).await;
    let mut many = subscribers(&app, &token, Some(&token), 8).await;
    let for_many = statements_for_a_publication(&app, &token, true, &mut many).await;
    println!("statements for a publication: {for_one} with 1 editor subscribed, {for_many} with 8");
    assert_eq!(for_many, for_one, "8 editors' subscriptions cost more than 1");
}
e2e!(one_change_is_loaded_once_however_many_subscribe);
