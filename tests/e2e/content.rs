//! Creating, reading, changing, publishing and deleting every content type.

use serde_json::{Value, json};

use crate::fixtures::{TYPES, create, editor, id_of, publish, published};
use crate::support::{TestApp, data, e2e, error_code, error_field};

async fn every_type_goes_through_its_whole_life(app: TestApp) {
    let token = editor(&app).await;
    for (type_name, input, update, field, expected) in TYPES {
        let item = create(&app, &token, type_name, input).await;
        let id = id_of(&item);
        assert_eq!(item["status"], "DRAFT", "{type_name}");
        assert_eq!(item["version"], 1);

        let query = format!(
            "mutation($id: ID!) {{ item: update{type_name}(id: $id, input: {update}, expectedVersion: 1) {{ {field} version }} }}"
        );
        let updated = app.gql_as(&token, &query, json!({ "id": id })).await;
        assert_eq!(data(&updated)["item"][field], expected, "{type_name}");
        assert_eq!(data(&updated)["item"]["version"], 2);

        let node = app
            .gql_as(
                &token,
                "query($id: ID!) { node(id: $id) { id __typename } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data(&node)["node"]["__typename"], type_name);

        let item = publish(&app, &token, type_name, &id).await;
        assert_eq!(item["status"], "PUBLISHED");
        assert_eq!(item["version"], 3);
        assert!(item["publishedAt"].is_string());
        let public = app.gql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(
            data(&public)["node"]["id"],
            id.as_str(),
            "{type_name} is public once published"
        );

        let query = format!(
            "mutation($id: ID!) {{ item: unpublish{type_name}(id: $id) {{ status version }} }}"
        );
        let item = app.gql_as(&token, &query, json!({ "id": id })).await;
        assert_eq!(data(&item)["item"]["status"], "DRAFT");
        assert_eq!(data(&item)["item"]["version"], 4);
        let public = app.gql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert!(data(&public)["node"].is_null(), "{type_name} is hidden once unpublished");

        let query = format!("mutation($id: ID!) {{ deleted: delete{type_name}(id: $id) }}");
        let deleted = app.gql_as(&token, &query, json!({ "id": id })).await;
        assert_eq!(data(&deleted)["deleted"], id.as_str());
        let gone = app
            .gql_as(&token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert!(data(&gone)["node"].is_null());
        let again = app.gql_as(&token, &query, json!({ "id": id })).await;
        assert_eq!(error_code(&again), "NOT_FOUND");
    }
}
e2e!(every_type_goes_through_its_whole_life);

async fn pages_form_a_tree_of_paths(app: TestApp) {
    let token = editor(&app).await;
    let about = published(&app, &token, "Page", "{ title: \"About us\", slug: \"about\" }").await;
    let team = published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Our team\", parentId: \"{about}\", position: 2 }}"),
    )
    .await;
    let history = published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"History\", parentId: \"{about}\", position: 1 }}"),
    )
    .await;
    let leaders =
        published(&app, &token, "Page", &format!("{{ title: \"Leaders\", parentId: \"{team}\" }}"))
            .await;

    let tree = app
        .gql(
            "{ page(path: \"/about/\") { path children { path position parent { path } } } }",
            json!({}),
        )
        .await;
    let page = &data(&tree)["page"];
    assert_eq!(page["path"], "about");
    let children: Vec<&str> =
        page["children"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(children, ["about/history", "about/our-team"], "children come in position order");
    assert_eq!(page["children"][0]["parent"]["path"], "about");

    // Renaming a page moves every page below it.
    let renamed = app
        .gql_as(
            &token,
            "mutation($id: ID!) { updatePage(id: $id, input: { slug: \"who-we-are\" }) { path } }",
            json!({ "id": about }),
        )
        .await;
    assert_eq!(data(&renamed)["updatePage"]["path"], "who-we-are");
    let moved =
        app.gql("{ page(path: \"who-we-are/our-team/leaders\") { title } }", json!({})).await;
    assert_eq!(data(&moved)["page"]["title"], "Leaders");
    let old = app.gql("{ page(path: \"about/our-team\") { title } }", json!({})).await;
    assert!(data(&old)["page"].is_null());

    // A page cannot go below itself.
    let cycle = app
        .gql_as(&token, "mutation($id: ID!, $parent: ID!) { updatePage(id: $id, input: { parentId: $parent }) { path } }", json!({ "id": about, "parent": leaders }))
        .await;
    assert_eq!(error_code(&cycle), "BAD_USER_INPUT");
    assert_eq!(error_field(&cycle), "parentId");

    // Moving to the top level.
    let top = app
        .gql_as(&token, "mutation($id: ID!) { updatePage(id: $id, input: { parentId: null }) { path parent { path } } }", json!({ "id": history }))
        .await;
    assert_eq!(data(&top)["updatePage"]["path"], "history");
    assert!(data(&top)["updatePage"]["parent"].is_null());

    // Filters: top-level pages, children of one page.
    let roots =
        app.gql("{ pages(filter: { parentId: null }) { nodes { path } } }", json!({})).await;
    let roots: Vec<&str> = data(&roots)["pages"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["history", "who-we-are"]);
    let under = app
        .gql(
            "query($p: ID!) { pages(filter: { parentId: $p }) { totalCount } }",
            json!({ "p": team }),
        )
        .await;
    assert_eq!(data(&under)["pages"]["totalCount"], 1);

    // A page with children cannot be deleted.
    let refused = app
        .gql_as(&token, "mutation($id: ID!) { deletePage(id: $id) }", json!({ "id": about }))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
}
e2e!(pages_form_a_tree_of_paths);

