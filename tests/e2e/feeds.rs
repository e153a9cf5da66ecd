//! The RSS, Atom and JSON feeds of news and press releases, read back with a real feed
//! parser: what they hold, their links, their headers and their caching.

use base64::Engine;
use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, FeedType};
use quire_entity::{content_change, content_item};
use reqwest::header::{CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::fixtures::{create, editor, id_of, published};
use crate::support::{TestApp, data, e2e};

const FORMATS: [(&str, &str, FeedType); 3] = [
    ("rss", "application/rss+xml; charset=utf-8", FeedType::RSS2),
    ("atom", "application/atom+xml; charset=utf-8", FeedType::Atom),
    ("json", "application/feed+json; charset=utf-8", FeedType::JSON),
];

/// The uuid inside an opaque GraphQL id, as feeds name items (`urn:uuid:…`).
fn urn(id: &str) -> String {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    format!("urn:uuid:{}", raw.rsplit_once(':').unwrap().1)
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// Fetches a feed that must be there, checks its content type, and parses it.
async fn fetch(app: &TestApp, path: &str, media_type: &str) -> (Feed, String) {
    let response = get(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()[CONTENT_TYPE], media_type, "{path}");
    let text = response.text().await.unwrap();
    let feed =
        feed_rs::parser::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
    (feed, text)
}

fn title(entry: &Entry) -> String {
    entry.title.as_ref().map(|t| t.content.clone()).unwrap_or_default()
}

fn content(entry: &Entry) -> String {
    entry.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn feeds_hold_every_published_item_once_newest_first_and_nothing_else(app: TestApp) {
    let token = editor(&app).await;
    let old = published(&app, &token, "NewsArticle", "{ title: \"Old news\", body: \"The *first* one.\", publishedAt: \"2024-01-01T09:00:00Z\" }").await;
    let newest = published(&app, &token, "NewsArticle", "{ title: \"Newest news\", summary: \"A summary & more\", body: \"Hello **world**.\", authorName: \"Ada Head\", tags: [\"Primary\", \"cpd\"], publishedAt: \"2024-03-01T09:00:00Z\" }").await;
    let middle = published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Middle news\", body: \"- a\\n- b\", publishedAt: \"2024-02-01T09:00:00Z\" }",
    )
    .await;
    create(&app, &token, "NewsArticle", "{ title: \"Hidden draft\" }").await;
    let unpublished =
        published(&app, &token, "NewsArticle", "{ title: \"Hidden unpublished\" }").await;
    let query = "mutation($id: ID!) { unpublishNewsArticle(id: $id) { status } }";
    data(&app.gql_as(&token, query, json!({ "id": unpublished })).await);
    let trashed = published(&app, &token, "NewsArticle", "{ title: \"Hidden trashed\" }").await;
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { deleteNewsArticle(id: $id) }",
            json!({ "id": trashed }),
        )
        .await,
    );
    let scheduled =
        id_of(&create(&app, &token, "NewsArticle", "{ title: \"Hidden scheduled\" }").await);
    let query = "mutation($id: ID!) { publishNewsArticle(id: $id, at: \"2999-01-01T00:00:00Z\") { status } }";
    assert_eq!(
        data(&app.gql_as(&token, query, json!({ "id": scheduled })).await)["publishNewsArticle"]["status"],
        "SCHEDULED"
    );
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Hidden embargoed\", publishedAt: \"2999-01-01T00:00:00Z\" }",
    )
    .await;

    let june = published(&app, &token, "PressRelease", "{ title: \"June release\", summary: \"Heads respond\", body: \"We *welcome* it.\", notesToEditors: \"1. LLS is a **charity**.\", publishedAt: \"2014-06-27T10:00:00Z\" }").await;
    let december = published(&app, &token, "PressRelease", "{ title: \"December release\", body: \"Another.\", publishedAt: \"2014-12-08T10:00:00Z\" }").await;
    create(&app, &token, "PressRelease", "{ title: \"Hidden release draft\" }").await;

    let base = app.url("");
    let news = [
        (&newest, "Newest news", "newest-news", "2024-03-01T09:00:00Z"),
        (&middle, "Middle news", "middle-news", "2024-02-01T09:00:00Z"),
        (&old, "Old news", "old-news", "2024-01-01T09:00:00Z"),
    ];
    let releases = [
        (&december, "December release", "december-release", "2014-12-08T10:00:00Z"),
        (&june, "June release", "june-release", "2014-06-27T10:00:00Z"),
    ];
    for (ext, media_type, feed_type) in FORMATS {
        let path = format!("/feeds/news.{ext}");
        let (feed, text) = fetch(&app, &path, media_type).await;
        assert_eq!(feed.feed_type, feed_type);
        assert!(
            feed.links.iter().any(|l| l.href == format!("{base}/feeds/news.{ext}")),
            "{path}: self link: {:?}",
            feed.links
        );
        let ids: Vec<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
        let expected: Vec<_> = news.iter().map(|(id, ..)| urn(id)).collect();
        assert_eq!(ids, expected, "{path}: every published item once, newest first");
        for (entry, (_, name, slug, date)) in feed.entries.iter().zip(news) {
            assert_eq!(title(entry), name, "{path}");
            assert_eq!(entry.links[0].href, format!("{base}/news/{slug}"), "{path}");
            assert_eq!(entry.published, Some(at(date)), "{path}");
            assert!(entry.updated.is_some(), "{path}");
        }
        let first = &feed.entries[0];
        assert!(content(first).contains("<strong>world</strong>"), "{path}: {first:?}");
        assert!(content(&feed.entries[1]).contains("<li>a</li>"), "{path}");
        // RSS descriptions are HTML; Atom's summary and JSON Feed's are plain text here.
        let summary = if ext == "rss" { "A summary &amp; more" } else { "A summary & more" };
        assert_eq!(first.summary.as_ref().map(|s| s.content.as_str()), Some(summary), "{path}");
        assert_eq!(
            first.authors.first().and_then(|a| a.name.as_deref()),
            Some("Ada Head"),
            "{path}"
        );
        let tags: Vec<_> = first.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(tags, ["cpd", "primary"], "{path}");
        assert!(!text.contains("Hidden"), "{path} shows a hidden item:\n{text}");

        let path = format!("/feeds/press-releases.{ext}");
        let (feed, text) = fetch(&app, &path, media_type).await;
        assert_eq!(feed.feed_type, feed_type);
        assert!(
            feed.links.iter().any(|l| l.href == format!("{base}/feeds/press-releases.{ext}")),
            "{path}: self link"
        );
        let ids: Vec<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, releases.iter().map(|(id, ..)| urn(id)).collect::<Vec<_>>(), "{path}");
        for (entry, (_, name, slug, date)) in feed.entries.iter().zip(releases) {
            assert_eq!(title(entry), name, "{path}");
            assert_eq!(entry.links[0].href, format!("{base}/press/{slug}"), "{path}");
            assert_eq!(entry.published, Some(at(date)), "{path}");
        }
        let june = content(&feed.entries[1]);
        let body = june.find("<em>welcome</em>").unwrap_or_else(|| panic!("{path}: {june}"));
        let heading = june.find("Notes to editors").unwrap_or_else(|| panic!("{path}: {june}"));
        let notes =
            june.find("<strong>charity</strong>").unwrap_or_else(|| panic!("{path}: {june}"));
        assert!(
            body < heading && heading < notes,
            "{path}: the notes follow the body under their heading: {june}"
        );
        assert!(
            !content(&feed.entries[0]).contains("Notes to editors"),
            "{path}: no notes, no heading"
        );
        assert!(!text.contains("Hidden"), "{path} shows a hidden item:\n{text}");
    }

    for missing in
        ["/feeds/pages.rss", "/feeds/news.xml", "/feeds/news", "/feeds/press-releases.html"]
    {
        assert_eq!(get(&app, missing).await.status(), 404, "{missing}");
    }
}
e2e!(feeds_hold_every_published_item_once_newest_first_and_nothing_else);

