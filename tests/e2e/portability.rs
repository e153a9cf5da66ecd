//! `quire export` and `quire import`: a site moves from SQLite with files on disk to
//! PostgreSQL with files on S3 and back, answering the same; export, import, export gives
//! the same folder byte for byte; an import refuses a database that holds a site and an
//! export that was changed, and changes nothing then.

use std::path::Path;
use std::process::{Command, Output};

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, create, id_of, login, user};
use crate::media::{bare, png, uploaded};
use crate::s3::{BUCKET, S3Server};
use crate::support::{Backend, TestApp, data, e2e};

/// Runs `quire ARGS` off the runtime's threads (the server under test runs on them).
pub(crate) async fn quire(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
    command.env("QUIRE_LOG", "error").env("RUST_BACKTRACE", "0").args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

pub(crate) fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// `quire export DIR` from the app's database and files.
async fn export(app: &TestApp, dir: &Path, storage: &[&str]) -> Output {
    let data_dir = app.data_dir();
    let mut args = vec!["export", dir.to_str().unwrap(), "--data-dir", data_dir.to_str().unwrap()];
    args.extend(storage);
    quire(&args, &[("QUIRE_DATABASE_URL", &app.database_url)]).await
}

/// `quire import DIR` into the app's database and files; the app is stopped meanwhile, as a
/// site being moved is.
async fn import(app: &mut TestApp, dir: &Path, storage: &[&str]) -> Output {
    app.stop().await;
    let data_dir = app.data_dir();
    let mut args = vec!["import", dir.to_str().unwrap(), "--data-dir", data_dir.to_str().unwrap()];
    args.extend(storage);
    let output = quire(&args, &[("QUIRE_DATABASE_URL", &app.database_url)]).await;
    app.start().await;
    output
}

/// Every file under `dir` with its bytes, by its path inside.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn same_folders(a: &Path, b: &Path) {
    let (a, b) = (folder(a), folder(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, left), (_, right)) in a.iter().zip(&b) {
        assert!(left == right, "{name} differs:\n{}\n---\n{}", lossy(left), lossy(right));
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(4000)]).into_owned()
}

/// What the site is made of, to be found again after a move.
struct Site {
    token: String,
    email: String,
    article: String,
}

/// A site with content in every status, revisions, a page tree, an image, a booklet's PDF,
/// an API token and a person with a password.
async fn fill(app: &TestApp) -> Site {
    let token = app.create_token(Role::Admin).await;
    let email = "admin@example.org";
    user(app, email, Role::Admin).await;
    let image = uploaded(app, &token, "hero.png", png(64, 32)).await;
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lls/booklets/9-pillars-of-greatness.pdf"
    ))
    .unwrap();
    let file = uploaded(app, &token, "pillars.pdf", pdf).await;

    let article = create(
        app,
        &token,
        "NewsArticle",
        &format!(
            "{{ title: \"Moving up\", summary: \"Sum\", body: \"Some *text*.\", tags: [\"moves\", \"Zebra\"], \
             heroImageId: \"{}\" }}",
            image["id"].as_str().unwrap()
        ),
    )
    .await;
    let article = id_of(&article);
    let update = "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Moving up, again\" }) { version } }";
    data(&app.gql_as(&token, update, json!({ "id": article })).await);
    let publish =
        "mutation($id: ID!, $at: DateTime) { publishNewsArticle(id: $id, at: $at) { status } }";
    data(&app.gql_as(&token, publish, json!({ "id": article })).await);
    create(app, &token, "NewsArticle", "{ title: \"Still a draft\" }").await;
    let later = id_of(&create(app, &token, "NewsArticle", "{ title: \"Later\" }").await);
    let at = json!({ "id": later, "at": "2099-01-01T09:00:00Z" });
    assert_eq!(
        data(&app.gql_as(&token, publish, at).await)["publishNewsArticle"]["status"],
        "SCHEDULED"
    );
    let binned = id_of(&create(app, &token, "NewsArticle", "{ title: \"Binned\" }").await);
    let delete = "mutation($id: ID!) { deleteNewsArticle(id: $id) }";
    data(&app.gql_as(&token, delete, json!({ "id": binned })).await);

    let about = crate::fixtures::published(app, &token, "Page", "{ title: \"About\" }").await;
    let child = format!("{{ title: \"Our team\", parentId: \"{about}\", position: 2 }}");
    crate::fixtures::published(app, &token, "Page", &child).await;
    let booklet = format!("{{ title: \"Pillars\", fileId: \"{}\" }}", file["id"].as_str().unwrap());
    crate::fixtures::published(app, &token, "Booklet", &booklet).await;

    // The site's structure: settings, a menu, a redirect, related content.
    let structure = [
        "mutation { updateSiteSettings(input: { name: \"Moving Co\", url: \"https://moving.example\" }) { version } }".to_string(),
        format!("mutation {{ saveMenu(name: \"main\", items: [{{ label: \"About\", targetId: \"{about}\" }}, {{ label: \"Elsewhere\", url: \"https://example.org/\" }}]) {{ version }} }}"),
        "mutation { createRedirect(input: { from: \"/old-about\", to: \"/about\" }) { id } }".to_string(),
        format!("mutation {{ updateNewsArticle(id: \"{article}\", input: {{ relatedIds: [\"{about}\"] }}) {{ version }} }}"),
    ];
    for mutation in structure {
        data(&app.gql_as(&token, &mutation, json!({})).await);
    }
    Site { token, email: email.to_string(), article }
}

