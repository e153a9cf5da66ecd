//! The trash: deleting is soft, slugs stay reserved, admins purge for good.

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{editor, id_of, published, refused};
use crate::support::{TestApp, data, e2e, error_code};

const SEEN: &str = "query($id: ID!) { newsArticle(slug: \"going-away\") { id } news { totalCount } node(id: $id) { id } }";

async fn seen_by(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let response = match token {
        Some(token) => app.gql_as(token, SEEN, json!({ "id": id })).await,
        None => app.gql(SEEN, json!({ "id": id })).await,
    };
    data(&response).clone()
}

fn nothing() -> Value {
    json!({ "newsArticle": null, "news": { "totalCount": 0 }, "node": null })
}

async fn deleted_items_wait_in_the_trash_until_purged(app: TestApp) {
    let token = editor(&app).await;
    let admin = app.create_token(Role::Admin).await;
    let id = published(&app, &token, "NewsArticle", "{ title: \"Going away\" }").await;

    let deleted = app
        .gql_as(&token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", json!({ "id": id }))
        .await;
    assert_eq!(data(&deleted)["deleteNewsArticle"], id.as_str());
    assert_eq!(seen_by(&app, None, &id).await, nothing());
    assert_eq!(
        seen_by(&app, Some(&token), &id).await,
        nothing(),
        "editors see it only in the trash"
    );
    let edit = app
        .gql_as(
            &token,
            "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"x\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&edit), "NOT_FOUND");

    let trash = app
        .gql_as(&token, "{ trash { nodes { id ... on NewsArticle { title status } } } }", json!({}))
        .await;
    assert_eq!(
        data(&trash)["trash"]["nodes"],
        json!([{ "id": id, "title": "Going away", "status": "PUBLISHED" }])
    );
    assert_eq!(
        refused(&app, None, "{ trash { nodes { id } } }", json!({})).await,
        "UNAUTHENTICATED"
    );

    // Its slug stays taken while it is in the trash.
    let clash = app
        .gql_as(
            &token,
            "mutation { createNewsArticle(input: { title: \"Going away\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&clash), "BAD_USER_INPUT");
    assert_eq!(clash["errors"][0]["extensions"]["field"], "slug");

    let restored = app
        .gql_as(
            &token,
            "mutation($id: ID!) { restoreFromTrash(id: $id) { id ... on NewsArticle { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&restored)["restoreFromTrash"], json!({ "id": id, "status": "PUBLISHED" }));
    assert_eq!(seen_by(&app, None, &id).await["node"]["id"], id.as_str(), "back where it was");
    let again = app
        .gql_as(
            &token,
            "mutation($id: ID!) { restoreFromTrash(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND", "it is no longer in the trash");

    // Purging is for admins, and only from the trash.
    let not_trashed =
        app.gql_as(&admin, "mutation($id: ID!) { purge(id: $id) }", json!({ "id": id })).await;
    assert_eq!(error_code(&not_trashed), "NOT_FOUND");
    app.gql_as(&token, "mutation($id: ID!) { deleteNewsArticle(id: $id) }", json!({ "id": id }))
        .await;
    assert_eq!(
        refused(&app, Some(&token), "mutation($id: ID!) { purge(id: $id) }", json!({ "id": id }))
            .await,
        "FORBIDDEN"
    );
    let purged =
        app.gql_as(&admin, "mutation($id: ID!) { purge(id: $id) }", json!({ "id": id })).await;
    assert_eq!(data(&purged)["purge"], id.as_str());
    let trash = app.gql_as(&token, "{ trash { nodes { id } } }", json!({})).await;
    assert_eq!(data(&trash)["trash"]["nodes"], json!([]));
    let history = app
        .gql_as(
            &token,
            "query($id: ID!) { revisions(id: $id) { nodes { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&history), "NOT_FOUND", "revisions go with the item");

    // The slug is free again, and the audit log still tells the story.
    let reuse = app
        .gql_as(
            &token,
            "mutation { createNewsArticle(input: { title: \"Going away\" }) { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&reuse)["createNewsArticle"]["slug"], "going-away");
    let log = app
        .gql_as(&admin, "{ auditLog(first: 100) { nodes { action subjectId } } }", json!({}))
        .await;
    let about: Vec<&str> = data(&log)["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subjectId"] == id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        about,
        [
            "content.purge",
            "content.delete",
            "content.restore",
            "content.delete",
            "content.publish",
            "content.create"
        ]
    );
}
e2e!(deleted_items_wait_in_the_trash_until_purged);

async fn pages_with_children_wait_for_them(app: TestApp) {
    let token = editor(&app).await;
    let admin = app.create_token(Role::Admin).await;
    let parent = published(&app, &token, "Page", "{ title: \"About\" }").await;
    let child = app
        .gql_as(
            &token,
            "mutation($p: ID!) { createPage(input: { title: \"Team\", parentId: $p }) { id } }",
            json!({ "p": parent }),
        )
        .await;
    let child = id_of(&data(&child)["createPage"]);
    let refused_delete = app
        .gql_as(&token, "mutation($id: ID!) { deletePage(id: $id) }", json!({ "id": parent }))
        .await;
    assert_eq!(error_code(&refused_delete), "BAD_USER_INPUT");
    for id in [&child, &parent] {
        app.gql_as(&token, "mutation($id: ID!) { deletePage(id: $id) }", json!({ "id": id })).await;
    }
    let orphan = app
        .gql_as(
            &token,
            "mutation($id: ID!) { restoreFromTrash(id: $id) { id } }",
            json!({ "id": child }),
        )
        .await;
    assert_eq!(error_code(&orphan), "BAD_USER_INPUT", "its parent comes back first");
    let parent_first =
        app.gql_as(&admin, "mutation($id: ID!) { purge(id: $id) }", json!({ "id": parent })).await;
    assert_eq!(error_code(&parent_first), "BAD_USER_INPUT", "children are purged first");
    for id in [&parent, &child] {
        let back = app
            .gql_as(
                &token,
                "mutation($id: ID!) { restoreFromTrash(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data(&back)["restoreFromTrash"]["id"], id.as_str());
    }
    // Both are back where they were: the child under its parent, still a draft.
    let tree = "{ page(path: \"about\") { status children { title status } } }";
    let page = app.gql_as(&token, tree, json!({})).await;
    assert_eq!(
        data(&page)["page"],
        json!({ "status": "PUBLISHED", "children": [{ "title": "Team", "status": "DRAFT" }] })
    );
    let public = app.gql(tree, json!({})).await;
    assert_eq!(
        data(&public)["page"],
        json!({ "status": "PUBLISHED", "children": [] }),
        "the draft child stays hidden"
    );
}
e2e!(pages_with_children_wait_for_them);
