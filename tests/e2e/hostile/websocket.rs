//! Hostile requests: WebSockets. An oversized message (whole or in fragments), more
//! subscriptions or connections than allowed, a socket that never says `connection_init`,
//! and subscribers that stop reading: each is refused or closed within its bound.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use super::*;
use crate::fixtures::{create, editor, publish};
use crate::live::Socket;
use crate::support::{Backend, TestApp, e2e};

async fn connect(process: &QuireProcess) -> Result<Socket, tungstenite::Error> {
    let mut request = format!("ws://{}/graphql/ws", process.addr).into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// A connection that has said `connection_init` and been acknowledged.
async fn initialised(process: &QuireProcess) -> Socket {
    let mut socket = connect(process).await.expect("a connection");
    send(&mut socket, json!({ "type": "connection_init", "payload": {} })).await;
    match hear(&mut socket, Duration::from_secs(5)).await {
        Heard::Message(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
        other => panic!("no acknowledgement: {other:?}"),
    }
    socket
}

#[derive(Debug)]
enum Heard {
    Message(Value),
    /// Closed, with the close frame's code if there was one.
    Closed(Option<u16>),
    Quiet,
}

/// What the server says next, within `wait`.
async fn hear<S>(socket: &mut S, wait: Duration) -> Heard
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return Heard::Quiet,
            Ok(Some(Ok(Message::Text(text)))) => {
                return Heard::Message(serde_json::from_str(&text).unwrap());
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Heard::Closed(frame.map(|f| u16::from(f.code)));
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => return Heard::Closed(None),
        }
    }
}

