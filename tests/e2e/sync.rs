//! Delta sync: `changes(after:)` brings a client from any cursor to the server's state,
//! deletions included, and never skips a change, also under concurrent writers.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fixtures::{create, editor, publish};
use crate::support::{TestApp, data, e2e, error_code, error_field};

const CHANGES: &str = "query($after: String, $first: Int, $types: [ContentType!]) {
  changes(after: $after, first: $first, types: $types) {
    nodes { cursor id contentType kind at node { id ... on NewsArticle { title version } ... on PressRelease { title version } } }
    pageInfo { endCursor hasNextPage }
  }
}";

/// A client's copy of the content: id → (title, version), and where it is in the journal.
#[derive(Default)]
struct Replica {
    items: BTreeMap<String, (String, i64)>,
    cursor: Option<String>,
    /// Every id the client has heard of, tombstones included.
    heard: Vec<String>,
}

impl Replica {
    /// Pulls every page of changes since the last sync, in small pages.
    async fn sync(&mut self, app: &TestApp, token: Option<&str>) {
        loop {
            let variables = json!({ "after": self.cursor, "first": 3 });
            let response = match token {
                Some(token) => app.gql_as(token, CHANGES, variables).await,
                None => app.gql(CHANGES, variables).await,
            };
            let changes = &data(&response)["changes"];
            for change in changes["nodes"].as_array().unwrap() {
                let id = change["id"].as_str().unwrap().to_string();
                self.heard.push(id.clone());
                match change["kind"].as_str().unwrap() {
                    "UPSERTED" => {
                        let node = &change["node"];
                        assert_eq!(node["id"], change["id"]);
                        let title = node["title"].as_str().unwrap_or_default().to_string();
                        self.items.insert(id, (title, node["version"].as_i64().unwrap_or(0)));
                    }
                    "DELETED" => {
                        assert!(change["node"].is_null());
                        self.items.remove(&id);
                    }
                    other => panic!("unexpected kind {other}"),
                }
            }
            self.cursor = changes["pageInfo"]["endCursor"].as_str().map(str::to_string);
            if !changes["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                return;
            }
        }
    }
}

/// The server's state as `token` (or the public) sees it, from the ordinary lists.
async fn server_state(app: &TestApp, token: Option<&str>) -> BTreeMap<String, (String, i64)> {
    let query = "{ news(first: 100) { nodes { id title version } }
                   pressReleases(first: 100) { nodes { id title version } } }";
    let response = match token {
        Some(token) => app.gql_as(token, query, json!({})).await,
        None => app.gql(query, json!({})).await,
    };
    let mut out = BTreeMap::new();
    for list in ["news", "pressReleases"] {
        for node in data(&response)[list]["nodes"].as_array().unwrap() {
            out.insert(
                node["id"].as_str().unwrap().to_string(),
                (node["title"].as_str().unwrap().to_string(), node["version"].as_i64().unwrap()),
            );
        }
    }
    out
}

async fn rename(app: &TestApp, token: &str, id: &str, title: &str) {
    let query = "mutation($id: ID!, $title: String!) { updateNewsArticle(id: $id, input: { title: $title }) { id } }";
    let response = app.gql_as(token, query, json!({ "id": id, "title": title })).await;
    data(&response);
}

async fn mutate(app: &TestApp, token: &str, query: &str, id: &str) {
    let response = app.gql_as(token, query, json!({ "id": id })).await;
    data(&response);
}

fn id(item: &Value) -> String {
    item["id"].as_str().unwrap().to_string()
}

