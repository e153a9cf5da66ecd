//! Draft and embargo leaks: nothing the public reads (a page's path, a feed's headers, a
//! search score) or a webhook receiver hears gives away a draft, the trash, or an item
//! before its time.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{create, editor, id_of};
use crate::receiver::{Received, Receiver};
use crate::support::{TestApp, data, e2e, error_code, error_field};

const SECRET: &str = "the receiver's shared secret";

fn in_seconds(seconds: i64) -> DateTime<Utc> {
    (Utc::now() + chrono::Duration::seconds(seconds)).trunc_subsecs(3)
}

/// Fast webhooks and a fast scheduler, so tests wait for neither; the receivers listen on
/// 127.0.0.1, which a server posts to only when allowed to.
async fn fast_workers(app: &mut TestApp) {
    app.reconfigure(|config| {
        config.workflow.webhook_allow_private_targets = true;
        config.workflow.webhook_poll_interval_ms = 20;
        config.workflow.scheduler_interval_ms = 100;
    })
    .await;
}

async fn register(app: &TestApp, admin: &str, url: &str, events: &str) {
    let query = format!(
        "mutation($url: String!, $s: String!) {{ createWebhook(input: {{ url: $url, events: [{events}], secret: $s }}) {{ id }} }}"
    );
    data(&app.gql_as(admin, &query, json!({ "url": url, "s": SECRET })).await);
}

