//! Test support: a real Quire server on 127.0.0.1:0 with a fresh database (a SQLite file in
//! a temporary folder, or a new PostgreSQL database that is dropped afterwards), and helpers
//! to talk to it over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;

use quire_api::auth::Role;
use quire_api::config::DatabaseArgs;
use quire_api::db::Db;
use quire_api::{App, ServeConfig};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    /// What the server runs with; kept across restarts.
    pub config: ServeConfig,
    db: Option<Db>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    dir: tempfile::TempDir,
    /// Dropped with the app, which drops the PostgreSQL database.
    _postgres: Option<PostgresDatabase>,
}

/// A PostgreSQL database made for one test and dropped when the test ends, even on panic.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    /// A new, empty database and its URL, or `None` when `QUIRE_TEST_POSTGRES_URL` is not set.
    pub async fn create() -> Option<(String, PostgresDatabase)> {
        let admin_url = postgres_admin_url()?;
        let name = format!("quire_test_{}", uuid::Uuid::now_v7().simple());
        let admin = sea_orm::Database::connect(&admin_url).await.expect("PostgreSQL is reachable");
        sea_orm::ConnectionTrait::execute_unprepared(
            &admin,
            &format!("CREATE DATABASE \"{name}\""),
        )
        .await
        .expect("create the test database");
        admin.close().await.expect("close the admin connection");
        let url = with_database(&admin_url, &name);
        Some((url, PostgresDatabase { admin_url, name }))
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async code, so the cleanup gets its own small runtime.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sea_orm::ConnectionTrait::execute_unprepared(&admin, &sql).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("QUIRE_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// Tests are quiet unless `TEST_LOG` is set.
fn init_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        quire_api::telemetry::init(quire_api::telemetry::LogFormat::Text);
    }
}

impl TestApp {
    /// A server on a fresh database, or `None` for PostgreSQL when
    /// `QUIRE_TEST_POSTGRES_URL` is not set.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        init_logging();
        let dir = tempfile::tempdir().expect("temporary folder");
        let (database_url, postgres) = match backend {
            Backend::Sqlite => {
                (format!("sqlite://{}?mode=rwc", dir.path().join("quire.db").display()), None)
            }
            Backend::Postgres => {
                let (url, database) = PostgresDatabase::create().await?;
                (url, Some(database))
            }
        };
        let config = ServeConfig::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            DatabaseArgs {
                database_url: Some(database_url.clone()),
                data_dir: dir.path().to_path_buf(),
            },
        );
        let mut app = TestApp {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            client: http_client(),
            backend,
            database_url,
            config,
            db: None,
            shutdown: None,
            server: None,
            dir,
            _postgres: postgres,
        };
        app.start().await;
        Some(app)
    }

    /// The server's file storage (a folder in its data dir).
    pub fn storage(&self) -> quire_api::media::Storage {
        quire_api::media::Storage::local(&self.data_dir())
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Restarts the server with a changed configuration.
    pub async fn reconfigure(&mut self, change: impl FnOnce(&mut ServeConfig)) {
        self.stop().await;
        change(&mut self.config);
        self.start().await;
    }

    pub async fn start(&mut self) {
        let app = App::build(self.config.clone()).await.expect("the app builds");
        self.addr = app.local_addr();
        self.db = Some(app.db().clone());
        let (tx, rx) = oneshot::channel();
        self.shutdown = Some(tx);
        self.server = Some(tokio::spawn(app.run_until(async {
            let _ = rx.await;
        })));
    }

    /// Stops the server the way SIGTERM does, then starts a new one on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stops cleanly");
        }
    }

    pub fn db(&self) -> &Db {
        self.db.as_ref().expect("the server has started")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SQL statements the server has run so far.
    pub fn statements(&self) -> u64 {
        self.db().statement_count()
    }

    pub async fn post(&self, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self.client.post(self.url("/graphql")).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// Sends `uploadAsset` as a GraphQL multipart request.
    pub async fn upload(
        &self,
        token: Option<&str>,
        filename: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.try_upload(token, filename, bytes).await.expect("request sent")
    }

    /// As [`Self::upload`], but a server that refuses the upload may close the connection
    /// before the client has sent it all, which the client sees as an error.
    pub async fn try_upload(
        &self,
        token: Option<&str>,
        filename: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Result<reqwest::Response> {
        let operations = json!({
            "query": "mutation($file: Upload!, $alt: String) { uploadAsset(file: $file, alt: $alt) { id url filename mimeType byteSize sha256 alt width height pageCount } }",
            "variables": { "file": null, "alt": "Alt text" },
        });
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_string())
            .mime_str("application/octet-stream")
            .expect("a media type");
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part("0", part);
        let mut request = self.client.post(self.url("/graphql")).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await
    }

    /// Runs a GraphQL request as the public and returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(None, query, variables).await
    }

    /// Runs a GraphQL request with a token.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.gql_with(Some(token), query, variables).await
    }

    async fn gql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.post(token, &json!({ "query": query, "variables": variables })).await;
        response.json().await.expect("a JSON body")
    }

    /// A fresh API token with `role`, made the way `quire token create` makes one.
    pub async fn create_token(&self, role: Role) -> String {
        quire_api::tokens::create(self.db(), &quire_api::auth::Actor::System, "test", role)
            .await
            .map(|t| t.secret)
            .expect("token")
    }
}