async fn an_offline_client_catches_up_with_the_public_state(app: TestApp) {
    let token = editor(&app).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let item = create(&app, &token, "NewsArticle", &format!("{{ title: \"News {n}\" }}")).await;
        publish(&app, &token, "NewsArticle", &id(&item)).await;
        ids.push(id(&item));
    }
    let release = create(&app, &token, "PressRelease", "{ title: \"Release\" }").await;
    publish(&app, &token, "PressRelease", &id(&release)).await;
    let draft = create(&app, &token, "NewsArticle", "{ title: \"Secret draft\" }").await;

    let mut phone = Replica::default();
    phone.sync(&app, None).await;
    assert_eq!(phone.items, server_state(&app, None).await);
    assert_eq!(phone.items.len(), 6);

    // Offline: things are created, edited, unpublished, deleted, and drafted.
    let fresh = create(&app, &token, "NewsArticle", "{ title: \"Fresh\" }").await;
    publish(&app, &token, "NewsArticle", &id(&fresh)).await;
    rename(&app, &token, &ids[0], "News 0, corrected").await;
    rename(&app, &token, &ids[0], "News 0, corrected twice").await;
    mutate(&app, &token, "mutation($id: ID!) { unpublishNewsArticle(id: $id) { id } }", &ids[1])
        .await;
    mutate(&app, &token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", &ids[2]).await;
    mutate(&app, &token, "mutation($id: ID!) { deletePressRelease(id: $id) }", &id(&release)).await;
    rename(&app, &token, &id(&draft), "Still a draft").await;
    let later = create(&app, &token, "NewsArticle", "{ title: \"Created then deleted\" }").await;
    publish(&app, &token, "NewsArticle", &id(&later)).await;
    mutate(&app, &token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", &id(&later)).await;

    phone.sync(&app, None).await;
    let server = server_state(&app, None).await;
    assert_eq!(phone.items, server);
    assert_eq!(server.len(), 4);
    assert_eq!(phone.items[&ids[0]].0, "News 0, corrected twice");
    // The public never hears of a draft, not even as a tombstone.
    assert!(!phone.heard.contains(&id(&draft)));

    // Nothing changed: nothing new, and the cursor stays put.
    let cursor = phone.cursor.clone();
    let response = app.gql(CHANGES, json!({ "after": cursor })).await;
    assert_eq!(data(&response)["changes"]["nodes"], json!([]));
    assert_eq!(data(&response)["changes"]["pageInfo"]["endCursor"].as_str(), cursor.as_deref());

    // Republishing brings an item back.
    publish(&app, &token, "NewsArticle", &ids[1]).await;
    phone.sync(&app, None).await;
    assert_eq!(phone.items, server_state(&app, None).await);
    assert!(phone.items.contains_key(&ids[1]));
}
e2e!(an_offline_client_catches_up_with_the_public_state);

async fn editors_sync_drafts_trash_and_purges(app: TestApp) {
    let token = editor(&app).await;
    let admin = app.create_token(quire_api::auth::Role::Admin).await;
    let draft = create(&app, &token, "NewsArticle", "{ title: \"Draft\" }").await;
    let gone = create(&app, &token, "NewsArticle", "{ title: \"Doomed\" }").await;
    let mut laptop = Replica::default();
    laptop.sync(&app, Some(&token)).await;
    assert!(laptop.items.contains_key(&id(&draft)));
    assert!(laptop.items.contains_key(&id(&gone)));

    mutate(&app, &token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", &id(&gone)).await;
    laptop.sync(&app, Some(&token)).await;
    assert!(!laptop.items.contains_key(&id(&gone)));
    assert_eq!(laptop.items, server_state(&app, Some(&token)).await);

    let response = app
        .gql_as(&admin, "mutation($id: ID!) { purge(id: $id) }", json!({ "id": id(&gone) }))
        .await;
    data(&response);
    let before = laptop.heard.len();
    laptop.sync(&app, Some(&token)).await;
    assert_eq!(&laptop.heard[before..], [id(&gone)]);
    assert_eq!(laptop.items, server_state(&app, Some(&token)).await);
}
e2e!(editors_sync_drafts_trash_and_purges);

async fn changes_filter_by_type_and_refuse_bad_arguments(app: TestApp) {
    let token = editor(&app).await;
    let news = create(&app, &token, "NewsArticle", "{ title: \"N\" }").await;
    let release = create(&app, &token, "PressRelease", "{ title: \"P\" }").await;
    let response = app.gql_as(&token, CHANGES, json!({ "types": ["PRESS_RELEASE"] })).await;
    let nodes = data(&response)["changes"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["id"], release["id"]);
    assert_eq!(nodes[0]["contentType"], "PRESS_RELEASE");
    let unfiltered = app.gql_as(&token, CHANGES, json!({})).await;
    let ids: Vec<&Value> = data(&unfiltered)["changes"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert_eq!(ids, [&news["id"], &release["id"]], "without a filter both are there");

    for (variables, field) in [
        (json!({ "after": "not a cursor" }), "after"),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 501 }), "first"),
    ] {
        let response = app.gql_as(&token, CHANGES, variables).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT");
        assert_eq!(error_field(&response), field);
    }
}
e2e!(changes_filter_by_type_and_refuse_bad_arguments);

