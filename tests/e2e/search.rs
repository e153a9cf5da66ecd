//! Full-text search: phrases, prefixes, ranking, who finds what, an index that follows
//! every write at once, filters, paging, safe snippets, and input that cannot break it.

use std::process::Command;

use quire_api::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::{editor, id_of, publish, user};
use crate::support::{Backend, TestApp, data, e2e, error_code, error_field};

const SEARCH: &str = "query($q: String!, $types: [ContentType!], $first: Int, $after: String) {
  search(query: $q, types: $types, first: $first, after: $after) {
    edges { cursor node { score snippet node { __typename id
      ... on Page { title } ... on NewsArticle { title } ... on PressRelease { title }
      ... on Booklet { title } ... on Testimonial { authorName } } } }
    nodes { score }
    pageInfo { hasNextPage endCursor }
  }
}";

/// Runs `search` with `query` and any other arguments in `args`; the whole response.
async fn search(app: &TestApp, token: Option<&str>, query: &str, args: Value) -> Value {
    let mut variables = json!({ "q": query });
    for (key, value) in args.as_object().cloned().unwrap_or_default() {
        variables[key] = value;
    }
    match token {
        Some(token) => app.gql_as(token, SEARCH, variables).await,
        None => app.gql(SEARCH, variables).await,
    }
}

