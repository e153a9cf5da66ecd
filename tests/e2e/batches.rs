//! On PostgreSQL the public's lookups by slug and path that arrive together are read
//! together, one statement for those waiting. Each still gets exactly its own answer: its
//! item if the public may see it, no draft, nothing of another kind, and one client's
//! value that PostgreSQL would refuse fails no other lookup. PostgreSQL only: lookups are
//! read together there alone.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::fixtures::{create, editor, published};
use crate::support::{Backend, TestApp, data};

/// The lookups: (query, variables); the same article twice, a draft, another kind's slug,
/// a slug nobody has, a slug holding a NUL, and pages by path.
fn lookups() -> Vec<(&'static str, Value)> {
    let article = "query($s: String!) { newsArticle(slug: $s) { title slug body } }";
    let page = "query($p: String!) { page(path: $p) { title path } }";
    let mut lookups: Vec<(&'static str, Value)> =
        (1..=5).map(|n| (article, json!({ "s": format!("story-{n}") }))).collect();
    lookups.extend([
        (article, json!({ "s": "story-1" })),
        (article, json!({ "s": "unpublished-story" })),
        (article, json!({ "s": "a-release" })),
        (article, json!({ "s": "nobody-wrote-this" })),
        (article, json!({ "s": "nul\u{0}slug" })),
        (page, json!({ "p": "about" })),
        (page, json!({ "p": "/about/" })),
        (page, json!({ "p": "plans" })),
    ]);
    lookups
}

async fn ask(app: &TestApp, (query, variables): &(&'static str, Value)) -> Value {
    let answer = app.gql(query, variables.clone()).await;
    assert!(answer.get("errors").is_none(), "{query}: {answer}");
    data(&answer).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn lookups_asked_together_are_read_together_and_answered_apart() {
    let mut app = TestApp::spawn(Backend::Postgres)
        .await
        .expect("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    app.reconfigure(|config| {
        config.max_queries_running = 64;
        config.max_queries_running_per_client = 64;
        // Every lookup goes to the database, not to answers kept from the first round.
        config.caching.response_cache_mb = 0;
    })
    .await;
    let token = editor(&app).await;
    for n in 1..=5 {
        let input = format!("{{ title: \"Story {n}\", slug: \"story-{n}\", body: \"Text {n}\" }}");
        published(&app, &token, "NewsArticle", &input).await;
    }
    create(&app, &token, "NewsArticle", "{ title: \"Unpublished\", slug: \"unpublished-story\" }")
        .await;
    let release = "{ title: \"A release\", slug: \"a-release\" }";
    published(&app, &token, "PressRelease", release).await;
    published(&app, &token, "Page", "{ title: \"About\", slug: \"about\" }").await;
    create(&app, &token, "Page", "{ title: \"Plans\", slug: \"plans\" }").await;

    // Each lookup alone first: what every answer must be.
    let lookups = lookups();
    let mut alone = Vec::new();
    for lookup in &lookups {
        alone.push(ask(&app, lookup).await);
    }
    assert_eq!(alone[0]["newsArticle"]["body"], "Text 1");
    assert_eq!(alone[5], alone[0]);
    for hidden in 6..=9 {
        assert_eq!(
            alone[hidden]["newsArticle"],
            Value::Null,
            "{lookup:?}",
            lookup = lookups[hidden]
        );
    }
    assert_eq!(alone[10]["page"]["title"], "About");
    assert_eq!(alone[12]["page"], Value::Null);

    // Now all at once, while another connection holds the content table: the first
    // statements of each shape wait on the lock, and every later lookup waits for them.
    let app = Arc::new(app);
    let locker = sea_orm::Database::connect(app.database_url.as_str()).await.expect("connected");
    let lock = locker.begin().await.expect("a transaction");
    lock.execute_unprepared("LOCK TABLE content_items IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("locked");
    let before = app.statements();
    let asked: Vec<_> = lookups
        .iter()
        .cloned()
        .map(|lookup| {
            let app = app.clone();
            tokio::spawn(async move { ask(&app, &lookup).await })
        })
        .collect();
    // The first lookup of each shape is read, and waits on the lock; every other one but
    // the NUL, answered at once, waits for them.
    let batches = app.db().batches().expect("lookups read together on PostgreSQL");
    let queued = lookups.len() - 3;
    for _ in 0..200 {
        if batches.waiting() == queued {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(batches.waiting(), queued, "lookups waiting for the first two");
    lock.rollback().await.expect("unlocked");

    let mut together = Vec::new();
    for answer in asked {
        let answer = tokio::time::timeout(Duration::from_secs(10), answer)
            .await
            .expect("answered once the lock is gone")
            .expect("the request task");
        together.push(answer);
    }
    let statements = app.statements() - before;
    assert_eq!(together, alone, "each lookup's answer, read together");
    // Two shapes (news by slug, pages by path), each with one statement waiting on the lock
    // and one for the rest.
    assert_eq!(statements, 4, "statements for {} lookups asked together", lookups.len());
}
