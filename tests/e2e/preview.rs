//! Preview tokens: a front end renders one draft without an editor's token.

use std::time::Duration;

use quire_api::auth::Role;
use serde_json::json;

use crate::fixtures::{create, editor, id_of, refused, user};
use crate::support::{TestApp, data, e2e, error_code};

const PREVIEW: &str =
    "query($t: String!) { preview(token: $t) { id ... on NewsArticle { title status bodyHtml } } }";
const CREATE_TOKEN: &str =
    "mutation($id: ID!, $s: Int) { createPreviewToken(id: $id, expiresInSeconds: $s) }";
const REVOKE: &str = "mutation($id: ID!) { revokePreviewTokens(id: $id) }";

async fn mint(app: &TestApp, token: &str, id: &str) -> String {
    let minted = app.gql_as(token, CREATE_TOKEN, json!({ "id": id })).await;
    data(&minted)["createPreviewToken"].as_str().unwrap().to_string()
}

/// Whether a preview token still opens its item.
async fn opens(app: &TestApp, pass: &str) -> bool {
    let seen =
        app.gql("query($t: String!) { preview(token: $t) { id } }", json!({ "t": pass })).await;
    if seen.get("errors").is_some() {
        assert_eq!(error_code(&seen), "BAD_USER_INPUT");
        return false;
    }
    !data(&seen)["preview"].is_null()
}

async fn a_preview_token_shows_one_draft_to_whoever_holds_it(mut app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(
        &create(&app, &token, "NewsArticle", "{ title: \"Not yet\", body: \"*Draft* text\" }")
            .await,
    );
    let other = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Other draft\" }").await);
    let minted = app.gql_as(&token, CREATE_TOKEN, json!({ "id": id })).await;
    let pass = data(&minted)["createPreviewToken"].as_str().unwrap().to_string();

    let seen = app.gql(PREVIEW, json!({ "t": pass })).await;
    assert_eq!(
        data(&seen)["preview"],
        json!({ "id": id, "title": "Not yet", "status": "DRAFT", "bodyHtml": "<p><em>Draft</em> text</p>\n" })
    );
    let public = app.gql("{ newsArticle(slug: \"not-yet\") { id } }", json!({})).await;
    assert!(data(&public)["newsArticle"].is_null(), "the token opens nothing else");
    assert!(!pass.contains(&other));

    // Still valid after a restart: the key is in the database.
    app.restart().await;
    let seen = app.gql(PREVIEW, json!({ "t": pass })).await;
    assert_eq!(data(&seen)["preview"]["title"], "Not yet");

    // A forged or altered token is refused.
    let (payload, signature) = pass.split_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    for forged in [
        format!("{payload}.{flipped}{}", &signature[1..]),
        format!("{payload}x.{signature}"),
        "garbage".to_string(),
        String::new(),
    ] {
        let response = app.gql(PREVIEW, json!({ "t": forged })).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{forged}");
    }

    // Once the item is in the trash there is nothing to preview.
    app.gql_as(&token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", json!({ "id": id }))
        .await;
    let gone = app.gql(PREVIEW, json!({ "t": pass })).await;
    assert!(data(&gone)["preview"].is_null());
}
e2e!(a_preview_token_shows_one_draft_to_whoever_holds_it);

async fn preview_tokens_expire_and_are_for_staff_to_make(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "Page", "{ title: \"Soon\" }").await);
    assert_eq!(refused(&app, None, CREATE_TOKEN, json!({ "id": id })).await, "UNAUTHENTICATED");
    for seconds in [0, -5, 31 * 24 * 3600] {
        let response = app.gql_as(&token, CREATE_TOKEN, json!({ "id": id, "s": seconds })).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{seconds}");
    }
    let missing = app
        .gql_as(
            &token,
            CREATE_TOKEN,
            json!({ "id": "UGFnZTowMTkzMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA" }),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND", "a well-formed id of no page");

    let minted = app.gql_as(&token, CREATE_TOKEN, json!({ "id": id, "s": 2 })).await;
    let pass = data(&minted)["createPreviewToken"].as_str().unwrap().to_string();
    let seen =
        app.gql("query($t: String!) { preview(token: $t) { id } }", json!({ "t": pass })).await;
    assert_eq!(data(&seen)["preview"]["id"], id.as_str());
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let expired =
        app.gql("query($t: String!) { preview(token: $t) { id } }", json!({ "t": pass })).await;
    assert_eq!(error_code(&expired), "BAD_USER_INPUT");
}
e2e!(preview_tokens_expire_and_are_for_staff_to_make);

