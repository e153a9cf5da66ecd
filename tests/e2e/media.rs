//! Files: uploads over the GraphQL multipart request spec, what is refused, safe and
//! cacheable downloads, ranges, image variants, download counts, deleting.

use std::path::Path;

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{editor, id_of};
use crate::support::{TestApp, data, e2e, error_code};

fn booklet_pdf() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lls/booklets/9-pillars-of-greatness.pdf"
    ))
    .unwrap()
}

/// A real PNG of the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// A file URL without its query: for staff, the URL without its signature, which the public
/// reaches only through published content.
pub fn bare(url: &Value) -> String {
    let url = url.as_str().unwrap();
    url.split_once('?').map_or(url, |(path, _)| path).to_string()
}

pub async fn uploaded(app: &TestApp, token: &str, filename: &str, bytes: Vec<u8>) -> Value {
    let response = app.upload(Some(token), filename, bytes).await;
    let body: Value = response.json().await.unwrap();
    data(&body)["uploadAsset"].clone()
}

/// Every file under a folder, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flat_map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() { files_under(&path) } else { vec![path] }
        })
        .collect()
}

pub async fn get(
    app: &TestApp,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.client.get(app.url(url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn download_count(app: &TestApp, slug: &str) -> i64 {
    let response = app
        .gql("query($s: String!) { booklet(slug: $s) { downloadCount } }", json!({ "s": slug }))
        .await;
    data(&response)["booklet"]["downloadCount"].as_i64().unwrap()
}

async fn a_booklet_file_is_served_safely_once_published(mut app: TestApp) {
    app.reconfigure(|config| {
        config.media.download_flush_interval_ms = 50;
        config.media.download_count_staleness_secs = 0;
    })
    .await;
    let token = editor(&app).await;
    let pdf = booklet_pdf();
    let asset = uploaded(&app, &token, "9 Pillars of Greatness.PDF", pdf.clone()).await;
    assert_eq!(asset["filename"], "9-pillars-of-greatness.pdf");
    assert_eq!(asset["mimeType"], "application/pdf");
    assert_eq!(asset["byteSize"], pdf.len());
    assert_eq!(asset["pageCount"], 3);
    assert_eq!(asset["alt"], "Alt text");
    let url = bare(&asset["url"]);
    let created = app
        .gql_as(&token, "mutation($f: ID) { createBooklet(input: { title: \"Nine Pillars\", fileId: $f }) { id file { url pageCount } } }", json!({ "f": asset["id"] }))
        .await;
    let booklet = id_of(&data(&created)["createBooklet"]);

    // A draft's file is not the public's.
    assert_eq!(get(&app, &url, None, &[]).await.status(), 404);
    let node =
        app.gql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": asset["id"] })).await;
    assert!(data(&node)["node"].is_null());
    let staff = get(&app, &url, Some(&token), &[]).await;
    assert_eq!(staff.status(), 200);
    assert_eq!(staff.headers()["cache-control"], "private, no-store");

    app.gql_as(
        &token,
        "mutation($id: ID!) { publishBooklet(id: $id) { id } }",
        json!({ "id": booklet }),
    )
    .await;
    let public = get(&app, &url, None, &[]).await;
    assert_eq!(public.status(), 200);
    let h = public.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["content-disposition"], "attachment; filename=\"9-pillars-of-greatness.pdf\"");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["accept-ranges"], "bytes");
    assert!(h["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    let etag = h["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", asset["sha256"].as_str().unwrap()));
    assert_eq!(public.bytes().await.unwrap().to_vec(), pdf, "byte for byte");

    let again = get(&app, &url, None, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    let first = get(&app, &url, None, &[("range", "bytes=0-99")]).await;
    assert_eq!(first.status(), 206);
    assert_eq!(first.headers()["content-range"], format!("bytes 0-99/{}", pdf.len()));
    assert_eq!(first.bytes().await.unwrap().to_vec(), pdf[..100]);
    let tail = get(&app, &url, None, &[("range", "bytes=-10")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().to_vec(), pdf[pdf.len() - 10..]);
    let beyond = get(&app, &url, None, &[("range", &format!("bytes={}-", pdf.len()))]).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], format!("bytes */{}", pdf.len()));
    assert_eq!(
        get(&app, &format!("/files/{}/other-name.pdf", url.split('/').nth(2).unwrap()), None, &[])
            .await
            .status(),
        404
    );

    let last = get(&app, &url, None, &[("range", "bytes=-1")]).await;
    assert_eq!(last.status(), 206);
    assert_eq!(last.bytes().await.unwrap().len(), 1);
    let all = get(&app, &url, None, &[("range", "bytes=0-")]).await;
    assert_eq!(all.status(), 206);
    assert_eq!(all.bytes().await.unwrap().to_vec(), pdf, "a range that covers the whole file");

    // A HEAD, a probe of the first bytes, a 304 with a range: none is a download.
    let head = app.client.head(app.url(&url)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], pdf.len().to_string().as_str());
    let cached =
        get(&app, &url, None, &[("if-none-match", &etag), ("range", "bytes=99999-")]).await;
    assert_eq!(cached.status(), 304, "conditions come before ranges");
    assert!(cached.headers().get("content-type").is_none());

    // Counted: the full download and the range that covers the whole file; not the
    // parts (the first bytes, the last byte, the tail), the 304s, the refused range, the
    // HEAD, nor the editor's look.
    let mut counted = 0;
    for _ in 0..100 {
        counted = download_count(&app, "nine-pillars").await;
        if counted == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(counted, 2);
    // Once the booklet is in the trash, its file is not the public's either.
    app.gql_as(&token, "mutation($id: ID!) { deleteBooklet(id: $id) }", json!({ "id": booklet }))
        .await;
    assert_eq!(get(&app, &url, None, &[]).await.status(), 404);
    app.gql_as(
        &token,
        "mutation($id: ID!) { restoreFromTrash(id: $id) { id } }",
        json!({ "id": booklet }),
    )
    .await;

    // Counts still pending at shutdown are saved then.
    app.reconfigure(|config| config.media.download_flush_interval_ms = 3_600_000).await;
    // A download is counted once its last byte is sent: read to the end.
    get(&app, &url, None, &[]).await.bytes().await.unwrap();
    app.restart().await;
    assert_eq!(download_count(&app, "nine-pillars").await, 3);
}
e2e!(a_booklet_file_is_served_safely_once_published);

async fn refused_uploads_leave_nothing_behind(mut app: TestApp) {
    app.reconfigure(|config| config.media.max_upload_bytes = 100_000).await;
    let token = editor(&app).await;
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#.to_vec();
    for (filename, bytes, status) in [
        (
            "big.png",
            {
                let mut b = png(8, 8);
                b.resize(200_000, 0);
                b
            },
            413,
        ),
        ("booklet.png", booklet_pdf(), 200),
        ("../../etc/passwd", booklet_pdf(), 200),
        ("logo.svg", svg, 200),
        ("notes.txt", b"just some text".to_vec(), 200),
        ("empty.pdf", Vec::new(), 200),
    ] {
        // A refused upload closes its connection (`Connection: close`), and the next
        // request must not go out on it.
        let response = match app.try_upload(Some(&token), filename, bytes).await {
            Ok(response) => response,
            // Refused while the client was still sending the rest.
            Err(_) if status == 413 => continue,
            Err(err) => panic!("{filename}: {err}"),
        };
        assert_eq!(response.status(), status, "{filename}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{filename}: {body}");
    }
    let anonymous = app.upload(None, "booklet.pdf", booklet_pdf()).await;
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let author = crate::fixtures::user(&app, "author@lls.example.org", Role::Author).await;
    let body: Value =
        app.upload(Some(&author.token), "booklet.pdf", booklet_pdf()).await.json().await.unwrap();
    assert_eq!(error_code(&body), "FORBIDDEN", "uploads are for editors");

    assert_eq!(files_under(&app.data_dir().join("files")), Vec::<std::path::PathBuf>::new());
    let listed = app.gql_as(&token, "{ assets { nodes { id } } }", json!({})).await;
    assert_eq!(data(&listed)["assets"]["nodes"], json!([]));
}
e2e!(refused_uploads_leave_nothing_behind);

async fn identical_content_is_stored_once_and_deleted_with_its_last_asset(app: TestApp) {
    let token = editor(&app).await;
    let bytes = png(40, 30);
    let a = uploaded(&app, &token, "school-logo.png", bytes.clone()).await;
    let b = uploaded(&app, &token, "same logo.PNG", bytes.clone()).await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(a["sha256"], b["sha256"]);
    assert_eq!((a["width"].as_i64(), a["height"].as_i64()), (Some(40), Some(30)));
    assert_eq!(files_under(&app.data_dir().join("files/blobs")).len(), 1, "stored once");

    let article = app
        .gql_as(&token, "mutation($h: ID) { createNewsArticle(input: { title: \"With a logo\", heroImageId: $h }) { id } }", json!({ "h": a["id"] }))
        .await;
    data(&article);
    let refused = app
        .gql_as(&token, "mutation($id: ID!) { deleteAsset(id: $id) }", json!({ "id": a["id"] }))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("With a logo"), "{refused}");

    let deleted = app
        .gql_as(&token, "mutation($id: ID!) { deleteAsset(id: $id) }", json!({ "id": b["id"] }))
        .await;
    assert_eq!(data(&deleted)["deleteAsset"], b["id"]);
    assert_eq!(
        files_under(&app.data_dir().join("files/blobs")).len(),
        1,
        "still used by the other asset"
    );
    let listed = app.gql_as(&token, "{ assets { nodes { id } } }", json!({})).await;
    assert_eq!(data(&listed)["assets"]["nodes"], json!([{ "id": a["id"] }]));

    let article_id = id_of(&data(&article)["createNewsArticle"]);
    app.gql_as(
        &token,
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { heroImageId: null }) { id } }",
        json!({ "id": article_id }),
    )
    .await;
    let deleted = app
        .gql_as(&token, "mutation($id: ID!) { deleteAsset(id: $id) }", json!({ "id": a["id"] }))
        .await;
    data(&deleted);
    assert!(
        files_under(&app.data_dir().join("files/blobs")).is_empty(),
        "the content goes with its last asset"
    );
}
e2e!(identical_content_is_stored_once_and_deleted_with_its_last_asset);