/// The hits of a search that must succeed.
fn hits(response: &Value) -> Vec<Value> {
    data(response)["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The ids of the items found, best first.
async fn found(app: &TestApp, token: Option<&str>, query: &str) -> Vec<String> {
    let response = search(app, token, query, json!({})).await;
    hits(&response).iter().map(|hit| hit["node"]["id"].as_str().unwrap().to_string()).collect()
}

/// Creates an item of `type_name` from a JSON input (no GraphQL escaping to get wrong).
async fn create(app: &TestApp, token: &str, type_name: &str, input: Value) -> String {
    let query = format!(
        "mutation($input: Create{type_name}Input!) {{ item: create{type_name}(input: $input) {{ id }} }}"
    );
    let response = app.gql_as(token, &query, json!({ "input": input })).await;
    id_of(&data(&response)["item"])
}

/// A published news article.
async fn news(app: &TestApp, token: &str, title: &str, body: &str) -> String {
    let id = create(app, token, "NewsArticle", json!({ "title": title, "body": body })).await;
    publish(app, token, "NewsArticle", &id).await;
    id
}

/// Rows in the search index.
async fn indexed(app: &TestApp) -> i64 {
    let backend = app.db().backend();
    let count =
        sea_orm::Statement::from_string(backend, "SELECT COUNT(*) AS n FROM content_search");
    let row = app.db().conn().query_one_raw(count).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn phrases_prefixes_and_ranking(app: TestApp) {
    let token = editor(&app).await;
    let in_title = news(&app, &token, "The nine pillars", "Nothing else to say.").await;
    let in_body =
        news(&app, &token, "Other news", "We describe the nine pillars of greatness here.").await;
    let apart = news(&app, &token, "Apart", "Nine schools stand on strong pillars.").await;

    // The phrase: both items with the words side by side, the title hit first.
    let response = search(&app, None, "\"nine pillars\"", json!({})).await;
    let phrase = hits(&response);
    let ids: Vec<&str> = phrase.iter().map(|h| h["node"]["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [in_title.as_str(), in_body.as_str()],
        "a title hit ranks above a body-only hit"
    );
    assert!(phrase[0]["score"].as_f64().unwrap() > phrase[1]["score"].as_f64().unwrap());
    assert_eq!(phrase[0]["node"]["__typename"], "NewsArticle");
    assert_eq!(
        found(&app, None, "\"pillars of greatness\"").await,
        [in_body.as_str()],
        "a phrase in a body"
    );
    assert_eq!(found(&app, None, "\"strong pillars\"").await, [apart.as_str()]);
    assert_eq!(
        found(&app, None, "\"pillars nine\"").await,
        Vec::<String>::new(),
        "words in another order"
    );
    // Without quotes, every word must be there, anywhere.
    assert_eq!(
        sorted(found(&app, None, "nine pillars").await),
        sorted(vec![in_title.clone(), in_body.clone(), apart.clone()])
    );
    assert_eq!(found(&app, None, "pillars greatness").await, [in_body.as_str()]);

    // Prefixes end in `*`; a word alone must match a whole word (in any of its forms).
    assert_eq!(found(&app, None, "pill").await, Vec::<String>::new());
    assert_eq!(
        sorted(found(&app, None, "pill*").await),
        sorted(vec![in_title.clone(), in_body.clone(), apart.clone()])
    );
    assert_eq!(found(&app, None, "descr* pill*").await, [in_body.as_str()]);
    assert_eq!(found(&app, None, "school").await, [apart.as_str()], "\"school\" finds \"schools\"");
    assert_eq!(found(&app, None, "NINE PILLARS").await.len(), 3, "case does not matter");

    let cafe = news(&app, &token, "Caf\u{e9} society", "Na\u{ef}ve questions.").await;
    assert_eq!(found(&app, None, "caf\u{e9}").await, [cafe.as_str()]);
    if app.backend == Backend::Sqlite {
        // FTS5 drops diacritics; PostgreSQL keeps them (see the README).
        assert_eq!(found(&app, None, "cafe naive").await, [cafe.as_str()]);
    }
}
e2e!(phrases_prefixes_and_ranking);

async fn the_public_finds_published_content_only(app: TestApp) {
    let token = editor(&app).await;
    let author = user(&app, "author@example.org", Role::Author).await.token;
    let public = news(&app, &token, "Zebra crossing", "Published.").await;
    let draft = create(&app, &token, "NewsArticle", json!({ "title": "Zebra draft" })).await;
    let unpublished = news(&app, &token, "Zebra unpublished", "Taken down.").await;
    let taken_down = app
        .gql_as(
            &token,
            "mutation($id: ID!) { unpublishNewsArticle(id: $id) { status } }",
            json!({ "id": unpublished }),
        )
        .await;
    assert_eq!(data(&taken_down)["unpublishNewsArticle"]["status"], "DRAFT");
    let scheduled =
        create(&app, &token, "PressRelease", json!({ "title": "Zebra embargoed release" })).await;
    let later = app.gql_as(&token, "mutation($id: ID!) { publishPressRelease(id: $id, at: \"2999-01-01T00:00:00Z\") { status } }", json!({ "id": scheduled })).await;
    assert_eq!(data(&later)["publishPressRelease"]["status"], "SCHEDULED");
    let embargoed = create(
        &app,
        &token,
        "NewsArticle",
        json!({ "title": "Zebra future", "publishedAt": "2999-01-01T00:00:00Z" }),
    )
    .await;
    publish(&app, &token, "NewsArticle", &embargoed).await;
    let trashed = news(&app, &token, "Zebra in the trash", "Deleted.").await;
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { deleteNewsArticle(id: $id) }",
            json!({ "id": trashed }),
        )
        .await,
    );

    assert_eq!(found(&app, None, "zebra").await, [public.as_str()]);
    let staff = sorted(vec![public, draft, unpublished, scheduled, embargoed]);
    assert_eq!(
        sorted(found(&app, Some(&token), "zebra").await),
        staff,
        "editors find all but the trash"
    );
    assert_eq!(sorted(found(&app, Some(&author), "zebra").await), staff, "so do authors");
}
e2e!(the_public_finds_published_content_only);

async fn the_index_follows_every_write_at_once(app: TestApp) {
    let token = editor(&app).await;
    let admin = app.create_token(Role::Admin).await;
    let id = news(&app, &token, "Animals", "An aardvark lives here.").await;
    assert_eq!(found(&app, None, "aardvark").await, [id.as_str()]);

    let edit = "mutation($id: ID!, $input: UpdateNewsArticleInput!) { updateNewsArticle(id: $id, input: $input) { version } }";
    data(
        &app.gql_as(
            &token,
            edit,
            json!({ "id": id, "input": { "body": "An okapi lives here now." } }),
        )
        .await,
    );
    assert_eq!(
        found(&app, None, "okapi").await,
        [id.as_str()],
        "new words are found as soon as the save returns"
    );
    assert_eq!(found(&app, None, "aardvark").await, Vec::<String>::new(), "old words are gone");
    data(
        &app.gql_as(
            &token,
            edit,
            json!({ "id": id, "input": { "title": "Mammals", "summary": "A pangolin" } }),
        )
        .await,
    );
    assert_eq!(found(&app, None, "mammals pangolin okapi").await, [id.as_str()]);
    assert_eq!(found(&app, None, "animals").await, Vec::<String>::new());

    // Restoring an old revision brings its words back.
    let revisions = app
        .gql_as(
            &token,
            "query($id: ID!) { revisions(id: $id) { nodes { id version } } }",
            json!({ "id": id }),
        )
        .await;
    let first = data(&revisions)["revisions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["version"] == 1)
        .unwrap()["id"]
        .clone();
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { restoreRevision(id: $id) { id } }",
            json!({ "id": first }),
        )
        .await,
    );
    assert_eq!(found(&app, None, "aardvark animals").await, [id.as_str()]);

    // A testimonial is found by its quote, its author and its organisation.
    let quote = create(&app, &token, "Testimonial", json!({ "quote": "The gnu programme changed us.", "authorName": "Ada Quokka", "organisation": "Wombat Primary" })).await;
    publish(&app, &token, "Testimonial", &quote).await;
    for words in ["gnu", "quokka", "wombat", "\"gnu programme\""] {
        assert_eq!(found(&app, None, words).await, [quote.as_str()], "{words}");
    }

    // Purged: gone for good, from the index too.
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { deleteNewsArticle(id: $id) }",
            json!({ "id": id }),
        )
        .await,
    );
    assert_eq!(found(&app, Some(&token), "aardvark").await, Vec::<String>::new());
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { restoreFromTrash(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await,
    );
    assert_eq!(
        found(&app, None, "aardvark").await,
        [id.as_str()],
        "back from the trash, found again"
    );
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { deleteNewsArticle(id: $id) }",
            json!({ "id": id }),
        )
        .await,
    );
    let before = indexed(&app).await;
    data(&app.gql_as(&admin, "mutation($id: ID!) { purge(id: $id) }", json!({ "id": id })).await);
    assert_eq!(found(&app, Some(&admin), "aardvark").await, Vec::<String>::new());
    assert_eq!(indexed(&app).await, before - 1, "its row left the index");
}
e2e!(the_index_follows_every_write_at_once);