/// Sends one 20 MB text message in `fragment`-byte frames, while listening for what the
/// server says; returns that and the bytes it took before refusing.
async fn send_huge_message(process: &QuireProcess, fragment: usize) -> (Heard, usize) {
    const TOTAL: usize = 20 * 1024 * 1024;
    let (mut sink, mut stream) = connect(process).await.unwrap().split();
    let listening = tokio::spawn(async move { hear(&mut stream, Duration::from_secs(20)).await });
    let payload = bytes::Bytes::from(vec![b'a'; fragment]);
    let mut sent = 0;
    while sent < TOTAL && !listening.is_finished() {
        let opcode = OpCode::Data(if sent == 0 { Data::Text } else { Data::Continue });
        let frame = Frame::message(payload.clone(), opcode, sent + fragment >= TOTAL);
        match tokio::time::timeout(Duration::from_secs(5), sink.send(Message::Frame(frame))).await {
            Ok(Ok(())) => sent += fragment,
            _ => break,
        }
    }
    (listening.await.unwrap(), sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_message_is_refused_in_whole_frames_or_in_small_fragments() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let process = QuireProcess::start_with(&app, &[]);
    // 1 MiB frames pass the frame limit; 16 KiB fragments each pass it, and add up past the
    // message limit (64 KiB).
    for fragment in [1024 * 1024, 16 * 1024] {
        let (heard, sent) = send_huge_message(&process, fragment).await;
        // 1009: "message too big".
        assert!(
            matches!(heard, Heard::Closed(Some(1009))),
            "{fragment}-byte fragments: {heard:?} after {sent} bytes"
        );
        println!(
            "a 20 MB message in {fragment}-byte fragments was refused after {sent} bytes sent"
        );
    }
    let health = app.client.get(process.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let mut socket = initialised(&process).await;
    socket.close(None).await.unwrap();
    assert_peak_rss(&process);
    println!("peak RSS after two 20 MB messages: {} MB", process.peak_rss() / (1024 * 1024));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_sends_connection_init_is_closed_in_time() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let process = QuireProcess::start_with(&app, &["--ws-init-timeout-ms", "300"]);
    let opened = Instant::now();
    let mut silent = connect(&process).await.unwrap();
    let mut polite = initialised(&process).await;
    // 4408: "Connection initialisation timeout" (graphql-transport-ws).
    let heard = hear(&mut silent, Duration::from_secs(5)).await;
    assert!(matches!(heard, Heard::Closed(Some(4408))), "{heard:?}");
    let waited = opened.elapsed();
    assert!(waited >= Duration::from_millis(300), "closed after {waited:?}");
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");

    // A socket that said it in time stays open past the timeout.
    tokio::time::sleep(Duration::from_millis(400)).await;
    send(&mut polite, json!({ "type": "ping" })).await;
    match hear(&mut polite, Duration::from_secs(5)).await {
        Heard::Message(pong) => assert_eq!(pong["type"], "pong", "{pong}"),
        other => panic!("the initialised socket was closed: {other:?}"),
    }
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_a_bounded_number_of_connections() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let process = QuireProcess::start_with(&app, &["--ws-max-connections-per-address", "4"]);
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(initialised(&process).await);
    }
    for _ in 0..200 {
        match connect(&process).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 429);
                let body: Value =
                    serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
                assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{body}");
            }
            Ok(_) => panic!("a connection past the limit was accepted"),
            Err(err) => panic!("refused uncleanly: {err}"),
        }
    }
    // Requests over HTTP are not connections.
    let health = app.client.get(process.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // A closed connection frees its place.
    open.remove(0).close(None).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while connect(&process).await.is_err() {
        assert!(Instant::now() < deadline, "a closed connection's place was never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_peak_rss(&process);
}

const CHANGED: &str = "subscription { contentChanged { id } }";

fn subscribe(id: &str, query: &str) -> Value {
    json!({ "id": id, "type": "subscribe", "payload": { "query": query } })
}

async fn a_connection_holds_sixteen_subscriptions_at_most(app: TestApp) {
    let process = QuireProcess::start_with(&app, &[]);
    let token = editor(&app).await;
    let mut socket = initialised(&process).await;
    for n in 0..16 {
        send(&mut socket, subscribe(&n.to_string(), CHANGED)).await;
    }
    send(&mut socket, subscribe("over", CHANGED)).await;
    let Heard::Message(refused) = hear(&mut socket, Duration::from_secs(5)).await else {
        panic!("the 17th subscription was not refused");
    };
    assert_eq!(refused["id"], "over", "{refused}");
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{refused}");
    let Heard::Message(ended) = hear(&mut socket, Duration::from_secs(5)).await else {
        panic!("the refused subscription was not completed");
    };
    assert_eq!((&ended["id"], &ended["type"]), (&json!("over"), &json!("complete")));

    // Completing one frees its place; the others go on.
    send(&mut socket, json!({ "id": "0", "type": "complete" })).await;
    send(&mut socket, subscribe("16", CHANGED)).await;
    let want: BTreeSet<String> = (1..=16).map(|n| n.to_string()).collect();
    let mut heard = BTreeSet::new();
    for attempt in 0..10 {
        let input = format!("{{ title: \"Probe {attempt}\" }}");
        let item = create(&app, &token, "NewsArticle", &input).await;
        publish(&app, &token, "NewsArticle", item["id"].as_str().unwrap()).await;
        while let Heard::Message(message) = hear(&mut socket, Duration::from_millis(1500)).await {
            assert_ne!(message["type"], "error", "{message}");
            assert!(message["payload"]["errors"].is_null(), "{message}");
            if message["type"] == "next" {
                heard.insert(message["id"].as_str().unwrap().to_string());
            }
        }
        if heard == want {
            break;
        }
    }
    assert_eq!(heard, want);
    assert_peak_rss(&process);
}
e2e!(a_connection_holds_sixteen_subscriptions_at_most);

/// Editors write large items while subscribers hold every subscription they may and never
/// read: what the server holds for them stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_that_never_read_hold_bounded_memory() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let process = QuireProcess::start_with(&app, &[]);
    let token = editor(&app).await;
    let bodies =
        "subscription { contentChanged { id node { ... on NewsArticle { body bodyHtml } } } }";
    let mut sockets = Vec::new();
    for _ in 0..8 {
        let mut socket = initialised(&process).await;
        for n in 0..16 {
            send(&mut socket, subscribe(&n.to_string(), bodies)).await;
        }
        sockets.push(socket);
    }
    let paragraph = "All work and no play makes a dull front page. ".repeat(20);
    let body = format!("{paragraph}\n\n").repeat(256 * 1024 / (paragraph.len() + 2));
    let query = "mutation($title: String!, $body: String!) { createNewsArticle(input: { title: $title, body: $body }) { id } }";
    for n in 0..24 {
        let created =
            app.gql_as(&token, query, json!({ "title": format!("Long {n}"), "body": body })).await;
        let id =
            crate::support::data(&created)["createNewsArticle"]["id"].as_str().unwrap().to_string();
        publish(&app, &token, "NewsArticle", &id).await;
    }
    // The server hears of the last change within a second or so (it polls the journal).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_peak_rss(&process);
    // The subscribers were only slow: they are told of changes once they read.
    let socket = &mut sockets[0];
    let heard = hear(socket, Duration::from_secs(5)).await;
    let Heard::Message(next) = heard else {
        panic!("a slow subscriber heard nothing: {heard:?}");
    };
    assert_eq!(next["type"], "next", "{next}");
    println!(
        "peak RSS with 128 subscriptions that never read: {} MB",
        process.peak_rss() / (1024 * 1024)
    );
}

/// A subscription is measured like any other operation: one built to explode is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_over_the_cost_limit_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let process = QuireProcess::start_with(&app, &[]);
    let mut query = String::from("fragment F0 on Subscriptions { contentChanged { id kind } }\n");
    for i in 1..=25 {
        query.push_str(&format!(
            "fragment F{i} on Subscriptions {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    query.push_str("subscription { ...F25 }");
    let mut socket = initialised(&process).await;
    let started = Instant::now();
    send(&mut socket, subscribe("bomb", &query)).await;
    let Heard::Message(refused) = hear(&mut socket, Duration::from_secs(5)).await else {
        panic!("the subscription was not refused");
    };
    assert!(started.elapsed() < Duration::from_secs(2));
    let errors = if refused["type"] == "error" {
        &refused["payload"]
    } else {
        &refused["payload"]["errors"]
    };
    assert_eq!(errors[0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{refused}");
    assert_peak_rss(&process);
}