async fn feeds_answer_304_while_current_and_change_when_content_does(app: TestApp) {
    let token = editor(&app).await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"First\", publishedAt: \"2024-01-01T09:00:00Z\" }",
    )
    .await;
    let second = published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Second\", publishedAt: \"2024-02-01T09:00:00Z\" }",
    )
    .await;
    let url = app.url("/feeds/news.atom");

    let first = get(&app, "/feeds/news.atom").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()[ETAG].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
        "a strong ETag: {etag}"
    );
    assert_eq!(first.headers()["cache-control"], "public, max-age=60");
    let last_modified = first.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
    let body = first.bytes().await.unwrap();

    let again = get(&app, "/feeds/news.atom").await;
    assert_eq!(again.headers()[ETAG].to_str().unwrap(), etag, "the same bytes, the same ETag");
    assert_eq!(again.bytes().await.unwrap(), body);

    let cached = app.client.get(&url).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.headers()[ETAG].to_str().unwrap(), etag);
    assert!(cached.bytes().await.unwrap().is_empty());
    let listed = app
        .client
        .get(&url)
        .header(IF_NONE_MATCH, format!("\"other\", {etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 304, "one of several tags matches");
    let since =
        app.client.get(&url).header(IF_MODIFIED_SINCE, &last_modified).send().await.unwrap();
    assert_eq!(since.status(), 304, "If-Modified-Since alone");
    let both = app
        .client
        .get(&url)
        .header(IF_NONE_MATCH, "\"other\"")
        .header(IF_MODIFIED_SINCE, &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 200, "If-None-Match wins over If-Modified-Since");
    let old = app
        .client
        .get(&url)
        .header(IF_MODIFIED_SINCE, "Mon, 01 Jan 2024 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 200);

    let head = app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()[CONTENT_TYPE], "application/atom+xml; charset=utf-8");
    assert_eq!(head.headers()[ETAG].to_str().unwrap(), etag);
    assert!(head.bytes().await.unwrap().is_empty());

    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Third\", publishedAt: \"2024-03-01T09:00:00Z\" }",
    )
    .await;
    let changed = app.client.get(&url).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200, "a new item makes the old copy stale");
    let new_etag = changed.headers()[ETAG].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    let feed = feed_rs::parser::parse(&changed.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries.len(), 3);

    // Every item was last written long ago; the feed's date follows.
    content_item::Entity::update_many()
        .col_expr(content_item::Column::UpdatedAt, Expr::value(at("2024-06-01T00:00:00Z")))
        .exec(app.db().conn())
        .await
        .unwrap();
    content_change::Entity::update_many()
        .col_expr(content_change::Column::At, Expr::value(at("2024-06-01T00:00:00Z")))
        .exec(app.db().conn())
        .await
        .unwrap();
    let dated = get(&app, "/feeds/news.atom").await;
    let last_modified = dated.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
    assert_eq!(last_modified, "Sat, 01 Jun 2024 00:00:00 GMT");
    // Taking the newest item away is a change too, though no item left in the feed changed.
    let query = "mutation($id: ID!) { unpublishNewsArticle(id: $id) { status } }";
    data(&app.gql_as(&token, query, json!({ "id": second })).await);
    let after =
        app.client.get(&url).header(IF_MODIFIED_SINCE, &last_modified).send().await.unwrap();
    assert_eq!(after.status(), 200, "a removal is not hidden by If-Modified-Since");
    let feed = feed_rs::parser::parse(&after.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries.iter().map(title).collect::<Vec<_>>(), ["Third", "First"]);
}
e2e!(feeds_answer_304_while_current_and_change_when_content_does);