async fn types_filter_and_pages_follow_one_another(app: TestApp) {
    let token = editor(&app).await;
    let mut all = Vec::new();
    for n in 0..5 {
        // Two pairs of identical bodies: equal scores, ordered by id.
        all.push(news(&app, &token, &format!("News {n}"), &format!("The walrus {}.", n / 2)).await);
    }
    let mut pages = Vec::new();
    for n in 0..2 {
        let id = create(&app, &token, "Page", json!({ "title": format!("Walrus page {n}") })).await;
        publish(&app, &token, "Page", &id).await;
        pages.push(id);
    }
    all.extend(pages.iter().cloned());

    let only_pages = search(&app, None, "walrus", json!({ "types": ["PAGE"] })).await;
    let kinds: Vec<Value> =
        hits(&only_pages).iter().map(|h| h["node"]["__typename"].clone()).collect();
    assert_eq!(kinds, ["Page", "Page"]);
    let both = search(&app, None, "walrus", json!({ "types": ["PAGE", "NEWS_ARTICLE"] })).await;
    assert_eq!(hits(&both).len(), 7);
    let none = search(&app, None, "walrus", json!({ "types": ["BOOKLET"] })).await;
    assert_eq!(hits(&none).len(), 0);
    let empty = search(&app, None, "walrus", json!({ "types": [] })).await;
    assert_eq!(hits(&empty).len(), 0, "an empty list of types finds nothing");

    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut scores = Vec::new();
    for page in 0..5 {
        let response = search(&app, None, "walrus", json!({ "first": 3, "after": after })).await;
        let result = &data(&response)["search"];
        for hit in hits(&response) {
            seen.push(hit["node"]["id"].as_str().unwrap().to_string());
            scores.push(hit["score"].as_f64().unwrap());
        }
        assert_eq!(
            result["nodes"].as_array().unwrap().len(),
            result["edges"].as_array().unwrap().len()
        );
        if !result["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            assert_eq!(page, 2, "7 hits in pages of 3");
            break;
        }
        assert!(page < 2, "more pages than hits: {seen:?}");
        after = result["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 7, "no hit repeated: {seen:?}");
    assert_eq!(sorted(seen), sorted(all));
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");

    let default_size = search(&app, None, "walrus", json!({})).await;
    assert_eq!(hits(&default_size).len(), 7);
    for (args, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "after": "not a cursor" }), "after"),
        (json!({ "after": "eyJzIjoxfQ" }), "after"),
    ] {
        let refused = search(&app, None, "walrus", args.clone()).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{args}");
        assert_eq!(error_field(&refused), field, "{args}");
    }
    assert_eq!(hits(&search(&app, None, "walrus", json!({ "first": 100 })).await).len(), 7);
}
e2e!(types_filter_and_pages_follow_one_another);