async fn an_embargo_reaches_the_public_when_it_lifts(app: TestApp) {
    let token = editor(&app).await;
    let release = create(&app, &token, "PressRelease", "{ title: \"Embargoed\" }").await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let query = "mutation($id: ID!, $at: DateTime!) { updatePressRelease(id: $id, input: { publishedAt: $at }) { id } }";
    data(&app.gql_as(&token, query, json!({ "id": id(&release), "at": at })).await);
    publish(&app, &token, "PressRelease", &id(&release)).await;

    let mut phone = Replica::default();
    phone.sync(&app, None).await;
    assert!(!phone.heard.contains(&id(&release)), "heard of an embargoed item early");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !phone.items.contains_key(&id(&release)) {
        assert!(std::time::Instant::now() < deadline, "the embargoed item never arrived");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        phone.sync(&app, None).await;
    }
    assert_eq!(phone.items, server_state(&app, None).await);
}
e2e!(an_embargo_reaches_the_public_when_it_lifts);

async fn concurrent_writers_never_make_a_reader_skip(app: TestApp) {
    let token = editor(&app).await;
    let create = "mutation($t: String!) { createNewsArticle(input: { title: $t }) { id } }";
    let update =
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { summary: \"edited\" }) { id } }";
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let client = app.client.clone();
            let url = app.url("/graphql");
            let token = token.clone();
            tokio::spawn(async move {
                for n in 0..8 {
                    let body =
                        json!({ "query": create, "variables": { "t": format!("W{w} N{n}") } });
                    let response: Value = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let id = response["data"]["createNewsArticle"]["id"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{response}"))
                        .to_string();
                    let body = json!({ "query": update, "variables": { "id": id } });
                    let response: Value = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert!(response["errors"].is_null(), "{response}");
                }
            })
        })
        .collect();
    // The reader syncs all the while the writers commit, out of order if they can.
    let mut reader = Replica::default();
    while writers.iter().any(|w| !w.is_finished()) {
        reader.sync(&app, Some(&token)).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    reader.sync(&app, Some(&token)).await;
    let server = server_state(&app, Some(&token)).await;
    assert_eq!(server.len(), 48);
    assert_eq!(reader.items, server);
    assert!(reader.items.values().all(|(_, version)| *version == 2));
}
e2e!(concurrent_writers_never_make_a_reader_skip);

/// A server on PostgreSQL; the tests that use it are ignored when none is configured.
async fn on_postgres() -> Option<TestApp> {
    let app = TestApp::spawn(crate::support::Backend::Postgres).await;
    assert!(app.is_some(), "PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    app
}

/// Every page's path, in path order.
async fn page_paths(app: &TestApp, token: &str) -> Vec<String> {
    let pages = app.gql_as(token, "{ pages(first: 50) { nodes { path } } }", json!({})).await;
    let mut paths: Vec<String> = data(&pages)["pages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["path"].as_str().map(str::to_string))
        .collect();
    paths.sort();
    paths
}

/// Sends a GraphQL request as `token` in the background, for a test to do something else
/// while it waits on the database.
fn send_meanwhile(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }));
    tokio::spawn(request.send())
}

/// On PostgreSQL, a writer that has numbered its change but not yet committed holds back
/// every later writer, so no reader can see a later number first and step past this one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn a_slow_writer_is_never_overtaken_on_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(app) = on_postgres().await else { return };
    let token = editor(&app).await;
    let first = create(&app, &token, "NewsArticle", "{ title: \"First\" }").await;
    let second = create(&app, &token, "NewsArticle", "{ title: \"Second\" }").await;
    let mut reader = Replica::default();
    reader.sync(&app, Some(&token)).await;

    // A slow writer journals a change to `first` the way Quire does, and stays open.
    let slow = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let tx = slow.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({}); \
         INSERT INTO content_changes (content_id, content_type, public, at) \
         SELECT id, content_type, false, now() FROM content_items WHERE title = 'First'",
        0x51_55_49_52_45_i64
    ))
    .await
    .unwrap();

    // Meanwhile an editor changes `second`.
    let edit = "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Second, edited\" }) { id } }";
    let editing = send_meanwhile(&app, &token, edit, json!({ "id": second["id"] }));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    reader.sync(&app, Some(&token)).await;
    tx.commit().await.unwrap();
    editing.await.unwrap().unwrap();
    reader.sync(&app, Some(&token)).await;

    // The reader heard of the slow writer's change to `first`, after it, the edit.
    let heard_after_start = &reader.heard[2..];
    assert_eq!(heard_after_start, [id(&first), id(&second)], "a change was skipped");
    assert_eq!(reader.items[&id(&second)].0, "Second, edited");
    slow.close().await.unwrap();
}

