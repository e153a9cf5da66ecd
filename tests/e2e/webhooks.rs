//! Webhooks: signed deliveries from an outbox, retried with backoff, never in the way of
//! editing, and never dropped by a restart.

use std::time::Duration;

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{create, id_of};
use crate::receiver::{Receiver, black_hole};
use crate::support::{TestApp, data, e2e, error_code};

const SECRET: &str = "the receiver's shared secret";

async fn register(app: &TestApp, admin: &str, url: &str, events: &str) -> String {
    let query = format!(
        "mutation($url: String!, $s: String!) {{ createWebhook(input: {{ url: $url, events: [{events}], secret: $s }}) {{ id url events }} }}"
    );
    let response = app.gql_as(admin, &query, json!({ "url": url, "s": SECRET })).await;
    id_of(&data(&response)["createWebhook"])
}

async fn deliveries(app: &TestApp, admin: &str, hook: &str) -> Vec<Value> {
    let response = app
        .gql_as(admin, "query($id: ID!) { webhookDeliveries(webhookId: $id) { event status attempts lastStatusCode payload deliveredAt } }", json!({ "id": hook }))
        .await;
    data(&response)["webhookDeliveries"].as_array().unwrap().clone()
}

/// The delivery log once its newest entry is no longer pending (the receiver answers
/// before the sender records the answer).
async fn settled(app: &TestApp, admin: &str, hook: &str) -> Vec<Value> {
    for _ in 0..200 {
        let log = deliveries(app, admin, hook).await;
        if log.first().is_some_and(|d| d["status"] != "PENDING") {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the delivery stayed pending: {:#?}", deliveries(app, admin, hook).await);
}

/// The receivers here listen on 127.0.0.1, which a server posts to only when allowed to.
async fn allow_local_receivers(app: &mut TestApp) {
    app.reconfigure(|config| config.workflow.webhook_allow_private_targets = true).await;
}

/// Fast retries so that tests do not wait for production backoff; local receivers allowed.
async fn fast_retries(app: &mut TestApp) {
    app.reconfigure(|config| {
        config.workflow.webhook_allow_private_targets = true;
        config.workflow.webhook_retry_base_ms = 50;
        config.workflow.webhook_poll_interval_ms = 20;
        config.workflow.webhook_timeout_ms = 2_000;
    })
    .await;
}

async fn a_publication_reaches_the_receiver_signed(mut app: TestApp) {
    allow_local_receivers(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    let receiver = Receiver::start(0).await;
    let hook = register(&app, &admin, &receiver.url, "CONTENT_PUBLISHED, CONTENT_DELETED").await;
    let id = id_of(&create(&app, &admin, "NewsArticle", "{ title: \"Hooked\" }").await);
    app.gql_as(
        &admin,
        "mutation($id: ID!) { publishNewsArticle(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;

    let got = receiver.wait_for_successes(1, Duration::from_secs(10)).await;
    let delivery = &got[0];
    assert!(delivery.signed_with(SECRET), "X-Quire-Signature is the HMAC of the body");
    assert!(!delivery.signed_with("another secret"));
    assert_eq!(delivery.header("x-quire-event"), "CONTENT_PUBLISHED");
    assert_eq!(delivery.header("content-type"), "application/json");
    let body = delivery.json();
    assert_eq!(body["event"], "CONTENT_PUBLISHED");
    assert_eq!(body["subject"]["id"], id.as_str());
    assert_eq!(body["subject"]["type"], "NewsArticle");
    assert_eq!(body["subject"]["slug"], "hooked");
    assert_eq!(body["subject"]["version"], 2);

    let log = settled(&app, &admin, &hook).await;
    assert_eq!(log.len(), 1, "only subscribed events: the create was not sent");
    assert_eq!(log[0]["status"], "DELIVERED");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["lastStatusCode"], 200);
    assert_eq!(log[0]["payload"].as_str().unwrap().as_bytes(), delivery.body.as_slice());

    app.gql_as(&admin, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", json!({ "id": id }))
        .await;
    let got = receiver.wait_for_successes(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].header("x-quire-event"), "CONTENT_DELETED");
    let listed = app.gql_as(&admin, "{ webhooks { id url events } }", json!({})).await;
    assert_eq!(
        data(&listed)["webhooks"][0]["events"],
        json!(["CONTENT_DELETED", "CONTENT_PUBLISHED"])
    );
}
e2e!(a_publication_reaches_the_receiver_signed);

async fn a_receiver_that_fails_three_times_still_gets_it(mut app: TestApp) {
    fast_retries(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    let receiver = Receiver::start(3).await;
    let hook = register(&app, &admin, &receiver.url, "CONTENT_UPDATED").await;
    let id = id_of(&create(&app, &admin, "Booklet", "{ title: \"9 Pillars of Greatness\" }").await);

    receiver.wait_for_successes(1, Duration::from_secs(15)).await;
    let all = receiver.received();
    assert_eq!(all.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 500, 500, 200]);
    assert!(
        all.iter().all(|r| r.body == all[0].body && r.signed_with(SECRET)),
        "every retry is the same signed body"
    );
    assert_eq!(all[0].json()["subject"]["id"], id.as_str());
    let log = settled(&app, &admin, &hook).await;
    assert_eq!(log[0]["status"], "DELIVERED");
    assert_eq!(log[0]["attempts"], 4);
}
e2e!(a_receiver_that_fails_three_times_still_gets_it);

async fn a_hung_endpoint_never_blocks_editing(mut app: TestApp) {
    allow_local_receivers(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    let (dead, _hole) = black_hole().await;
    register(&app, &admin, &dead, "CONTENT_UPDATED, CONTENT_PUBLISHED").await;
    let receiver = Receiver::start(0).await;
    register(&app, &admin, &receiver.url, "CONTENT_PUBLISHED").await;
    // The sender may wait on the hung endpoint for its whole timeout (10 s); editing
    // does not wait at all.
    let edits = async {
        for i in 0..5 {
            let id = id_of(
                &create(&app, &admin, "NewsArticle", &format!("{{ title: \"Edit {i}\" }}")).await,
            );
            let published = app
                .gql_as(
                    &admin,
                    "mutation($id: ID!) { publishNewsArticle(id: $id) { status } }",
                    json!({ "id": id }),
                )
                .await;
            assert_eq!(data(&published)["publishNewsArticle"]["status"], "PUBLISHED");
        }
    };
    tokio::time::timeout(Duration::from_secs(8), edits)
        .await
        .expect("editing went on while the endpoint hung");
    // The live endpoint still gets every publication.
    receiver.wait_for_successes(5, Duration::from_secs(30)).await;
}
e2e!(a_hung_endpoint_never_blocks_editing);

async fn a_restart_never_drops_a_pending_delivery(mut app: TestApp) {
    fast_retries(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    let receiver = Receiver::start(usize::MAX).await;
    let hook = register(&app, &admin, &receiver.url, "CONTENT_PUBLISHED").await;
    let id = id_of(&create(&app, &admin, "PressRelease", "{ title: \"Must be heard\" }").await);
    app.gql_as(
        &admin,
        "mutation($id: ID!) { publishPressRelease(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    while receiver.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.stop().await;
    let pending = {
        app.start().await;
        deliveries(&app, &admin, &hook).await
    };
    assert_eq!(pending[0]["status"], "PENDING", "{pending:#?}");
    receiver.fail_next(0);
    let got = receiver.wait_for_successes(1, Duration::from_secs(15)).await;
    assert_eq!(got[0].json()["subject"]["id"], id.as_str());
    let log = settled(&app, &admin, &hook).await;
    assert_eq!(log[0]["status"], "DELIVERED");
}
e2e!(a_restart_never_drops_a_pending_delivery);

async fn webhooks_are_checked_and_for_admins(mut app: TestApp) {
    allow_local_receivers(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    for (url, events, secret, field) in [
        ("ftp://example.org/x", "CONTENT_PUBLISHED", SECRET, "url"),
        ("not a url", "CONTENT_PUBLISHED", SECRET, "url"),
        ("http://127.0.0.1:9/x", "", SECRET, "events"),
        ("http://127.0.0.1:9/x", "CONTENT_PUBLISHED", "short", "secret"),
    ] {
        let query = format!(
            "mutation($u: String!, $s: String!) {{ createWebhook(input: {{ url: $u, events: [{events}], secret: $s }}) {{ id }} }}"
        );
        let response = app.gql_as(&admin, &query, json!({ "u": url, "s": secret })).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{url} {events} {secret}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let hook = register(&app, &admin, "http://127.0.0.1:9/x", "CONTENT_PUBLISHED").await;
    let fields = app.gql("{ __type(name: \"Webhook\") { fields { name } } }", json!({})).await;
    assert!(!data(&fields).to_string().contains("secret"), "the secret is never returned");
    let deleted = app
        .gql_as(&admin, "mutation($id: ID!) { deleteWebhook(id: $id) }", json!({ "id": hook }))
        .await;
    assert_eq!(data(&deleted)["deleteWebhook"], hook.as_str());
    let again = app
        .gql_as(&admin, "mutation($id: ID!) { deleteWebhook(id: $id) }", json!({ "id": hook }))
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    let listed = app.gql_as(&admin, "{ webhooks { id } }", json!({})).await;
    assert_eq!(data(&listed)["webhooks"], json!([]));
}
e2e!(webhooks_are_checked_and_for_admins);
