//! `/sitemap.xml`, read with a real XML parser: exactly the published items with an
//! address and without `noIndex`, in the sitemaps.org format, with conditional GET.

use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::json;

use crate::fixtures::{create, editor, id_of, published};
use crate::support::{TestApp, data, e2e};

const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// The sitemap's `<loc>`s, checked against the protocol as they are read.
async fn locations(app: &TestApp) -> (Vec<String>, String) {
    let response = app.client.get(app.url("/sitemap.xml")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/xml; charset=utf-8");
    let etag = response.headers()[ETAG].to_str().unwrap().to_string();
    let text = response.text().await.unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(root.tag_name().namespace(), Some(NAMESPACE));
    let mut locs = Vec::new();
    for url in root.children().filter(|n| n.is_element()) {
        assert_eq!(url.tag_name().name(), "url");
        let children: Vec<_> = url.children().filter(|n| n.is_element()).collect();
        let names: Vec<_> = children.iter().map(|n| n.tag_name().name()).collect();
        assert_eq!(names, ["loc", "lastmod"], "{text}");
        let loc = children[0].text().unwrap().to_string();
        assert!(loc.starts_with("https://www.example.org/") && loc.len() <= 2048, "{loc}");
        // W3C Datetime, as the protocol asks.
        chrono::DateTime::parse_from_rfc3339(children[1].text().unwrap()).unwrap();
        locs.push(loc);
    }
    locs.sort();
    (locs, etag)
}

async fn the_sitemap_lists_exactly_the_published_indexable_items(app: TestApp) {
    let token = editor(&app).await;
    let settings =
        "mutation { updateSiteSettings(input: { url: \"https://www.example.org\" }) { version } }";
    data(&app.gql_as(&token, settings, json!({})).await);
    let about = published(&app, &token, "Page", "{ title: \"About\", slug: \"about\" }").await;
    published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Team & co\", slug: \"team\", parentId: \"{about}\" }}"),
    )
    .await;
    published(&app, &token, "NewsArticle", "{ title: \"Shown\", slug: \"shown\" }").await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Hidden\", slug: \"hidden\", seo: { noIndex: true } }",
    )
    .await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Later\", slug: \"later\", publishedAt: \"2999-01-01T00:00:00Z\" }",
    )
    .await;
    published(&app, &token, "Testimonial", "{ quote: \"Great\", authorName: \"A Head\" }").await;
    let draft =
        id_of(&create(&app, &token, "PressRelease", "{ title: \"Draft\", slug: \"draft\" }").await);
    let trashed =
        published(&app, &token, "PressRelease", "{ title: \"Gone\", slug: \"gone\" }").await;
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { deletePressRelease(id: $id) }",
            json!({ "id": trashed }),
        )
        .await,
    );

    let (locs, etag) = locations(&app).await;
    assert_eq!(
        locs,
        [
            "https://www.example.org/about",
            "https://www.example.org/about/team",
            "https://www.example.org/news/shown"
        ]
    );

    // A copy still current is answered 304 with no body.
    let again =
        app.client.get(app.url("/sitemap.xml")).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    crate::fixtures::publish(&app, &token, "PressRelease", &draft).await;
    let (locs, new_etag) = locations(&app).await;
    assert!(locs.contains(&"https://www.example.org/press/draft".to_string()), "{locs:?}");
    assert_ne!(etag, new_etag, "publishing changes the ETag");
    let stale =
        app.client.get(app.url("/sitemap.xml")).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(stale.status(), 200);
}
e2e!(the_sitemap_lists_exactly_the_published_indexable_items);
