//! Revisions: every version is kept, old ones can be restored, and concurrent saves lose
//! nothing.

use serde_json::{Value, json};

use crate::fixtures::{create, editor, id_of};
use crate::support::{TestApp, data, e2e, error_code};

const REVISIONS: &str = "query($id: ID!, $first: Int, $after: String) { revisions(id: $id, first: $first, after: $after) { nodes { id version createdAt author { kind name } snapshot } pageInfo { hasNextPage endCursor } } }";

async fn revisions(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let response = app.gql_as(token, REVISIONS, json!({ "id": id, "first": 100 })).await;
    data(&response)["revisions"]["nodes"].as_array().unwrap().clone()
}

fn versions(revisions: &[Value]) -> Vec<i64> {
    revisions.iter().map(|r| r["version"].as_i64().unwrap()).collect()
}

async fn every_change_is_a_revision_and_old_ones_can_be_restored(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(
        &create(
            &app,
            &token,
            "NewsArticle",
            "{ title: \"First words\", body: \"One\", tags: [\"a\"] }",
        )
        .await,
    );
    for body in ["Two", "Three"] {
        app.gql_as(&token, "mutation($id: ID!, $b: String) { updateNewsArticle(id: $id, input: { body: $b, tags: [\"b\"] }) { id } }", json!({ "id": id, "b": body })).await;
    }
    app.gql_as(
        &token,
        "mutation($id: ID!) { publishNewsArticle(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;

    let all = revisions(&app, &token, &id).await;
    assert_eq!(versions(&all), [4, 3, 2, 1], "newest first, one per version");
    let first = all.last().unwrap().clone();
    assert_eq!(first["author"], json!({ "kind": "TOKEN", "name": "test" }));
    assert_eq!(first["snapshot"]["body"], "One");
    assert_eq!(first["snapshot"]["tags"], json!(["a"]));
    assert_eq!(first["snapshot"]["status"], "DRAFT");
    assert_eq!(all[0]["snapshot"]["status"], "PUBLISHED");

    // Pages of revisions follow each other with no gap.
    let page = app.gql_as(&token, REVISIONS, json!({ "id": id, "first": 3 })).await;
    let page = &data(&page)["revisions"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql_as(
            &token,
            REVISIONS,
            json!({ "id": id, "first": 3, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(versions(data(&rest)["revisions"]["nodes"].as_array().unwrap()), [1]);

    let restored = app
        .gql_as(&token, "mutation($id: ID!) { restoreRevision(id: $id) { ... on NewsArticle { id body tags version status } } }", json!({ "id": first["id"] }))
        .await;
    assert_eq!(
        data(&restored)["restoreRevision"],
        json!({ "id": id, "body": "One", "tags": ["a"], "version": 5, "status": "PUBLISHED" }),
        "the old content becomes the newest version; the status stays"
    );
    let after = revisions(&app, &token, &id).await;
    assert_eq!(versions(&after), [5, 4, 3, 2, 1], "nothing is overwritten");
    assert_eq!(after[1]["snapshot"]["body"], "Three");
    let public = app.gql("{ newsArticle(slug: \"first-words\") { body } }", json!({})).await;
    assert_eq!(data(&public)["newsArticle"]["body"], "One");
}
e2e!(every_change_is_a_revision_and_old_ones_can_be_restored);

async fn revisions_are_for_staff_and_checked(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "Page", "{ title: \"Hidden history\" }").await);
    let public = app.gql(REVISIONS, json!({ "id": id })).await;
    assert_eq!(error_code(&public), "UNAUTHENTICATED");
    let bad = app.gql_as(&token, REVISIONS, json!({ "id": "nonsense" })).await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let bad_cursor = app.gql_as(&token, REVISIONS, json!({ "id": id, "after": "???" })).await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
    let too_many = app.gql_as(&token, REVISIONS, json!({ "id": id, "first": 101 })).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let wrong_kind = app
        .gql_as(
            &token,
            "mutation($id: ID!) { restoreRevision(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&wrong_kind), "NOT_FOUND", "a page id names no revision");
}
e2e!(revisions_are_for_staff_and_checked);

async fn concurrent_saves_lose_no_revision(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "PressRelease", "{ title: \"Contended release\" }").await);
    // Sixteen editors save the version they read, all at once: one wins.
    let guarded = "mutation($id: ID!, $l: String) { updatePressRelease(id: $id, input: { location: $l }, expectedVersion: 1) { version location } }";
    let results = race(&app, &token, guarded, &id, 16).await;
    let winners: Vec<&Value> = results.iter().filter(|r| r.get("errors").is_none()).collect();
    assert_eq!(winners.len(), 1, "{results:#?}");
    assert!(
        results.iter().filter(|r| r.get("errors").is_some()).all(|r| error_code(r) == "CONFLICT")
    );
    let winner = winners[0]["data"]["updatePressRelease"]["location"].clone();

    // Sixteen more without a version: each is applied to the newest version in turn,
    // or refused with CONFLICT, never silently lost.
    let unguarded = "mutation($id: ID!, $l: String) { updatePressRelease(id: $id, input: { location: $l }) { version location } }";
    let results = race(&app, &token, unguarded, &id, 16).await;
    let applied: Vec<i64> = results
        .iter()
        .filter(|r| r.get("errors").is_none())
        .map(|r| r["data"]["updatePressRelease"]["version"].as_i64().unwrap())
        .collect();
    assert!(
        results.iter().filter(|r| r.get("errors").is_some()).all(|r| error_code(r) == "CONFLICT"),
        "{results:#?}"
    );

    let all = revisions(&app, &token, &id).await;
    let expected_versions: Vec<i64> = (1..=2 + applied.len() as i64).rev().collect();
    assert_eq!(versions(&all), expected_versions, "one revision per version, no gap");
    assert_eq!(
        all[all.len() - 2]["snapshot"]["location"],
        winner,
        "the winner's revision is the one kept"
    );
    for version in applied {
        let revision = all.iter().find(|r| r["version"] == version).expect("a revision per save");
        let answered =
            results.iter().find(|r| r["data"]["updatePressRelease"]["version"] == version).unwrap();
        assert_eq!(
            revision["snapshot"]["location"],
            answered["data"]["updatePressRelease"]["location"]
        );
    }
}
e2e!(concurrent_saves_lose_no_revision);

/// Sends `n` copies of `mutation` at once, each with its own location.
async fn race(app: &TestApp, token: &str, mutation: &str, id: &str, n: usize) -> Vec<Value> {
    let attempts = (0..n).map(|i| {
        let variables = json!({ "id": id, "l": format!("Desk {i}") });
        async move { app.gql_as(token, mutation, variables).await }
    });
    futures_util::future::join_all(attempts).await
}
