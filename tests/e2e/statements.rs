//! DataLoaders keep the number of SQL statements of a list request flat, whatever its size.

use quire_entity::asset;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use crate::fixtures::editor;
use crate::support::{TestApp, data, e2e};

/// Stores asset metadata directly: uploads are not part of the API yet.
pub async fn insert_asset(app: &TestApp, filename: &str, mime_type: &str) -> String {
    let id = uuid::Uuid::now_v7();
    asset::ActiveModel {
        id: Set(id),
        filename: Set(filename.to_string()),
        mime_type: Set(mime_type.to_string()),
        byte_size: Set(1234),
        sha256: Set("0".repeat(64)),
        storage_key: Set(format!("test/{id}")),
        alt: Set(None),
        created_at: Set(chrono::Utc::now()),
        width: Set(None),
        height: Set(None),
        page_count: Set(None),
    }
    .insert(app.db().conn())
    .await
    .expect("asset inserted");
    quire_api::graphql::asset_id(id).to_string()
}

const PAGES: &str = "query($n: Int) { pages(first: $n, filter: { parentId: null }) { totalCount nodes { title parent { title } children { title children { title } } } } }";
/// Sorted by path, every page is followed by its child, so both 5 and 100 items have
/// parents to load (and the parents' parents: none).
const PAGES_WITH_PARENTS: &str = "query($n: Int) { pages(first: $n, orderBy: { field: PATH }) { nodes { title parent { title parent { title } } } } }";
const BOOKLETS: &str = "query($n: Int) { booklets(first: $n) { totalCount nodes { title file { url mimeType } cover { url } } } }";
const NEWS: &str =
    "query($n: Int) { news(first: $n) { totalCount nodes { title tags heroImage { url } } } }";
/// A list with every field of the site's structure: addresses, SEO, related items, and a
/// menu beside it.
const NEWS_WITH_STRUCTURE: &str = "query($n: Int) { list: news(first: $n) { nodes { title url seo { title description image { url } canonicalUrl noIndex } related { ... on Page { title url } } } } menu(name: \"header\") { items { label url target { id } } } }";

/// The fewest statements one run of `query` took in three, and its number of nodes. A
/// batch can split under load (see `api/src/graphql/batch.rs`), adding one statement to an
/// odd run; three runs in a row all splitting is far rarer, and a statement per item would
/// show in every run.
async fn statements_for(app: &TestApp, query: &str, n: usize) -> (u64, usize) {
    let mut fewest = u64::MAX;
    let mut nodes = 0;
    for _ in 0..3 {
        let before = app.statements();
        let response = app.gql(query, json!({ "n": n })).await;
        let after = app.statements();
        nodes = data(&response).as_object().unwrap().values().next().unwrap()["nodes"]
            .as_array()
            .unwrap()
            .len();
        fewest = fewest.min(after - before);
    }
    (fewest, nodes)
}

