//! Every error code, and no internals in any error.

use quire_api::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::{create, editor, id_of};
use crate::support::{Backend, TestApp, data, e2e, error_code};

/// Words that must never reach a client: SQL, database names, paths.
const LEAKS: [&str; 10] = [
    "select ",
    "insert ",
    "sqlite",
    "postgres",
    "sqlx",
    "content_items",
    "content_tags",
    "/tmp",
    ".rs:",
    "panicked",
];

fn assert_no_leaks(response: &Value) {
    let text = response["errors"].to_string().to_lowercase();
    for leak in LEAKS {
        assert!(!text.contains(leak), "error text shows `{leak}`: {text}");
    }
}

async fn every_error_code_is_reachable(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Here\" }").await);

    let unauthenticated =
        app.gql("mutation { createPage(input: { title: \"x\" }) { id } }", json!({})).await;
    let forbidden = app.gql_as(&token, "{ apiTokens { id } }", json!({})).await;
    let bad_input = app
        .gql_as(&token, "mutation { createPage(input: { title: \"\" }) { id } }", json!({}))
        .await;
    let gone = id_of(&create(&app, &token, "Page", "{ title: \"Gone\" }").await);
    data(
        &app.gql_as(&token, "mutation($id: ID!) { deletePage(id: $id) }", json!({ "id": gone }))
            .await,
    );
    let not_found = app
        .gql_as(&token, "mutation($id: ID!) { publishPage(id: $id) { id } }", json!({ "id": gone }))
        .await;
    let asset_id = quire_api::graphql::asset_id(uuid::Uuid::now_v7()).to_string();
    let malformed = app
        .gql_as(
            &token,
            "mutation($id: ID!) { publishPage(id: $id) { id } }",
            json!({ "id": "%%%" }),
        )
        .await;
    let wrong_type = app
        .gql_as(&token, "mutation($id: ID!) { publishPage(id: $id) { id } }", json!({ "id": id }))
        .await;
    let asset_as_page = app
        .gql_as(&token, "mutation($id: ID!) { deletePage(id: $id) }", json!({ "id": asset_id }))
        .await;
    assert_eq!(error_code(&asset_as_page), "NOT_FOUND");
    let conflict = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"y\" }, expectedVersion: 7) { id } }", json!({ "id": id }))
        .await;
    for (response, code) in [
        (&unauthenticated, "UNAUTHENTICATED"),
        (&forbidden, "FORBIDDEN"),
        (&bad_input, "BAD_USER_INPUT"),
        (&not_found, "NOT_FOUND"),
        (&malformed, "BAD_USER_INPUT"),
        (&wrong_type, "NOT_FOUND"),
        (&conflict, "CONFLICT"),
    ] {
        assert_eq!(error_code(response), code, "{response:#}");
        assert_no_leaks(response);
    }
    assert_eq!(bad_input["errors"][0]["extensions"]["field"], "title");
}
e2e!(every_error_code_is_reachable);

async fn unknown_fields_fail_validation_and_bad_values_are_bad_input(app: TestApp) {
    let response = app.gql("{ nope }", json!({})).await;
    assert_eq!(error_code(&response), "GRAPHQL_VALIDATION_FAILED", "{response:#}");
    assert_no_leaks(&response);
    for query in [
        "{ news(first: \"many\") { totalCount } }",
        "{ news(filter: { publishedAfter: \"yesterday\" }) { totalCount } }",
        "query($n: Int!) { news(first: $n) { totalCount } }",
    ] {
        let response = app.gql(query, json!({})).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{query}: {response:#}");
        assert_no_leaks(&response);
    }
}
e2e!(unknown_fields_fail_validation_and_bad_values_are_bad_input);

async fn internal_errors_are_logged_not_shown(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let token = editor(&app).await;
    create(&app, &token, "NewsArticle", "{ title: \"Tagged\", tags: [\"a\"] }").await;
    // Break the database behind the server's back.
    let sql = match app.backend {
        Backend::Sqlite => "DROP TABLE content_tags",
        Backend::Postgres => "DROP TABLE content_tags CASCADE",
    };
    app.db().conn().execute_unprepared(sql).await.unwrap();
    let response = app.gql_as(&admin, "{ news { nodes { title tags } } }", json!({})).await;
    assert_eq!(error_code(&response), "INTERNAL_SERVER_ERROR");
    assert_eq!(response["errors"][0]["message"], "internal error");
    assert_no_leaks(&response);
    let still_there = app.gql_as(&admin, "{ news { totalCount } }", json!({})).await;
    assert_eq!(data(&still_there)["news"]["totalCount"], 1);
}
e2e!(internal_errors_are_logged_not_shown);

async fn refused_input_changes_nothing(app: TestApp) {
    let token = editor(&app).await;
    let parent = id_of(&create(&app, &token, "Page", "{ title: \"Parent\" }").await);
    let child = app
        .gql_as(
            &token,
            "mutation($p: ID!) { createPage(input: { title: \"Child\", parentId: $p }) { id } }",
            json!({ "p": parent }),
        )
        .await;
    let child = id_of(&data(&child)["createPage"]);
    let news = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Kept\" }").await);
    let missing_asset = quire_api::graphql::asset_id(uuid::Uuid::now_v7()).to_string();
    for (mutation, id, field) in [
        (
            "mutation($id: ID!) { updatePage(id: $id, input: { title: \"  \" }) { id } }",
            &parent,
            "title",
        ),
        (
            "mutation($id: ID!, $p: ID) { updatePage(id: $id, input: { parentId: $p }) { id } }",
            &parent,
            "parentId",
        ),
        (
            "mutation($id: ID!, $p: ID) { updateNewsArticle(id: $id, input: { heroImageId: $p }) { id } }",
            &news,
            "heroImageId",
        ),
    ] {
        let p = if field == "heroImageId" { missing_asset.clone() } else { child.clone() };
        let response = app.gql_as(&token, mutation, json!({ "id": id, "p": p })).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{mutation}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field, "{mutation}");
    }
    let after = app
        .gql_as(&token, "query($a: ID!, $b: ID!, $c: ID!) { a: node(id: $a) { ... on Page { title path version parent { id } } } b: node(id: $b) { ... on Page { path version } } c: node(id: $c) { ... on NewsArticle { version heroImage { id } } } }", json!({ "a": parent, "b": child, "c": news }))
        .await;
    assert_eq!(
        data(&after),
        &json!({
            "a": { "title": "Parent", "path": "parent", "version": 1, "parent": null },
            "b": { "path": "parent/child", "version": 1 },
            "c": { "version": 1, "heroImage": null },
        })
    );
    let creates =
        app.gql_as(&token, "{ pages { totalCount } news { totalCount } }", json!({})).await;
    let refused = app
        .gql_as(&token, "mutation { createPage(input: { title: \"\" }) { id } }", json!({}))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    let still = app.gql_as(&token, "{ pages { totalCount } news { totalCount } }", json!({})).await;
    assert_eq!(creates, still, "a refused create leaves nothing behind");
}
e2e!(refused_input_changes_nothing);