/// `publishX(id, at)` as `token`; the whole response.
async fn publish(
    app: &TestApp,
    token: &str,
    type_name: &str,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> Value {
    let query = format!(
        "mutation($id: ID!, $at: DateTime) {{ item: publish{type_name}(id: $id, at: $at) {{ status publishedAt }} }}"
    );
    app.gql_as(token, &query, json!({ "id": id, "at": at })).await
}

async fn unpublish(app: &TestApp, token: &str, id: &str, at: Option<DateTime<Utc>>) {
    let query = "mutation($id: ID!, $at: DateTime) { unpublishPage(id: $id, at: $at) { status } }";
    data(&app.gql_as(token, query, json!({ "id": id, "at": at })).await);
}

/// Every public path a page's address can travel by: lookup by path, `node`, the list,
/// `children` and `parent`, search and delta sync.
const PUBLIC_READS: &str = "query($id: ID!) {
  page(path: \"acme-acquisition/faq\") { id path }
  node(id: $id) { id ... on Page { path } }
  pages(first: 100) { totalCount nodes { path children { path } parent { path } } }
  search(query: \"acquisition\", first: 50) { nodes { node { ... on Page { path } } } }
  changes(first: 100) { nodes { id kind node { ... on Page { path } } } }
}";

/// What the public reads about the FAQ page, on every path.
async fn public_reads(app: &TestApp, faq: &str) -> Value {
    data(&app.gql(PUBLIC_READS, json!({ "id": faq })).await).clone()
}

/// The public's changes after `cursor`: (id, kind) pairs, and the new end cursor.
async fn public_changes(
    app: &TestApp,
    cursor: Option<&str>,
) -> (Vec<(String, String)>, Option<String>) {
    let query = "query($after: String) { changes(after: $after, first: 100) { nodes { id kind } pageInfo { endCursor } } }";
    let response = app.gql(query, json!({ "after": cursor })).await;
    let changes = &data(&response)["changes"];
    let seen = changes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["kind"].as_str().unwrap().to_string()))
        .collect();
    let end = changes["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_string)
        .or(cursor.map(str::to_string));
    (seen, end)
}

/// The events the receiver got for `id` (by its subject), in order.
fn events_for(received: &[Received], id: &str) -> Vec<String> {
    received
        .iter()
        .map(Received::json)
        .filter(|body| body["subject"]["id"] == id)
        .map(|body| body["event"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the receiver has `n` deliveries, then a little longer to catch any extra.
async fn settle(receiver: &Receiver, n: usize) -> Vec<Received> {
    receiver.wait_for_successes(n, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.received()
}

async fn news_feed(app: &TestApp) -> (String, String, Vec<u8>) {
    let response = app.client.get(app.url("/feeds/news.atom")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
    let (etag, last_modified) = (header("etag"), header("last-modified"));
    (etag, last_modified, response.bytes().await.unwrap().to_vec())
}

const SEARCH: &str =
    "query($q: String!) { search(query: $q, first: 50) { nodes { score node { id } } } }";

/// Each hit's id and score, best first.
async fn scores(app: &TestApp, token: Option<&str>, query: &str) -> Vec<(String, f64)> {
    let variables = json!({ "q": query });
    let response = match token {
        Some(token) => app.gql_as(token, SEARCH, variables).await,
        None => app.gql(SEARCH, variables).await,
    };
    data(&response)["search"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            (hit["node"]["id"].as_str().unwrap().to_string(), hit["score"].as_f64().unwrap())
        })
        .collect()
}

/// Creates an item from a JSON input; returns its id.
async fn create_with(app: &TestApp, token: &str, type_name: &str, input: Value) -> String {
    let query = format!(
        "mutation($input: Create{type_name}Input!) {{ item: create{type_name}(input: $input) {{ id }} }}"
    );
    id_of(&data(&app.gql_as(token, &query, json!({ "input": input })).await)["item"])
}

async fn a_page_below_a_hidden_page_never_shows_its_path_to_the_public(mut app: TestApp) {
    fast_workers(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    let receiver = Receiver::start(0).await;
    register(&app, &admin, &receiver.url, "CONTENT_PUBLISHED, CONTENT_UNPUBLISHED").await;
    let parent = id_of(
        &create(
            &app,
            &admin,
            "Page",
            "{ title: \"Acme acquisition\", body: \"Our acquisition of Acme.\" }",
        )
        .await,
    );
    let faq = id_of(&create(&app, &admin, "Page", &format!("{{ title: \"FAQ\", slug: \"faq\", body: \"Questions on the acquisition.\", parentId: \"{parent}\" }}")).await);

    // While the page above is a draft, the FAQ can be published neither now, nor later,
    // nor with a date of its own.
    for at in [None, Some(in_seconds(3600))] {
        let refused = publish(&app, &admin, "Page", &faq, at).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "publish at {at:?}: {refused}");
        assert_eq!(error_field(&refused), "parentId");
    }
    let dated = app.gql_as(&admin, "mutation($id: ID!) { updatePage(id: $id, input: { publishedAt: \"2020-01-01T00:00:00Z\" }) { id } }", json!({ "id": faq })).await;
    data(&dated);
    assert_eq!(error_field(&publish(&app, &admin, "Page", &faq, None).await), "parentId");
    let reads = public_reads(&app, &faq).await;
    assert!(!reads.to_string().contains("acme-acquisition"), "the draft's slug leaked: {reads:#}");
    let staff = app
        .gql_as(
            &admin,
            "query($id: ID!) { node(id: $id) { ... on Page { status } } }",
            json!({ "id": faq }),
        )
        .await;
    assert_eq!(data(&staff)["node"]["status"], "DRAFT", "a refused publication changes nothing");

    // Published from the top down, the section is public.
    data(&publish(&app, &admin, "Page", &parent, None).await);
    data(&publish(&app, &admin, "Page", &faq, None).await);
    let reads = public_reads(&app, &faq).await;
    assert_eq!(reads["page"]["path"], "acme-acquisition/faq");
    assert_eq!(reads["node"]["path"], "acme-acquisition/faq");
    assert_eq!(reads["pages"]["totalCount"], 2);
    let received = settle(&receiver, 2).await;
    assert_eq!(events_for(&received, &faq), ["CONTENT_PUBLISHED"]);
    let (_, cursor) = public_changes(&app, None).await;

    // Unpublishing the page above takes the FAQ out of view on every path, with it.
    unpublish(&app, &admin, &parent, None).await;
    let reads = public_reads(&app, &faq).await;
    assert!(
        !reads.to_string().contains("acme-acquisition"),
        "a hidden page's slug leaked: {reads:#}"
    );
    assert_eq!(reads["pages"]["totalCount"], 0);
    let (changed, cursor) = public_changes(&app, cursor.as_deref()).await;
    assert!(
        changed.contains(&(faq.clone(), "DELETED".to_string())),
        "a synced copy drops the FAQ: {changed:?}"
    );
    let received = settle(&receiver, 4).await;
    assert_eq!(events_for(&received, &faq), ["CONTENT_PUBLISHED", "CONTENT_UNPUBLISHED"]);
    let staff = app
        .gql_as(
            &admin,
            "query($id: ID!) { node(id: $id) { ... on Page { status path } } }",
            json!({ "id": faq }),
        )
        .await;
    assert_eq!(
        data(&staff)["node"],
        json!({ "status": "PUBLISHED", "path": "acme-acquisition/faq" }),
        "the FAQ itself is unchanged"
    );

    // A published page cannot be moved below the hidden one either.
    let other = id_of(&create(&app, &admin, "Page", "{ title: \"Other\" }").await);
    data(&publish(&app, &admin, "Page", &other, None).await);
    let moved = app
        .gql_as(
            &admin,
            "mutation($id: ID!, $p: ID!) { updatePage(id: $id, input: { parentId: $p }) { path } }",
            json!({ "id": other, "p": parent }),
        )
        .await;
    assert_eq!(error_code(&moved), "BAD_USER_INPUT");
    assert_eq!(error_field(&moved), "parentId");

    // When the page above returns, the section returns with it.
    data(&publish(&app, &admin, "Page", &parent, None).await);
    let reads = public_reads(&app, &faq).await;
    assert_eq!(reads["page"]["path"], "acme-acquisition/faq");
    let (changed, _) = public_changes(&app, cursor.as_deref()).await;
    assert!(changed.contains(&(faq.clone(), "UPSERTED".to_string())), "{changed:?}");
    let received = settle(&receiver, 7).await;
    assert_eq!(
        events_for(&received, &faq),
        ["CONTENT_PUBLISHED", "CONTENT_UNPUBLISHED", "CONTENT_PUBLISHED"]
    );

    // A scheduled unpublication of the page above hides the section at its time.
    unpublish(&app, &admin, &parent, Some(in_seconds(1))).await;
    assert_eq!(public_reads(&app, &faq).await["page"]["path"], "acme-acquisition/faq");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let reads = public_reads(&app, &faq).await;
    assert!(!reads.to_string().contains("acme-acquisition"), "{reads:#}");
}
e2e!(a_page_below_a_hidden_page_never_shows_its_path_to_the_public);

async fn drafts_and_the_trash_leave_the_feeds_alone(app: TestApp) {
    let token = editor(&app).await;
    let article = create_with(
        &app,
        &token,
        "NewsArticle",
        json!({ "title": "Public news", "publishedAt": "2024-01-01T09:00:00Z" }),
    )
    .await;
    data(&publish(&app, &token, "NewsArticle", &article, None).await);
    let (etag, last_modified, body) = news_feed(&app).await;
    // HTTP dates count seconds: a write a second later would show.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let draft = create_with(&app, &token, "NewsArticle", json!({ "title": "Secret plans" })).await;
    data(&app.gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { body: \"More secrets\" }) { id } }", json!({ "id": draft })).await);
    let embargoed = create_with(
        &app,
        &token,
        "NewsArticle",
        json!({ "title": "Tomorrow's news", "publishedAt": in_seconds(86_400) }),
    )
    .await;
    data(&publish(&app, &token, "NewsArticle", &embargoed, None).await);
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { deleteNewsArticle(id: $id) }",
            json!({ "id": draft }),
        )
        .await,
    );

    let (etag_after, last_modified_after, body_after) = news_feed(&app).await;
    assert_eq!(last_modified_after, last_modified, "Last-Modified moved with hidden writes");
    assert_eq!(etag_after, etag, "the ETag moved with hidden writes");
    assert_eq!(String::from_utf8_lossy(&body_after), String::from_utf8_lossy(&body));
    let cached = app
        .client
        .get(app.url("/feeds/news.atom"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);

    // A change the public sees still moves them.
    data(&app.gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { summary: \"Now with a summary\" }) { id } }", json!({ "id": article })).await);
    let (etag_changed, last_modified_changed, _) = news_feed(&app).await;
    assert_ne!(etag_changed, etag);
    assert_ne!(last_modified_changed, last_modified);
}
e2e!(drafts_and_the_trash_leave_the_feeds_alone);

async fn drafts_and_the_trash_do_not_move_the_publics_search_scores(app: TestApp) {
    let token = editor(&app).await;
    for (title, body) in [
        ("Lantern festival", "The lantern festival lights the river."),
        ("Harbour walk", "A walk by the harbour, past the old lantern and the lighthouse."),
    ] {
        let id =
            create_with(&app, &token, "NewsArticle", json!({ "title": title, "body": body })).await;
        data(&publish(&app, &token, "NewsArticle", &id, None).await);
    }
    let public = scores(&app, None, "lantern").await;
    assert_eq!(public.len(), 2);

    // An editor writes drafts full of the word, an embargoed item, and trashes one.
    for n in 0..4 {
        create_with(
            &app,
            &token,
            "NewsArticle",
            json!({ "title": format!("Lantern draft {n}"), "body": "lantern lantern lantern" }),
        )
        .await;
    }
    let embargoed = create_with(
        &app,
        &token,
        "PressRelease",
        json!({ "title": "Lantern launch", "publishedAt": in_seconds(86_400) }),
    )
    .await;
    data(&publish(&app, &token, "PressRelease", &embargoed, None).await);
    let trashed =
        create_with(&app, &token, "Page", json!({ "title": "Lantern page", "body": "lantern" }))
            .await;
    data(
        &app.gql_as(&token, "mutation($id: ID!) { deletePage(id: $id) }", json!({ "id": trashed }))
            .await,
    );

    assert_eq!(scores(&app, None, "lantern").await, public, "the public's scores moved");
    assert_eq!(scores(&app, Some(&token), "lantern").await.len(), 7, "editors find the drafts");
}
e2e!(drafts_and_the_trash_do_not_move_the_publics_search_scores);

async fn an_embargoed_item_is_announced_to_webhooks_when_it_appears(mut app: TestApp) {
    fast_workers(&mut app).await;
    let admin = app.create_token(Role::Admin).await;
    let receiver = Receiver::start(0).await;
    register(&app, &admin, &receiver.url, "CONTENT_PUBLISHED").await;
    let node = "query($id: ID!) { node(id: $id) { id } }";

    // Published with a later date: an embargo.
    let at = in_seconds(2);
    let embargoed =
        create_with(&app, &admin, "PressRelease", json!({ "title": "Results", "publishedAt": at }))
            .await;
    let published = publish(&app, &admin, "PressRelease", &embargoed, None).await;
    assert_eq!(data(&published)["item"]["status"], "PUBLISHED");
    // Scheduled with `publishX(at:)`.
    let later = in_seconds(3);
    let scheduled = id_of(&create(&app, &admin, "PressRelease", "{ title: \"Scheduled\" }").await);
    data(&publish(&app, &admin, "PressRelease", &scheduled, Some(later)).await);

    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        receiver.received().is_empty(),
        "announced before its time: {:#?}",
        receiver.received()
    );
    assert!(data(&app.gql(node, json!({ "id": embargoed })).await)["node"].is_null());
    let (changed, _) = public_changes(&app, None).await;
    assert!(changed.is_empty(), "delta sync heard of it early: {changed:?}");

    let got = receiver.wait_for_successes(1, Duration::from_secs(10)).await;
    assert!(Utc::now() >= at);
    let body = got[0].json();
    assert_eq!(body["event"], "CONTENT_PUBLISHED");
    assert_eq!(body["subject"]["id"], embargoed.as_str());
    let dated: DateTime<Utc> = body["subject"]["publishedAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(dated, at, "the payload carries the publication time");
    assert!(
        !data(&app.gql(node, json!({ "id": embargoed })).await)["node"].is_null(),
        "the public sees it by now"
    );

    let got = receiver.wait_for_successes(2, Duration::from_secs(10)).await;
    assert!(Utc::now() >= later);
    let body = got[1].json();
    assert_eq!(body["subject"]["id"], scheduled.as_str());
    let dated: DateTime<Utc> = body["subject"]["publishedAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(dated, later);
    let received = settle(&receiver, 2).await;
    assert_eq!(received.len(), 2, "each announced once");

    // An embargo moved to now by an edit is announced at once.
    let edited = create_with(
        &app,
        &admin,
        "PressRelease",
        json!({ "title": "Moved", "publishedAt": in_seconds(3600) }),
    )
    .await;
    data(&publish(&app, &admin, "PressRelease", &edited, None).await);
    data(&app.gql_as(&admin, "mutation($id: ID!) { updatePressRelease(id: $id, input: { publishedAt: \"2020-01-01T00:00:00Z\" }) { id } }", json!({ "id": edited })).await);
    let received = settle(&receiver, 3).await;
    assert_eq!(events_for(&received, &edited), ["CONTENT_PUBLISHED"]);
}
e2e!(an_embargoed_item_is_announced_to_webhooks_when_it_appears);
