//! Hostile requests: webhooks as a way into the network Quire runs in. Targets that are
//! loopback, private or link-local are refused when created and again at delivery, and
//! redirects are never followed.

use std::time::Duration;

use quire_api::auth::Role;
use serde_json::{Value, json};

use super::assert_peak_rss;
use crate::fixtures::{create, id_of};
use crate::process::QuireProcess;
use crate::receiver::Receiver;
use crate::support::{TestApp, data, e2e, error_code, error_field};

const SECRET: &str = "a secret of sixteen or more";
const CREATE: &str = "mutation($u: String!, $s: String!) { createWebhook(input: { url: $u, events: [CONTENT_PUBLISHED], secret: $s }) { id } }";
const DELIVERIES: &str = "query($id: ID!) { webhookDeliveries(webhookId: $id) { status attempts lastStatusCode lastError } }";

async fn gql(process: &QuireProcess, token: &str, query: &str, variables: Value) -> Value {
    crate::support::http_client()
        .post(process.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON body")
}

/// The delivery log of a webhook once its newest delivery has failed for good.
async fn failed(process: &QuireProcess, admin: &str, hook: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let response = gql(process, admin, DELIVERIES, json!({ "id": hook })).await;
        let log = data(&response)["webhookDeliveries"].as_array().expect("a list").clone();
        if log.first().is_some_and(|d| d["status"] == "FAILED") {
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "the delivery did not fail: {log:#?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn private_targets_are_refused_when_a_webhook_is_created(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let process = QuireProcess::start(&app);
    for url in [
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x",
        "http://10.0.0.1/x",
        "http://localhost:9/x",
        "http://2130706433:9/x",
        "http://[::ffff:127.0.0.1]:9/x",
        "http://[fd00::1]/x",
        "http://[fe80::1]/x",
        "http://100.64.0.1/x",
        "http://0.0.0.0:9/x",
        "http://192.168.1.1/x",
    ] {
        let response = gql(&process, &admin, CREATE, json!({ "u": url, "s": SECRET })).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{url}: {response}");
        assert_eq!(error_field(&response), "url", "{url}");
    }
    let listed = gql(&process, &admin, "{ webhooks { id } }", json!({})).await;
    assert_eq!(data(&listed)["webhooks"], json!([]), "nothing was registered");
    assert_peak_rss(&process);
    drop(process);

    // With the setting, a receiver on this machine may be registered.
    let process = QuireProcess::start_with(&app, &["--webhook-allow-private-targets"]);
    for url in ["http://127.0.0.1:9/x", "http://localhost:9/x"] {
        let response = gql(&process, &admin, CREATE, json!({ "u": url, "s": SECRET })).await;
        data(&response);
    }
    assert_peak_rss(&process);
}
e2e!(private_targets_are_refused_when_a_webhook_is_created);

async fn a_target_allowed_when_created_is_refused_at_delivery_once_it_is_not(mut app: TestApp) {
    app.reconfigure(|config| config.workflow.webhook_allow_private_targets = true).await;
    let admin = app.create_token(Role::Admin).await;
    let receiver = Receiver::start(0).await;
    let port = receiver.url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/hook");
    // One written as an address, one as a name that resolves to it.
    let mut hooks = Vec::new();
    for url in [receiver.url.clone(), format!("http://localhost:{port}/hook")] {
        let created = app.gql_as(&admin, CREATE, json!({ "u": url, "s": SECRET })).await;
        hooks.push(id_of(&data(&created)["createWebhook"]));
    }
    let id = id_of(&create(&app, &admin, "NewsArticle", "{ title: \"Probe\" }").await);
    app.stop().await;

    // Restarted without the setting: the deliveries are refused before any connection.
    let process = QuireProcess::start_with(
        &app,
        &["--webhook-retry-base-ms", "20", "--webhook-max-attempts", "2"],
    );
    let published = gql(
        &process,
        &admin,
        "mutation($id: ID!) { publishNewsArticle(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(data(&published)["publishNewsArticle"]["status"], "PUBLISHED");
    for hook in &hooks {
        let log = failed(&process, &admin, hook).await;
        assert_eq!(log[0]["attempts"], 2);
        assert!(log[0]["lastStatusCode"].is_null(), "{log:#?}");
        assert!(log[0]["lastError"].as_str().unwrap().starts_with("refused"), "{log:#?}");
    }
    assert!(receiver.received().is_empty(), "the receiver heard nothing");
    assert_peak_rss(&process);
}
e2e!(a_target_allowed_when_created_is_refused_at_delivery_once_it_is_not);

async fn redirects_are_not_followed(mut app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let id = id_of(&create(&app, &admin, "PressRelease", "{ title: \"Bounced\" }").await);
    // One sender only: the process's, which may post to this machine.
    app.stop().await;
    let target = Receiver::start(0).await;
    let banner = "internal-service v1.2.3 at your service";
    let redirecting = Receiver::redirecting(&target.url, banner).await;
    let process = QuireProcess::start_with(
        &app,
        &["--webhook-allow-private-targets", "--webhook-max-attempts", "1"],
    );
    let created = gql(&process, &admin, CREATE, json!({ "u": redirecting.url, "s": SECRET })).await;
    let hook = id_of(&data(&created)["createWebhook"]);
    let published = gql(
        &process,
        &admin,
        "mutation($id: ID!) { publishPressRelease(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    data(&published);

    let log = failed(&process, &admin, &hook).await;
    assert_eq!(log[0]["lastStatusCode"], 307);
    let sent = redirecting.received();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].signed_with(SECRET));
    // Give a followed redirect every chance to show itself.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(target.received().is_empty(), "the redirect's target got no request, and no signature");
    // The log says what status answered, nothing of what the answer said.
    let everything = gql(&process, &admin, DELIVERIES, json!({ "id": hook })).await.to_string();
    assert!(
        !everything.contains("internal-service") && !everything.contains(&target.url),
        "{everything}"
    );
    assert_peak_rss(&process);
}
e2e!(redirects_are_not_followed);
