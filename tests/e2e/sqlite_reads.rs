//! On a SQLite file, short reads of content run straight from SQLite on the request's
//! thread. They answer exactly as the pool does, to the public and to editors, and the
//! public sees no draft through them.

use std::path::Path;

use serde_json::{Value, json};

use crate::fixtures::editor;
use crate::support::{Backend, TestApp, data};

const HOME_PAGE: &str = include_str!("../../examples/queries/home-page.graphql");

const NEWS_FIELDS: &str = "id title slug summary body bodyHtml publishedAt updatedAt status tags heroImage { id } authorName url seo { title description }";

/// Every read this path takes: lists of each type, a second page by cursor, lookups by
/// slug and path, `node(id:)`, pages' children (a batch), and the home page.
fn queries(cursor: &str, article: &str, node: &str) -> Vec<(String, Value)> {
    vec![
        (HOME_PAGE.to_string(), json!({})),
        (format!("{{ news(first: 100) {{ nodes {{ {NEWS_FIELDS} }} }} }}"), json!({})),
        ("{ news(first: 2, orderBy: { field: TITLE, direction: ASC }) { edges { cursor node { title } } pageInfo { hasNextPage endCursor } } }".into(), json!({})),
        ("query($c: String!) { news(first: 2, after: $c, orderBy: { field: TITLE, direction: ASC }) { nodes { title } } }".into(), json!({ "c": cursor })),
        ("{ pressReleases(first: 100) { nodes { id title notesToEditors notesToEditorsHtml location publishedAt } } }".into(), json!({})),
        ("{ testimonials(first: 100) { nodes { id quote authorName authorRole organisation featured } } }".into(), json!({})),
        ("{ booklets(first: 100) { nodes { id title downloadCount file { filename } cover { id } } } }".into(), json!({})),
        ("{ pages(first: 100) { nodes { id path title parent { title } children { title path } } } }".into(), json!({})),
        ("query($s: String!) { newsArticle(slug: $s) { id title body bodyHtml } }".into(), json!({ "s": article })),
        ("{ page(path: \"about\") { title children { title } } }".into(), json!({})),
        ("query($id: ID!) { node(id: $id) { id ... on NewsArticle { title body } } }".into(), json!({ "id": node })),
        ("{ news(first: 100, filter: { tag: \"schools\" }) { nodes { title } } }".into(), json!({})),
    ]
}

pub(crate) async fn answers(
    app: &TestApp,
    token: Option<&str>,
    queries: &[(String, Value)],
) -> Vec<Value> {
    let mut out = Vec::new();
    for (query, variables) in queries {
        let body = json!({ "query": query, "variables": variables });
        let answer: Value = app.post(token, &body).await.json().await.unwrap();
        assert!(answer.get("errors").is_none(), "{query}: {answer}");
        out.push(answer);
    }
    out
}

/// The lls example site, an editor's token, a draft and an article scheduled for next
/// year (the public sees neither), and the reads to ask of it.
pub(crate) async fn site_with_hidden_items(app: &TestApp) -> (String, Vec<(String, Value)>) {
    let site = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls"));
    quire_api::seed::load(app.db(), &app.storage(), site).await.unwrap();
    let token = editor(app).await;
    let query = "mutation { d: createNewsArticle(input: { title: \"Draft only\" }) { id } s: createNewsArticle(input: { title: \"Not yet\" }) { id } }";
    let created = app.gql_as(&token, query, json!({})).await;
    let scheduled = data(&created)["s"]["id"].as_str().unwrap().to_string();
    let query = "mutation($id: ID!) { publishNewsArticle(id: $id, at: \"2099-01-01T09:00:00Z\") { status } }";
    app.gql_as(&token, query, json!({ "id": scheduled })).await;

    let listed = app.gql("{ news(first: 2, orderBy: { field: TITLE, direction: ASC }) { pageInfo { endCursor } nodes { id slug } } }", json!({})).await;
    let news = &data(&listed)["news"];
    let cursor = news["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let article = news["nodes"][0]["slug"].as_str().unwrap().to_string();
    let node = news["nodes"][0]["id"].as_str().unwrap().to_string();
    (token, queries(&cursor, &article, &node))
}

/// The public's answers hold neither hidden item; editors' hold both.
pub(crate) fn assert_hidden_from_the_public_only(public: &[Value], staff: &[Value]) {
    let public_text = serde_json::to_string(public).unwrap();
    assert!(!public_text.contains("Draft only") && !public_text.contains("Not yet"));
    let staff_text = serde_json::to_string(staff).unwrap();
    assert!(staff_text.contains("Draft only") && staff_text.contains("Not yet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_reads_answer_as_the_pool_does() {
    let mut app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, queries) = site_with_hidden_items(&app).await;

    let before = app.db().sqlite_reads().expect("direct reads on a SQLite file").answered();
    let public = answers(&app, None, &queries).await;
    let staff = answers(&app, Some(&token), &queries).await;
    let answered = app.db().sqlite_reads().unwrap().answered() - before;
    // Two viewers, each list and lookup once; pages' children and parents in batches.
    assert!(answered >= 2 * 14, "only {answered} reads were answered directly");

    assert_hidden_from_the_public_only(&public, &staff);

    app.reconfigure(|config| config.sqlite_direct_reads = false).await;
    assert!(app.db().sqlite_reads().is_none());
    assert_eq!(answers(&app, None, &queries).await, public, "the public's answers");
    assert_eq!(answers(&app, Some(&token), &queries).await, staff, "editors' answers");
}
