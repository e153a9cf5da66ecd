//! The example front-end (`examples/site/`) in headless Chromium against a Quire with the
//! example site: every kind of page shows the seed's content, menus and `<head>` come from
//! the API, and an old address follows `redirect(path:)`. A screenshot of each page goes to
//! `target/site-screenshots/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::extract::Path as UrlPath;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use fantoccini::{Client, Locator};

use crate::desk::{NARROW, WIDE, open_browser};
use crate::support::{Backend, TestApp};

fn site_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site")
}

/// Serves the front-end's files as any static server would.
async fn file(UrlPath(name): UrlPath<String>) -> impl IntoResponse {
    let media_type = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], Vec::new()),
    };
    match std::fs::read(site_dir().join(&name)) {
        Ok(bytes) if !name.contains('/') => {
            (StatusCode::OK, [(header::CONTENT_TYPE, media_type)], bytes)
        }
        _ => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], Vec::new()),
    }
}

async fn serve_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/{name}", axum::routing::get(file));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

struct Visit<'a> {
    browser: &'a Client,
    site: String,
    api: String,
    shots: PathBuf,
}

impl Visit<'_> {
    /// Opens `path` and waits until the page has rendered `shown` (the path it ends on).
    async fn open(&self, path: &str, shown: &str) -> String {
        let url = format!("{}/index.html?api={}#{path}", self.site, self.api);
        self.browser.goto(&url).await.unwrap();
        let selector = format!("body[data-rendered=\"{shown}\"]");
        self.browser
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&selector))
            .await
            .unwrap_or_else(|e| panic!("{path} did not render {shown}: {e}"));
        self.browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
    }

    async fn screenshot(&self, name: &str) {
        let png = self.browser.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn head(&self, script: &str) -> String {
        let value = self.browser.execute(&format!("return {script};"), vec![]).await.unwrap();
        value.as_str().unwrap_or_default().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(quire_test_browser),
    ignore = "needs Chromium and chromedriver: set QUIRE_TEST_CHROMEDRIVER"
)]
async fn the_example_front_end_shows_the_example_site() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lls");
    quire_api::seed::load(app.db(), &app.storage(), &example).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = open_browser(profile.path(), WIDE).await;
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let visit =
        Visit { browser: &browser, site: serve_site().await, api: app.url("/graphql"), shots };
    let outcome =
        futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(pages(&visit, &app)))
            .await;
    browser.close().await.ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn pages(visit: &Visit<'_>, app: &TestApp) {
    // The home page: the page chosen in the settings, its booklet by a related link, the
    // featured testimonials, the latest press release and news, and both menus.
    let home = visit.open("/", "/").await;
    for text in [
        "Welcome to the London Leadership Strategy",
        "Download: 9 Pillars of Greatness",
        "Anne-Marie Strachan",
        "R. Barron",
        "Leading heads respond to Fair Education Alliance report",
        "The Successful Teaching & Learning programme is now available for booking",
        "About us",
        "9 Pillars of Greatness (PDF booklet)",
        "Follow LLS on Twitter",
    ] {
        assert!(home.contains(text), "the home page lacks {text:?}:\n{home}");
    }
    assert_eq!(
        visit.head("document.title").await,
        "London Leadership Strategy – school-to-school support led by headteachers – London Leadership Strategy"
    );
    let description = visit.head("document.querySelector('meta[name=description]').content").await;
    assert!(
        description.starts_with("A not-for-profit organisation run by serving headteachers"),
        "{description}"
    );
    assert_eq!(
        visit.head("document.querySelector('link[rel=canonical]').href").await,
        "https://www.lls.example.org/"
    );
    // Tall enough to show the whole page: the welcome text, the booklet, both testimonials,
    // the latest press release and news.
    visit.browser.set_window_size(WIDE, 2600).await.unwrap();
    visit.screenshot("home").await;
    visit.browser.set_window_size(NARROW, 4200).await.unwrap();
    visit.open("/", "/").await;
    visit.screenshot("home-narrow").await;
    visit.browser.set_window_size(WIDE, 900).await.unwrap();

    let news = visit.open("/news", "/news").await;
    for title in ["Our regional work is growing", "2014 programmes now available"] {
        assert!(news.contains(title), "{title}: {news}");
    }
    visit.screenshot("news").await;

    let article = visit
        .open(
            "/news/london-success-and-closing-the-uk-attainment-gap",
            "/news/london-success-and-closing-the-uk-attainment-gap",
        )
        .await;
    assert!(
        article.contains("London success and how we can close the UK attainment gap"),
        "{article}"
    );
    assert!(
        article
            .contains("London Leadership Strategy responds to Lessons from London schools report"),
        "its related press release: {article}"
    );
    visit.screenshot("news-article").await;

    let slug = "london-leadership-strategy-responds-to-lessons-from-london-schools-report";
    let release = visit.open(&format!("/press/{slug}"), &format!("/press/{slug}")).await;
    assert!(release.contains("Notes to editors"), "{release}");
    assert!(release.contains("About London Leadership Strategy"), "{release}");
    assert_eq!(
        visit.head("document.title").await,
        "LLS responds to the Lessons from London schools report – London Leadership Strategy"
    );
    visit.screenshot("press-release").await;

    let section = visit.open("/about", "/about").await;
    for child in ["Our network", "Regional work"] {
        assert!(section.contains(child), "{child}: {section}");
    }
    visit.screenshot("section").await;

    let booklet =
        visit.open("/booklets/9-pillars-of-greatness", "/booklets/9-pillars-of-greatness").await;
    assert!(booklet.contains("Download 9-pillars-of-greatness.pdf"), "{booklet}");
    let link = visit.browser.find(Locator::Css("a.download")).await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    let pdf = app.client.get(href.clone()).send().await.unwrap();
    assert_eq!(pdf.status(), 200, "{href}");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"), "the booklet downloads");
    visit.screenshot("booklet").await;

    // An old address: the front-end asks Quire where it went, and goes there.
    let moved = visit.open("/about-us", "/about").await;
    assert!(moved.contains("About the London Leadership Strategy"), "{moved}");
    let missing = visit.open("/nowhere", "/nowhere").await;
    assert!(missing.contains("Page not found"), "{missing}");
    assert_eq!(visit.head("document.querySelector('meta[name=robots]').content").await, "noindex");
    visit.screenshot("not-found").await;
}
