//! Committed changes survive a restart.

use serde_json::json;

use crate::fixtures::{create, id_of};
use crate::fixtures::{editor, published};
use crate::support::{Backend, PostgresDatabase, TestApp, data, e2e};

async fn a_restart_keeps_every_committed_change(mut app: TestApp) {
    let token = editor(&app).await;
    let id = published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Before the restart\", tags: [\"kept\"] }",
    )
    .await;
    let updated = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { body: \"Edited\" }) { version } }", json!({ "id": id }))
        .await;
    assert_eq!(data(&updated)["updateNewsArticle"]["version"], 3);

    app.restart().await;

    let after = app
        .gql(
            "{ newsArticle(slug: \"before-the-restart\") { id body tags version status } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&after)["newsArticle"],
        json!({ "id": id, "body": "Edited", "tags": ["kept"], "version": 3, "status": "PUBLISHED" })
    );
    let still_valid = app
        .gql_as(&token, "{ news(filter: { status: [PUBLISHED] }) { totalCount } }", json!({}))
        .await;
    assert_eq!(data(&still_valid)["news"]["totalCount"], 1, "tokens survive too");
}
e2e!(a_restart_keeps_every_committed_change);

async fn keys_are_uuid_v7_and_sqlite_keeps_a_write_ahead_log(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "Page", "{ title: \"Keyed\" }").await);
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&id).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (type_name, uuid) = raw.split_once(':').unwrap();
    assert_eq!(type_name, "Page");
    assert_eq!(uuid::Uuid::parse_str(uuid).unwrap().get_version_num(), 7);
    if app.backend == Backend::Sqlite {
        use sea_orm::ConnectionTrait;
        let row = app
            .db()
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        let mode: String = row.try_get_by_index(0).unwrap();
        assert_eq!(mode, "wal");
    }
}
e2e!(keys_are_uuid_v7_and_sqlite_keeps_a_write_ahead_log);

/// Processes that start together on a new PostgreSQL database take turns to migrate it:
/// without the lock they both find the first migration pending and the second one fails.
/// (SQLite needs no lock: one file, and its own write lock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn concurrent_migrations_on_postgres_take_turns() {
    let Some((url, _database)) = PostgresDatabase::create().await else {
        panic!("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    };
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
                .args(["migrate", "up"])
                .env("QUIRE_DATABASE_URL", &url)
                .env("QUIRE_LOG", "error")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // And a server starting at the same moment, in this process.
    let dir = tempfile::tempdir().unwrap();
    let config = quire_api::ServeConfig::new(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        quire_api::config::DatabaseArgs {
            database_url: Some(url.clone()),
            data_dir: dir.path().to_path_buf(),
        },
    );
    let app = quire_api::App::build(config).await.expect("the server migrates too");
    for child in children {
        let output =
            tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(app.db().is_ready().await, "every migration applied");
    let applied = sea_orm::ConnectionTrait::query_all_raw(
        app.db().conn(),
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT version FROM seaql_migrations GROUP BY version HAVING count(*) > 1",
        ),
    )
    .await
    .unwrap();
    assert!(applied.is_empty(), "each migration applied once");
    app.db().clone().close().await;
}

/// A write cut short at any point, as when its client hangs up, leaves no connection
/// inside a transaction: a `BEGIN` the driver had sent but not yet seen answered left the
/// server in a transaction the driver did not count, and the connection went back to the
/// pool inside it, where the next statements ran uncommitted.
async fn a_write_cut_short_leaves_no_connection_in_a_transaction(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let db = app.db().clone();
    // Counted from a connection of its own, outside the pool.
    let watcher = (app.backend == Backend::Postgres)
        .then(|| sea_orm::Database::connect(app.database_url.as_str()));
    let watcher = match watcher {
        Some(connecting) => Some(connecting.await.expect("a watching connection")),
        None => None,
    };
    let mut most_left = 0;
    for round in 0..10 {
        for n in 0..60 {
            // Cut after a few turns of the scheduler, from before the BEGIN is sent to
            // after its answer has come.
            let mut write = Box::pin(db.write());
            for _ in 0..(n + round) % 60 {
                let done = tokio::select! {
                    biased;
                    tx = &mut write => Some(tx),
                    () = tokio::task::yield_now() => None,
                };
                if done.is_some() {
                    break;
                }
            }
            drop(write);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if let Some(watcher) = &watcher {
            let left = watcher
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT count(*)::bigint AS n FROM pg_stat_activity \
                     WHERE datname = current_database() AND state = 'idle in transaction'",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            most_left = most_left.max(left);
        }
    }
    assert_eq!(most_left, 0, "connections were left inside a transaction");
    // Every connection still writes and commits.
    for _ in 0..8 {
        let tx = db.write().await.expect("a transaction");
        tx.commit_private().await.expect("committed");
    }
}
e2e!(a_write_cut_short_leaves_no_connection_in_a_transaction);