async fn sibling_pages_need_distinct_slugs_but_cousins_may_share(app: TestApp) {
    let token = editor(&app).await;
    let a = published(&app, &token, "Page", "{ title: \"A\" }").await;
    let b = published(&app, &token, "Page", "{ title: \"B\" }").await;
    create(&app, &token, "Page", &format!("{{ title: \"Team\", parentId: \"{a}\" }}")).await;
    create(&app, &token, "Page", &format!("{{ title: \"Team\", parentId: \"{b}\" }}")).await;
    let clash = app.gql_as(&token, &format!("mutation {{ createPage(input: {{ title: \"Team\", parentId: \"{a}\" }}) {{ id }} }}"), json!({})).await;
    assert_eq!(error_code(&clash), "BAD_USER_INPUT");
    assert_eq!(error_field(&clash), "slug");
}
e2e!(sibling_pages_need_distinct_slugs_but_cousins_may_share);

async fn news_articles_carry_tags_and_filter_by_them(app: TestApp) {
    let token = editor(&app).await;
    published(&app, &token, "NewsArticle", "{ title: \"One\", tags: [\"Primary\", \" CPD \"], publishedAt: \"2014-03-01T09:00:00Z\", authorName: \"LLS\" }").await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Two\", tags: [\"secondary\"], publishedAt: \"2014-06-01T09:00:00Z\" }",
    )
    .await;
    published(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Three\", tags: [\"primary\"], publishedAt: \"2014-09-01T09:00:00Z\" }",
    )
    .await;

    let one = app
        .gql(
            "{ newsArticle(slug: \"one\") { title tags authorName heroImage { url } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&one)["newsArticle"]["tags"], json!(["cpd", "primary"]));
    assert_eq!(data(&one)["newsArticle"]["authorName"], "LLS");

    let primary = app
        .gql("{ news(filter: { tag: \"PRIMARY\" }) { totalCount nodes { title } } }", json!({}))
        .await;
    assert_eq!(data(&primary)["news"]["totalCount"], 2);
    assert_eq!(data(&primary)["news"]["nodes"], json!([{ "title": "Three" }, { "title": "One" }]));

    let range = app
        .gql("{ news(filter: { publishedAfter: \"2014-05-01T00:00:00Z\", publishedBefore: \"2014-09-01T09:00:00Z\" }) { nodes { title } } }", json!({}))
        .await;
    assert_eq!(data(&range)["news"]["nodes"], json!([{ "title": "Two" }]));

    let oldest = app.gql("{ news(orderBy: { field: PUBLISHED_AT, direction: ASC }, first: 1) { nodes { title } } }", json!({})).await;
    assert_eq!(data(&oldest)["news"]["nodes"], json!([{ "title": "One" }]));
    let by_title =
        app.gql("{ news(orderBy: { field: TITLE }) { nodes { title } } }", json!({})).await;
    assert_eq!(
        data(&by_title)["news"]["nodes"],
        json!([{ "title": "One" }, { "title": "Three" }, { "title": "Two" }])
    );

    let id = data(&app.gql("{ newsArticle(slug: \"two\") { id } }", json!({})).await)["newsArticle"]["id"].as_str().unwrap().to_string();
    let retagged = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { tags: [\"primary\"] }) { tags } }", json!({ "id": id }))
        .await;
    assert_eq!(data(&retagged)["updateNewsArticle"]["tags"], json!(["primary"]));

    let bad = app
        .gql_as(&token, "mutation { createNewsArticle(input: { title: \"X\", heroImageId: \"not-an-id\" }) { id } }", json!({}))
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_field(&bad), "heroImageId");
}
e2e!(news_articles_carry_tags_and_filter_by_them);