async fn revoking_ends_every_preview_token_of_that_item_and_no_other(mut app: TestApp) {
    let token = editor(&app).await;
    let author = user(&app, "author@lls.example.org", Role::Author).await;
    let id = id_of(&create(&app, &author.token, "NewsArticle", "{ title: \"Leaky draft\" }").await);
    let other = id_of(&create(&app, &token, "Page", "{ title: \"Other draft\" }").await);
    let (first, second) = (mint(&app, &token, &id).await, mint(&app, &author.token, &id).await);
    let untouched = mint(&app, &token, &other).await;
    assert!(opens(&app, &first).await && opens(&app, &second).await);

    // Only editors and admins revoke, and they are asked before the id is looked at.
    assert_eq!(refused(&app, None, REVOKE, json!({ "id": id })).await, "UNAUTHENTICATED");
    assert_eq!(refused(&app, None, REVOKE, json!({ "id": "not an id" })).await, "UNAUTHENTICATED");
    assert_eq!(refused(&app, Some(&author.token), REVOKE, json!({ "id": id })).await, "FORBIDDEN");
    assert!(opens(&app, &first).await, "a refused revocation changes nothing");
    assert_eq!(
        refused(&app, Some(&token), REVOKE, json!({ "id": "not an id" })).await,
        "BAD_USER_INPUT"
    );
    let missing = "TmV3c0FydGljbGU6MDE5MzAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw";
    assert_eq!(refused(&app, Some(&token), REVOKE, json!({ "id": missing })).await, "NOT_FOUND");

    let revoked = app.gql_as(&token, REVOKE, json!({ "id": id })).await;
    assert_eq!(data(&revoked)["revokePreviewTokens"], true);
    assert!(!opens(&app, &first).await, "the editor's token ended");
    assert!(!opens(&app, &second).await, "the author's token ended");
    assert!(opens(&app, &untouched).await, "another item's token still works");

    // A token made afterwards works, and a restart brings no revoked one back.
    let fresh = mint(&app, &token, &id).await;
    app.restart().await;
    assert!(opens(&app, &fresh).await);
    assert!(!opens(&app, &first).await);
    let audit = app
        .gql_as(
            &app.create_token(Role::Admin).await,
            "{ auditLog(first: 5) { nodes { action subjectId } } }",
            json!({}),
        )
        .await;
    assert!(
        data(&audit)["auditLog"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "preview.revoke" && e["subjectId"] == id.as_str())
    );
}
e2e!(revoking_ends_every_preview_token_of_that_item_and_no_other);

async fn a_preview_token_ends_with_its_creators_account(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let author = user(&app, "author@lls.example.org", Role::Author).await;
    let id = id_of(&create(&app, &author.token, "NewsArticle", "{ title: \"Mine\" }").await);
    let by_author = mint(&app, &author.token, &id).await;
    let program = app.create_token(Role::Editor).await;
    let by_program = mint(&app, &program, &id).await;
    let by_admin = mint(&app, &admin, &id).await;
    assert!(opens(&app, &by_author).await && opens(&app, &by_program).await);

    let deactivated = app
        .gql_as(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": author.id }),
        )
        .await;
    assert_eq!(data(&deactivated)["deactivateUser"]["active"], false);
    assert!(!opens(&app, &by_author).await, "the deactivated author's token stopped at once");
    assert!(opens(&app, &by_program).await, "others' tokens go on");

    let tokens = app.gql_as(&admin, "{ apiTokens { id role } }", json!({})).await;
    let editor_token = data(&tokens)["apiTokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "EDITOR")
        .unwrap()["id"]
        .clone();
    let revoked = app
        .gql_as(
            &admin,
            "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
            json!({ "id": editor_token }),
        )
        .await;
    data(&revoked);
    assert!(!opens(&app, &by_program).await, "an API token's previews end with it");
    assert!(opens(&app, &by_admin).await);
}
e2e!(a_preview_token_ends_with_its_creators_account);