async fn images_are_resized_once_and_kept(app: TestApp) {
    let token = editor(&app).await;
    let asset = uploaded(&app, &token, "hero.png", png(300, 200)).await;
    let url = bare(&asset["url"]);
    let variant_url = format!("{url}?w=100&format=webp");
    assert_eq!(
        get(&app, &variant_url, None, &[]).await.status(),
        404,
        "no published content uses it"
    );
    let first = get(&app, &variant_url, Some(&token), &[]).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "image/webp");
    assert_eq!(first.headers()["content-disposition"], "inline; filename=\"hero.png\"");
    let bytes = first.bytes().await.unwrap().to_vec();
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (160, 107),
        "the nearest listed width at or above 100"
    );

    let made: Vec<_> = files_under(&app.data_dir().join("files/variants"));
    assert_eq!(made.len(), 1);
    let modified = std::fs::metadata(&made[0]).unwrap().modified().unwrap();
    let second = get(&app, &variant_url, Some(&token), &[]).await;
    assert_eq!(second.bytes().await.unwrap().to_vec(), bytes);
    assert_eq!(
        std::fs::metadata(&made[0]).unwrap().modified().unwrap(),
        modified,
        "served from disk, not made again"
    );
    let nearby = get(&app, &format!("{url}?w=150&format=webp"), Some(&token), &[]).await;
    assert_eq!(nearby.bytes().await.unwrap().to_vec(), bytes, "any width up to 160 is the 160 one");
    assert_eq!(files_under(&app.data_dir().join("files/variants")).len(), 1);
    // As wide as the original or wider, in its own format: the original itself.
    let itself = get(&app, &format!("{url}?w=320"), Some(&token), &[]).await;
    assert_eq!(itself.headers()["etag"], format!("\"{}\"", asset["sha256"].as_str().unwrap()));
    assert_eq!(itself.bytes().await.unwrap().to_vec(), png(300, 200));

    let wide = get(&app, &format!("{url}?w=99999&format=jpeg"), Some(&token), &[]).await;
    let decoded = image::load_from_memory(&wide.bytes().await.unwrap()).unwrap();
    assert_eq!(decoded.width(), 300, "never enlarged");
    assert_eq!(get(&app, &format!("{url}?format=gif"), Some(&token), &[]).await.status(), 400);
    let pdf = uploaded(&app, &token, "booklet.pdf", booklet_pdf()).await;
    assert_eq!(
        get(&app, &format!("{}?w=100", bare(&pdf["url"])), Some(&token), &[]).await.status(),
        400
    );
}
e2e!(images_are_resized_once_and_kept);

