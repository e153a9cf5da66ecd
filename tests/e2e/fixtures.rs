//! Small builders for content, so tests say what they need in one line.

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, data};

/// Each content type with a create input, an update input, and a field that the update sets
/// with its expected value.
pub const TYPES: [(&str, &str, &str, &str, &str); 5] = [
    ("Page", "{ title: \"A page\" }", "{ seoTitle: \"SEO\" }", "seoTitle", "SEO"),
    (
        "NewsArticle",
        "{ title: \"A news article\" }",
        "{ authorName: \"LLS\" }",
        "authorName",
        "LLS",
    ),
    (
        "PressRelease",
        "{ title: \"A press release\" }",
        "{ location: \"London\" }",
        "location",
        "London",
    ),
    (
        "Testimonial",
        "{ quote: \"Great\", authorName: \"A. Head\" }",
        "{ organisation: \"St James\" }",
        "organisation",
        "St James",
    ),
    (
        "Booklet",
        "{ title: \"A booklet\" }",
        "{ summary: \"Nine pillars\" }",
        "summary",
        "Nine pillars",
    ),
];

pub async fn editor(app: &TestApp) -> String {
    app.create_token(Role::Editor).await
}

/// Creates an item of `type_name` from a GraphQL input literal; returns `{ id version … }`.
pub async fn create(app: &TestApp, token: &str, type_name: &str, input: &str) -> Value {
    let query =
        format!("mutation {{ item: create{type_name}(input: {input}) {{ id version status }} }}");
    let response = app.gql_as(token, &query, json!({})).await;
    data(&response)["item"].clone()
}

pub async fn publish(app: &TestApp, token: &str, type_name: &str, id: &str) -> Value {
    let query = format!(
        "mutation($id: ID!) {{ item: publish{type_name}(id: $id) {{ id version status publishedAt }} }}"
    );
    let response = app.gql_as(token, &query, json!({ "id": id })).await;
    data(&response)["item"].clone()
}

/// Creates and publishes; returns the id.
pub async fn published(app: &TestApp, token: &str, type_name: &str, input: &str) -> String {
    let id = create(app, token, type_name, input).await["id"].as_str().unwrap().to_string();
    publish(app, token, type_name, &id).await;
    id
}

pub fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}
