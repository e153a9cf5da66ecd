//! Hostile requests: GraphQL documents built to cost more than they look.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::assert_peak_rss;
use crate::process::QuireProcess;
use crate::support::{Backend, TestApp};

/// A server process on a fresh SQLite database, and the app that made the database.
async fn target(flags: &[&str]) -> (TestApp, QuireProcess) {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let process = QuireProcess::start_with(&app, flags);
    (app, process)
}

async fn post(process: &QuireProcess, body: &Value) -> (u16, Value) {
    let response = crate::support::http_client()
        .post(process.url("/graphql"))
        .json(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

/// `fragment F1 on Query { ...F0 ...F0 }` … `F25`, then `query { ...F25 }`: 2^25 fields.
fn doubling_fragments(levels: usize) -> String {
    let mut query = String::from("fragment F0 on Query { __typename }\n");
    for i in 1..=levels {
        query.push_str(&format!("fragment F{i} on Query {{ ...F{p} ...F{p} }}\n", p = i - 1));
    }
    query.push_str(&format!("query {{ ...F{levels} }}"));
    query
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragments_that_double_are_refused_in_milliseconds() {
    let (_app, process) = target(&[]).await;
    let query = doubling_fragments(25);
    let started = Instant::now();
    let (status, body) = post(&process, &json!({ "query": query })).await;
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    assert!(body.get("data").is_none(), "a refused operation has no data: {body:#}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    // Over GET too, and with the GraphQL response media type the status is 400.
    let response = crate::support::http_client()
        .get(process.url("/graphql"))
        .query(&[("query", doubling_fragments(20))])
        .header("Accept", "application/graphql-response+json")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    assert!(body.get("data").is_none());
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragments_that_double_across_types_are_refused() {
    let (_app, process) = target(&[]).await;
    let mut query = String::from("fragment F0 on Node { id }\n");
    for i in 1..=25 {
        let p = i - 1;
        query.push_str(&format!(
            "fragment F{i} on Node {{ ... on NewsArticle {{ ...F{p} }} ... on Page {{ ...F{p} }} }}\n"
        ));
    }
    query.push_str("query { node(id: \"x\") { ...F25 } }");
    let started = Instant::now();
    let (_, body) = post(&process, &json!({ "query": query })).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliased_lists_are_refused_even_in_parallel() {
    let (_app, process) = target(&[]).await;
    let aliases: Vec<String> = (0..380)
        .map(|i| format!("a{i}: changes(first: 500) {{ nodes {{ node {{ ...B }} }} }}"))
        .collect();
    let query = format!(
        "{{ {} }} fragment B on NewsArticle {{ title summary body bodyHtml }}",
        aliases.join(" ")
    );
    let mut sends = Vec::new();
    for _ in 0..20 {
        let body = json!({ "query": query });
        let url = process.url("/graphql");
        sends.push(tokio::spawn(async move {
            let response = crate::support::http_client().post(url).json(&body).send().await;
            response.expect("an answer").json::<Value>().await.expect("JSON")
        }));
    }
    for send in sends {
        let body = send.await.expect("the request task");
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    }
    // One list as large as a page may be is still fine.
    let (_, body) =
        post(&process, &json!({ "query": "{ changes(first: 500) { nodes { id } } }" })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    // Thirty-one aliases of anything are too many.
    let many: Vec<String> =
        (0..31).map(|i| format!("a{i}: news(first: 1) {{ totalCount }}")).collect();
    let (_, body) = post(&process, &json!({ "query": format!("{{ {} }}", many.join(" ")) })).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_aliases_of_typename_are_refused() {
    let (_app, process) = target(&[]).await;
    let aliases: Vec<String> = (0..1000).map(|i| format!("t{i}: __typename")).collect();
    let (_, body) =
        post(&process, &json!({ "query": format!("{{ {} }}", aliases.join(" ")) })).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    // The limit can be raised.
    drop(process);
    let (_app, process) = target(&["--max-aliases", "2000"]).await;
    let (_, body) =
        post(&process, &json!({ "query": format!("{{ {} }}", aliases.join(" ")) })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(body["data"]["t999"], "Query");
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persisted_queries_are_held_in_bounded_memory() {
    let (_app, process) = target(&["--persisted-queries-mb", "1"]).await;
    use sha2::Digest;
    // Twelve 200 KB queries: 2.4 MB sent, 1 MB kept.
    let padding = "#".repeat(200 * 1024);
    let mut first_hash = String::new();
    for i in 0..12 {
        let query = format!("{{ __typename }}\n# {i}{padding}");
        let hash = hex::encode(sha2::Sha256::digest(query.as_bytes()));
        if i == 0 {
            first_hash = hash.clone();
        }
        let body = json!({
            "query": query,
            "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } },
        });
        let (_, body) = post(&process, &body).await;
        assert!(body.get("errors").is_none(), "{body:#}");
    }
    // The oldest is forgotten, so the store did not keep them all.
    let by_hash = json!({
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": first_hash } },
    });
    let (_, body) = post(&process, &by_hash).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body:#}");
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_refused_without_harm() {
    let (_app, process) = target(&[]).await;
    let depth = 50_000;
    let query = format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth));
    let (_, body) = post(&process, &json!({ "query": query })).await;
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()), "{body:#}");
    // Still serving.
    let (_, body) = post(&process, &json!({ "query": "{ __typename }" })).await;
    assert_eq!(body["data"]["__typename"], "Query");
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_mutations_check_the_caller_before_the_input() {
    let (_app, process) = target(&[]).await;
    let (_, schema) =
        post(&process, &json!({ "query": "{ __schema { mutationType { fields { name } } } }" }))
            .await;
    let fields: Vec<&str> = schema["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .expect("the mutations")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(fields.len() > 30, "{fields:?}");
    let mut protected = 0;
    for field in fields {
        if quire_api::graphql::PUBLIC_MUTATIONS.contains(&field) {
            continue;
        }
        protected += 1;
        // Arguments that are wrong in every way: an id that is not one, a missing input.
        let query = format!("mutation {{ {field}(id: \"x\") }}");
        let (_, body) = post(&process, &json!({ "query": query })).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{field}: {body:#}");
    }
    assert!(protected > 30);
    // The public mutations still validate their input as before.
    let login = "mutation { login(email: 1, password: \"x\") { token } }";
    let (_, body) = post(&process, &json!({ "query": login })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_introspection_query_passes_and_a_recursive_one_does_not() {
    let (_app, process) = target(&[]).await;
    let (_, body) = post(&process, &json!({ "query": crate::schema::INTROSPECTION })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert!(body["data"]["__schema"]["types"].as_array().is_some_and(|t| t.len() > 50));
    let recursive =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let (_, body) = post(&process, &json!({ "query": recursive })).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body:#}");
    assert_peak_rss(&process);
}

/// The process's resident memory now, in bytes.
fn rss_now(process: &QuireProcess) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid()))
        .expect("the process's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_cache_holds_no_more_than_its_size() {
    let (_app, process) = target(&["--response-cache-mb", "4"]).await;
    // Distinct public queries of about 36 KB each; three times the cache goes through it.
    let query = |i: usize| {
        format!(
            "{{ __schema {{ types {{ name description fields {{ name description }} }} }} }} # {i}"
        )
    };
    let (_, first) = post(&process, &json!({ "query": query(0) })).await;
    let answer_bytes = first.to_string().len();
    assert!(answer_bytes > 20_000, "{answer_bytes} bytes");
    let count = (12 * 1024 * 1024 / answer_bytes).max(100);
    let warm = count / 4;
    for i in 1..warm {
        post(&process, &json!({ "query": query(i) })).await;
    }
    let before = rss_now(&process);
    for i in warm..count {
        post(&process, &json!({ "query": query(i) })).await;
    }
    let grown = rss_now(&process).saturating_sub(before);
    eprintln!(
        "response cache of 4 MB: {count} answers of {answer_bytes} bytes, RSS grew {} KB after the first {warm}",
        grown / 1024
    );
    assert!(grown < 6 * 1024 * 1024, "RSS grew {} KB", grown / 1024);
    assert_peak_rss(&process);
}
