//! Scheduled publishing: embargoes that lift on time, after a restart too, and exactly once
//! when two Quire processes share one PostgreSQL database.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::fixtures::{create, editor, id_of};
use crate::process::QuireProcess;
use crate::receiver::Receiver;
use crate::support::{Backend, TestApp, data, e2e, error_code};

const PUBLIC_PATHS: &str = "query($id: ID!) { pressRelease(slug: \"embargoed\") { id } pressReleases { totalCount nodes { id } } node(id: $id) { id } }";

fn in_seconds(seconds: i64) -> DateTime<Utc> {
    (Utc::now() + chrono::Duration::seconds(seconds)).trunc_subsecs(3)
}

/// Which public paths (lookup by slug, list count, `node`) show the press release.
async fn public_paths(app: &TestApp, id: &str) -> [bool; 3] {
    let response = app.gql(PUBLIC_PATHS, json!({ "id": id })).await;
    let d = data(&response);
    [!d["pressRelease"].is_null(), d["pressReleases"]["totalCount"] != 0, !d["node"].is_null()]
}

/// Whether every public path shows it; fails if the paths disagree.
async fn publicly_visible(app: &TestApp, id: &str) -> bool {
    let seen = public_paths(app, id).await;
    assert!(seen.iter().all(|s| *s == seen[0]), "every path agrees: {seen:?}");
    seen[0]
}