async fn press_releases_render_notes_to_editors(app: TestApp) {
    let token = editor(&app).await;
    let input = json!({
        "title": "Leading heads respond",
        "body": "We **welcome** the report.\n\n<script>alert('x')</script>",
        "notesToEditors": "## About us\n\n- One\n- Two\n\n[click](javascript:alert(1))",
        "location": "London",
        "publishedAt": "2014-12-08T09:00:00Z"
    });
    let created = app
        .gql_as(&token, "mutation($input: CreatePressReleaseInput!) { createPressRelease(input: $input) { id slug bodyHtml notesToEditorsHtml location } }", json!({ "input": input }))
        .await;
    let release = &data(&created)["createPressRelease"];
    assert_eq!(release["slug"], "leading-heads-respond");
    let body_html = release["bodyHtml"].as_str().unwrap();
    assert!(body_html.contains("<strong>welcome</strong>"));
    assert!(!body_html.contains("<script"));
    let notes = release["notesToEditorsHtml"].as_str().unwrap();
    assert!(notes.contains("<li>One</li>") && notes.contains("<h2>About us</h2>"));
    assert!(!notes.contains("javascript:"));
    publish(&app, &token, "PressRelease", release["id"].as_str().unwrap()).await;
    let public = app
        .gql(
            "{ pressRelease(slug: \"leading-heads-respond\") { location publishedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&public)["pressRelease"]["location"], "London");
    assert_eq!(data(&public)["pressRelease"]["publishedAt"], "2014-12-08T09:00:00+00:00");
    let list = app.gql("{ pressReleases { totalCount } }", json!({})).await;
    assert_eq!(data(&list)["pressReleases"]["totalCount"], 1);
}
e2e!(press_releases_render_notes_to_editors);

async fn testimonials_are_found_by_id_and_featured(app: TestApp) {
    let token = editor(&app).await;
    let featured = published(&app, &token, "Testimonial", "{ quote: \"Transformed our school\", authorName: \"R. Barron\", organisation: \"Edenham High School\", featured: true, position: 2 }").await;
    published(
        &app,
        &token,
        "Testimonial",
        "{ quote: \"Helpful\", authorName: \"A. Head\", authorRole: \"Headteacher\", position: 1 }",
    )
    .await;
    let one = app
        .gql(
            "query($id: ID!) { testimonial(id: $id) { quote authorName organisation featured } }",
            json!({ "id": featured }),
        )
        .await;
    assert_eq!(data(&one)["testimonial"]["organisation"], "Edenham High School");
    let list = app.gql("{ testimonials { nodes { authorName } } featured: testimonials(filter: { featured: true }) { totalCount } }", json!({})).await;
    assert_eq!(
        data(&list)["testimonials"]["nodes"],
        json!([{ "authorName": "A. Head" }, { "authorName": "R. Barron" }])
    );
    assert_eq!(data(&list)["featured"]["totalCount"], 1);
    let wrong_type = app
        .gql(
            "query($id: ID!) { booklet: node(id: $id) { __typename ... on Booklet { title } } }",
            json!({ "id": featured }),
        )
        .await;
    assert_eq!(
        data(&wrong_type)["booklet"],
        json!({ "__typename": "Testimonial" }),
        "{wrong_type}"
    );
    let empty = app
        .gql_as(
            &token,
            "mutation { createTestimonial(input: { quote: \"  \", authorName: \"X\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_field(&empty), "quote");
}
e2e!(testimonials_are_found_by_id_and_featured);

async fn booklets_link_their_files(app: TestApp) {
    let token = editor(&app).await;
    let asset = crate::statements::insert_asset(&app, "9-pillars.pdf", "application/pdf").await;
    let created = app
        .gql_as(&token, "mutation($file: ID!) { createBooklet(input: { title: \"9 Pillars of Greatness\", fileId: $file }) { id slug file { url filename mimeType byteSize } cover { url } } }", json!({ "file": asset }))
        .await;
    let booklet = &data(&created)["createBooklet"];
    assert_eq!(booklet["slug"], "9-pillars-of-greatness");
    assert_eq!(booklet["file"]["filename"], "9-pillars.pdf");
    assert!(crate::media::bare(&booklet["file"]["url"]).ends_with("/9-pillars.pdf"));
    assert!(booklet["cover"].is_null());
    let id = booklet["id"].as_str().unwrap();
    let cleared = app
        .gql_as(&token, "mutation($id: ID!) { updateBooklet(id: $id, input: { fileId: null }) { file { url } } }", json!({ "id": id }))
        .await;
    assert!(data(&cleared)["updateBooklet"]["file"].is_null());
    let listed = app.gql_as(&token, "{ booklets { nodes { title } } }", json!({})).await;
    assert_eq!(data(&listed)["booklets"]["nodes"], json!([{ "title": "9 Pillars of Greatness" }]));
    let found = app
        .gql_as(&token, "{ booklet(slug: \"9-pillars-of-greatness\") { title } }", json!({}))
        .await;
    assert_eq!(data(&found)["booklet"]["title"], "9 Pillars of Greatness");
}
e2e!(booklets_link_their_files);

async fn updates_change_only_the_fields_given(app: TestApp) {
    let token = editor(&app).await;
    let created = app
        .gql_as(&token, "mutation { createNewsArticle(input: { title: \"Café Été\", summary: \"Short\", body: \"Long\" }) { id slug version } }", json!({}))
        .await;
    let article = &data(&created)["createNewsArticle"];
    assert_eq!(article["slug"], "cafe-ete", "slugs fold Unicode to ASCII");
    let id = article["id"].as_str().unwrap();

    let updated = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"New title\" }) { title slug summary body version } }", json!({ "id": id }))
        .await;
    let article = &data(&updated)["updateNewsArticle"];
    assert_eq!(article["title"], "New title");
    assert_eq!(article["slug"], "cafe-ete", "a new title keeps the slug");
    assert_eq!(article["summary"], "Short");
    assert_eq!(article["body"], "Long");
    assert_eq!(article["version"], 2);

    let cleared = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { summary: null }) { summary body } }", json!({ "id": id }))
        .await;
    assert!(data(&cleared)["updateNewsArticle"]["summary"].is_null());
    assert_eq!(data(&cleared)["updateNewsArticle"]["body"], "Long");
}
e2e!(updates_change_only_the_fields_given);

