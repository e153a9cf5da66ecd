//! The site's structure over HTTP: settings with versions, addresses from URL patterns,
//! SEO fallbacks, menus and related content that hide what the caller cannot see.

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{create, editor, id_of, published, refused};
use crate::support::{TestApp, data, e2e, error_field};

const SETTINGS: &str = "{ siteSettings { name tagline url version urlPatterns { page newsArticle pressRelease booklet } socialLinks { label url } homePage { title } } }";
const UPDATE: &str = "mutation($input: SiteSettingsInput!, $v: Int) { updateSiteSettings(input: $input, expectedVersion: $v) { name url version urlPatterns { newsArticle } socialLinks { label url } } }";

async fn update(app: &TestApp, token: &str, input: Value, version: Option<i32>) -> Value {
    app.gql_as(token, UPDATE, json!({ "input": input, "v": version })).await
}

async fn site_settings_are_one_versioned_record_that_refuses_stale_and_bad_changes(app: TestApp) {
    let token = editor(&app).await;
    let response = app.gql(SETTINGS, json!({})).await;
    let settings = &data(&response)["siteSettings"];
    assert_eq!(settings["version"], 0);
    assert_eq!(
        settings["urlPatterns"],
        json!({ "page": "/{path}", "newsArticle": "/news/{slug}", "pressRelease": "/press/{slug}", "booklet": "/booklets/{slug}" })
    );

    let input = json!({ "name": "LLS", "url": "https://www.lls.example.org/", "socialLinks": [{ "label": "Follow LLS on Twitter", "url": "https://twitter.com/lls" }] });
    let response = update(&app, &token, input.clone(), Some(0)).await;
    let saved = &data(&response)["updateSiteSettings"];
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["url"], "https://www.lls.example.org");
    assert_eq!(saved["socialLinks"][0]["label"], "Follow LLS on Twitter");

    // A second editor who read version 0 cannot write over the first.
    let stale = update(&app, &token, json!({ "name": "Other" }), Some(0)).await;
    assert_eq!(crate::support::error_code(&stale), "CONFLICT", "{stale}");

    for (input, field) in [
        (json!({ "url": "ftp://x" }), "url"),
        (json!({ "urlPatterns": { "newsArticle": "/news/{title}" } }), "urlPatterns.newsArticle"),
        (json!({ "urlPatterns": { "page": "pages/{path}" } }), "urlPatterns.page"),
        (
            json!({ "socialLinks": [{ "label": "", "url": "https://x.example" }] }),
            "socialLinks.0.label",
        ),
        (
            json!({ "socialLinks": [{ "label": "x", "url": "javascript:alert(1)" }] }),
            "socialLinks.0.url",
        ),
        (json!({ "logoId": "nope" }), "logoId"),
    ] {
        let response = update(&app, &token, input.clone(), None).await;
        assert_eq!(crate::support::error_code(&response), "BAD_USER_INPUT", "{input}: {response}");
        assert_eq!(error_field(&response), field, "{input}");
    }
    let response = app.gql(SETTINGS, json!({})).await;
    assert_eq!(data(&response)["siteSettings"]["version"], 1, "refused changes changed nothing");
    assert_eq!(data(&response)["siteSettings"]["name"], "LLS");

    let author = crate::fixtures::user(&app, "author@example.org", Role::Author).await.token;
    let mutation = "mutation { updateSiteSettings(input: { name: \"x\" }) { version } }";
    assert_eq!(refused(&app, Some(&author), mutation, json!({})).await, "FORBIDDEN");
    assert_eq!(refused(&app, None, mutation, json!({})).await, "UNAUTHENTICATED");
}
e2e!(site_settings_are_one_versioned_record_that_refuses_stale_and_bad_changes);

const URLS: &str = "query($page: String!) { page(path: $page) { url } news(first: 1) { nodes { url } } pressReleases(first: 1) { nodes { url } } booklets(first: 1) { nodes { url } } testimonials(first: 1) { nodes { url } } }";

fn urls(response: &Value) -> Vec<Value> {
    let d = data(response);
    vec![
        d["page"]["url"].clone(),
        d["news"]["nodes"][0]["url"].clone(),
        d["pressReleases"]["nodes"][0]["url"].clone(),
        d["booklets"]["nodes"][0]["url"].clone(),
        d["testimonials"]["nodes"][0]["url"].clone(),
    ]
}