async fn feeds_link_to_the_site_and_fall_back_to_the_request_host(mut app: TestApp) {
    let token = editor(&app).await;
    published(&app, &token, "PressRelease", "{ title: \"A release\", slug: \"a-release\" }").await;

    // No public URL: the request's host and forwarded scheme.
    let response = app
        .client
        .get(app.url("/feeds/press-releases.json"))
        .header("host", "cms.example.org")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(response.headers()["vary"].to_str().unwrap().contains("X-Forwarded-Proto"));
    let feed = feed_rs::parser::parse(&response.bytes().await.unwrap()[..]).unwrap();
    let hrefs: Vec<_> = feed.links.iter().map(|l| l.href.as_str()).collect();
    assert!(hrefs.contains(&"https://cms.example.org/feeds/press-releases.json"), "{hrefs:?}");
    assert_eq!(feed.entries[0].links[0].href, "https://cms.example.org/press/a-release");

    app.reconfigure(|config| {
        config.media.public_url = Some("https://cms.example.org/".into());
        config.feeds.feed_site_url = Some("https://www.example.org".into());
        config.feeds.feed_site_name = "LLS".into();
        config.feeds.feed_press_release_link = "https://press.example.org/{id}/{slug}".into();
        config.feeds.feed_max_age = 300;
    })
    .await;
    let response = get(&app, "/feeds/press-releases.rss").await;
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert!(response.headers().get("vary").is_none());
    let feed = feed_rs::parser::parse(&response.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.title.unwrap().content, "LLS: Press releases");
    let hrefs: Vec<_> = feed.links.iter().map(|l| l.href.as_str()).collect();
    assert!(hrefs.contains(&"https://cms.example.org/feeds/press-releases.rss"), "{hrefs:?}");
    assert!(hrefs.contains(&"https://www.example.org/"), "{hrefs:?}");
    let entry = &feed.entries[0];
    let uuid = entry.id.strip_prefix("urn:uuid:").unwrap();
    assert_eq!(entry.links[0].href, format!("https://press.example.org/{uuid}/a-release"));
    let (feed, _) = fetch(&app, "/feeds/news.atom", "application/atom+xml; charset=utf-8").await;
    assert!(feed.entries.is_empty(), "an empty feed is still a feed");
}
e2e!(feeds_link_to_the_site_and_fall_back_to_the_request_host);

