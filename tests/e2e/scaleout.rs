//! Several Quire processes on one PostgreSQL database: a write through one is served by the
//! others at once (their response caches hear of it through LISTEN/NOTIFY), and their
//! subscribers hear of it. Scheduled publishing once across processes is in `scheduling`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fixtures::{create, editor, publish};
use crate::live::{SUBSCRIPTION, next_change, subscribe_at, until_listening};
use crate::process::QuireProcess;
use crate::support::{Backend, TestApp, data};

const NEWS: &str = "{ news(first: 3) { nodes { id title } } }";

async fn newest_title(client: &reqwest::Client, other: &QuireProcess) -> Value {
    let response: Value = client
        .get(other.url("/graphql"))
        .query(&[("query", NEWS)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data(&response)["news"]["nodes"][0]["title"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn a_write_through_one_process_is_served_by_another() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        panic!("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    };
    let other = QuireProcess::start(&app);
    let token = editor(&app).await;
    let first = create(&app, &token, "NewsArticle", "{ title: \"First\" }").await;
    publish(&app, &token, "NewsArticle", first["id"].as_str().unwrap()).await;

    // The other process has the list in its response cache.
    let deadline = Instant::now() + Duration::from_secs(5);
    while newest_title(&app.client, &other).await != "First" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(newest_title(&app.client, &other).await, "First");
    let mut subscriber = subscribe_at(other.addr, None, SUBSCRIPTION).await;
    until_listening(&app, &token, "PressRelease", &mut [&mut subscriber]).await;

    for n in 0..5 {
        let title = format!("Edit {n}");
        let update = "mutation($id: ID!, $title: String!) { updateNewsArticle(id: $id, input: { title: $title }) { id } }";
        data(&app.gql_as(&token, update, json!({ "id": first["id"], "title": title })).await);
        // Served by the other process within a second...
        let deadline = Instant::now() + Duration::from_secs(1);
        while newest_title(&app.client, &other).await != title.as_str() {
            assert!(
                Instant::now() < deadline,
                "the other process served a stale answer for a second"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // ...and never stale after.
        for _ in 0..10 {
            assert_eq!(newest_title(&app.client, &other).await, title.as_str());
        }
        // Its subscribers hear of it.
        let heard =
            next_change(&mut subscriber).await.expect("the other process's subscriber hears");
        assert_eq!(heard["id"], first["id"]);
        assert_eq!(heard["node"]["title"], title.as_str());
    }

    // A publication made through the other process reaches subscribers here.
    let mut here = crate::live::subscribe(&app, None, SUBSCRIPTION).await;
    until_listening(&app, &token, "PressRelease", &mut [&mut here]).await;
    let create_there = json!({ "query": "mutation { createNewsArticle(input: { title: \"From there\" }) { id } }" });
    let created: Value = app
        .client
        .post(other.url("/graphql"))
        .bearer_auth(&token)
        .json(&create_there)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = data(&created)["createNewsArticle"]["id"].clone();
    let publish_there = json!({ "query": "mutation($id: ID!) { publishNewsArticle(id: $id) { id } }", "variables": { "id": id } });
    let published: Value = app
        .client
        .post(other.url("/graphql"))
        .bearer_auth(&token)
        .json(&publish_there)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data(&published);
    let heard =
        next_change(&mut here).await.expect("a subscriber here hears of a publication there");
    assert_eq!(heard["id"], id);
    assert_eq!(heard["kind"], "UPSERTED");
}

/// The other process's response cache hits so far, from its `/metrics`.
async fn cache_hits(client: &reqwest::Client, other: &QuireProcess) -> f64 {
    let text = client.get(other.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("quire_response_cache_total{outcome=\"hit\"} "))
        .map_or(0.0, |n| n.trim().parse().unwrap())
}

async fn public_get(client: &reqwest::Client, other: &QuireProcess, query: &str) -> Value {
    let response = client.get(other.url("/graphql")).query(&[("query", query)]).send().await;
    response.unwrap().json().await.unwrap()
}

/// A write through one process drops, in another, the cached answers it may change and only
/// those: the notification says what it changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn another_process_keeps_the_answers_a_write_cannot_change() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        panic!("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    };
    let other = QuireProcess::start(&app);
    let token = editor(&app).await;
    let news = create(&app, &token, "NewsArticle", "{ title: \"First\" }").await;
    publish(&app, &token, "NewsArticle", news["id"].as_str().unwrap()).await;
    let press = create(&app, &token, "PressRelease", "{ title: \"Before\" }").await;
    publish(&app, &token, "PressRelease", press["id"].as_str().unwrap()).await;
    let press_title = "{ pressReleases(first: 1) { nodes { title } } }";
    let until = |query: &'static str, field: &'static str, title: &'static str| {
        let (client, other) = (&app.client, &other);
        async move {
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let answer = public_get(client, other, query).await;
                if data(&answer)[field]["nodes"][0]["title"] == title {
                    return answer;
                }
                assert!(Instant::now() < deadline, "{query} never showed {title}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    until(press_title, "pressReleases", "Before").await;
    // Notifications reach the other process in commit order, and may lag: once it shows a
    // press release saved after the news was published (its cached answer dropped by that
    // save's notification), the news publication's notification has been heard too, and
    // cannot drop the answer cached below.
    let settle =
        "mutation($id: ID!) { updatePressRelease(id: $id, input: { title: \"Settled\" }) { id } }";
    data(&app.gql_as(&token, settle, json!({ "id": press["id"] })).await);
    until(press_title, "pressReleases", "Settled").await;
    let first = until(NEWS, "news", "First").await;

    // A press release saved here, and a sign-in: the other process shows the press release
    // and still answers the news from its cache.
    let update =
        "mutation($id: ID!) { updatePressRelease(id: $id, input: { title: \"After\" }) { id } }";
    data(&app.gql_as(&token, update, json!({ "id": press["id"] })).await);
    crate::fixtures::user(&app, "writer@example.org", quire_api::auth::Role::Editor).await;
    crate::fixtures::login(&app, "writer@example.org", crate::fixtures::PASSWORD).await;
    until(press_title, "pressReleases", "After").await;
    let hits = cache_hits(&app.client, &other).await;
    assert_eq!(public_get(&app.client, &other, NEWS).await, first);
    assert_eq!(cache_hits(&app.client, &other).await, hits + 1.0, "the news answer was dropped");

    // A news save here drops it there.
    let update =
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Changed\" }) { id } }";
    data(&app.gql_as(&token, update, json!({ "id": news["id"] })).await);
    until(NEWS, "news", "Changed").await;
}

/// With `--database-read-url`, the public reads from the replica and editors from the
/// primary. A second database stands in for the replica, so the test can tell them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn public_reads_go_to_the_read_replica() {
    let (Some(mut app), Some(replica)) =
        (TestApp::spawn(Backend::Postgres).await, TestApp::spawn(Backend::Postgres).await)
    else {
        panic!("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    };
    for (server, title) in [(&app, "On the primary"), (&replica, "On the replica")] {
        let token = editor(server).await;
        let item =
            create(server, &token, "NewsArticle", &format!("{{ title: \"{title}\" }}")).await;
        publish(server, &token, "NewsArticle", item["id"].as_str().unwrap()).await;
    }
    let url = replica.database_url.clone();
    app.reconfigure(|c| c.database_read_url = Some(url)).await;
    // Connections kept out of the primary's pool would read the primary for the public.
    assert!(app.db().postgres_reads().is_none(), "kept connections are off with a replica");
    let token = editor(&app).await;
    let titles = |response: &Value| data(response)["news"]["nodes"][0]["title"].clone();
    assert_eq!(titles(&app.gql(NEWS, json!({})).await), "On the replica");
    assert_eq!(titles(&app.gql_as(&token, NEWS, json!({})).await), "On the primary");
    let by_get: Value = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", NEWS)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&by_get), "On the replica");
}
