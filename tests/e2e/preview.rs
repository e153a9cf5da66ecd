//! Preview tokens: a front end renders one draft without an editor's token.

use std::time::Duration;

use serde_json::json;

use crate::fixtures::{create, editor, id_of, refused};
use crate::support::{data, e2e, error_code};

const PREVIEW: &str =
    "query($t: String!) { preview(token: $t) { id ... on NewsArticle { title status bodyHtml } } }";
const CREATE_TOKEN: &str =
    "mutation($id: ID!, $s: Int) { createPreviewToken(id: $id, expiresInSeconds: $s) }";

e2e! {
    async fn a_preview_token_shows_one_draft_to_whoever_holds_it(app) {
        let token = editor(&app).await;
        let id = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Not yet\", body: \"*Draft* text\" }").await);
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
        for forged in [format!("{payload}.{flipped}{}", &signature[1..]), format!("{payload}x.{signature}"), "garbage".to_string(), String::new()] {
            let response = app.gql(PREVIEW, json!({ "t": forged })).await;
            assert_eq!(error_code(&response), "BAD_USER_INPUT", "{forged}");
        }

        // Once the item is in the trash there is nothing to preview.
        app.gql_as(&token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", json!({ "id": id })).await;
        let gone = app.gql(PREVIEW, json!({ "t": pass })).await;
        assert!(data(&gone)["preview"].is_null());
    }

    async fn preview_tokens_expire_and_are_for_staff_to_make(app) {
        let token = editor(&app).await;
        let id = id_of(&create(&app, &token, "Page", "{ title: \"Soon\" }").await);
        assert_eq!(refused(&app, None, CREATE_TOKEN, json!({ "id": id })).await, "UNAUTHENTICATED");
        for seconds in [0, -5, 31 * 24 * 3600] {
            let response = app.gql_as(&token, CREATE_TOKEN, json!({ "id": id, "s": seconds })).await;
            assert_eq!(error_code(&response), "BAD_USER_INPUT", "{seconds}");
        }
        let missing = app.gql_as(&token, CREATE_TOKEN, json!({ "id": "UGFnZTowMTkzMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA" })).await;
        assert!(matches!(error_code(&missing), "NOT_FOUND" | "BAD_USER_INPUT"));

        let minted = app.gql_as(&token, CREATE_TOKEN, json!({ "id": id, "s": 2 })).await;
        let pass = data(&minted)["createPreviewToken"].as_str().unwrap().to_string();
        let seen = app.gql("query($t: String!) { preview(token: $t) { id } }", json!({ "t": pass })).await;
        assert_eq!(data(&seen)["preview"]["id"], id.as_str());
        tokio::time::sleep(Duration::from_millis(3100)).await;
        let expired = app.gql("query($t: String!) { preview(token: $t) { id } }", json!({ "t": pass })).await;
        assert_eq!(error_code(&expired), "BAD_USER_INPUT");
    }
}