/// The data of a response that must have no errors.
/// An HTTP client for the tests; the crypto provider goes in first, as `quire` does at start.
pub fn http_client() -> reqwest::Client {
    quire_api::tls::install_crypto_provider();
    reqwest::Client::new()
}

pub fn data(response: &Value) -> &Value {
    assert!(response.get("errors").is_none(), "unexpected errors: {response:#}");
    &response["data"]
}

/// The `extensions.code` of the first error.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {response:#}"))
}

/// The `extensions.field` of the first error.
pub fn error_field(response: &Value) -> &str {
    response["errors"][0]["extensions"]["field"].as_str().unwrap_or_default()
}

/// Runs a test on SQLite and on PostgreSQL. The test is an ordinary `async fn name(app: TestApp)`
/// next to `e2e!(name);`, which adds a module `name` with the tests `name::sqlite` and
/// `name::postgres` (a module and a function may share a name). Without
/// `QUIRE_TEST_POSTGRES_URL` when the tests were built, the PostgreSQL variant is ignored (and
/// listed as such), never passed. Attributes before the name apply to both variants:
/// `e2e!(#[ignore = "why"] name);`.
macro_rules! e2e {
    ($(#[$attr:meta])* $name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attr])*
            async fn sqlite() {
                let app = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite)
                    .await
                    .expect("app");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(quire_test_postgres),
                ignore = "needs PostgreSQL: set QUIRE_TEST_POSTGRES_URL"
            )]
            $(#[$attr])*
            async fn postgres() {
                let app = $crate::support::TestApp::spawn($crate::support::Backend::Postgres)
                    .await
                    .expect("PostgreSQL is not reachable at QUIRE_TEST_POSTGRES_URL");
                super::$name(app).await;
            }
        }
    };
}

/// Under CI every backend runs: a test that would be ignored for want of a service fails
/// the run here instead.
#[test]
fn ci_runs_every_backend() {
    if std::env::var_os("CI").is_some() {
        let built_for = [cfg!(quire_test_postgres), cfg!(quire_test_s3), cfg!(quire_test_browser)];
        assert_eq!(
            built_for,
            [true, true, true],
            "CI must set QUIRE_TEST_POSTGRES_URL, QUIRE_TEST_S3S_FS and QUIRE_TEST_CHROMEDRIVER \
             when it builds the tests"
        );
    }
}

pub(crate) use e2e;
