//! `quire backup`: a consistent copy of the SQLite database, taken while Quire serves from
//! it and an editor writes; an existing file is never replaced unasked; PostgreSQL is
//! pointed at `pg_dump`.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quire_api::db::Db;
use quire_entity::content_item;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::fixtures::editor;
use crate::support::{Backend, TestApp};

/// `quire backup ARGS` on `database_url`, off the runtime's threads: the server under test
/// runs on them.
async fn backup(database_url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
    command.env("QUIRE_LOG", "error").env("QUIRE_DATABASE_URL", database_url);
    command.arg("backup").args(args);
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_keeps_every_committed_item() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let token = editor(&app).await;

    // An editor creates news articles one after another until told to stop; each id is
    // recorded once its creation is answered, that is committed.
    let committed = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (committed, stop, url) = (committed.clone(), stop.clone(), app.url("/graphql"));
        async move {
            let client = crate::support::http_client();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = json!({
                    "query": "mutation($t: String!) { createNewsArticle(input: { title: $t, body: \"Text.\" }) { id } }",
                    "variables": { "t": format!("Written during the backup {n}") },
                });
                let answer: Value = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = answer["data"]["createNewsArticle"]["id"].as_str();
                committed.lock().unwrap().push(id.expect("created").to_string());
            }
        }
    });
    while committed.lock().unwrap().len() < 30 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let before: Vec<String> = committed.lock().unwrap().clone();
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("nightly/quire.db");
    let output = backup(&app.database_url, &[target.to_str().unwrap()]).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(printed.contains(target.to_str().unwrap()), "{printed}");
    // Nothing but the backup is left in its folder, which was made for it.
    assert_eq!(names_in(&folder.path().join("nightly")), ["quire.db"]);

    let copy = Db::connect(&format!("sqlite://{}", target.display()), 1).await.unwrap();
    assert!(copy.is_ready().await, "the copy answers and has every migration");
    let check = copy
        .conn()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    let kept: HashSet<String> = content_item::Entity::find()
        .all(copy.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|item| quire_api::graphql::global_id("NewsArticle", item.id).to_string())
        .collect();
    let missing: Vec<&String> = before.iter().filter(|id| !kept.contains(*id)).collect();
    assert!(missing.is_empty(), "{} of {} committed items missing", missing.len(), before.len());
    // Nothing but what the editor wrote: the copy is of this database.
    let written: HashSet<String> = committed.lock().unwrap().iter().cloned().collect();
    assert!(kept.is_subset(&written));
    copy.close().await;

    // The server goes on serving its own database.
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_never_replaces_a_file_unless_forced() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("quire.db");
    std::fs::write(&target, "last week's backup").unwrap();
    let path = target.to_str().unwrap();

    let refused = backup(&app.database_url, &[path]).await;
    assert!(!refused.status.success());
    assert!(!refused.stderr.is_empty());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "last week's backup");
    assert_eq!(names_in(folder.path()), ["quire.db"]);

    let forced = backup(&app.database_url, &["--force", path]).await;
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    assert!(std::fs::read(&target).unwrap().starts_with(b"SQLite format 3\0"));
    assert_eq!(names_in(folder.path()), ["quire.db"]);

    // A missing database is an error, not a new empty one.
    let empty = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", empty.path().join("quire.db").display());
    let missing = backup(&url, &[folder.path().join("other.db").to_str().unwrap()]).await;
    assert!(!missing.status.success());
    assert!(names_in(empty.path()).is_empty());
    assert_eq!(names_in(folder.path()), ["quire.db"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn backup_on_postgres_points_at_pg_dump() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        panic!("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    };
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("quire.db");
    let output = backup(&app.database_url, &[target.to_str().unwrap()]).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
    assert!(names_in(folder.path()).is_empty());
}
