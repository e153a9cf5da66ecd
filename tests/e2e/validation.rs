//! A query text that passed async-graphql's validation once skips the rules that read the
//! text alone when it comes again, and is still checked against each request's values: a
//! bad value is answered exactly as it is for a text never seen before.

use serde_json::{Value, json};

use crate::metrics::{scrape, value};
use crate::support::{TestApp, data, e2e};

const KNOWN: &str = "query OPERATION($slug: String!, $first: Int, $order: ContentOrder, \
                     $filter: NewsArticleFilter) { newsArticle(slug: $slug) { id } \
                     news(first: $first, orderBy: $order, filter: $filter) { totalCount } }";

/// The status and body of `KNOWN` with `variables`; `fresh` adds a space no earlier
/// request had, so that the text is new to the server and validated in full.
async fn answer(app: &TestApp, variables: &Value, fresh: usize) -> (u16, Value) {
    let query = format!("{}{}", KNOWN.replace("OPERATION", &operation(app)), " ".repeat(fresh));
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables, "operationName": operation(app) }))
        .send()
        .await
        .expect("request sent");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

/// The operation's name, one per database: the metrics are the test process's, and the
/// SQLite and PostgreSQL runs of this test may count at the same time.
fn operation(app: &TestApp) -> String {
    format!("KnownText{:?}", app.backend)
}

async fn skipped(app: &TestApp) -> f64 {
    let samples = scrape(app).await;
    let operation = operation(app);
    value(&samples, "quire_graphql_validations_skipped_total", Some(("operation", &operation)))
}

async fn a_known_text_is_still_checked_against_each_requests_values(app: TestApp) {
    let before = skipped(&app).await;
    // Each with its own slug, so that none is answered from the response cache.
    for n in 0..3 {
        let good = json!({ "slug": format!("none-{n}"), "first": 5,
                           "order": { "field": "PUBLISHED_AT" },
                           "filter": { "status": ["PUBLISHED"], "tag": "none" } });
        let (status, body) = answer(&app, &good, 0).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(data(&body)["news"]["totalCount"], 0, "{body}");
    }
    assert_eq!(skipped(&app).await - before, 2.0, "the second and third skipped the text's rules");

    let bad = [
        json!({ "slug": 5 }),
        json!({ "slug": null }),
        json!({ "slug": "a", "first": "five" }),
        json!({ "slug": "a", "first": 2.5 }),
        json!({ "slug": "a", "order": { "field": "SIDEWAYS" } }),
        json!({ "slug": "a", "order": { "direction": "ASC" } }),
        json!({ "slug": "a", "order": { "field": "PUBLISHED_AT", "extra": 1 } }),
        json!({ "slug": "a", "filter": { "status": [null] } }),
        json!({ "slug": "a", "filter": { "status": ["NOPE"] } }),
        json!({ "slug": "a", "filter": { "tag": 5 } }),
    ];
    for (n, variables) in bad.iter().enumerate() {
        let known = answer(&app, variables, 0).await;
        let fresh = answer(&app, variables, n + 1).await;
        assert_eq!(known, fresh, "{variables}");
        assert!(known.0 == 400 && known.1.get("data").is_none(), "{variables}: {known:?}");
    }
    // Values the check is not sure of take the full validation too, and run as before:
    // a negative `Int` (`first` is unsigned) and a text where an input object is wanted
    // (which async-graphql's validation lets through, and the field refuses).
    let unsure =
        [json!({ "slug": "a", "first": -1 }), json!({ "slug": "a", "filter": "PUBLISHED" })];
    for (n, variables) in unsure.iter().enumerate() {
        let known = answer(&app, variables, 0).await;
        let fresh = answer(&app, variables, bad.len() + n + 1).await;
        assert_eq!(known, fresh, "{variables}");
    }
    assert_eq!(skipped(&app).await - before, 2.0, "no bad or unsure value skipped the full check");
}
e2e!(a_known_text_is_still_checked_against_each_requests_values);

/// The status and body of `query` run as `operation` with `variables`.
async fn run(app: &TestApp, query: &str, operation: &str, variables: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables, "operationName": operation }))
        .send()
        .await
        .expect("request sent");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

/// A full validation checks only the operation that runs, and skips an argument whose
/// variables were left out: such a pass does not count for the text.
async fn a_pass_that_did_not_check_every_argument_does_not_count(app: TestApp) {
    let skipped_for = |operation: &'static str| {
        let app = &app;
        async move {
            let samples = scrape(app).await;
            value(
                &samples,
                "quire_graphql_validations_skipped_total",
                Some(("operation", operation)),
            )
        }
    };
    // The other operation of a text: `[$n]` where an `Int` is wanted is never checked
    // while `A` runs.
    let two = |pad: usize| {
        format!(
            "query A {{ news {{ totalCount }} }} \
             query TwoOps($n: Int) {{ news(first: [$n]) {{ totalCount }} }}{}",
            " ".repeat(pad)
        )
    };
    for _ in 0..2 {
        assert_eq!(run(&app, &two(0), "A", json!({})).await.0, 200);
    }
    let known = run(&app, &two(0), "TwoOps", json!({ "n": 5 })).await;
    let fresh = run(&app, &two(1), "TwoOps", json!({ "n": 5 })).await;
    assert_eq!(known, fresh);
    // A variable left out: its argument is skipped by that pass.
    let omitted = |pad: usize| {
        format!(
            "query Omitted($n: Int) {{ news(first: [$n]) {{ totalCount }} }}{}",
            " ".repeat(pad)
        )
    };
    for _ in 0..2 {
        run(&app, &omitted(0), "Omitted", json!({})).await;
    }
    let known = run(&app, &omitted(0), "Omitted", json!({ "n": 5 })).await;
    let fresh = run(&app, &omitted(1), "Omitted", json!({ "n": 5 })).await;
    assert_eq!(known, fresh);
    assert_eq!(skipped_for("TwoOps").await + skipped_for("Omitted").await, 0.0);
}
e2e!(a_pass_that_did_not_check_every_argument_does_not_count);
