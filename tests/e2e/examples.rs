//! The example site loads idempotently, and every query in `examples/queries` runs on it.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{TestApp, data, e2e};

fn examples_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

async fn the_example_site_loads_once_and_answers_every_example_query(app: TestApp) {
    let site = examples_dir().join("lls");
    let first = quire_api::seed::load(app.db(), &app.storage(), &site).await.unwrap();
    assert!(first.created >= 14, "{first}");
    let second = quire_api::seed::load(app.db(), &app.storage(), &site).await.unwrap();
    assert_eq!(
        (second.created, second.already_there),
        (0, first.created),
        "loading twice changes nothing"
    );

    let mut queries: Vec<_> = std::fs::read_dir(examples_dir().join("queries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .collect();
    queries.sort();
    assert!(queries.len() >= 4, "home page, news list, one article, one press release");
    for path in queries {
        let query = std::fs::read_to_string(&path).unwrap();
        let variables_path = path.with_extension("variables.json");
        let variables: Value = match std::fs::read_to_string(&variables_path) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => json!({}),
        };
        let response = app.gql(&query, variables).await;
        let data = data(&response);
        for (field, value) in data.as_object().unwrap() {
            assert!(!value.is_null(), "{}: `{field}` is null", path.display());
            let nodes = value.get("nodes").and_then(Value::as_array);
            assert!(nodes.is_none_or(|n| !n.is_empty()), "{}: `{field}` is empty", path.display());
        }
    }

    let home = app.gql("{ page(path: \"home\") { title } testimonials(filter: { featured: true }) { totalCount } booklet(slug: \"9-pillars-of-greatness\") { title file { url mimeType pageCount } } }", json!({})).await;
    assert_eq!(data(&home)["testimonials"]["totalCount"], 2);
    assert_eq!(data(&home)["booklet"]["title"], "9 Pillars of Greatness");
    let file = &data(&home)["booklet"]["file"];
    assert_eq!(
        (file["mimeType"].as_str(), file["pageCount"].as_i64()),
        (Some("application/pdf"), Some(3))
    );
    let pdf = app.client.get(app.url(file["url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(pdf.status(), 200, "the public downloads the booklet");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(data(&home)["page"]["title"], "Welcome to the London Leadership Strategy");

    // The organisation's own words, as the issue lists them.
    let site = app
        .gql(
            "{ about: page(path: \"about\") { children { path } }
                   news(first: 100) { totalCount nodes { title } }
                   pressReleases(first: 10) { nodes { title publishedAt body notesToEditors } }
                   testimonials { nodes { authorName authorRole organisation } } }",
            json!({}),
        )
        .await;
    let site = data(&site);
    assert!(
        !site["about"]["children"].as_array().unwrap().is_empty(),
        "the about page has children"
    );
    assert!(site["news"]["totalCount"].as_u64().unwrap() >= 3);
    assert!(
        site["news"]["nodes"].to_string().contains("Successful Teaching & Learning"),
        "{}",
        site["news"]
    );
    let releases = site["pressReleases"]["nodes"].as_array().unwrap();
    assert_eq!(releases.len(), 2);
    let dated = |day: &str| {
        releases.iter().find(|r| r["publishedAt"].as_str().unwrap().starts_with(day)).unwrap()
    };
    let june = dated("2014-06-27");
    assert!(june["body"].as_str().unwrap().contains("David Woods"));
    assert!(june["notesToEditors"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(dated("2014-12-08")["title"].as_str().unwrap().contains("Fair Education Alliance"));
    let people = site["testimonials"]["nodes"].to_string();
    for who in ["Anne-Marie Strachan", "Headteacher", "R. Barron", "Edenham High School"] {
        assert!(people.contains(who), "{who}: {people}");
    }
}
e2e!(the_example_site_loads_once_and_answers_every_example_query);

/// The container example builds from what it copies: every crate of the workspace, the
/// build script and the example site the binary embeds.
#[test]
fn the_containerfile_copies_every_crate_of_the_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let containerfile =
        std::fs::read_to_string(root.join("examples/deploy/Containerfile")).unwrap();
    let members_line = manifest.lines().find(|l| l.starts_with("members")).unwrap();
    let members: Vec<&str> =
        members_line.split('"').skip(1).step_by(2).filter(|m| *m != ".").collect();
    assert!(members.len() >= 4, "{members:?}");
    for member in members {
        let copy = format!("COPY {member} {member}");
        assert!(containerfile.contains(&copy), "the Containerfile lacks `{copy}`");
    }
    assert!(containerfile.contains("build.rs"), "the Containerfile lacks build.rs");
    assert!(containerfile.contains("COPY examples/lls examples/lls"));
}