async fn every_url_is_made_from_the_patterns_and_follows_their_changes(app: TestApp) {
    let token = editor(&app).await;
    let about = published(&app, &token, "Page", "{ title: \"About\", slug: \"about\" }").await;
    published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Team\", slug: \"team\", parentId: \"{about}\" }}"),
    )
    .await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"A story\", slug: \"a-story\", publishedAt: \"2024-03-05T09:00:00Z\" }",
    )
    .await;
    published(&app, &token, "PressRelease", "{ title: \"A release\", slug: \"a-release\" }").await;
    let file = crate::statements::insert_asset(&app, "b.pdf", "application/pdf").await;
    published(
        &app,
        &token,
        "Booklet",
        &format!("{{ title: \"A booklet\", slug: \"a-booklet\", fileId: \"{file}\" }}"),
    )
    .await;
    published(&app, &token, "Testimonial", "{ quote: \"Great\", authorName: \"A Head\" }").await;

    let vars = json!({ "page": "about/team" });
    let response = app.gql(URLS, vars.clone()).await;
    assert_eq!(
        urls(&response),
        vec![
            json!("/about/team"),
            json!("/news/a-story"),
            json!("/press/a-release"),
            json!("/booklets/a-booklet"),
            Value::Null
        ]
    );

    let input = json!({
        "url": "https://www.example.org",
        "homePageId": about,
        "urlPatterns": { "page": "/pages/{path}", "newsArticle": "/{year}/{month}/{slug}", "pressRelease": "https://press.example.org/{id}", "booklet": "/downloads/{slug}" }
    });
    data(&update(&app, &token, input, None).await);
    let response = app.gql(URLS, vars).await;
    let got = urls(&response);
    assert_eq!(got[0], "https://www.example.org/pages/about/team");
    assert_eq!(got[1], "https://www.example.org/2024/03/a-story");
    assert!(got[2].as_str().unwrap().starts_with("https://press.example.org/0"), "{got:?}");
    assert_eq!(got[3], "https://www.example.org/downloads/a-booklet");
    let home = app
        .gql("{ page(path: \"about\") { url } siteSettings { homePage { title } } }", json!({}))
        .await;
    assert_eq!(data(&home)["page"]["url"], "https://www.example.org/");
    assert_eq!(data(&home)["siteSettings"]["homePage"]["title"], "About");

    // The feeds build their links from the same patterns.
    let feed: Value =
        app.client.get(app.url("/feeds/news.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(feed["items"][0]["url"], "https://www.example.org/2024/03/a-story");
    assert_eq!(feed["home_page_url"], "https://www.example.org/");
}
e2e!(every_url_is_made_from_the_patterns_and_follows_their_changes);

const SEO: &str = "query($slug: String!) { newsArticle(slug: $slug) { url seo { title description image { filename } canonicalUrl noIndex } } }";

async fn seo_falls_back_to_the_items_own_fields_then_the_sites(app: TestApp) {
    let token = editor(&app).await;
    let hero = crate::statements::insert_asset(&app, "hero.jpg", "image/jpeg").await;
    let share = crate::statements::insert_asset(&app, "share.jpg", "image/jpeg").await;
    data(&update(&app, &token, json!({ "tagline": "Schools helping schools" }), None).await);
    published(
        &app,
        &token,
        "NewsArticle",
        &format!("{{ title: \"Plain\", slug: \"plain\", heroImageId: \"{hero}\" }}"),
    )
    .await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Bare\", slug: \"bare\", summary: \"In short\" }",
    )
    .await;
    let set = published(&app, &token, "NewsArticle", &format!("{{ title: \"Set\", slug: \"set\", seo: {{ title: \"SEO title\", description: \"SEO text\", imageId: \"{share}\", canonicalUrl: \"https://elsewhere.example/set\", noIndex: true }} }}")).await;

    let seo = |slug: &'static str| {
        let app = &app;
        async move { data(&app.gql(SEO, json!({ "slug": slug })).await)["newsArticle"].clone() }
    };
    let plain = seo("plain").await;
    assert_eq!(plain["seo"]["title"], "Plain");
    assert_eq!(plain["seo"]["description"], "Schools helping schools");
    assert_eq!(plain["seo"]["image"]["filename"], "hero.jpg");
    assert_eq!(plain["seo"]["canonicalUrl"], plain["url"]);
    assert_eq!(plain["seo"]["noIndex"], false);
    assert_eq!(seo("bare").await["seo"]["description"], "In short");
    let own = seo("set").await;
    assert_eq!(
        own["seo"],
        json!({ "title": "SEO title", "description": "SEO text", "image": { "filename": "share.jpg" }, "canonicalUrl": "https://elsewhere.example/set", "noIndex": true })
    );

    // `null` clears a field back to its fallback; a bad canonical URL is refused.
    let clear = format!(
        "mutation {{ updateNewsArticle(id: \"{set}\", input: {{ seo: {{ title: null }} }}) {{ seo {{ title noIndex }} }} }}"
    );
    let cleared = app.gql_as(&token, &clear, json!({})).await;
    assert_eq!(
        data(&cleared)["updateNewsArticle"]["seo"],
        json!({ "title": "Set", "noIndex": true })
    );
    let bad = format!(
        "mutation {{ updateNewsArticle(id: \"{set}\", input: {{ seo: {{ canonicalUrl: \"javascript:x\" }} }}) {{ id }} }}"
    );
    let response = app.gql_as(&token, &bad, json!({})).await;
    assert_eq!(crate::support::error_code(&response), "BAD_USER_INPUT");
    assert_eq!(error_field(&response), "seo.canonicalUrl");
}
e2e!(seo_falls_back_to_the_items_own_fields_then_the_sites);