/// A page move locks every page below before it journals any of them. Were it to journal
/// the first while waiting for a later one, an editor holding that later page and waiting
/// for the journal's order lock would deadlock with it, and PostgreSQL would abort one.
#[tokio::test]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn a_page_move_and_an_edit_below_it_both_land_on_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(app) = on_postgres().await else { return };
    let token = editor(&app).await;
    let parent = create(&app, &token, "Page", "{ title: \"Parent\" }").await;
    for title in ["Child one", "Child two"] {
        let input = format!("{{ title: \"{title}\", parentId: \"{}\" }}", id(&parent));
        create(&app, &token, "Page", &input).await;
    }

    // An editor's save holds the second child, the later of the two to be moved.
    let editor_tx = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let tx = editor_tx.begin().await.unwrap();
    tx.execute_unprepared("SELECT id FROM content_items WHERE title = 'Child two' FOR UPDATE")
        .await
        .unwrap();

    let mv = "mutation($id: ID!) { updatePage(id: $id, input: { slug: \"moved\" }) { path } }";
    let moving = send_meanwhile(&app, &token, mv, json!({ "id": parent["id"] }));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // The save goes on to journal its change, then commits.
    tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({})", 0x51_55_49_52_45_i64))
        .await
        .expect("the editor's save was aborted");
    tx.commit().await.unwrap();

    let moved: Value = moving.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(data(&moved)["updatePage"]["path"], "moved");
    let paths = page_paths(&app, &token).await;
    assert!(paths.iter().any(|p| p == "moved/child-two"), "{paths:?}");
    editor_tx.close().await.unwrap();
}

/// When PostgreSQL breaks a deadlock by rolling a save back, the editor is told to try again
/// (`CONFLICT`), not shown an internal error, and nothing of the save remains.
#[tokio::test]
async fn a_save_rolled_back_by_a_deadlock_is_a_conflict_on_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(app) = on_postgres().await else { return };
    let token = editor(&app).await;
    let parent = create(&app, &token, "Page", "{ title: \"Parent\" }").await;
    let input = format!("{{ title: \"Child\", parentId: \"{}\" }}", id(&parent));
    create(&app, &token, "Page", &input).await;

    // Another transaction holds the child; the move takes the parent, then waits for it.
    let other = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let tx = other.begin().await.unwrap();
    tx.execute_unprepared("SELECT id FROM content_items WHERE title = 'Child' FOR UPDATE")
        .await
        .unwrap();
    let mv = "mutation($id: ID!) { updatePage(id: $id, input: { slug: \"moved\" }) { path } }";
    let moving = send_meanwhile(&app, &token, mv, json!({ "id": parent["id"] }));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Now it wants the parent too: a deadlock. The move waited first, so PostgreSQL's check
    // finds the cycle on the move's side and rolls the move back.
    tx.execute_unprepared("SELECT id FROM content_items WHERE title = 'Parent' FOR UPDATE")
        .await
        .expect("the other transaction goes on");
    tx.commit().await.unwrap();

    let refused: Value = moving.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    assert_eq!(page_paths(&app, &token).await, ["parent", "parent/child"]);
    other.close().await.unwrap();
}

async fn a_new_alt_text_reaches_synced_clients_of_the_items_that_show_the_image(app: TestApp) {
    let token = editor(&app).await;
    let response = app.upload(Some(&token), "hero.png", crate::media::png(8, 8)).await;
    let body: Value = response.json().await.unwrap();
    let image = data(&body)["uploadAsset"]["id"].clone();
    let query = "mutation($h: ID) { createNewsArticle(input: { title: \"Pictured\", heroImageId: $h }) { id } }";
    let article =
        data(&app.gql_as(&token, query, json!({ "h": image })).await)["createNewsArticle"].clone();
    publish(&app, &token, "NewsArticle", &id(&article)).await;
    let mut phone = Replica::default();
    phone.sync(&app, None).await;
    let before = phone.heard.len();

    let alt = "mutation($id: ID!) { updateAsset(id: $id, alt: \"Pupils in a classroom\") { id } }";
    data(&app.gql_as(&token, alt, json!({ "id": image })).await);
    phone.sync(&app, None).await;
    assert_eq!(&phone.heard[before..], [id(&article)]);
}
e2e!(a_new_alt_text_reaches_synced_clients_of_the_items_that_show_the_image);