async fn a_stale_expected_version_is_a_conflict_and_changes_nothing(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Original\" }").await);
    let update = "mutation($id: ID!, $v: Int, $t: String) { updateNewsArticle(id: $id, input: { title: $t }, expectedVersion: $v) { title version } }";
    let first = app.gql_as(&token, update, json!({ "id": id, "v": 1, "t": "First" })).await;
    assert_eq!(data(&first)["updateNewsArticle"]["version"], 2);
    let stale = app.gql_as(&token, update, json!({ "id": id, "v": 1, "t": "Stale" })).await;
    assert_eq!(error_code(&stale), "CONFLICT");
    let now = app
        .gql_as(
            &token,
            "query($id: ID!) { node(id: $id) { ... on NewsArticle { title version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&now)["node"], json!({ "title": "First", "version": 2 }));
}
e2e!(a_stale_expected_version_is_a_conflict_and_changes_nothing);

async fn concurrent_saves_of_one_version_have_one_winner(app: TestApp) {
    let token = editor(&app).await;
    let id = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Contended\" }").await);
    let update = "mutation($id: ID!, $t: String) { updateNewsArticle(id: $id, input: { title: $t }, expectedVersion: 1) { version } }";
    let attempts =
        (0..8).map(|i| {
            let app = &app;
            let token = token.clone();
            let id = id.clone();
            async move {
                app.gql_as(&token, update, json!({ "id": id, "t": format!("Editor {i}") })).await
            }
        });
    let results: Vec<Value> = futures_util::future::join_all(attempts).await;
    let wins = results.iter().filter(|r| r.get("errors").is_none()).count();
    let conflicts =
        results.iter().filter(|r| r["errors"][0]["extensions"]["code"] == "CONFLICT").count();
    assert_eq!((wins, conflicts), (1, 7), "{results:#?}");
    let now = app
        .gql_as(
            &token,
            "query($id: ID!) { node(id: $id) { ... on NewsArticle { version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&now)["node"]["version"], 2);
}
e2e!(concurrent_saves_of_one_version_have_one_winner);

