//! Hostile requests: slow clients against the shutdown and the time limits, and the
//! security headers every response carries.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use quire_api::auth::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use crate::support::{Backend, TestApp, data, e2e};

const BOUNDARY: &str = "quire-hostile-boundary";

const UPLOAD: &str = "mutation($file: Upload!) { uploadAsset(file: $file) { id url } }";

/// The parts of an upload before its file's bytes, and what closes the body after them.
fn upload_parts(filename: &str) -> (String, String) {
    let operations = json!({ "query": UPLOAD, "variables": { "file": null } });
    let map = json!({ "0": ["variables.file"] });
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{map}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    (head, format!("\r\n--{BOUNDARY}--\r\n"))
}

/// Opens a connection and sends a multipart POST's head, announcing `length` body bytes.
async fn multipart_post(addr: SocketAddr, token: &str, length: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connected");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    stream
}

/// The status and body of the answer on `stream`, if it comes within `limit`.
async fn answer(stream: &mut TcpStream, limit: Duration) -> Option<(u16, String)> {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut bytes)).await;
    if !matches!(read, Ok(Ok(_))) && bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    Some((status, body))
}

/// A multipart request is given the normal time limit for its other parts: one without a
/// file whose `map` never arrives is answered `408` once that limit is over, not after the
/// ten minutes an upload may take. An upload whose file arrives slowly, for longer than the
/// normal limit, still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_file_arriving_earns_the_upload_time_limit() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let token = app.create_token(Role::Editor).await;
    let process = QuireProcess::start_with(&app, &["--request-timeout-seconds", "2"]);

    // Operations, then a map that stops half way: no file will ever come.
    let operations = json!({ "query": "{ __typename }" });
    let start = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{"
    );
    let sent = Instant::now();
    let mut stalled = multipart_post(process.addr, &token, start.len() + 1000).await;
    stalled.write_all(start.as_bytes()).await.expect("parts sent");
    let (status, _) = answer(&mut stalled, Duration::from_secs(15))
        .await
        .expect("a multipart request without a file gets the normal time limit");
    assert_eq!(status, 408);
    assert!(sent.elapsed() < Duration::from_secs(6), "answered after {:?}", sent.elapsed());

    // A file that takes twice the normal limit to arrive, in small pieces.
    let (head, tail) = upload_parts("slow.png");
    let image = crate::media::png(64, 64);
    let length = head.len() + image.len() + tail.len();
    let mut upload = multipart_post(process.addr, &token, length).await;
    upload.write_all(head.as_bytes()).await.expect("parts sent");
    for piece in image.chunks(image.len().div_ceil(8)) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        upload.write_all(piece).await.expect("a piece of the file sent");
    }
    upload.write_all(tail.as_bytes()).await.expect("the end sent");
    let (status, body) =
        answer(&mut upload, Duration::from_secs(15)).await.expect("the upload is answered");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"uploadAsset\":{\"id\""), "{body}");
    assert_peak_rss(&process);
}

/// SIGTERM with a client that never finishes its upload, another that never finishes its
/// request's head and an idle connection: Quire stops once its grace period is over, and
/// still saves the download counts it held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_does_not_hold_the_shutdown_past_its_grace_period() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let token = app.create_token(Role::Editor).await;
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lls/booklets/9-pillars-of-greatness.pdf"
    ))
    .expect("the example booklet");
    let uploaded: Value =
        app.upload(Some(&token), "held.pdf", pdf.clone()).await.json().await.expect("a JSON body");
    let file = data(&uploaded)["uploadAsset"].clone();
    let created = app
        .gql_as(
            &token,
            "mutation($f: ID) { createBooklet(input: { title: \"Held\", fileId: $f }) { id } }",
            json!({ "f": file["id"] }),
        )
        .await;
    let booklet = data(&created)["createBooklet"]["id"].clone();
    let published = app
        .gql_as(
            &token,
            "mutation($id: ID!) { publishBooklet(id: $id) { id } }",
            json!({ "id": booklet }),
        )
        .await;
    data(&published);

    let mut process = QuireProcess::start_with(
        &app,
        &["--shutdown-grace-seconds", "1", "--download-flush-interval-ms", "3600000"],
    );
    // A download by the public (the URL without the editor's signature), counted in memory,
    // not yet saved.
    let url = process.url(&crate::media::bare(&file["url"]));
    let downloaded = app.client.get(&url).send().await.expect("downloaded");
    assert_eq!(downloaded.status(), 200);
    assert_eq!(downloaded.bytes().await.expect("the file").as_ref(), pdf);

    let (head, _) = upload_parts("never-ends.pdf");
    let mut upload = multipart_post(process.addr, &token, head.len() + 1_000_000).await;
    upload.write_all(head.as_bytes()).await.expect("parts sent");
    upload.write_all(&pdf[..1000]).await.expect("bytes sent");
    let mut slow_head = TcpStream::connect(process.addr).await.expect("connected");
    slow_head.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("half a head sent");
    let _idle = TcpStream::connect(process.addr).await.expect("connected");
    // Time for the server to take the upload in hand.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_peak_rss(&process);

    let signalled = Instant::now();
    process.terminate();
    let status = process.wait_for_exit(Duration::from_secs(15));
    let took = signalled.elapsed();
    let status = status.expect("Quire stops despite the slow clients");
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(4), "stopped {took:?} after SIGTERM, with 1 s of grace");

    let counted =
        app.gql_as(&token, "{ booklet(slug: \"held\") { downloadCount } }", json!({})).await;
    assert_eq!(data(&counted)["booklet"]["downloadCount"], 1, "the pending count was saved");
}

/// Pages of every kind, each as the client that would ask for it.
async fn pages(app: &TestApp) -> Vec<(&'static str, reqwest::Response)> {
    let token = app.create_token(Role::Editor).await;
    let image = crate::media::png(4, 4);
    let uploaded: Value =
        app.upload(Some(&token), "logo.png", image).await.json().await.expect("a JSON body");
    let file = data(&uploaded)["uploadAsset"]["url"].as_str().expect("a file URL").to_string();
    let get = |path: &str| app.client.get(app.url(path));
    vec![
        ("GraphiQL", get("/graphql").header("accept", "text/html").send().await.expect("sent")),
        ("a query", app.post(None, &json!({ "query": "{ __typename }" })).await),
        ("a refused request", get("/graphql?query={").send().await.expect("sent")),
        ("/healthz", get("/healthz").send().await.expect("sent")),
        ("a file", get(&file).bearer_auth(&token).send().await.expect("sent")),
        ("a feed", get("/feeds/news.rss").send().await.expect("sent")),
        ("a 404", get("/no-such-page").send().await.expect("sent")),
    ]
}

async fn every_response_carries_the_security_headers(app: TestApp) {
    for (name, response) in pages(&app).await {
        assert!(response.status().as_u16() < 500, "{name}: {}", response.status());
        let header =
            |h: &str| response.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{name}");
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{name}");
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{name}");
        // Framing only: GraphiQL loads its scripts and styles from its CDN.
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some("frame-ancestors 'none'"),
            "{name}"
        );
    }
    let graphiql =
        app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert!(graphiql.text().await.unwrap().contains("graphiql"), "GraphiQL is still served");
}
e2e!(every_response_carries_the_security_headers);
