//! The S3 storage backend, against a real S3-compatible server on 127.0.0.1: `s3s-fs`
//! (`cargo install s3s-fs --version 0.14.1 --features binary`), found through
//! `QUIRE_TEST_S3S_FS`. `.ci/run` installs it; without it these tests are ignored.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::fixtures::{editor, id_of};
use crate::media::{bare, files_under, png};
use crate::support::{Backend, TestApp, data, error_code};

pub(crate) const BUCKET: &str = "quire-files";

pub(crate) struct S3Server {
    child: Child,
    pub(crate) endpoint: String,
    root: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    pub(crate) async fn start() -> Option<S3Server> {
        let binary = std::env::var_os("QUIRE_TEST_S3S_FS").map(PathBuf::from)?;
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", "quire", "--secret-key", "quire-secret"])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        // Owned at once, so that it is stopped (and reaped) however this ends.
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}"), root };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("s3s-fs did not start");
    }

    /// Sets `config` to keep files in the bucket, under `prefix`.
    pub(crate) fn serve_from(&self, config: &mut quire_api::ServeConfig, prefix: &str) {
        config.media.storage = format!("s3://{BUCKET}/{prefix}");
        config.media.s3_endpoint = Some(self.endpoint.clone());
        config.media.s3_access_key_id = Some("quire".into());
        config.media.s3_secret_access_key = Some("quire-secret".into());
    }

    /// Every object in the bucket.
    pub(crate) fn objects(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if path.is_dir() {
                    walk(&path, out);
                } else if !name.starts_with('.') && !name.ends_with(".json") {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root.path().join(BUCKET), &mut out);
        out
    }
}

async fn uploaded(app: &TestApp, token: &str, filename: &str, bytes: Vec<u8>) -> Value {
    let body: Value = app.upload(Some(token), filename, bytes).await.json().await.unwrap();
    data(&body)["uploadAsset"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(quire_test_s3), ignore = "needs s3s-fs: set QUIRE_TEST_S3S_FS")]
async fn files_live_in_s3_on_sqlite() {
    files_live_in_s3_compatible_storage(TestApp::spawn(Backend::Sqlite).await.expect("app")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(quire_test_s3, quire_test_postgres)),
    ignore = "needs s3s-fs and PostgreSQL: set QUIRE_TEST_S3S_FS and QUIRE_TEST_POSTGRES_URL"
)]
async fn files_live_in_s3_on_postgres() {
    let app = TestApp::spawn(Backend::Postgres).await;
    files_live_in_s3_compatible_storage(app.expect("PostgreSQL at QUIRE_TEST_POSTGRES_URL")).await;
}

async fn files_live_in_s3_compatible_storage(#[allow(unused_mut)] mut app: TestApp) {
    let s3 = S3Server::start().await.expect("s3s-fs at QUIRE_TEST_S3S_FS starts");
    app.reconfigure(|config| s3.serve_from(config, "site")).await;
    let token = editor(&app).await;
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lls/booklets/9-pillars-of-greatness.pdf"
    ))
    .unwrap();
    let asset = uploaded(&app, &token, "booklet.pdf", pdf.clone()).await;
    assert_eq!(asset["pageCount"], 3);
    let objects = s3.objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0].to_string_lossy().contains(&format!("{BUCKET}/site/blobs/")), "{objects:?}");
    assert!(!app.data_dir().join("files/blobs").exists(), "nothing on local disk");

    // Stored once, and refusals store nothing.
    uploaded(&app, &token, "copy.pdf", pdf.clone()).await;
    // Refused once its bytes were read (a PDF named .png): nothing reaches the bucket.
    let refused: Value =
        app.upload(Some(&token), "booklet.png", pdf.clone()).await.json().await.unwrap();
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(s3.objects().len(), 1);

    let created = app
        .gql_as(&token, "mutation($f: ID) { createBooklet(input: { title: \"In the bucket\", fileId: $f }) { id } }", json!({ "f": asset["id"] }))
        .await;
    let booklet = id_of(&data(&created)["createBooklet"]);
    app.gql_as(
        &token,
        "mutation($id: ID!) { publishBooklet(id: $id) { id } }",
        json!({ "id": booklet }),
    )
    .await;
    let url = app.url(&bare(&asset["url"]));
    let whole = app.client.get(&url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().to_vec(), pdf);
    let part = app.client.get(&url).header("range", "bytes=10-19").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().to_vec(), pdf[10..20]);

    // Image variants are made from the object and kept on local disk.
    let image = uploaded(&app, &token, "hero.png", png(320, 160)).await;
    let variant = app
        .client
        .get(format!("{}?w=100&format=jpeg", app.url(&bare(&image["url"]))))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(variant.status(), 200);
    let decoded = image::load_from_memory(&variant.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (160, 80));
    let local = app.data_dir().join("files/variants");
    assert_eq!(files_under(&local).len(), 2, "the variant and the fetched original");

    let deleted = app
        .gql_as(&token, "mutation($id: ID!) { deleteAsset(id: $id) }", json!({ "id": image["id"] }))
        .await;
    data(&deleted);
    assert_eq!(s3.objects().len(), 1, "the image's object is gone, the PDF's stays");
    assert!(files_under(&local).is_empty(), "and its local copy and variants");
}
