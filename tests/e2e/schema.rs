//! The checked-in SDL, introspection under the default limits, and GraphiQL.

use std::process::Command;

use serde_json::json;

use crate::support::{TestApp, data, e2e};

/// `schema.graphql` must equal `quire schema`. `QUIRE_UPDATE_SCHEMA=1` rewrites the file
/// locally; CI never sets it.
#[test]
fn checked_in_schema_matches_quire_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("schema")
        .output()
        .expect("quire schema runs");
    assert!(
        output.status.success(),
        "quire schema failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("UTF-8 SDL");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("QUIRE_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &printed).expect("schema.graphql written");
        return;
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if printed != checked_in {
        let diff: Vec<String> = printed
            .lines()
            .zip(checked_in.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| {
                format!("line {}:\n  quire schema:   {a}\n  schema.graphql: {b}", i + 1)
            })
            .collect();
        panic!(
            "schema.graphql differs from `quire schema` ({} vs {} lines); run with QUIRE_UPDATE_SCHEMA=1 to rewrite it.\n{}",
            printed.lines().count(),
            checked_in.lines().count(),
            diff.join("\n")
        );
    }
}

/// The query GraphiQL and code generators send (graphql-js `getIntrospectionQuery`).
pub const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

async fn introspection_works_under_default_limits(app: TestApp) {
    let response = app.gql(INTROSPECTION, json!({})).await;
    let schema = &data(&response)["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let types: Vec<&str> =
        schema["types"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    for name in ["Page", "NewsArticle", "PressRelease", "Testimonial", "Booklet", "Asset", "Node"] {
        assert!(types.contains(&name), "{name} missing from introspection");
    }
}
e2e!(introspection_works_under_default_limits);

async fn graphiql_is_served_to_browsers(app: TestApp) {
    let response =
        app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(response.text().await.unwrap().to_lowercase().contains("graphiql"));
}
e2e!(graphiql_is_served_to_browsers);

/// What introspection over HTTP serves agrees with `schema.graphql`: the same types, each
/// with the same fields, and scalars with the same `@specifiedBy`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_schema_is_the_checked_in_one() {
    let app = crate::support::TestApp::spawn(crate::support::Backend::Sqlite).await.expect("app");
    let query = "{ __schema { types { kind name specifiedByURL fields(includeDeprecated: true) { name } inputFields { name } enumValues(includeDeprecated: true) { name } } } }";
    let response = app.gql(query, json!({})).await;
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    // Every declaration starts a line, the first one included.
    let checked_in = format!("\n{checked_in}");
    let mut served_types = 0;
    for ty in data(&response)["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        served_types += 1;
        let keyword = match ty["kind"].as_str().unwrap() {
            "OBJECT" => "type",
            "INPUT_OBJECT" => "input",
            "ENUM" => "enum",
            "INTERFACE" => "interface",
            "UNION" => "union",
            _ => "scalar",
        };
        if keyword == "scalar" {
            let expected = match ty["specifiedByURL"].as_str() {
                Some(url) => format!("scalar {name} @specifiedBy(url: \"{url}\")\n"),
                None => format!("scalar {name}\n"),
            };
            assert!(checked_in.contains(&expected), "schema.graphql lacks `{}`", expected.trim());
            continue;
        }
        let start = checked_in
            .find(&format!("\n{keyword} {name} "))
            .unwrap_or_else(|| panic!("schema.graphql lacks {keyword} {name}"));
        let block = &checked_in[start..];
        let block = &block[..block.find("\n}").unwrap_or(block.len())];
        let members = ["fields", "inputFields", "enumValues"]
            .iter()
            .filter_map(|key| ty[key].as_array())
            .flatten()
            .filter_map(|m| m["name"].as_str());
        for member in members {
            let declared = block.lines().any(|line| {
                let line = line.trim_start_matches('\t');
                line.starts_with(member)
                    && line[member.len()..].starts_with(['(', ':', '\n'].as_slice())
                    || line == member
            });
            assert!(declared, "{keyword} {name} in schema.graphql lacks {member}");
        }
    }
    let declared = checked_in
        .lines()
        .filter(|l| {
            ["type ", "input ", "enum ", "interface ", "union ", "scalar "]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .count();
    assert_eq!(served_types, declared, "schema.graphql declares other types than are served");
}
