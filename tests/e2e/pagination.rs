//! Keyset pagination: forward and backward over 250 items with no gap or repeat.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::fixtures::editor;
use crate::support::{TestApp, data, e2e, error_code, error_field};

/// Creates `count` published news articles in batches of aliased mutations, as many as
/// `--max-aliases` allows in one request. Every five
/// share a publication time, so ties must be broken by id.
pub async fn seed_news(app: &TestApp, token: &str, count: usize) {
    let start = chrono::DateTime::parse_from_rfc3339("2014-01-01T09:00:00Z").unwrap();
    for batch in (0..count).collect::<Vec<_>>().chunks(30) {
        let mut query = String::from("mutation {");
        for i in batch {
            let at = (start + chrono::Duration::days((i / 5) as i64)).to_rfc3339();
            query.push_str(&format!(
                " c{i}: createNewsArticle(input: {{ title: \"Article {i:03}\", publishedAt: \"{at}\" }}) {{ id }}"
            ));
        }
        query.push_str(" }");
        let created = app.gql_as(token, &query, json!({})).await;
        let mut publish = String::from("mutation {");
        for (n, item) in data(&created).as_object().unwrap().values().enumerate() {
            publish.push_str(&format!(
                " p{n}: publishNewsArticle(id: \"{}\") {{ id }}",
                item["id"].as_str().unwrap()
            ));
        }
        publish.push_str(" }");
        data(&app.gql_as(token, &publish, json!({})).await);
    }
}

async fn walk(app: &TestApp, forward: bool, order: &str) -> Vec<(String, String)> {
    let (size, cursor, next, has_more) = if forward {
        ("first", "after", "endCursor", "hasNextPage")
    } else {
        ("last", "before", "startCursor", "hasPreviousPage")
    };
    let query = format!(
        "query($c: String) {{ news({size}: 20, {cursor}: $c{order}) {{ edges {{ cursor node {{ id publishedAt }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
    );
    let mut seen = Vec::new();
    let mut at: Value = Value::Null;
    for _ in 0..50 {
        let response = app.gql(&query, json!({ "c": at })).await;
        let page = &data(&response)["news"];
        let mut items: Vec<(String, String)> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["node"]["id"].as_str().unwrap().to_string(),
                    e["node"]["publishedAt"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        if !forward {
            items.reverse();
        }
        seen.extend(items);
        if page["pageInfo"][has_more] != true {
            return seen;
        }
        at = page["pageInfo"][next].clone();
    }
    panic!("pagination did not end");
}

async fn forward_and_backward_pages_cover_every_item_once(app: TestApp) {
    let token = editor(&app).await;
    seed_news(&app, &token, 250).await;

    let forward = walk(&app, true, "").await;
    assert_eq!(forward.len(), 250);
    let unique: HashSet<&String> = forward.iter().map(|(id, _)| id).collect();
    assert_eq!(unique.len(), 250, "no item repeats");
    assert!(forward.windows(2).all(|w| w[0].1 >= w[1].1), "newest first");

    let mut backward = walk(&app, false, "").await;
    backward.reverse();
    assert_eq!(forward, backward, "walking back gives the same list");

    let by_title = walk(&app, true, ", orderBy: { field: TITLE }").await;
    assert_eq!(by_title.len(), 250);
    let titles_unique: HashSet<&String> = by_title.iter().map(|(id, _)| id).collect();
    assert_eq!(titles_unique.len(), 250);

    let first_page = app
        .gql(
            "{ news(first: 20) { totalCount pageInfo { hasPreviousPage hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&first_page)["news"]["totalCount"], 250);
    assert_eq!(
        data(&first_page)["news"]["pageInfo"],
        json!({ "hasPreviousPage": false, "hasNextPage": true })
    );
    let default_size = app.gql("{ news { nodes { id } } }", json!({})).await;
    assert_eq!(data(&default_size)["news"]["nodes"].as_array().unwrap().len(), 20);
    // `before` alone pages backward, 20 at a time.
    let forty = app.gql("{ news(first: 40) { pageInfo { endCursor } } }", json!({})).await;
    let cursor = data(&forty)["news"]["pageInfo"]["endCursor"].clone();
    let before = app
        .gql("query($c: String) { news(before: $c) { nodes { id } } }", json!({ "c": cursor }))
        .await;
    let ids: Vec<&str> = data(&before)["news"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = forward[19..39].iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, expected);
}
e2e!(forward_and_backward_pages_cover_every_item_once);

async fn page_sizes_and_cursors_are_checked(app: TestApp) {
    for (query, field) in [
        ("{ news(first: 101) { totalCount } }", "first"),
        ("{ news(last: 101) { totalCount } }", "last"),
        ("{ news(first: -1) { totalCount } }", "first"),
        ("{ news(after: \"garbage\") { totalCount } }", "after"),
        ("{ pages(first: 1, last: 1) { totalCount } }", "last"),
        ("{ news(before: \"garbage\") { totalCount } }", "before"),
        ("{ news(after: \"x\", before: \"y\") { totalCount } }", "before"),
        ("{ news(first: 5, before: \"x\") { totalCount } }", "before"),
        ("{ news(last: 5, after: \"x\") { totalCount } }", "after"),
        ("{ testimonials(orderBy: { field: TITLE }) { totalCount } }", "orderBy"),
    ] {
        let response = app.gql(query, json!({})).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{query}");
        assert_eq!(error_field(&response), field, "{query}");
    }
    let ok = app.gql("{ news(first: 100) { totalCount } }", json!({})).await;
    assert_eq!(data(&ok)["news"]["totalCount"], 0);
}
e2e!(page_sizes_and_cursors_are_checked);
