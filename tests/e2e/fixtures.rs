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

pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in person.
pub struct SignedIn {
    pub token: String,
    pub id: String,
}

/// Makes a user the way `quire user create` does, then signs in over GraphQL.
pub async fn user(app: &TestApp, email: &str, role: Role) -> SignedIn {
    let new = quire_api::users::NewUser {
        email: email.to_string(),
        password: PASSWORD.to_string(),
        role,
        display_name: None,
    };
    quire_api::users::create_first(app.db(), new).await.expect("user");
    login(app, email, PASSWORD).await
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> SignedIn {
    let response = app
        .gql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id } } }",
            json!({ "e": email, "p": password }),
        )
        .await;
    let session = &data(&response)["login"];
    SignedIn {
        token: session["token"].as_str().unwrap().to_string(),
        id: session["user"]["id"].as_str().unwrap().to_string(),
    }
}

/// Runs a mutation or query as `token` that must fail, and returns its error code.
pub async fn refused(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> String {
    let response = match token {
        Some(token) => app.gql_as(token, query, variables).await,
        None => app.gql(query, variables).await,
    };
    crate::support::error_code(&response).to_string()
}