const MENU: &str = "{ menu(name: \"header\") { name version items { label url target { id } children { label url } } } }";
const SAVE_MENU: &str = "mutation($items: [MenuItemInput!]!, $v: Int) { saveMenu(name: \"header\", items: $items, expectedVersion: $v) { version } }";

fn labels(menu: &Value) -> Vec<String> {
    menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

async fn a_menu_item_to_a_draft_is_hidden_from_the_public_until_it_is_published(app: TestApp) {
    let token = editor(&app).await;
    let about = published(&app, &token, "Page", "{ title: \"About\", slug: \"about\" }").await;
    let draft =
        id_of(&create(&app, &token, "NewsArticle", "{ title: \"Soon\", slug: \"soon\" }").await);
    let items = json!([
        { "label": "About", "targetId": about, "children": [{ "label": "Elsewhere", "url": "https://example.org/" }] },
        { "label": "Soon", "targetId": draft },
        { "label": "News", "url": "/news" },
    ]);
    let saved = app.gql_as(&token, SAVE_MENU, json!({ "items": items, "v": 0 })).await;
    assert_eq!(data(&saved)["saveMenu"]["version"], 1);

    let public = app.gql(MENU, json!({})).await;
    let menu = &data(&public)["menu"];
    assert_eq!(labels(menu), ["About", "News"]);
    assert_eq!(menu["items"][0]["url"], "/about");
    assert_eq!(menu["items"][0]["target"]["id"], json!(about));
    assert_eq!(menu["items"][0]["children"][0]["url"], "https://example.org/");
    let staff = app.gql_as(&token, MENU, json!({})).await;
    assert_eq!(labels(&data(&staff)["menu"]), ["About", "Soon", "News"]);

    crate::fixtures::publish(&app, &token, "NewsArticle", &draft).await;
    let public = app.gql(MENU, json!({})).await;
    assert_eq!(labels(&data(&public)["menu"]), ["About", "Soon", "News"]);
    assert_eq!(data(&public)["menu"]["items"][1]["url"], "/news/soon");

    // Saved whole, with a version: a stale save and a bad item change nothing.
    let stale = app.gql_as(&token, SAVE_MENU, json!({ "items": [], "v": 0 })).await;
    assert_eq!(crate::support::error_code(&stale), "CONFLICT");
    let both = json!([{ "label": "x", "targetId": about, "url": "/x" }]);
    let bad = app.gql_as(&token, SAVE_MENU, json!({ "items": both, "v": 1 })).await;
    assert_eq!(crate::support::error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_field(&bad), "items.0.targetId");
    let unsafe_url = json!([{ "label": "x", "url": "javascript:alert(1)" }]);
    let bad = app.gql_as(&token, SAVE_MENU, json!({ "items": unsafe_url, "v": 1 })).await;
    assert_eq!(error_field(&bad), "items.0.url");
    assert_eq!(data(&app.gql(MENU, json!({})).await)["menu"]["version"], 1);
    assert!(data(&app.gql("{ menu(name: \"nope\") { name } }", json!({})).await)["menu"].is_null());

    // Like content, each save is a revision and in the audit log.
    let items = json!([{ "label": "News", "url": "/news" }]);
    data(&app.gql_as(&token, SAVE_MENU, json!({ "items": items, "v": 1 })).await);
    let history = "{ menu(name: \"header\") { revisions { version items { label } } } }";
    let revisions = app.gql_as(&token, history, json!({})).await;
    let revisions = &data(&revisions)["menu"]["revisions"];
    assert_eq!(revisions[0], json!({ "version": 2, "items": [{ "label": "News" }] }));
    assert_eq!(revisions[1]["version"], 1);
    assert_eq!(revisions[1]["items"].as_array().unwrap().len(), 3);
    let admin = app.create_token(Role::Admin).await;
    let log = app.gql_as(&admin, "{ auditLog(first: 5) { nodes { action } } }", json!({})).await;
    let actions: Vec<&str> = data(&log)["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["action"].as_str())
        .collect();
    assert!(actions.contains(&"menu.save"), "{actions:?}");
    let deleted = app.gql_as(&token, "mutation { deleteMenu(name: \"header\") }", json!({})).await;
    assert_eq!(data(&deleted)["deleteMenu"], true);
    assert!(data(&app.gql(MENU, json!({})).await)["menu"].is_null());
}
e2e!(a_menu_item_to_a_draft_is_hidden_from_the_public_until_it_is_published);

const RELATED: &str = "query($slug: String!) { pressRelease(slug: $slug) { related { __typename ... on NewsArticle { title } ... on Booklet { title } } } }";

fn titles(response: &Value) -> Vec<String> {
    data(response)["pressRelease"]["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect()
}

async fn related_drafts_are_hidden_and_the_editors_order_kept(app: TestApp) {
    let token = editor(&app).await;
    let story = published(&app, &token, "NewsArticle", "{ title: \"The story\" }").await;
    let draft = id_of(&create(&app, &token, "NewsArticle", "{ title: \"The draft\" }").await);
    let file = crate::statements::insert_asset(&app, "b.pdf", "application/pdf").await;
    let booklet = published(
        &app,
        &token,
        "Booklet",
        &format!("{{ title: \"The booklet\", fileId: \"{file}\" }}"),
    )
    .await;
    published(&app, &token, "PressRelease", &format!("{{ title: \"Release\", slug: \"release\", relatedIds: [\"{draft}\", \"{booklet}\", \"{story}\"] }}")).await;

    let vars = json!({ "slug": "release" });
    assert_eq!(titles(&app.gql(RELATED, vars.clone()).await), ["The booklet", "The story"]);
    assert_eq!(
        titles(&app.gql_as(&token, RELATED, vars.clone()).await),
        ["The draft", "The booklet", "The story"]
    );
    crate::fixtures::publish(&app, &token, "NewsArticle", &draft).await;
    assert_eq!(
        titles(&app.gql(RELATED, vars.clone()).await),
        ["The draft", "The booklet", "The story"]
    );

    // Bad lists are refused whole.
    for ids in [json!(["nope"]), json!([story, story])] {
        let mutation = "mutation($ids: [ID!]) { createPressRelease(input: { title: \"x\", relatedIds: $ids }) { id } }";
        let response = app.gql_as(&token, mutation, json!({ "ids": ids })).await;
        assert_eq!(crate::support::error_code(&response), "BAD_USER_INPUT", "{response}");
        assert_eq!(error_field(&response), "relatedIds");
    }
}
e2e!(related_drafts_are_hidden_and_the_editors_order_kept);
