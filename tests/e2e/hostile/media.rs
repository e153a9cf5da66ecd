//! Hostile requests: media. Image variants come in the configured widths only, so any number
//! of requested widths makes a bounded number of files; they are made by a small pool that
//! one client cannot hold, and identical requests made together are made once.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;
use crate::fixtures::{editor, published};
use crate::media::{bare, files_under, png};
use crate::support::{Backend, TestApp, data};

/// Uploads an image and makes it the public's (the hero of a published article); its URL.
async fn public_image(app: &TestApp, token: &str, name: &str, width: u32, height: u32) -> String {
    let body: Value = app.upload(Some(token), name, png(width, height)).await.json().await.unwrap();
    let asset = &data(&body)["uploadAsset"];
    let input =
        format!("{{ title: \"{name}\", heroImageId: \"{}\" }}", asset["id"].as_str().unwrap());
    published(app, token, "NewsArticle", &input).await;
    bare(&asset["url"])
}

/// A client whose requests come from `ip` (an address of the loopback network).
fn client_from(ip: &str) -> reqwest::Client {
    quire_api::tls::install_crypto_provider();
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A counter's value in the process's `/metrics` (0 before it first counts).
async fn counter(process: &QuireProcess, name: &str) -> f64 {
    let text = crate::support::http_client()
        .get(process.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_widths_make_a_bounded_number_of_files() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let token = editor(&app).await;
    let url = public_image(&app, &token, "many.png", 900, 600).await;
    let process = QuireProcess::start_with(&app, &[]);
    let client = crate::support::http_client();
    let started = Instant::now();
    let mut etags = HashSet::new();
    let mut requests = 0;
    for width in (1..=2100).step_by(13) {
        for format in ["", "&format=webp", "&format=jpeg", "&format=png"] {
            assert!(started.elapsed() < Duration::from_secs(240), "took too long");
            let variant = format!("{url}?w={width}{format}");
            let response = client.get(process.url(&variant)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{variant}");
            etags.insert(response.headers()["etag"].to_str().unwrap().to_string());
            response.bytes().await.unwrap();
            requests += 1;
        }
    }
    // The default widths narrower than the image (160 to 800: five) and its full width, in
    // three formats; the full-width PNG is the original itself, not a file of its own.
    let files = files_under(&app.data_dir().join("files/variants"));
    eprintln!(
        "{requests} variant requests in {:.1} s made {} files, {} distinct answers",
        started.elapsed().as_secs_f64(),
        files.len(),
        etags.len()
    );
    assert_eq!(files.len(), 17, "{files:?}");
    assert_eq!(etags.len(), 18);
    assert_eq!(counter(&process, "quire_image_variants_made_total").await, 17.0);
    eprintln!("peak RSS {} MB", process.peak_rss() / (1024 * 1024));
    assert_peak_rss(&process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_starve_another_of_variants() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let token = editor(&app).await;
    let hogged = public_image(&app, &token, "hogged.png", 1200, 800).await;
    let other = public_image(&app, &token, "other.png", 700, 400).await;
    let process = QuireProcess::start_with(&app, &["--image-variant-builders", "2"]);

    // One client asks for every variant of an image at once.
    let hog = client_from("127.0.0.2");
    let mut asked = tokio::task::JoinSet::new();
    for width in [160, 320, 480, 640, 800, 1024, 1280] {
        for format in ["webp", "jpeg", "png"] {
            let (hog, url) =
                (hog.clone(), process.url(&format!("{hogged}?w={width}&format={format}")));
            asked.spawn(async move {
                let response = hog.get(&url).send().await.unwrap();
                let status = response.status().as_u16();
                let retry_after = response.headers().get("retry-after").is_some();
                response.bytes().await.unwrap();
                (status, retry_after, Instant::now())
            });
        }
    }
    // Once its builds are under way, another client asks for a variant of its own.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let answer = client_from("127.0.0.3")
        .get(process.url(&format!("{other}?w=320&format=webp")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.bytes().await.unwrap();
    let other_done = Instant::now();

    let (mut made, mut busy, mut last_made) = (0, 0, started);
    while let Some(result) = asked.join_next().await {
        match result.unwrap() {
            (200, _, done) => {
                made += 1;
                last_made = last_made.max(done);
            }
            (429, true, _) => busy += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    eprintln!(
        "the other client waited {} ms; the hog had {made} variants made and {busy} refused, \
         its last {} ms after the other's request",
        (other_done - started).as_millis(),
        (last_made - started).as_millis()
    );
    assert!(busy > 0, "one client's queue is bounded: the rest are told to come back");
    assert!(made > 1);
    assert!(other_done < last_made, "the other client waited for the hog's whole queue");

    // Identical requests made together are made once.
    let before = counter(&process, "quire_image_variants_made_total").await;
    let mut same = tokio::task::JoinSet::new();
    for n in 10..20 {
        let url = process.url(&format!("{other}?w=640&format=jpeg"));
        same.spawn(async move {
            let response = client_from(&format!("127.0.0.{n}")).get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap()
        });
    }
    let bodies: HashSet<_> = same.join_all().await.into_iter().collect();
    assert_eq!(bodies.len(), 1);
    assert_eq!(counter(&process, "quire_image_variants_made_total").await - before, 1.0);
    eprintln!("peak RSS {} MB", process.peak_rss() / (1024 * 1024));
    assert_peak_rss(&process);
}