async fn variants_stay_within_their_disk_budget(mut app: TestApp) {
    app.reconfigure(|config| config.media.image_variants_max_files = 3).await;
    let token = editor(&app).await;
    let asset = uploaded(&app, &token, "wide.png", png(700, 350)).await;
    let url = bare(&asset["url"]);
    let variants = app.data_dir().join("files/variants");
    let mut made = Vec::new();
    for (width, format) in [(160, "webp"), (320, "webp"), (480, "webp"), (160, "jpeg")] {
        let variant = format!("{url}?w={width}&format={format}");
        assert_eq!(get(&app, &variant, Some(&token), &[]).await.status(), 200);
        made.push(variant);
        // Used again: the 160 WebP stays the most recently used but one.
        if made.len() == 3 {
            assert_eq!(get(&app, &made[0], Some(&token), &[]).await.status(), 200);
        }
    }
    let kept: Vec<String> = files_under(&variants)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(!kept.contains(&"320.q80.webp".to_string()), "the least recently used went: {kept:?}");
    assert!(kept.contains(&"160.q80.webp".to_string()), "the most recently used stayed: {kept:?}");

    // The list is read again at start: still within the budget after more are made.
    app.restart().await;
    for width in [320, 640] {
        let variant = format!("{url}?w={width}&format=png");
        assert_eq!(get(&app, &variant, Some(&token), &[]).await.status(), 200);
    }
    assert_eq!(files_under(&variants).len(), 3);
}
e2e!(variants_stay_within_their_disk_budget);