async fn snippets_mark_the_matches_and_escape_the_rest(app: TestApp) {
    let token = editor(&app).await;
    let body = "Before <script>alert(\"x\")</script> & 'quotes' the capybara is <b>big</b>, and more capybara text follows.";
    news(&app, &token, "Rodents", body).await;
    let response = search(&app, None, "capybara", json!({})).await;
    let snippet = hits(&response)[0]["snippet"].as_str().unwrap().to_string();
    assert!(snippet.contains("<mark>capybara</mark>"), "{snippet}");
    let text = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!text.contains(['<', '>', '"', '\'']), "only <mark> is markup: {snippet}");
    for (at, _) in text.match_indices('&') {
        let entity = &text[at..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| entity.starts_with(e)),
            "{snippet}"
        );
    }
    assert!(text.contains("&amp;"), "{snippet}");
    let response = search(&app, None, "rodents", json!({})).await;
    assert!(
        hits(&response)[0]["snippet"].as_str().unwrap().contains("<mark>Rodents</mark>"),
        "a title match is marked too"
    );
}
e2e!(snippets_mark_the_matches_and_escape_the_rest);

async fn hostile_queries_answer_without_internal_errors(app: TestApp) {
    let token = editor(&app).await;
    let id = news(
        &app,
        &token,
        "Hippo",
        "The hippo \"said\" NEAR(the river) -- a OR b; caf\u{e9} \u{1F99B}.",
    )
    .await;
    let long = "hippo ".repeat(2_000);
    let hostile = [
        "\"",
        "\"\"",
        "\"hippo",
        "hippo\"",
        "\"\"\"hippo",
        "'",
        "''",
        "*",
        "**",
        "hippo*",
        "*hippo",
        "NEAR(",
        "NEAR(hippo",
        "NEAR(hippo river, 2)",
        "a OR",
        "OR",
        "AND",
        "NOT",
        "NOT hippo",
        "hippo AND",
        "hippo OR river",
        "-",
        "-hippo",
        "(",
        ")",
        "(hippo",
        "hippo)",
        "((()))",
        "^",
        "^hippo",
        ":",
        "hippo:",
        "title:hippo",
        "{title}: hippo",
        "hippo:*",
        "hippo & !river",
        "hippo <-> river",
        "\\",
        "\\\"",
        "%",
        "_",
        "hippo'; DROP TABLE content_items; --",
        "\u{0}",
        "hippo\u{0}",
        "\u{1}hippo\u{2}",
        "\u{1F99B}",
        "\u{1F99B} hippo",
        "caf\u{e9}",
        "cafe\u{301}",
        "日本語",
        "\u{202E}hippo",
        "\u{FEFF}",
        " ",
        "\t\n",
        "",
        long.as_str(),
    ];
    for query in hostile {
        for who in [None, Some(token.as_str())] {
            let response = search(&app, who, query, json!({})).await;
            if response.get("errors").is_some() {
                assert_eq!(error_code(&response), "BAD_USER_INPUT", "{query:?}: {response}");
                assert_eq!(error_field(&response), "query", "{query:?}");
            } else {
                let ids: Vec<Value> =
                    hits(&response).iter().map(|h| h["node"]["id"].clone()).collect();
                assert!(ids.is_empty() || ids == [id.as_str()], "{query:?}: {response}");
            }
        }
    }
    // Punctuation around a word does not stop it being found.
    for query in [
        "\"hippo",
        "hippo\"",
        "(hippo",
        "hippo)",
        "-hippo",
        "^hippo",
        "hippo:",
        "hippo*",
        "\u{1F99B} hippo",
        "hippo\u{0}",
        "\u{1}hippo\u{2}",
    ] {
        assert_eq!(found(&app, None, query).await, [id.as_str()], "{query:?}");
    }
    for query in ["", " ", "\t\n", "\"\"", "*", "(", "\u{1F99B}", long.as_str()] {
        let response = search(&app, None, query, json!({})).await;
        assert_eq!(
            (error_code(&response), error_field(&response)),
            ("BAD_USER_INPUT", "query"),
            "{query:?}"
        );
    }
}
e2e!(hostile_queries_answer_without_internal_errors);