/// Polls until every public path shows the item, failing if any shows it before
/// `not_before` or not all do by `deadline`. (Within one request the scheduler may flip it
/// between two paths.)
async fn wait_until_visible(
    app: &TestApp,
    id: &str,
    not_before: DateTime<Utc>,
    deadline: DateTime<Utc>,
) {
    loop {
        let seen = public_paths(app, id).await;
        if seen.iter().any(|seen| *seen) {
            assert!(Utc::now() >= not_before, "visible before {not_before}: {seen:?}");
        }
        if seen.iter().all(|seen| *seen) {
            return;
        }
        assert!(Utc::now() < deadline, "still embargoed at {deadline}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn schedule(app: &TestApp, token: &str, id: &str, at: DateTime<Utc>) -> Value {
    let response = app
        .gql_as(token, "mutation($id: ID!, $at: DateTime) { publishPressRelease(id: $id, at: $at) { status publishedAt scheduledAt scheduledAction version } }", json!({ "id": id, "at": at }))
        .await;
    data(&response)["publishPressRelease"].clone()
}

async fn an_embargoed_press_release_appears_on_time_and_not_before(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(
        &create(
            &app,
            &token,
            "PressRelease",
            "{ title: \"Embargoed\", body: \"Strictly embargoed until 00:01.\" }",
        )
        .await,
    );
    let at = in_seconds(2);
    let scheduled = schedule(&app, &token, &id, at).await;
    assert_eq!(scheduled["status"], "SCHEDULED");
    assert_eq!(scheduled["scheduledAction"], "PUBLISH");
    assert_eq!(scheduled["scheduledAt"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), at);

    assert!(!publicly_visible(&app, &id).await, "invisible before its time");
    let listed = app
        .gql_as(
            &token,
            "{ pressReleases(filter: { status: [SCHEDULED] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&listed)["pressReleases"]["totalCount"], 1, "editors see it as scheduled");

    wait_until_visible(&app, &id, at, at + chrono::Duration::seconds(5)).await;
    let now = app.gql_as(&token, "query($id: ID!) { node(id: $id) { ... on PressRelease { status publishedAt scheduledAt version } } }", json!({ "id": id })).await;
    let now = &data(&now)["node"];
    assert_eq!(now["status"], "PUBLISHED");
    assert!(now["scheduledAt"].is_null());
    assert_eq!(
        now["publishedAt"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
        at,
        "dated at its embargo"
    );
    assert_eq!(now["version"], 3, "create, schedule, publish");
}
e2e!(an_embargoed_press_release_appears_on_time_and_not_before);

async fn a_scheduled_unpublish_takes_an_item_down_on_time(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "PressRelease", "{ title: \"Embargoed\" }").await);
    app.gql_as(
        &token,
        "mutation($id: ID!) { publishPressRelease(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let at = in_seconds(2);
    let response = app
        .gql_as(&token, "mutation($id: ID!, $at: DateTime) { unpublishPressRelease(id: $id, at: $at) { status scheduledAction } }", json!({ "id": id, "at": at }))
        .await;
    assert_eq!(
        data(&response)["unpublishPressRelease"],
        json!({ "status": "PUBLISHED", "scheduledAction": "UNPUBLISH" })
    );
    assert!(publicly_visible(&app, &id).await, "still up until then");
    let deadline = at + chrono::Duration::seconds(5);
    while public_paths(&app, &id).await.iter().any(|seen| *seen) {
        assert!(Utc::now() < deadline, "still published at {deadline}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(Utc::now() >= at);
    // The scheduler then records the change.
    loop {
        let status = app
            .gql_as(
                &token,
                "query($id: ID!) { node(id: $id) { ... on PressRelease { status } } }",
                json!({ "id": id }),
            )
            .await;
        if data(&status)["node"]["status"] == "DRAFT" {
            break;
        }
        assert!(Utc::now() < deadline, "still published at {deadline}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
e2e!(a_scheduled_unpublish_takes_an_item_down_on_time);

async fn a_due_unpublication_hides_an_item_before_the_scheduler_runs(mut app: TestApp) {
    app.reconfigure(|config| config.workflow.scheduler_interval_ms = 3_600_000).await;
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "PressRelease", "{ title: \"Embargoed\" }").await);
    app.gql_as(
        &token,
        "mutation($id: ID!) { publishPressRelease(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let at = in_seconds(1);
    app.gql_as(
        &token,
        "mutation($id: ID!, $at: DateTime) { unpublishPressRelease(id: $id, at: $at) { id } }",
        json!({ "id": id, "at": at }),
    )
    .await;
    let public = app
        .gql("{ pressRelease(slug: \"embargoed\") { scheduledAt scheduledAction } }", json!({}))
        .await;
    assert_eq!(
        data(&public)["pressRelease"],
        json!({ "scheduledAt": null, "scheduledAction": null }),
        "plans are not shown to the public"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!publicly_visible(&app, &id).await, "gone at its time");
    let staff = app
        .gql_as(
            &token,
            "query($id: ID!) { node(id: $id) { ... on PressRelease { status scheduledAction } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&staff)["node"],
        json!({ "status": "PUBLISHED", "scheduledAction": "UNPUBLISH" }),
        "the scheduler has not run"
    );
}
e2e!(a_due_unpublication_hides_an_item_before_the_scheduler_runs);

async fn a_schedule_survives_a_restart(mut app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "PressRelease", "{ title: \"Embargoed\" }").await);
    let at = in_seconds(2);
    schedule(&app, &token, &id, at).await;
    app.stop().await;
    // The time passes while no Quire is running.
    tokio::time::sleep(Duration::from_secs(3)).await;
    app.start().await;
    let started = Utc::now();
    wait_until_visible(&app, &id, at, started + chrono::Duration::seconds(5)).await;
}
e2e!(a_schedule_survives_a_restart);

async fn schedules_can_be_cancelled_and_are_checked(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "PressRelease", "{ title: \"Embargoed\" }").await);
    schedule(&app, &token, &id, in_seconds(2)).await;
    let cancelled = app
        .gql_as(
            &token,
            "mutation($id: ID!) { unpublishPressRelease(id: $id) { status scheduledAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&cancelled)["unpublishPressRelease"],
        json!({ "status": "DRAFT", "scheduledAt": null })
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!publicly_visible(&app, &id).await, "a cancelled schedule does nothing");

    let scheduled = schedule(&app, &token, &id, in_seconds(3600)).await;
    assert_eq!(scheduled["status"], "SCHEDULED");
    let cancelled = app
        .gql_as(
            &token,
            "mutation($id: ID!) { unpublishPressRelease(id: $id) { publishedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert!(
        data(&cancelled)["unpublishPressRelease"]["publishedAt"].is_null(),
        "the schedule's date goes with it"
    );

    // Publishing now an item that waits for a later time publishes it now.
    schedule(&app, &token, &id, in_seconds(3600)).await;
    let before = Utc::now();
    let now = app.gql_as(&token, "mutation($id: ID!) { publishPressRelease(id: $id) { status publishedAt scheduledAt } }", json!({ "id": id })).await;
    let now = &data(&now)["publishPressRelease"];
    assert_eq!(now["status"], "PUBLISHED");
    assert!(now["scheduledAt"].is_null());
    let published_at: DateTime<Utc> = now["publishedAt"].as_str().unwrap().parse().unwrap();
    assert!(published_at <= Utc::now() && published_at >= before - chrono::Duration::seconds(1));
    assert!(publicly_visible(&app, &id).await);
    app.gql_as(
        &token,
        "mutation($id: ID!) { unpublishPressRelease(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;

    // A later unpublication of something not published is refused and changes nothing.
    let refused = app.gql_as(&token, "mutation($id: ID!, $at: DateTime) { unpublishPressRelease(id: $id, at: $at) { status } }", json!({ "id": id, "at": in_seconds(60) })).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "at");
    // A time in the past publishes at once, dated then.
    let past = in_seconds(-3600);
    let published = schedule(&app, &token, &id, past).await;
    assert_eq!(published["status"], "PUBLISHED");
    assert_eq!(published["publishedAt"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), past);
    assert!(publicly_visible(&app, &id).await);
}
e2e!(schedules_can_be_cancelled_and_are_checked);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn two_processes_on_one_postgres_publish_and_notify_once() {
    let Some(mut app) = TestApp::spawn(Backend::Postgres).await else {
        panic!("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    };
    // The receiver is on 127.0.0.1, which each process posts to only when allowed to.
    app.reconfigure(|config| {
        config.workflow.scheduler_interval_ms = 20;
        config.workflow.webhook_poll_interval_ms = 20;
        config.workflow.webhook_allow_private_targets = true;
    })
    .await;
    let _second = QuireProcess::start_with(&app, &["--webhook-allow-private-targets"]);
    let receiver = Receiver::start(0).await;
    let admin = app.create_token(quire_api::auth::Role::Admin).await;
    let hook = app
        .gql_as(&admin, "mutation($url: String!) { createWebhook(input: { url: $url, events: [CONTENT_PUBLISHED], secret: \"a secret of sixteen\" }) { id } }", json!({ "url": receiver.url }))
        .await;
    data(&hook);

    let at = in_seconds(2);
    let mut ids = Vec::new();
    for i in 0..10 {
        let id = id_of(
            &create(&app, &admin, "PressRelease", &format!("{{ title: \"Release {i}\" }}")).await,
        );
        schedule(&app, &admin, &id, at).await;
        ids.push(id);
    }
    let deliveries = receiver.wait_for_successes(10, Duration::from_secs(10)).await;
    // Give a double delivery every chance to show itself.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.received().len(), 10, "one delivery per publication");
    let mut subjects: Vec<String> = deliveries
        .iter()
        .map(|d| d.json()["subject"]["id"].as_str().unwrap().to_string())
        .collect();
    subjects.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(subjects, expected);

    for id in &ids {
        let revisions = app
            .gql_as(
                &admin,
                "query($id: ID!) { revisions(id: $id) { nodes { version author { kind } } } }",
                json!({ "id": id }),
            )
            .await;
        let nodes = data(&revisions)["revisions"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 3, "created, scheduled, published once: {nodes:#?}");
        assert_eq!(nodes[0]["author"]["kind"], "SYSTEM");
    }
}