async fn download_counts_reach_the_public_without_emptying_its_cache(mut app: TestApp) {
    app.reconfigure(|config| {
        config.media.download_flush_interval_ms = 50;
        config.media.download_count_staleness_secs = 5;
    })
    .await;
    let token = editor(&app).await;
    let asset = uploaded(&app, &token, "counted.pdf", booklet_pdf()).await;
    let created = app
        .gql_as(
            &token,
            "mutation($f: ID) { createBooklet(input: { title: \"Counted\", fileId: $f }) { id } }",
            json!({ "f": asset["id"] }),
        )
        .await;
    let booklet = id_of(&data(&created)["createBooklet"]);
    app.gql_as(
        &token,
        "mutation($id: ID!) { publishBooklet(id: $id) { id } }",
        json!({ "id": booklet }),
    )
    .await;
    let url = bare(&asset["url"]);
    let staff_count = || async {
        let response =
            app.gql_as(&token, "{ booklet(slug: \"counted\") { downloadCount } }", json!({})).await;
        data(&response)["booklet"]["downloadCount"].as_i64().unwrap()
    };
    let until = |what: &'static str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        move || assert!(std::time::Instant::now() < deadline, "waited too long for {what}")
    };

    // The first save after a quiet spell is shown at once. (A download counts once its
    // last byte is sent: each is read to the end.)
    assert_eq!(get(&app, &url, None, &[]).await.bytes().await.unwrap().len(), booklet_pdf().len());
    let check = until("the first count");
    while download_count(&app, "counted").await != 1 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Cached now (once asked after the save had fully committed): asking again runs no
    // SQL.
    download_count(&app, "counted").await;
    let before = app.statements();
    assert_eq!(download_count(&app, "counted").await, 1);
    assert_eq!(app.statements(), before);

    // The next save, soon after, leaves the public's cached answers in place...
    assert_eq!(get(&app, &url, None, &[]).await.bytes().await.unwrap().len(), booklet_pdf().len());
    let check = until("the second save");
    while staff_count().await != 2 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = app.statements();
    assert_eq!(download_count(&app, "counted").await, 1, "a cached answer, at most 5 s old");
    assert_eq!(app.statements(), before, "saving a download count emptied the response cache");
    // ...until the staleness allowed has passed.
    let check = until("the second count to be shown");
    while download_count(&app, "counted").await != 2 {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
e2e!(download_counts_reach_the_public_without_emptying_its_cache);

async fn a_deletion_the_database_refuses_leaves_the_file_served(app: TestApp) {
    let token = editor(&app).await;
    let bytes = png(40, 30);
    let asset = uploaded(&app, &token, "kept.png", bytes.clone()).await;
    let url = bare(&asset["url"]);
    assert_eq!(get(&app, &format!("{url}?format=webp"), Some(&token), &[]).await.status(), 200);
    // A reference checked only at commit: the deletion fails after every step before it.
    let column =
        if app.backend == crate::support::Backend::Postgres { "asset_id uuid" } else { "asset_id" };
    let conn = app.db().conn();
    sea_orm::ConnectionTrait::execute_unprepared(
        conn,
        &format!(
            "CREATE TABLE test_pins ({column} REFERENCES assets(id) DEFERRABLE INITIALLY DEFERRED)"
        ),
    )
    .await
    .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        conn,
        "INSERT INTO test_pins SELECT id FROM assets",
    )
    .await
    .unwrap();

    let refused = app
        .gql_as(&token, "mutation($id: ID!) { deleteAsset(id: $id) }", json!({ "id": asset["id"] }))
        .await;
    assert_eq!(error_code(&refused), "INTERNAL_SERVER_ERROR", "{refused}");
    let served = get(&app, &url, Some(&token), &[]).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);
    assert_eq!(get(&app, &format!("{url}?format=webp"), Some(&token), &[]).await.status(), 200);
    let listed = app.gql_as(&token, "{ assets { nodes { id } } }", json!({})).await;
    assert_eq!(data(&listed)["assets"]["nodes"], json!([{ "id": asset["id"] }]));

    sea_orm::ConnectionTrait::execute_unprepared(conn, "DROP TABLE test_pins").await.unwrap();
    let deleted = app
        .gql_as(&token, "mutation($id: ID!) { deleteAsset(id: $id) }", json!({ "id": asset["id"] }))
        .await;
    data(&deleted);
    assert_eq!(get(&app, &url, Some(&token), &[]).await.status(), 404);
    assert!(files_under(&app.data_dir().join("files/blobs")).is_empty());
    assert!(files_under(&app.data_dir().join("files/variants")).is_empty());
}
e2e!(a_deletion_the_database_refuses_leaves_the_file_served);