async fn the_example_site_is_searchable(app: TestApp) {
    let site = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls"));
    quire_api::seed::load(app.db(), &app.storage(), site).await.unwrap();
    let response = search(&app, None, "\"nine characteristics of great schools\"", json!({})).await;
    let hit = &hits(&response)[0];
    assert_eq!(hit["node"]["title"], "9 Pillars of Greatness");
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit}");
    let response = search(&app, None, "edenham", json!({ "types": ["TESTIMONIAL"] })).await;
    assert_eq!(hits(&response)[0]["node"]["authorName"], "R. Barron");
    let response =
        search(&app, None, "\"David Woods\"", json!({ "types": ["PRESS_RELEASE"] })).await;
    let titles: Vec<Value> = hits(&response).iter().map(|h| h["node"]["title"].clone()).collect();
    assert_eq!(
        titles,
        ["London Leadership Strategy responds to Lessons from London schools report"],
        "{response}"
    );
}
e2e!(the_example_site_is_searchable);

async fn the_migration_indexes_what_is_already_there(app: TestApp) {
    let token = editor(&app).await;
    let id = news(&app, &token, "Existing", "An ibex was here first.").await;
    let quote = create(
        &app,
        &token,
        "Testimonial",
        json!({ "quote": "Lovely.", "authorName": "Ibex Person", "organisation": "Ibex School" }),
    )
    .await;
    let migrate = |action: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_quire"))
            .args(["migrate", action])
            .env("QUIRE_LOG", "error")
            .env("QUIRE_DATABASE_URL", &app.database_url)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    // The search index is the newest migration: down drops it, up rebuilds it.
    migrate("down");
    migrate("up");
    assert_eq!(sorted(found(&app, Some(&token), "ibex").await), sorted(vec![id, quote]));
}
e2e!(the_migration_indexes_what_is_already_there);

async fn a_search_is_one_statement_whatever_the_number_of_hits(mut app: TestApp) {
    // Background workers share the statement counter: keep them quiet.
    app.reconfigure(|config| {
        config.workflow.scheduler_interval_ms = 3_600_000;
        config.workflow.webhook_poll_interval_ms = 3_600_000;
    })
    .await;
    let token = editor(&app).await;
    for n in 0..6 {
        news(&app, &token, &format!("Narwhal {n}"), "Tusks.").await;
    }
    let mut counts = Vec::new();
    for first in [1, 6] {
        let before = app.statements();
        let response = search(&app, None, "narwhal", json!({ "first": first })).await;
        assert_eq!(hits(&response).len(), first);
        counts.push(app.statements() - before);
    }
    assert_eq!(counts[0], counts[1], "hits come with their items: {counts:?}");
    assert!(counts[1] <= 1, "{counts:?}");
}
e2e!(a_search_is_one_statement_whatever_the_number_of_hits);
