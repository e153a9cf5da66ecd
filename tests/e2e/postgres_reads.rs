//! On PostgreSQL, content read on connections kept out of the pool answers exactly as the
//! pool does, to the public and to editors, and the public sees no draft through it.

use crate::sqlite_reads::{answers, assert_hidden_from_the_public_only, site_with_hidden_items};
use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_postgres), ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL")]
async fn kept_connections_answer_as_the_pool_does() {
    let mut app = TestApp::spawn(Backend::Postgres)
        .await
        .expect("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
    app.reconfigure(|config| {
        config.database_max_connections = Some(8);
        // Every answer is read, not kept from the first round.
        config.caching.response_cache_mb = 0;
    })
    .await;
    let (token, queries) = site_with_hidden_items(&app).await;

    let reads = app.db().postgres_reads().expect("kept connections with a pool of 8");
    let (answered, reused) = (reads.answered(), reads.reused());
    let public = answers(&app, None, &queries).await;
    let staff = answers(&app, Some(&token), &queries).await;
    let reads = app.db().postgres_reads().unwrap();
    let answered = reads.answered() - answered;
    // Two viewers, each list and lookup once; pages' children and parents in batches.
    assert!(answered >= 2 * 14, "only {answered} reads were answered on kept connections");
    assert_eq!(reads.declined(), 0, "every read was answered where it was asked");
    assert!(reads.reused() > reused, "no read found a connection kept by the one before");

    assert_hidden_from_the_public_only(&public, &staff);

    app.reconfigure(|config| config.postgres_kept_connections = false).await;
    assert!(app.db().postgres_reads().is_none());
    assert_eq!(answers(&app, None, &queries).await, public, "the public's answers");
    assert_eq!(answers(&app, Some(&token), &queries).await, staff, "editors' answers");
}
