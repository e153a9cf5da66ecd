//! Lists read only the columns their items' fields need. Every field a list may narrow to
//! answers exactly as it does when the list reads its items whole (forced here by asking
//! for `seo` beside it), on every content type, over the example site as an editor sees it.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use quire_entity::content_item;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::fixtures::editor;
use crate::statements::insert_asset;
use crate::support::{TestApp, data, e2e};

const LISTS: [(&str, &str); 5] = [
    ("pages", "Page"),
    ("news", "NewsArticle"),
    ("pressReleases", "PressRelease"),
    ("testimonials", "Testimonial"),
    ("booklets", "Booklet"),
];

/// Each field of `type_name` with the selection it needs: `{ id }` under an object or
/// interface, `{ __typename }` under a union.
async fn fields_of(app: &TestApp, token: &str, type_name: &str) -> Vec<(String, String)> {
    let query = "query($t: String!) { __type(name: $t) { fields { name args { name } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";
    let answer = app.gql_as(token, query, json!({ "t": type_name })).await;
    let mut out = vec![("__typename".to_string(), String::new())];
    for field in data(&answer)["__type"]["fields"].as_array().unwrap() {
        let mut ty = &field["type"];
        while ty["name"].is_null() {
            ty = &ty["ofType"];
        }
        let name = field["name"].as_str().unwrap().to_string();
        let selection = match ty["kind"].as_str().unwrap() {
            "OBJECT" | "INTERFACE" => " { id }",
            "UNION" => " { __typename }",
            _ => "",
        };
        out.push((name, selection.to_string()));
    }
    out
}

/// The list's items, with `seo` dropped from each.
async fn items(app: &TestApp, token: &str, list: &str, selection: &str) -> Vec<Value> {
    let query = format!("{{ {list}(first: 100) {{ nodes {{ {selection} }} }} }}");
    let answer = app.gql_as(token, &query, json!({})).await;
    let mut nodes = data(&answer)[list]["nodes"].as_array().unwrap().clone();
    for node in &mut nodes {
        node.as_object_mut().unwrap().remove("seo");
    }
    nodes
}

/// A news article with a hero image, scheduled for next year; a booklet with a cover and
/// downloads.
async fn fill_what_the_example_leaves_empty(app: &TestApp, token: &str) {
    let image = insert_asset(app, "hero.jpg", "image/jpeg").await;
    let query = "mutation($image: ID!) { n: createNewsArticle(input: { title: \"Soon\", heroImageId: $image }) { id } b: createBooklet(input: { title: \"Covered\", coverId: $image }) { id } }";
    let created = app.gql_as(token, query, json!({ "image": image })).await;
    let article = data(&created)["n"]["id"].as_str().unwrap();
    let query = "mutation($id: ID!) { publishNewsArticle(id: $id, at: \"2099-01-01T09:00:00Z\") { status } }";
    let scheduled = app.gql_as(token, query, json!({ "id": article })).await;
    assert_eq!(data(&scheduled)["publishNewsArticle"]["status"], "SCHEDULED");
    let counted = content_item::Entity::update_many()
        .col_expr(content_item::Column::DownloadCount, Expr::value(3))
        .filter(content_item::Column::ContentType.eq(content_item::ContentType::Booklet))
        .exec(app.db().conn())
        .await
        .unwrap();
    assert!(counted.rows_affected >= 2);
}

fn shows_something(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false))
        && value.as_str() != Some("")
        && value.as_i64() != Some(0)
        && value.as_array().is_none_or(|a| !a.is_empty())
}

async fn every_narrowed_field_answers_as_a_whole_read_does(mut app: TestApp) {
    // Every field of a hundred items at once costs more than the default limit allows.
    app.reconfigure(|config| config.max_query_cost = 1_000_000).await;
    let site = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls"));
    quire_api::seed::load(app.db(), &app.storage(), site).await.unwrap();
    let token = editor(&app).await;
    fill_what_the_example_leaves_empty(&app, &token).await;
    let narrow: BTreeSet<&str> =
        quire_api::graphql::columns::NARROW_FIELDS.iter().map(|(name, _)| *name).collect();
    let mut shown = BTreeSet::new();
    let mut checked = BTreeSet::new();
    for (list, type_name) in LISTS {
        let fields: Vec<_> = fields_of(&app, &token, type_name)
            .await
            .into_iter()
            .filter(|(name, _)| narrow.contains(name.as_str()))
            .collect();
        let all: String = fields.iter().map(|(name, sub)| format!("{name}{sub} ")).collect();
        let whole = items(&app, &token, list, &format!("{all} seo {{ title }}")).await;
        assert!(!whole.is_empty(), "the example site has {list}");
        assert_eq!(items(&app, &token, list, &all).await, whole, "{list}: all narrowed fields");
        for (name, sub) in &fields {
            let field = format!("{name}{sub}");
            let narrowed = items(&app, &token, list, &field).await;
            let read_whole = items(&app, &token, list, &format!("{field} seo {{ title }}")).await;
            assert_eq!(narrowed, read_whole, "{list}.{name}");
            // The same through `edges { node }`.
            let query = format!("{{ {list}(first: 100) {{ edges {{ node {{ {field} }} }} }} }}");
            let answer = app.gql_as(&token, &query, json!({})).await;
            let by_edges: Vec<Value> = data(&answer)[list]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"].clone())
                .collect();
            assert_eq!(by_edges, narrowed, "{list}.{name} by edges");
            if narrowed.iter().any(|node| shows_something(&node[name.as_str()])) {
                shown.insert(name.clone());
            }
            checked.insert(name.clone());
        }
    }
    // Every narrowed field was compared on some type, and nearly all of them on values
    // that are not empty: an empty value read whole equals an empty value left unread.
    let unchecked: Vec<_> = narrow.iter().filter(|n| !checked.contains(**n)).collect();
    assert!(unchecked.is_empty(), "fields no content type has: {unchecked:?}");
    let empty: Vec<_> = checked.iter().filter(|n| !shown.contains(*n)).collect();
    assert!(empty.is_empty(), "fields the example site leaves empty everywhere: {empty:?}");
}
e2e!(every_narrowed_field_answers_as_a_whole_read_does);