async fn list_requests_run_the_same_statements_for_5_or_100_items(mut app: TestApp) {
    // Background workers share the statement counter: keep them quiet. A page tree of
    // 100 sections two levels deep may cost 44,400 (20 children counted per level): more
    // than the default limit allows, so this site raises it.
    app.reconfigure(|config| {
        config.max_query_cost = 50_000;
        config.workflow.scheduler_interval_ms = 3_600_000;
        config.workflow.webhook_poll_interval_ms = 3_600_000;
    })
    .await;
    let token = editor(&app).await;
    let hero = insert_asset(&app, "hero.jpg", "image/jpeg").await;
    let file = insert_asset(&app, "booklet.pdf", "application/pdf").await;
    // Seven items a request: three aliases each to create, four to publish, within the
    // 30 aliases one request may have.
    for (batch, chunk) in (0..100).collect::<Vec<usize>>().chunks(7).enumerate() {
        let mut query = String::from("mutation {");
        for &n in chunk {
            let i = n;
            query.push_str(&format!(
                " p{i}: createPage(input: {{ title: \"Page {n}\" }}) {{ id }} n{i}: createNewsArticle(input: {{ title: \"News {n}\", tags: [\"t{}\", \"all\"], heroImageId: \"{hero}\" }}) {{ id }} b{i}: createBooklet(input: {{ title: \"Booklet {n}\", fileId: \"{file}\", coverId: \"{hero}\" }}) {{ id }}",
                n % 7
            ));
        }
        query.push_str(" }");
        let created = app.gql_as(&token, &query, json!({})).await;
        let mut publish = String::from("mutation {");
        for (key, item) in data(&created).as_object().unwrap() {
            let kind = match &key[..1] {
                "p" => "Page",
                "n" => "NewsArticle",
                _ => "Booklet",
            };
            publish.push_str(&format!(
                " {key}: publish{kind}(id: \"{}\") {{ id }}",
                item["id"].as_str().unwrap()
            ));
            if kind == "Page" {
                publish.push_str(&format!(
                    " {key}c: createPage(input: {{ title: \"Child of {key} {batch}\", parentId: \"{}\" }}) {{ id }}",
                    item["id"].as_str().unwrap()
                ));
            }
        }
        publish.push_str(" }");
        let published = app.gql_as(&token, &publish, json!({})).await;
        // The child pages too, so that the public sees parents to load.
        let mut children = String::from("mutation {");
        for (key, item) in data(&published).as_object().unwrap() {
            if key.ends_with('c') {
                let id = item["id"].as_str().unwrap();
                children.push_str(&format!(" {key}: publishPage(id: \"{id}\") {{ id }}"));
            }
        }
        children.push_str(" }");
        data(&app.gql_as(&token, &children, json!({})).await);
        // Each article is related to the page made beside it.
        let mut related = String::from("mutation {");
        for (key, item) in data(&created).as_object().unwrap() {
            if let Some(n) = key.strip_prefix('n') {
                let page = data(&created)[format!("p{n}")]["id"].as_str().unwrap();
                let id = item["id"].as_str().unwrap();
                related.push_str(&format!(
                    " {key}: updateNewsArticle(id: \"{id}\", input: {{ relatedIds: [\"{page}\"] }}) {{ id }}"
                ));
            }
        }
        related.push_str(" }");
        data(&app.gql_as(&token, &related, json!({})).await);
    }
    let pages = app
        .gql("{ pages(first: 3, filter: { parentId: null }) { nodes { id } } }", json!({}))
        .await;
    let targets: Vec<String> = data(&pages)["pages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{{ label: \"A page\", targetId: \"{}\" }}", p["id"].as_str().unwrap()))
        .collect();
    let menu = format!(
        "mutation {{ saveMenu(name: \"header\", items: [{}]) {{ version }} }}",
        targets.join(", ")
    );
    data(&app.gql_as(&token, &menu, json!({})).await);

    for query in [PAGES, PAGES_WITH_PARENTS, NEWS, BOOKLETS, NEWS_WITH_STRUCTURE] {
        let (small, small_nodes) = statements_for(&app, query, 5).await;
        let (large, large_nodes) = statements_for(&app, query, 100).await;
        assert_eq!((small_nodes, large_nodes), (5, 100));
        assert_eq!(
            small, large,
            "statements for 5 items ({small}) and for 100 ({large}) differ: {query}"
        );
        // The list with the site's structure adds the settings, the SEO images, the related
        // links and their items, and the menu with its targets.
        let most = if query == NEWS_WITH_STRUCTURE { 8 } else { 6 };
        assert!(large <= most, "{large} statements for one list request: {query}");
        println!("{large} SQL statements for a list request of 5 or 100 items: {query}");
    }
}
e2e!(list_requests_run_the_same_statements_for_5_or_100_items);

/// Every connection keeps one plan per statement, whatever its values: on PostgreSQL by
/// `plan_cache_mode` (it re-planned Quire's reads at every run), on SQLite by its build.
async fn statements_are_planned_once_per_connection(app: TestApp) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let conn = app.db().conn();
    let backend = conn.get_database_backend();
    let (sql, wanted) = match backend {
        DbBackend::Postgres => ("SHOW plan_cache_mode", "force_generic_plan"),
        _ => ("PRAGMA compile_options", "ENABLE_QPSG"),
    };
    // Every connection of the pool, not only the first: hold them all at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        let tx = sea_orm::TransactionTrait::begin(conn).await.unwrap();
        let rows = tx.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
        let values: Vec<String> = rows.iter().filter_map(|r| r.try_get_by_index(0).ok()).collect();
        assert!(values.iter().any(|v| v == wanted), "{values:?}");
        held.push(tx);
    }
}
e2e!(statements_are_planned_once_per_connection);

/// Whether the session `conn` runs its statements in is encrypted.
async fn encrypted(conn: &sea_orm::DatabaseConnection) -> bool {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap();
    row.unwrap().try_get_by_index::<bool>(0).unwrap()
}

/// TLS to a server on this machine protects nothing and costs every query: a loopback URL
/// that names no `sslmode` is connected to without it, and one that does gets what it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn a_postgres_on_this_machine_is_reached_without_tls() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = crate::support::TestApp::spawn(crate::support::Backend::Postgres)
        .await
        .expect("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    let url = &app.database_url;
    assert!(url.contains("127.0.0.1") || url.contains("localhost"), "a local server: {url}");
    assert!(!url.contains("sslmode"), "{url}");
    let conn = app.db().conn();
    let ssl = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW ssl")).await;
    let ssl: String = ssl.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(ssl, "on", "the test server must offer TLS, or this test shows nothing");
    assert!(!encrypted(conn).await, "the pool's connections are encrypted");
    let asked = quire_api::db::Db::connect(&format!("{url}?sslmode=require"), 1).await.unwrap();
    assert!(encrypted(asked.conn()).await, "sslmode=require in the URL is not kept");
}
