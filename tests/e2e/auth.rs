//! Tokens and roles: the public, editors, admins; bad and revoked tokens.

use std::process::Command;

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::editor;
use crate::support::{TestApp, data, e2e, error_code};

const CREATE: &str = "mutation { createNewsArticle(input: { title: \"Hello\" }) { id title } }";

/// Checks that `response` to [`CREATE`] made the article, and that `token` finds it stored.
async fn assert_created(app: &TestApp, token: &str, response: &Value) {
    let created = &data(response)["createNewsArticle"];
    assert_eq!(created["title"], "Hello", "{response:#}");
    let stored = app
        .gql_as(
            token,
            "query($id: ID!) { node(id: $id) { id ... on NewsArticle { title status } } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(
        data(&stored)["node"],
        json!({ "id": created["id"], "title": "Hello", "status": "DRAFT" }),
        "{response:#}"
    );
}

async fn the_public_cannot_mutate(app: TestApp) {
    let response = app.gql(CREATE, json!({})).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED");
    let token = editor(&app).await;
    let listed = app.gql_as(&token, "{ news { totalCount } }", json!({})).await;
    assert_eq!(data(&listed)["news"]["totalCount"], 0);
}
e2e!(the_public_cannot_mutate);

async fn bad_tokens_are_refused_not_downgraded(app: TestApp) {
    for header in
        ["Bearer quire_not-a-real-token", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "]
    {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", header)
            .json(&json!({ "query": "{ news { totalCount } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{header}");
    }
}
e2e!(bad_tokens_are_refused_not_downgraded);

async fn editors_manage_content_but_not_tokens(app: TestApp) {
    let token = editor(&app).await;
    let created = app.gql_as(&token, CREATE, json!({})).await;
    assert_created(&app, &token, &created).await;
    let response = app
        .gql_as(
            &token,
            "mutation { createApiToken(name: \"x\", role: EDITOR) { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&response), "FORBIDDEN");
    let response = app.gql_as(&token, "{ apiTokens { id } }", json!({})).await;
    assert_eq!(error_code(&response), "FORBIDDEN");
    let response = app.gql("{ apiTokens { id } }", json!({})).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED");
}
e2e!(editors_manage_content_but_not_tokens);

async fn admins_create_list_and_revoke_tokens(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let created = app
        .gql_as(&admin, "mutation { createApiToken(name: \"website build\", role: EDITOR) { token apiToken { id name role revokedAt } } }", json!({}))
        .await;
    let created = &data(&created)["createApiToken"];
    let secret = created["token"].as_str().unwrap().to_string();
    let id = created["apiToken"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["apiToken"]["role"], "EDITOR");

    let works = app.gql_as(&secret, CREATE, json!({})).await;
    assert_created(&app, &secret, &works).await;

    let listed = app.gql_as(&admin, "{ apiTokens { id name lastUsedAt } }", json!({})).await;
    let tokens = data(&listed)["apiTokens"].as_array().unwrap().clone();
    let mine = tokens.iter().find(|t| t["id"] == id.as_str()).expect("the new token is listed");
    assert_eq!(mine["name"], "website build");
    assert!(mine["lastUsedAt"].is_string(), "use is recorded");
    assert!(!listed.to_string().contains(&secret), "secrets are never listed");

    let revoked = app
        .gql_as(
            &admin,
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert!(data(&revoked)["revokeApiToken"]["revokedAt"].is_string());
    let refused = app.post(Some(&secret), &json!({ "query": CREATE })).await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}
e2e!(admins_create_list_and_revoke_tokens);

async fn the_cli_creates_a_working_token(app: TestApp) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["token", "create", "--role", "editor", "--name", "cli"])
        .env("QUIRE_DATABASE_URL", &app.database_url)
        .env("QUIRE_LOG", "error")
        .output()
        .expect("quire token create runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.lines().last().expect("a last line").trim().to_string();
    assert!(token.starts_with("quire_"), "{stdout}");
    let works = app.gql_as(&token, CREATE, json!({})).await;
    assert_created(&app, &token, &works).await;
}
e2e!(the_cli_creates_a_working_token);