async fn temporary_files_a_crash_left_are_removed_at_start(mut app: TestApp) {
    let token = editor(&app).await;
    let asset = uploaded(&app, &token, "hero.png", png(400, 200)).await;
    let url = bare(&asset["url"]);
    assert_eq!(get(&app, &format!("{url}?w=160"), Some(&token), &[]).await.status(), 200);
    let files = app.data_dir().join("files");
    let variant_dir = files.join("variants").join(asset["sha256"].as_str().unwrap());
    std::fs::create_dir_all(files.join("staging")).unwrap();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let plant = |path: std::path::PathBuf, modified: Option<std::time::SystemTime>| {
        let file = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut &file, b"half written").unwrap();
        if let Some(modified) = modified {
            file.set_modified(modified).unwrap();
        }
        path
    };
    let staged = plant(files.join("staging/.tmpAbC123"), Some(an_hour_ago));
    let half_variant = plant(variant_dir.join(".tmpDeF456"), Some(an_hour_ago));
    // Written a moment ago: perhaps another process's, still at work.
    let recent = plant(files.join("staging/.tmpGhI789"), None);

    app.restart().await;
    assert!(!staged.exists(), "a half-staged upload is removed");
    assert!(!half_variant.exists(), "a half-written variant is removed");
    assert!(recent.exists(), "a file being written now is left alone");
    assert!(variant_dir.join("160.png").exists(), "finished variants stay");
    assert_eq!(get(&app, &format!("{url}?w=160"), Some(&token), &[]).await.status(), 200);
}
e2e!(temporary_files_a_crash_left_are_removed_at_start);

