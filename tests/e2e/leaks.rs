//! Draft and embargo leaks: nothing the public reads (a page's path, a feed's headers, a
//! search score) or a webhook receiver hears gives away a draft, the trash, or an item
//! before its time.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::fixtures::{editor, id_of};
use crate::support::{TestApp, data, e2e};

fn in_seconds(seconds: i64) -> DateTime<Utc> {
    (Utc::now() + chrono::Duration::seconds(seconds)).trunc_subsecs(3)
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

async fn news_feed(app: &TestApp) -> (String, String, Vec<u8>) {
    let response = app.client.get(app.url("/feeds/news.atom")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
    let (etag, last_modified) = (header("etag"), header("last-modified"));
    (etag, last_modified, response.bytes().await.unwrap().to_vec())
}

/// Creates an item from a JSON input; returns its id.
async fn create_with(app: &TestApp, token: &str, type_name: &str, input: Value) -> String {
    let query = format!(
        "mutation($input: Create{type_name}Input!) {{ item: create{type_name}(input: $input) {{ id }} }}"
    );
    id_of(&data(&app.gql_as(token, &query, json!({ "input": input })).await)["item"])
}

e2e! {
    async fn drafts_and_the_trash_leave_the_feeds_alone(app) {
        let token = editor(&app).await;
        let article = create_with(&app, &token, "NewsArticle", json!({ "title": "Public news", "publishedAt": "2024-01-01T09:00:00Z" })).await;
        data(&publish(&app, &token, "NewsArticle", &article, None).await);
        let (etag, last_modified, body) = news_feed(&app).await;
        // HTTP dates count seconds: a write a second later would show.
        tokio::time::sleep(Duration::from_millis(1100)).await;

        let draft = create_with(&app, &token, "NewsArticle", json!({ "title": "Secret plans" })).await;
        data(&app.gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { body: \"More secrets\" }) { id } }", json!({ "id": draft })).await);
        let embargoed = create_with(&app, &token, "NewsArticle", json!({ "title": "Tomorrow's news", "publishedAt": in_seconds(86_400) })).await;
        data(&publish(&app, &token, "NewsArticle", &embargoed, None).await);
        data(&app.gql_as(&token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", json!({ "id": draft })).await);

        let (etag_after, last_modified_after, body_after) = news_feed(&app).await;
        assert_eq!(last_modified_after, last_modified, "Last-Modified moved with hidden writes");
        assert_eq!(etag_after, etag, "the ETag moved with hidden writes");
        assert_eq!(String::from_utf8_lossy(&body_after), String::from_utf8_lossy(&body));
        let cached = app.client.get(app.url("/feeds/news.atom")).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(cached.status(), 304);

        // A change the public sees still moves them.
        data(&app.gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { summary: \"Now with a summary\" }) { id } }", json!({ "id": article })).await);
        let (etag_changed, last_modified_changed, _) = news_feed(&app).await;
        assert_ne!(etag_changed, etag);
        assert_ne!(last_modified_changed, last_modified);
    }
}
