//! `GET /metrics` is Prometheus text and counts what happens.

use serde_json::json;

use crate::fixtures::editor;
use crate::support::{TestApp, data, e2e};

/// A sample: metric name, labels, value.
pub(crate) type Sample = (String, Vec<(String, String)>, f64);

/// One sample. Panics on a line that is not Prometheus text format.
fn parse_sample(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
    };
    let (name, labels) = match series.split_once('{') {
        None => (series, Vec::new()),
        Some((name, rest)) => {
            let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
            let mut labels = Vec::new();
            let mut rest = body;
            while !rest.is_empty() {
                let (key, after) =
                    rest.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
                let end = after.find('"').unwrap_or_else(|| panic!("unclosed label value: {line}"));
                labels.push((key.to_string(), after[..end].to_string()));
                rest = after[end + 1..].trim_start_matches(',');
            }
            (name, labels)
        }
    };
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "bad metric name in {line}"
    );
    (name.to_string(), labels, value)
}

pub(crate) async fn scrape(app: &TestApp) -> Vec<Sample> {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|l| !l.is_empty())
        .filter(|l| {
            if let Some(comment) = l.strip_prefix('#') {
                let kind = comment.trim_start();
                assert!(kind.starts_with("TYPE ") || kind.starts_with("HELP "), "{l}");
                false
            } else {
                true
            }
        })
        .map(parse_sample)
        .collect()
}

pub(crate) fn value(samples: &[Sample], name: &str, label: Option<(&str, &str)>) -> f64 {
    samples
        .iter()
        .filter(|(n, labels, _)| {
            n == name && label.is_none_or(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

async fn metrics_are_prometheus_text_and_count_requests(app: TestApp) {
    let token = editor(&app).await;
    let before = scrape(&app).await;
    for _ in 0..3 {
        let response = app.post(None, &json!({ "query": "query NewsList { news { totalCount } }", "operationName": "NewsList" })).await;
        assert_eq!(response.status(), 200);
    }
    let failing = app
        .gql_as(&token, "mutation { createPage(input: { title: \"\" }) { id } }", json!({}))
        .await;
    assert!(failing.get("errors").is_some());
    data(&app.gql("{ pages { totalCount } }", json!({})).await);
    let after = scrape(&app).await;

    let ok = |s: &[Sample]| {
        s.iter()
            .filter(|(n, l, _)| {
                n == "quire_graphql_operations_total"
                    && l.contains(&("operation".into(), "NewsList".into()))
                    && l.contains(&("outcome".into(), "ok".into()))
            })
            .map(|(_, _, v)| v)
            .sum::<f64>()
    };
    // Other tests share the process's recorder: compare before and after.
    assert!(ok(&after) - ok(&before) >= 3.0);
    assert!(value(&after, "quire_graphql_operations_total", Some(("outcome", "error"))) >= 1.0);
    assert!(value(&after, "quire_http_requests_total", Some(("route", "/graphql"))) >= 5.0);
    assert!(
        value(&after, "quire_http_request_duration_seconds_count", Some(("route", "/graphql")))
            >= 5.0
    );
    assert!(value(&after, "quire_sql_statements_total", None) > 0.0);
    assert!(value(&after, "quire_db_pool_connections", None) >= 1.0);
    assert!(after.iter().any(|(n, _, _)| n == "quire_webhook_backlog"));
    // The repeated public query was answered from the response cache.
    assert!(value(&after, "quire_response_cache_total", Some(("outcome", "hit"))) >= 2.0);
    assert!(
        after.iter().any(|(n, l, _)| n == "quire_http_request_duration_seconds_bucket"
            && l.iter().any(|(k, _)| k == "le")),
        "latency histograms have buckets"
    );
}
e2e!(metrics_are_prometheus_text_and_count_requests);