async fn a_booklet_is_created_with_its_file_and_cover_in_one_request(app: TestApp) {
    let token = editor(&app).await;
    let operations = json!({
        "query": "mutation($f: Upload, $c: Upload) { createBooklet(input: { title: \"One step\", file: $f, cover: $c }) { id file { filename pageCount } cover { filename width } } }",
        "variables": { "f": null, "c": null },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.f"], "1": ["variables.c"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(booklet_pdf()).file_name("one step.pdf"))
        .part("1", reqwest::multipart::Part::bytes(png(60, 80)).file_name("cover.png"));
    let response: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let booklet = &data(&response)["createBooklet"];
    assert_eq!(booklet["file"], json!({ "filename": "one-step.pdf", "pageCount": 3 }));
    assert_eq!(booklet["cover"], json!({ "filename": "cover.png", "width": 60 }));

    // A file and an id for the same field is ambiguous.
    let asset = uploaded(&app, &token, "other.pdf", booklet_pdf()).await;
    let operations = json!({
        "query": "mutation($id: ID!, $f: Upload, $a: ID) { updateBooklet(id: $id, input: { file: $f, fileId: $a }) { id } }",
        "variables": { "id": booklet["id"], "f": null, "a": asset["id"] },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(booklet_pdf()).file_name("again.pdf"));
    let response: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert_eq!(response["errors"][0]["extensions"]["field"], "fileId");
}
e2e!(a_booklet_is_created_with_its_file_and_cover_in_one_request);

/// The kilobytes of a process's peak resident memory.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A 20 MB upload and download through the real binary, whose peak memory is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_megabyte_round_trip_keeps_memory_bounded() {
    use sha2::Digest;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let quire = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
        command
            .args(args)
            .current_dir(dir.path())
            .env("QUIRE_LOG", "error")
            .env_remove("QUIRE_DATABASE_URL");
        command
    };
    let token =
        quire(&["token", "create", "--role", "editor", "--name", "bench"]).output().unwrap();
    let token = String::from_utf8(token.stdout).unwrap().lines().last().unwrap().trim().to_string();
    let mut child =
        quire(&["serve", "--addr", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, url)) = line.split_once("GraphiQL: ") {
                let _ = tx.send(url.trim().trim_end_matches("/graphql").to_string());
            }
        }
    });
    let base = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    let pid = child.id();
    let before = peak_rss_kb(pid);

    // A PNG header, then 20 MB of noise: accepted by its bytes, too big to be held.
    let mut bytes = png(4, 4);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    while bytes.len() < 20 * 1024 * 1024 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    let client = crate::support::http_client();
    let operations = json!({ "query": "mutation($file: Upload!) { uploadAsset(file: $file) { url byteSize sha256 } }", "variables": { "file": null } });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(bytes.clone()).file_name("noise.png"));
    let response: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let asset = &data(&response)["uploadAsset"];
    assert_eq!(asset["byteSize"], bytes.len());
    assert_eq!(asset["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    let downloaded = client
        .get(format!("{base}{}", asset["url"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), 200);
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), bytes, "byte-identical");
    let after = peak_rss_kb(pid);

    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.wait();
    println!(
        "peak RSS of quire serve: {before} kB before, {after} kB after a 20 MB upload and download"
    );
    // Measured: about 8 MB of buffers for 20 MB and for 45 MB alike. Holding the file would
    // add at least its own 20 MB.
    assert!(
        after < before + 16 * 1024,
        "peak memory grew by {} kB for a 20 MB file",
        after - before
    );
}
