//! The audit log: every sign-in, token change and content change, for admins only, and no
//! way to change it.

use quire_api::auth::Role;
use serde_json::json;

use crate::fixtures::{PASSWORD, create, id_of, refused, user};
use crate::support::{TestApp, data, e2e, error_code};

async fn the_audit_log_records_who_did_what(app: TestApp) {
    let admin = user(&app, "admin@lls.example.org", Role::Admin).await;
    let a = &admin.token;
    let failed = app.gql("mutation { login(email: \"admin@lls.example.org\", password: \"not it at all\") { token } }", json!({})).await;
    assert_eq!(error_code(&failed), "UNAUTHENTICATED");
    let token = app
        .gql_as(
            a,
            "mutation { createApiToken(name: \"site build\", role: EDITOR) { apiToken { id } } }",
            json!({}),
        )
        .await;
    let token_id = data(&token)["createApiToken"]["apiToken"]["id"].as_str().unwrap().to_string();
    app.gql_as(
        a,
        "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
        json!({ "id": token_id }),
    )
    .await;
    let id = id_of(
        &create(
            &app,
            a,
            "Testimonial",
            "{ quote: \"Inspiring\", authorName: \"Anne-Marie Strachan\" }",
        )
        .await,
    );
    for mutation in [
        "mutation($id: ID!) { updateTestimonial(id: $id, input: { featured: true }) { id } }",
        "mutation($id: ID!) { publishTestimonial(id: $id) { id } }",
        "mutation($id: ID!) { unpublishTestimonial(id: $id) { id } }",
        "mutation($id: ID!) { deleteTestimonial(id: $id) }",
        "mutation($id: ID!) { restoreFromTrash(id: $id) { id } }",
    ] {
        data(&app.gql_as(a, mutation, json!({ "id": id })).await);
    }

    let log = app.gql_as(a, "{ auditLog(first: 100) { nodes { at action subjectType subjectId detail actor { kind id name } } } }", json!({})).await;
    let entries = data(&log)["auditLog"]["nodes"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "content.restore",
            "content.delete",
            "content.unpublish",
            "content.publish",
            "content.update",
            "content.create",
            "token.revoke",
            "token.create",
            "login.failed",
            "login",
            "user.create",
        ],
        "newest first"
    );
    let create = &entries[5];
    assert_eq!(create["subjectType"], "Testimonial");
    assert_eq!(create["subjectId"], id.as_str());
    assert_eq!(
        create["actor"],
        json!({ "kind": "USER", "id": admin.id, "name": "admin@lls.example.org" })
    );
    assert_eq!(entries[6]["subjectId"], token_id.as_str());
    assert_eq!(entries[8]["actor"]["kind"], "PUBLIC");
    assert_eq!(entries[8]["detail"], "admin@lls.example.org");
    assert!(
        !log.to_string().contains(PASSWORD) && !log.to_string().contains("not it at all"),
        "no password is ever logged"
    );

    // Pages of the log follow each other with no gap or repeat.
    let first = app
        .gql_as(
            a,
            "{ auditLog(first: 4) { nodes { action } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = data(&first)["auditLog"]["pageInfo"]["endCursor"].clone();
    let next = app
        .gql_as(
            a,
            "query($c: String) { auditLog(first: 4, after: $c) { nodes { action } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(data(&next)["auditLog"]["nodes"][0]["action"], "content.update");
}
e2e!(the_audit_log_records_who_did_what);

async fn only_admins_read_it_and_nobody_writes_it(app: TestApp) {
    let editor = app.create_token(Role::Editor).await;
    assert_eq!(
        refused(&app, Some(&editor), "{ auditLog { nodes { action } } }", json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(&app, None, "{ auditLog { nodes { action } } }", json!({})).await,
        "UNAUTHENTICATED"
    );
    let mutations = app.gql("{ __schema { mutationType { fields { name } } } }", json!({})).await;
    let names = data(&mutations)["__schema"]["mutationType"]["fields"].to_string().to_lowercase();
    assert!(!names.contains("audit"), "no mutation touches the audit log: {names}");
}
e2e!(only_admins_read_it_and_nobody_writes_it);
