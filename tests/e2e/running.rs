//! How many queries run at once is bounded, and one client address holds only its share:
//! while one client's queries are stuck (here on a table another connection has locked),
//! another client's queries still run, and queries that read no data never wait.
//! PostgreSQL only: SQLite has no lock that stops a reader in the middle of its query.

use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, data};

async fn ask(app: &TestApp, from: &str, query: &str) -> Value {
    let request = app
        .client
        .post(app.url("/graphql"))
        .header("X-Forwarded-For", from)
        .json(&json!({ "query": query }));
    request.send().await.expect("sent").json().await.expect("JSON")
}

/// Answered within a few seconds, while the stuck queries still wait.
async fn soon(answer: impl std::future::Future<Output = Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .expect("answered while another client's queries were stuck")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn one_client_cannot_hold_every_place_to_run_a_query() {
    let mut app = TestApp::spawn(Backend::Postgres)
        .await
        .expect("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    app.reconfigure(|config| {
        config.max_queries_running = 2;
        config.max_queries_running_per_client = 1;
        config.trusted_proxies = vec![quire_api::config::parse_proxy("127.0.0.1").unwrap()];
    })
    .await;
    let app = std::sync::Arc::new(app);
    let locker = sea_orm::Database::connect(app.database_url.as_str()).await.expect("connected");
    let lock = locker.begin().await.expect("a transaction");
    lock.execute_unprepared("LOCK TABLE redirects IN ACCESS EXCLUSIVE MODE").await.expect("locked");

    // One client sends three queries that read the locked table: one runs and waits for
    // the lock, two wait behind it for their client's share.
    let stuck: Vec<_> = (0..3)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let query = format!("{{ redirect(path: \"/gone-{n}\") {{ to }} }}");
                ask(&app, "203.0.113.1", &query).await
            })
        })
        .collect();
    let waiting_on_the_lock = "SELECT count(*)::bigint AS n FROM pg_stat_activity \
                               WHERE datname = current_database() AND wait_event_type = 'Lock'";
    let mut waiting = 0;
    for _ in 0..100 {
        let row = lock
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                waiting_on_the_lock,
            ))
            .await
            .unwrap()
            .unwrap();
        waiting = row.try_get::<i64>("", "n").unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(waiting, 1, "one of the client's queries runs, waiting for the lock");

    // Another client's query still finds room; a query that reads nothing needs none.
    let other = soon(ask(&app, "203.0.113.2", "{ news(first: 1) { totalCount } }")).await;
    assert_eq!(data(&other)["news"]["totalCount"], 0, "{other}");
    let light = soon(ask(&app, "203.0.113.1", "{ __typename }")).await;
    assert_eq!(data(&light)["__typename"], "Query", "{light}");
    let schema = soon(ask(&app, "203.0.113.1", "{ __schema { queryType { name } } }")).await;
    assert_eq!(data(&schema)["__schema"]["queryType"]["name"], "Query", "{schema}");
    assert!(stuck.iter().all(|query| !query.is_finished()), "the stuck queries still wait");

    lock.rollback().await.expect("unlocked");
    for query in stuck {
        let answer = tokio::time::timeout(Duration::from_secs(10), query)
            .await
            .expect("answered once the lock is gone")
            .expect("the request task");
        assert_eq!(data(&answer)["redirect"], Value::Null, "{answer}");
    }
}