async fn the_example_site_has_valid_feeds(app: TestApp) {
    let site = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls"));
    quire_api::seed::load(app.db(), &app.storage(), site).await.unwrap();
    let lists = app
        .gql(
            "{ news(first: 100) { totalCount } pressReleases(first: 100) { totalCount } }",
            json!({}),
        )
        .await;
    let counts = [
        ("news", data(&lists)["news"]["totalCount"].as_u64().unwrap()),
        ("press-releases", data(&lists)["pressReleases"]["totalCount"].as_u64().unwrap()),
    ];
    for (name, count) in counts {
        assert!(count >= 2, "{name}: {count}");
        for (ext, media_type, feed_type) in FORMATS {
            let path = format!("/feeds/{name}.{ext}");
            let (feed, _) = fetch(&app, &path, media_type).await;
            assert_eq!(feed.feed_type, feed_type);
            assert_eq!(feed.entries.len() as u64, count, "{path}");
            let dates: Vec<_> = feed.entries.iter().map(|e| e.published.unwrap()).collect();
            assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{path}: newest first: {dates:?}");
            for entry in &feed.entries {
                assert!(entry.id.starts_with("urn:uuid:"), "{path}");
                assert!(!title(entry).is_empty(), "{path}");
                // The example site's settings name its front-end and its URL patterns.
                let section = if name == "news" { "news" } else { "press" };
                let site = format!("https://www.lls.example.org/{section}/");
                assert!(entry.links[0].href.starts_with(&site), "{path}");
                assert!(content(entry).contains("<p>"), "{path}: {}", title(entry));
            }
            if name == "press-releases" {
                assert!(
                    feed.entries.iter().any(|e| content(e).contains("Notes to editors")),
                    "{path}"
                );
            }
        }
    }
}
e2e!(the_example_site_has_valid_feeds);