async fn slug_clashes_are_refused_and_change_nothing(app: TestApp) {
    let token = editor(&app).await;
    create(&app, &token, "NewsArticle", "{ title: \"Same title\" }").await;
    let clash = app
        .gql_as(
            &token,
            "mutation { createNewsArticle(input: { title: \"Same title\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&clash), "BAD_USER_INPUT");
    assert_eq!(error_field(&clash), "slug");
    let other = id_of(&create(&app, &token, "NewsArticle", "{ title: \"Other\" }").await);
    let rename = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { slug: \"same-title\" }) { id } }", json!({ "id": other }))
        .await;
    assert_eq!(error_field(&rename), "slug");
    let invalid = app
        .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { slug: \"Not A Slug\" }) { id } }", json!({ "id": other }))
        .await;
    assert_eq!(error_field(&invalid), "slug");
    let listed =
        app.gql_as(&token, "{ news { totalCount nodes { slug version } } }", json!({})).await;
    assert_eq!(data(&listed)["news"]["totalCount"], 2);
    assert!(data(&listed)["news"]["nodes"].as_array().unwrap().iter().all(|n| n["version"] == 1));
    // The same slug in another type is fine.
    create(&app, &token, "PressRelease", "{ title: \"Same title\" }").await;
}
e2e!(slug_clashes_are_refused_and_change_nothing);

async fn lists_read_long_text_only_when_asked_and_always_when_asked(app: TestApp) {
    let token = crate::fixtures::editor(&app).await;
    let news = crate::fixtures::create(
        &app,
        &token,
        "NewsArticle",
        "{ title: \"Long\", body: \"**Bold** body\" }",
    )
    .await;
    crate::fixtures::publish(&app, &token, "NewsArticle", news["id"].as_str().unwrap()).await;
    let release = crate::fixtures::create(
        &app,
        &token,
        "PressRelease",
        "{ title: \"PR\", body: \"Text\", notesToEditors: \"Notes\" }",
    )
    .await;
    crate::fixtures::publish(&app, &token, "PressRelease", release["id"].as_str().unwrap()).await;
    let query = "{
            plain: news { nodes { title } }
            direct: news { nodes { body bodyHtml } }
            edges: news { edges { node { body } } }
            inline: news { nodes { ... on NewsArticle { bodyHtml } } }
            spread: pressReleases { nodes { ...Notes } }
        }
        fragment Notes on PressRelease { notesToEditors notesToEditorsHtml }";
    let response = app.gql(query, serde_json::json!({})).await;
    let d = crate::support::data(&response);
    assert_eq!(d["plain"]["nodes"][0]["title"], "Long");
    assert_eq!(d["direct"]["nodes"][0]["body"], "**Bold** body");
    assert!(
        d["direct"]["nodes"][0]["bodyHtml"].as_str().unwrap().contains("<strong>Bold</strong>")
    );
    assert_eq!(d["edges"]["edges"][0]["node"]["body"], "**Bold** body");
    assert!(d["inline"]["nodes"][0]["bodyHtml"].as_str().unwrap().contains("<strong>"));
    assert_eq!(d["spread"]["nodes"][0]["notesToEditors"], "Notes");
    assert!(d["spread"]["nodes"][0]["notesToEditorsHtml"].as_str().unwrap().contains("Notes"));
}
e2e!(lists_read_long_text_only_when_asked_and_always_when_asked);
