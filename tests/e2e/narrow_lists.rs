//! Lists, and lookups by slug or path, read only the columns their items' fields need.
//! Every field they may narrow to answers exactly as `node(id:)` answers it, which reads
//! items whole, on every content type, over the example site as an editor sees it.

use std::collections::BTreeSet;
use std::path::Path;

use quire_entity::content_item;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

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

/// The lookups that narrow: each with its argument and the list that names its items.
const LOOKUPS: [(&str, &str, &str); 4] = [
    ("page", "path", "pages"),
    ("newsArticle", "slug", "news"),
    ("pressRelease", "slug", "pressReleases"),
    ("booklet", "slug", "booklets"),
];

/// The fields of `type_name` that may narrow, each as a selection: with `{ id }` under an
/// object or interface, `{ __typename }` under a union.
async fn narrow_fields_of(app: &TestApp, token: &str, type_name: &str) -> Vec<(String, String)> {
    let narrow: BTreeSet<&str> =
        quire_api::graphql::columns::NARROW_FIELDS.iter().map(|(name, _)| *name).collect();
    let query = "query($t: String!) { __type(name: $t) { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";
    let answer = app.gql_as(token, query, json!({ "t": type_name })).await;
    let mut out = vec![("__typename".to_string(), "__typename".to_string())];
    for field in data(&answer)["__type"]["fields"].as_array().unwrap() {
        let mut ty = &field["type"];
        while ty["name"].is_null() {
            ty = &ty["ofType"];
        }
        let name = field["name"].as_str().unwrap();
        let selection = match ty["kind"].as_str().unwrap() {
            "OBJECT" | "INTERFACE" => " { id }",
            "UNION" => " { __typename }",
            _ => "",
        };
        if narrow.contains(name) {
            out.push((name.to_string(), format!("{name}{selection}")));
        }
    }
    out
}

async fn list(app: &TestApp, token: &str, list: &str, selection: &str) -> Vec<Value> {
    let query = format!("{{ {list}(first: 100) {{ nodes {{ {selection} }} }} }}");
    let answer = app.gql_as(token, &query, json!({})).await;
    data(&answer)[list]["nodes"].as_array().unwrap().clone()
}

async fn look_up(app: &TestApp, token: &str, lookup: (&str, &str), key: &str, sel: &str) -> Value {
    let (field, argument) = lookup;
    let query = format!("query($k: String!) {{ {field}({argument}: $k) {{ {sel} }} }}");
    let answer = app.gql_as(token, &query, json!({ "k": key })).await;
    data(&answer)[field].clone()
}

/// The items with these ids by `node(id:)`, which reads every column, in one request.
async fn read_whole(app: &TestApp, token: &str, of: (&str, &[&str]), sel: &str) -> Vec<Value> {
    let (type_name, ids) = of;
    let selection = sel;
    let mut query = String::from("{");
    for (n, id) in ids.iter().enumerate() {
        query.push_str(&format!(
            " n{n}: node(id: \"{id}\") {{ ... on {type_name} {{ {selection} }} }}"
        ));
    }
    query.push('}');
    let answer = app.gql_as(token, &query, json!({})).await;
    (0..ids.len()).map(|n| data(&answer)[format!("n{n}")].clone()).collect()
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|item| item["id"].as_str().unwrap()).collect()
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

async fn narrowed_reads_answer_as_whole_reads_do(mut app: TestApp) {
    // Every item of a list by `node(id:)` in one request, with all its fields.
    app.reconfigure(|config| {
        config.max_query_cost = 1_000_000;
        config.max_aliases = 1_000;
    })
    .await;
    let site = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls"));
    quire_api::seed::load(app.db(), &app.storage(), site).await.unwrap();
    let token = editor(&app).await;
    fill_what_the_example_leaves_empty(&app, &token).await;
    let (mut checked, mut shown) = (BTreeSet::new(), BTreeSet::new());
    for (list_field, type_name) in LISTS {
        let fields = narrow_fields_of(&app, &token, type_name).await;
        let all: String = fields.iter().map(|(_, selection)| format!("{selection} ")).collect();
        let items = list(&app, &token, list_field, &format!("id {all}")).await;
        assert!(!items.is_empty(), "the example site has {list_field}");
        let whole = read_whole(&app, &token, (type_name, &ids(&items)), &format!("id {all}")).await;
        assert_eq!(items, whole, "{list_field}: every narrowed field at once");
        for (name, selection) in &fields {
            let selection = format!("id {selection}");
            let items = list(&app, &token, list_field, &selection).await;
            let whole = read_whole(&app, &token, (type_name, &ids(&items)), &selection).await;
            assert_eq!(items, whole, "{list_field}.{name}");
            // The same through `edges { node }`.
            let query =
                format!("{{ {list_field}(first: 100) {{ edges {{ node {{ {selection} }} }} }} }}");
            let answer = app.gql_as(&token, &query, json!({})).await;
            let edges = data(&answer)[list_field]["edges"].as_array().unwrap();
            let by_edges: Vec<Value> = edges.iter().map(|edge| edge["node"].clone()).collect();
            assert_eq!(by_edges, items, "{list_field}.{name} by edges");
            if items.iter().any(|item| shows_something(&item[name.as_str()])) {
                shown.insert(name.clone());
            }
            checked.insert(name.clone());
        }
    }
    for (lookup, argument, list_field) in LOOKUPS {
        let keys = list(&app, &token, list_field, argument).await;
        let type_name = LISTS.iter().find(|(l, _)| *l == list_field).unwrap().1;
        for (name, selection) in narrow_fields_of(&app, &token, type_name).await {
            let selection = format!("id {selection}");
            for key in &keys {
                let key = key[argument].as_str().unwrap();
                let found = look_up(&app, &token, (lookup, argument), key, &selection).await;
                let id = found["id"].as_str().unwrap();
                let whole = read_whole(&app, &token, (type_name, &[id]), &selection).await;
                assert_eq!(
                    whole,
                    std::slice::from_ref(&found),
                    "{lookup}({argument}: {key}).{name}"
                );
            }
        }
    }
    // Every narrowed field was compared on some type, and on values that are not empty
    // somewhere: an empty value read whole equals an empty value left unread.
    let unchecked: Vec<_> = quire_api::graphql::columns::NARROW_FIELDS
        .iter()
        .filter(|(name, _)| !checked.contains(*name))
        .collect();
    assert!(unchecked.is_empty(), "fields no content type has: {unchecked:?}");
    let empty: Vec<_> = checked.iter().filter(|n| !shown.contains(*n)).collect();
    assert!(empty.is_empty(), "fields the example site leaves empty everywhere: {empty:?}");
}
e2e!(narrowed_reads_answer_as_whole_reads_do);
