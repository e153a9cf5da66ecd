//! GraphQL over HTTP: methods, media types, limits, CORS, health and request ids.

use serde_json::{Value, json};

use crate::fixtures::editor;
use crate::support::{TestApp, data, e2e, error_code};

async fn queries_work_over_get(app: TestApp) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ news { totalCount } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(data(&body)["news"]["totalCount"], 0);
}
e2e!(queries_work_over_get);

async fn mutations_over_get_are_refused_with_405(app: TestApp) {
    let token = editor(&app).await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&token)
        .query(&[("query", "mutation { createNewsArticle(input: { title: \"Via GET\" }) { id } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let listed = app.gql_as(&token, "{ news { totalCount } }", json!({})).await;
    assert_eq!(data(&listed)["news"]["totalCount"], 0, "nothing was created");
}
e2e!(mutations_over_get_are_refused_with_405);

async fn media_types_follow_the_accept_header(app: TestApp) {
    let query = json!({ "query": "{ news { totalCount } }" });
    let plain = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
    assert_eq!(plain.headers()["content-type"], "application/json");
    let modern = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(modern.headers()["content-type"], "application/graphql-response+json");

    // A request that cannot run: 400 with the new media type, 200 with the legacy one.
    let broken = json!({ "query": "{ news { " });
    let modern = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&broken)
        .send()
        .await
        .unwrap();
    assert_eq!(modern.status(), 400);
    let body: Value = modern.json().await.unwrap();
    assert!(body.get("data").is_none(), "a request that did not run has no data: {body:#}");
    let legacy = app.client.post(app.url("/graphql")).json(&broken).send().await.unwrap();
    assert_eq!(legacy.status(), 200);
    let body: Value = legacy.json().await.unwrap();
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");
    // A sentence with the place, not the parser's drawing of it.
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 1, column 10"), "{message}");
    assert!(!message.contains("-->") && !message.contains('^'), "{message}");
    assert_eq!(body["errors"][0]["locations"][0]["line"], 1);

    // A document that parses but does not validate.
    let unknown = json!({ "query": "{ nope }" });
    let modern = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(modern.status(), 400);
    let body: Value = modern.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body:#}");
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");

    // No query at all is a request that cannot be read: 400 whatever the media type.
    for request in [json!({}), json!({ "query": "" }), json!({ "query": "  " })] {
        let legacy = app.client.post(app.url("/graphql")).json(&request).send().await.unwrap();
        assert_eq!(legacy.status(), 400, "{request}");
        let body: Value = legacy.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
    }
}
e2e!(media_types_follow_the_accept_header);

async fn invalid_json_is_a_bad_request(app: TestApp) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    // A form post (curl -d without a content type) is not JSON: 415, saying why.
    let form = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("{\"query\":\"{ pages { totalCount } }\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let body: Value = form.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let graphql = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/graphql; charset=utf-8")
        .body("{ pages { totalCount } }")
        .send()
        .await
        .unwrap();
    assert_eq!(graphql.status(), 200);
}
e2e!(invalid_json_is_a_bad_request);

async fn bodies_over_the_limit_are_refused(app: TestApp) {
    // Announce a 2 MiB body and send none of it: the answer must come from the
    // announced length alone, before the body is read.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let read = stream.read(&mut answer).await.unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
}
e2e!(bodies_over_the_limit_are_refused);

async fn deep_queries_are_refused(app: TestApp) {
    let mut query = String::from("{ page(path: \"a\") { ");
    for _ in 0..20 {
        query.push_str("parent { ");
    }
    query.push_str("title");
    query.push_str(&" }".repeat(21));
    query.push_str(" }");
    let response = app.gql(&query, json!({})).await;
    assert_eq!(error_code(&response), "QUERY_TOO_COMPLEX");
    assert!(response["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("deep"));
}
e2e!(deep_queries_are_refused);

async fn the_limits_are_configurable(mut app: TestApp) {
    // A query of depth 4 and complexity 6, and a body of a few hundred bytes: fine by
    // default, refused once the limits are lowered below them.
    let query = "{ news(first: 1) { nodes { heroImage { url } } } pages { totalCount } }";
    assert!(app.gql(query, json!({})).await.get("errors").is_none());

    app.reconfigure(|config| config.max_query_depth = 3).await;
    let response = app.gql(query, json!({})).await;
    assert_eq!(error_code(&response), "QUERY_TOO_COMPLEX");
    assert!(response["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("deep"));

    app.reconfigure(|config| {
        config.max_query_depth = 16;
        config.max_query_cost = 5;
    })
    .await;
    let response = app.gql(query, json!({})).await;
    assert_eq!(error_code(&response), "QUERY_TOO_COMPLEX");
    assert!(response["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"));
    assert!(app.gql("{ pages { totalCount } }", json!({})).await.get("errors").is_none());

    app.reconfigure(|config| {
        config.max_query_cost = 5000;
        config.max_body_bytes = 64;
    })
    .await;
    let response = app.post(None, &json!({ "query": query })).await;
    assert_eq!(response.status(), 413);
    let small = app.post(None, &json!({ "query": "{ pages { totalCount } }" })).await;
    assert_eq!(small.status(), 200);
}
e2e!(the_limits_are_configurable);

async fn request_ids_are_passed_through_or_made(app: TestApp) {
    let given = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "edge-1234")
        .json(&json!({ "query": "{ pages { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "edge-1234");
    // Made ids are random (version 4) UUIDs, a new one for each request.
    let mut made_ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let made = app.post(None, &json!({ "query": "{ pages { totalCount } }" })).await;
        let id = made.headers()["x-request-id"].to_str().unwrap().to_string();
        let parsed = uuid::Uuid::parse_str(&id);
        assert!(parsed.is_ok(), "{id}");
        assert_eq!(parsed.unwrap().get_version_num(), 4, "{id}");
        made_ids.insert(id);
    }
    assert_eq!(made_ids.len(), 20);
}
e2e!(request_ids_are_passed_through_or_made);

async fn cors_allows_other_origins_without_credentials(app: TestApp) {
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://www.example.org")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers().get("access-control-allow-credentials").is_none());
}
e2e!(cors_allows_other_origins_without_credentials);

async fn health_readiness_and_request_ids(app: TestApp) {
    let live = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(ready.headers().get("x-request-id").is_some());
}
e2e!(health_readiness_and_request_ids);
