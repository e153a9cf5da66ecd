//! HTTP caching of public answers, the public response cache, and automatic persisted
//! queries.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use quire_api::auth::Role;

use crate::fixtures::{PASSWORD, create, editor, login, publish, published, user};
use crate::support::{TestApp, data, e2e, error_code};

const NEWS: &str = "{ news(first: 5) { nodes { id title } } }";

async fn get(
    app: &TestApp,
    query: &str,
    token: Option<&str>,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.get(app.url("/graphql")).query(&[("query", query)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

/// A GET by hash only, as an Apollo client sends it first.
async fn get_persisted(app: &TestApp, hash: &str) -> reqwest::Response {
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    app.client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap()
}

async fn public_gets_carry_an_etag_and_answer_304_while_unchanged(app: TestApp) {
    let token = editor(&app).await;
    let item = create(&app, &token, "NewsArticle", "{ title: \"Cached\" }").await;
    publish(&app, &token, "NewsArticle", item["id"].as_str().unwrap()).await;

    let first = get(&app, NEWS, None, None).await;
    assert_eq!(first.status(), 200);
    let etag = header(&first, "etag").expect("an ETag");
    assert_eq!(header(&first, "cache-control").unwrap(), "public, max-age=0, must-revalidate");
    assert!(header(&first, "vary").unwrap().contains("Authorization"));
    let body: Value = first.json().await.unwrap();
    assert_eq!(data(&body)["news"]["nodes"][0]["title"], "Cached");

    let again = get(&app, NEWS, None, Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag").unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    // A change makes the old tag stale.
    let update =
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Changed\" }) { id } }";
    data(&app.gql_as(&token, update, json!({ "id": item["id"] })).await);
    let changed = get(&app, NEWS, None, Some(&etag)).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(header(&changed, "etag").unwrap(), etag);

    // Signed-in answers are never cacheable, and carry no tag.
    let mine = get(&app, NEWS, Some(&token), Some(&etag)).await;
    assert_eq!(mine.status(), 200);
    assert_eq!(header(&mine, "cache-control").unwrap(), "private, no-store");
    assert!(header(&mine, "etag").is_none());
    let posted = app.post(Some(&token), &json!({ "query": NEWS })).await;
    assert_eq!(header(&posted, "cache-control").unwrap(), "private, no-store");

    // Errors are not cacheable either.
    let broken = get(&app, "{ news { nope } }", None, None).await;
    assert_eq!(header(&broken, "cache-control").unwrap(), "private, no-store");
}
e2e!(public_gets_carry_an_etag_and_answer_304_while_unchanged);

async fn cache_control_of_public_answers_is_configurable(mut app: TestApp) {
    app.reconfigure(|c| {
        c.caching.public_cache_control = "public, max-age=60, stale-while-revalidate=600".into()
    })
    .await;
    let response = get(&app, NEWS, None, None).await;
    assert_eq!(
        header(&response, "cache-control").unwrap(),
        "public, max-age=60, stale-while-revalidate=600"
    );
}
e2e!(cache_control_of_public_answers_is_configurable);

async fn repeated_public_queries_skip_the_database_and_writes_show_at_once(mut app: TestApp) {
    let token = editor(&app).await;
    let warm = get(&app, NEWS, None, None).await;
    let mut last: Value = warm.json().await.unwrap();
    let before = app.statements();
    let again: Value = get(&app, NEWS, None, None).await.json().await.unwrap();
    assert_eq!(app.statements(), before, "a repeated public query touched the database");
    assert_eq!(again, last);

    // Every write is in the very next answer, over GET and POST.
    for n in 0..8 {
        let item =
            create(&app, &token, "NewsArticle", &format!("{{ title: \"Fresh {n}\" }}")).await;
        publish(&app, &token, "NewsArticle", item["id"].as_str().unwrap()).await;
        let by_get: Value = get(&app, NEWS, None, None).await.json().await.unwrap();
        assert_eq!(data(&by_get)["news"]["nodes"][0]["id"], item["id"], "stale after write {n}");
        assert_ne!(by_get, last);
        let by_post: Value = app.post(None, &json!({ "query": NEWS })).await.json().await.unwrap();
        assert_eq!(by_post, by_get);
        last = by_get;
    }

    // Turned off, each query runs again.
    app.reconfigure(|c| c.caching.response_cache_mb = 0).await;
    get(&app, NEWS, None, None).await;
    let before = app.statements();
    get(&app, NEWS, None, None).await;
    assert!(app.statements() > before);
}
e2e!(repeated_public_queries_skip_the_database_and_writes_show_at_once);

async fn writes_no_public_answer_shows_leave_cached_answers_in_place(app: TestApp) {
    let token = editor(&app).await;
    let id = published(&app, &token, "NewsArticle", "{ title: \"Kept\" }").await;
    let first: Value = get(&app, NEWS, None, None).await.json().await.unwrap();

    // A new user, a sign-in, a new token, a newsletter sign-up and a preview key: none
    // of them is in any public answer.
    let admin = user(&app, "admin@example.org", Role::Admin).await;
    login(&app, "admin@example.org", PASSWORD).await;
    let mint = "mutation { createApiToken(name: \"ci\", role: EDITOR) { token } }";
    data(&app.gql_as(&admin.token, mint, json!({})).await);
    let sign_up = "mutation { subscribeToNewsletter(email: \"reader@example.org\") }";
    assert_eq!(data(&app.gql(sign_up, json!({})).await)["subscribeToNewsletter"], true);
    let preview = "mutation($id: ID!) { createPreviewToken(id: $id) }";
    data(&app.gql_as(&token, preview, json!({ "id": id })).await);

    let before = app.statements();
    let again: Value = get(&app, NEWS, None, None).await.json().await.unwrap();
    assert_eq!(app.statements(), before, "a private write emptied the response cache");
    assert_eq!(again, first);

    // A content write still does.
    published(&app, &token, "NewsArticle", "{ title: \"Shown\" }").await;
    let after: Value = get(&app, NEWS, None, None).await.json().await.unwrap();
    assert_eq!(data(&after)["news"]["nodes"][0]["title"], "Shown");
}
e2e!(writes_no_public_answer_shows_leave_cached_answers_in_place);

async fn previews_are_never_cached(app: TestApp) {
    let token = editor(&app).await;
    let item = create(&app, &token, "NewsArticle", "{ title: \"Draft\" }").await;
    let query = "mutation($id: ID!) { createPreviewToken(id: $id) }";
    let response = app.gql_as(&token, query, json!({ "id": item["id"] })).await;
    let preview = data(&response)["createPreviewToken"].as_str().unwrap().to_string();
    let query = format!("{{ preview(token: \"{preview}\") {{ id }} }}");
    let response = get(&app, &query, None, None).await;
    assert_eq!(header(&response, "cache-control").unwrap(), "private, no-store");
    assert!(header(&response, "etag").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(data(&body)["preview"]["id"], item["id"]);
}
e2e!(previews_are_never_cached);

async fn automatic_persisted_queries_work_over_get_and_post(app: TestApp) {
    let token = editor(&app).await;
    let id = published(&app, &token, "NewsArticle", "{ title: \"Persisted\" }").await;
    let hash = hex::encode(Sha256::digest(NEWS.as_bytes()));
    let unknown: Value = get_persisted(&app, &hash).await.json().await.unwrap();
    assert_eq!(error_code(&unknown), "PERSISTED_QUERY_NOT_FOUND");

    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let register = app.post(None, &json!({ "query": NEWS, "extensions": extensions })).await;
    let registered: Value = register.json().await.unwrap();
    assert_eq!(data(&registered)["news"]["nodes"], json!([{ "id": id, "title": "Persisted" }]));

    let by_hash = get_persisted(&app, &hash).await;
    assert_eq!(by_hash.status(), 200);
    assert!(header(&by_hash, "etag").is_some());
    let answer: Value = by_hash.json().await.unwrap();
    assert_eq!(answer, registered);
    let by_post: Value =
        app.post(None, &json!({ "extensions": extensions })).await.json().await.unwrap();
    assert_eq!(by_post, registered);

    // A hash that does not match its query is refused, and changes nothing.
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": hex::encode(Sha256::digest(b"other")) } });
    let refused: Value =
        app.post(None, &json!({ "query": NEWS, "extensions": wrong })).await.json().await.unwrap();
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");

    // A persisted mutation still cannot run over GET.
    let mutation = "mutation { createNewsArticle(input: { title: \"By GET\" }) { id } }";
    let hash = hex::encode(Sha256::digest(mutation.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    app.post(Some(&token), &json!({ "query": mutation, "extensions": extensions })).await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&token)
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}
e2e!(automatic_persisted_queries_work_over_get_and_post);

/// An answer that shows only news: a press release's save and a sign-in cannot change it.
const NEWS_ONLY: &str = "{ news(first: 5) { nodes { id slug title summary publishedAt } } }";

async fn cached_answers_stay_across_writes_they_cannot_show(app: TestApp) {
    let token = editor(&app).await;
    let news = published(&app, &token, "NewsArticle", "{ title: \"Kept\" }").await;
    let press = published(&app, &token, "PressRelease", "{ title: \"Before\" }").await;
    // Addresses come from the site's settings, of any type: such an answer reads everything.
    let with_urls = "{ news(first: 5) { nodes { id url } } }";
    let first: Value = get(&app, NEWS_ONLY, None, None).await.json().await.unwrap();
    get(&app, with_urls, None, None).await;

    // A press release saved, and a sign-in.
    let update =
        "mutation($id: ID!) { updatePressRelease(id: $id, input: { title: \"After\" }) { id } }";
    data(&app.gql_as(&token, update, json!({ "id": press })).await);
    user(&app, "writer@example.org", Role::Editor).await;
    login(&app, "writer@example.org", PASSWORD).await;

    let before = app.statements();
    let again: Value = get(&app, NEWS_ONLY, None, None).await.json().await.unwrap();
    assert_eq!(app.statements(), before, "a press release's save emptied a news answer");
    assert_eq!(again, first);
    get(&app, with_urls, None, None).await;
    assert!(app.statements() > before, "an answer that reads everything outlived a write");
    let press_list = "{ pressReleases(first: 1) { nodes { title } } }";
    let shown: Value = get(&app, press_list, None, None).await.json().await.unwrap();
    assert_eq!(data(&shown)["pressReleases"]["nodes"][0]["title"], "After");

    // A news save is in the very next answer.
    let update =
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Changed\" }) { id } }";
    data(&app.gql_as(&token, update, json!({ "id": news })).await);
    let before = app.statements();
    let after: Value = get(&app, NEWS_ONLY, None, None).await.json().await.unwrap();
    assert!(app.statements() > before, "a news answer outlived a news save");
    assert_eq!(data(&after)["news"]["nodes"][0]["title"], "Changed");
}
e2e!(cached_answers_stay_across_writes_they_cannot_show);