const STAFF: &str = "query($id: ID!) {
  news(first: 50, filter: { status: [DRAFT, PUBLISHED, SCHEDULED] }) { edges { node {
    id status version publishedAt createdAt updatedAt scheduledAt slug title summary body bodyHtml
    tags authorName heroImage { id filename mimeType byteSize width height createdAt } } } }
  pages(first: 50) { edges { node { id path title version position status parent { id } children { id } } } }
  booklets(first: 10) { edges { node { id title file { id filename byteSize pageCount } } } }
  trash(first: 10) { edges { node { id } } }
  revisions(id: $id, first: 10) { edges { node { id version createdAt snapshot } } }
  users { id email role }
  apiTokens { id name role }
  siteSettings { name url version }
  menus { name version items { label url target { id } } }
  redirects(first: 10) { nodes { id from to permanent automatic createdAt } }
}";

const PUBLIC: &str = "{
  news(first: 10) { edges { node { id title url bodyHtml heroImage { url } related { id } } } }
  menu(name: \"main\") { items { label url } }
  redirect(path: \"/old-about\") { to permanent }
  booklets(first: 10) { edges { node { id file { url } } } }
  page(path: \"about/our-team\") { title parent { title } }
}";

/// What the site answers, with the server's own address taken out.
async fn answers(app: &TestApp, site: &Site) -> Value {
    let staff = data(&app.gql_as(&site.token, STAFF, json!({ "id": site.article })).await).clone();
    let public = data(&app.gql(PUBLIC, json!({})).await).clone();
    let mut feeds = Vec::new();
    for feed in ["/feeds/news.rss", "/feeds/news.atom", "/feeds/news.json"] {
        let body = app.client.get(app.url(feed)).send().await.unwrap().text().await.unwrap();
        feeds.push(body.replace(&app.addr.to_string(), "HOST"));
    }
    let mut files = Vec::new();
    for url in [
        &public["news"]["edges"][0]["node"]["heroImage"]["url"],
        &public["booklets"]["edges"][0]["node"]["file"]["url"],
    ] {
        let response = app.client.get(app.url(&bare(url))).send().await.unwrap();
        assert_eq!(response.status(), 200);
        files.push(response.bytes().await.unwrap().to_vec());
    }
    assert!(!files[0].is_empty() && !files[1].is_empty());
    json!({ "staff": staff, "public": public, "feeds": feeds, "files": files })
}

/// The old API token and the old password still sign in.
async fn signs_in_as_before(app: &TestApp, site: &Site) {
    let me = app.gql_as(&site.token, "{ apiTokens { name } }", json!({})).await;
    assert!(data(&me)["apiTokens"].as_array().is_some_and(|t| !t.is_empty()));
    let signed_in = login(app, &site.email, PASSWORD).await;
    let me = app.gql_as(&signed_in.token, "{ me { email } }", json!({})).await;
    assert_eq!(data(&me)["me"]["email"], site.email);
}

fn s3_flags(endpoint: &str) -> Vec<String> {
    vec![
        format!("--storage=s3://{BUCKET}/moved"),
        format!("--s3-endpoint={endpoint}"),
        "--s3-access-key-id=quire".into(),
        "--s3-secret-access-key=quire-secret".into(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(quire_test_s3, quire_test_postgres)),
    ignore = "needs s3s-fs and PostgreSQL: set QUIRE_TEST_S3S_FS and QUIRE_TEST_POSTGRES_URL"
)]
async fn a_site_moves_from_sqlite_to_postgres_and_s3_and_back() {
    let old = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let site = fill(&old).await;
    let before = answers(&old, &site).await;
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("first");
    // Exported while the old site serves.
    succeeded(&export(&old, &first, &[]).await);

    let s3 = S3Server::start().await.expect("s3s-fs at QUIRE_TEST_S3S_FS starts");
    let flags = s3_flags(&s3.endpoint);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut new = TestApp::spawn(Backend::Postgres).await.expect("PostgreSQL");
    new.reconfigure(|config| s3.serve_from(config, "moved")).await;
    let second = folder.path().join("second");
    moves(&mut new, &first, &second, &flags, &site, &before).await;
    assert_eq!(s3.objects().len(), 2, "both files are in the bucket");
    assert!(!new.data_dir().join("files/blobs").exists(), "and none on local disk");
    // Search finds the moved items, for the public and for staff.
    let search = "{ search(query: \"moving\", first: 5) { nodes { node { id } } } }";
    let found = data(&new.gql(search, json!({})).await)["search"]["nodes"].clone();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");

    // And back down to SQLite with files on disk.
    let mut back = TestApp::spawn(Backend::Sqlite).await.unwrap();
    moves(&mut back, &second, &folder.path().join("third"), &[], &site, &before).await;
}

/// Imports `from` into `to_app`, exports it again into `to` (before anyone uses the site: a
/// use is recorded on the token), and checks that the folders are the same and that the
/// site answers as `before`, to the same token and password.
async fn moves(
    app: &mut TestApp,
    from: &Path,
    to: &Path,
    flags: &[&str],
    site: &Site,
    before: &Value,
) {
    let printed = succeeded(&import(app, from, flags).await);
    assert!(printed.contains("content_items: 7"), "{printed}");
    succeeded(&export(app, to, flags).await);
    same_folders(from, to);
    assert_eq!(&answers(app, site).await, before);
    signs_in_as_before(app, site).await;
    // Writing goes on where the old site stopped (the change journal's numbers included).
    let created = create(app, &site.token, "NewsArticle", "{ title: \"After the move\" }").await;
    assert_eq!(created["version"], 1);
}

/// Export, import into a new database, export again: the same folder.
async fn export_import_export_gives_the_same_folder(app: TestApp) {
    let site = fill(&app).await;
    let before = answers(&app, &site).await;
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("first");
    let printed = succeeded(&export(&app, &first, &[]).await);
    assert!(printed.contains("format version 1"), "{printed}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(first.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["formatVersion"], 1);
    assert_eq!(manifest["kinds"]["content_items"], 7);
    assert_eq!(manifest["files"], 2);
    let statuses: Vec<String> = std::fs::read_to_string(first.join("content_items.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|row| {
            format!(
                "{}{}",
                row["status"],
                if row["deleted_at"].is_null() { "" } else { " trashed" }
            )
        })
        .collect();
    for status in ["\"draft\"", "\"scheduled\"", "\"published\"", "trashed"] {
        assert!(statuses.iter().any(|s| s.contains(status)), "{statuses:?}");
    }
    let news = std::fs::read_dir(first.join("content/news")).unwrap().count();
    assert_eq!(news, 4, "every news article as Markdown");
    let page = std::fs::read_to_string(first.join("content/pages/about-our-team.md")).unwrap();
    assert!(page.starts_with("+++\nid = ") && page.contains("\nparent = \"about\"\n"), "{page}");

    // Into a new database of the same kind, with its own data dir.
    let mut moved = TestApp::spawn(app.backend).await.unwrap();
    let second = folder.path().join("second");
    moves(&mut moved, &first, &second, &[], &site, &before).await;

    // Exporting into a folder that holds something is refused.
    let refused = export(&app, &second, &[]).await;
    assert!(!refused.status.success());
}
e2e!(export_import_export_gives_the_same_folder);

/// The number of rows of the site in the app's database.
async fn rows(app: &TestApp) -> u64 {
    use quire_entity::{asset, content_item, revision, user};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let conn = app.db().conn();
    content_item::Entity::find().count(conn).await.unwrap()
        + revision::Entity::find().count(conn).await.unwrap()
        + user::Entity::find().count(conn).await.unwrap()
        + asset::Entity::find().count(conn).await.unwrap()
}

async fn import_refuses_a_site_and_a_changed_export(mut app: TestApp) {
    fill(&app).await;
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("export");
    succeeded(&export(&app, &dir, &[]).await);

    // Into the database it came from: it holds a site.
    let before = rows(&app).await;
    let refused = import(&mut app, &dir, &[]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    assert_eq!(rows(&app).await, before);

    // A changed file, into an empty database: refused before anything is written.
    let mut empty = TestApp::spawn(app.backend).await.unwrap();
    let path = dir.join("content_items.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("Moving up, again", "Moving down", 1)).unwrap();
    let refused = import(&mut empty, &dir, &[]).await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(said.contains("content_items.jsonl") && said.contains("checksum"), "{said}");
    assert_eq!(rows(&empty).await, 0);
    assert!(!empty.data_dir().join("files/blobs").exists(), "no file was stored");
    std::fs::write(&path, text).unwrap();

    // A newer format is named as such.
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("\"formatVersion\": 1", "\"formatVersion\": 99"))
        .unwrap();
    let refused = import(&mut empty, &dir, &[]).await;
    assert!(String::from_utf8_lossy(&refused.stderr).contains("format version 99"));
    assert_eq!(rows(&empty).await, 0);
    std::fs::write(&manifest, text).unwrap();

    // As exported, it goes in.
    succeeded(&import(&mut empty, &dir, &[]).await);
    assert_eq!(rows(&empty).await, before);
}
e2e!(import_refuses_a_site_and_a_changed_export);

/// The rows of `kind` in an export, as JSON.
fn rows_of(dir: &Path, kind: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join(format!("{kind}.jsonl")))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// An export taken while an editor writes is the site at one moment: every item has exactly
/// the revisions of its versions, and nothing refers to an item that is not there.
async fn an_export_while_editors_write_is_one_moment(app: TestApp) {
    let token = crate::fixtures::editor(&app).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (stop, url) = (stop.clone(), app.url("/graphql"));
        async move {
            let client = crate::support::http_client();
            let post = |query: String| {
                client.post(&url).bearer_auth(&token).json(&json!({ "query": query })).send()
            };
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let created: Value = post(format!(
                    "mutation {{ createNewsArticle(input: {{ title: \"Written {n}\" }}) {{ id }} }}"
                ))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
                let id = created["data"]["createNewsArticle"]["id"].as_str().unwrap().to_string();
                post(format!(
                    "mutation {{ updateNewsArticle(id: \"{id}\", input: {{ summary: \"Then changed\" }}) {{ id }} }}"
                ))
                .await
                .unwrap();
            }
            n
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("export");
    let exported = export(&app, &dir, &[]).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    succeeded(&exported);

    let items = rows_of(&dir, "content_items");
    assert!(!items.is_empty() && items.len() < written + 1, "{} of {written}", items.len());
    let revisions = rows_of(&dir, "revisions");
    for item in &items {
        let mut versions: Vec<i64> = revisions
            .iter()
            .filter(|r| r["content_id"] == item["id"])
            .map(|r| r["version"].as_i64().unwrap())
            .collect();
        versions.sort();
        let expected: Vec<i64> = (1..=item["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, expected, "the revisions of {}", item["id"]);
    }
    let ids: std::collections::HashSet<&Value> = items.iter().map(|i| &i["id"]).collect();
    assert!(revisions.iter().all(|r| ids.contains(&r["content_id"])));
    assert!(rows_of(&dir, "content_changes").iter().all(|c| ids.contains(&c["content_id"])));
}
e2e!(an_export_while_editors_write_is_one_moment);
