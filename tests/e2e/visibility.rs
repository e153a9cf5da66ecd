//! The public sees published content whose time has come, and nothing else, on every path.

use serde_json::json;

use crate::fixtures::{create, editor, id_of, published};
use crate::support::{TestApp, data, e2e};

async fn drafts_are_invisible_to_the_public_everywhere(app: TestApp) {
    let token = editor(&app).await;
    let draft_page =
        id_of(&create(&app, &token, "Page", "{ title: \"Secret page\", slug: \"secret\" }").await);
    let public_page =
        published(&app, &token, "Page", "{ title: \"Open page\", slug: \"open\" }").await;
    create(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Draft child\", parentId: \"{public_page}\" }}"),
    )
    .await;
    // A page published below one that is then unpublished goes out of view with it.
    let hidden_parent = published(&app, &token, "Page", "{ title: \"Hidden parent\" }").await;
    let orphan = published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Public child\", parentId: \"{hidden_parent}\" }}"),
    )
    .await;
    data(
        &app.gql_as(
            &token,
            "mutation($id: ID!) { unpublishPage(id: $id) { id } }",
            json!({ "id": hidden_parent }),
        )
        .await,
    );
    let news = id_of(
        &create(&app, &token, "NewsArticle", "{ title: \"Secret news\", slug: \"secret\" }").await,
    );
    let release = id_of(
        &create(&app, &token, "PressRelease", "{ title: \"Secret release\", slug: \"secret\" }")
            .await,
    );
    let booklet = id_of(
        &create(&app, &token, "Booklet", "{ title: \"Secret booklet\", slug: \"secret\" }").await,
    );
    let testimonial = id_of(
        &create(&app, &token, "Testimonial", "{ quote: \"Secret\", authorName: \"X\" }").await,
    );

    let lookups = app
        .gql(
            "query($t: ID!) { page(path: \"secret\") { id } newsArticle(slug: \"secret\") { id } pressRelease(slug: \"secret\") { id } booklet(slug: \"secret\") { id } testimonial(id: $t) { id } }",
            json!({ "t": testimonial }),
        )
        .await;
    for field in ["page", "newsArticle", "pressRelease", "booklet", "testimonial"] {
        assert!(data(&lookups)[field].is_null(), "{field} leaked a draft");
    }
    for id in [&draft_page, &orphan, &news, &release, &booklet, &testimonial] {
        let node = app.gql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert!(data(&node)["node"].is_null(), "node leaked a draft");
    }
    let lists = app
        .gql(
            "{ pages { totalCount nodes { title } } news { totalCount nodes { title } } pressReleases { totalCount } booklets { totalCount } testimonials { totalCount }
                   drafts: news(filter: { status: [DRAFT] }) { totalCount } }",
            json!({}),
        )
        .await;
    let lists = data(&lists);
    assert_eq!(lists["pages"]["totalCount"], 1, "only the page in view: {lists}");
    for list in ["news", "pressReleases", "booklets", "testimonials", "drafts"] {
        assert_eq!(lists[list]["totalCount"], 0, "{list} leaked a draft");
    }
    let children = app.gql("{ page(path: \"open\") { children { title } } }", json!({})).await;
    assert_eq!(data(&children)["page"]["children"], json!([]), "children leaked a draft");

    // Editors see everything, and can ask for drafts only.
    let staff = app.gql_as(&token, "{ news { totalCount } drafts: pages(filter: { status: [DRAFT] }) { totalCount } page(path: \"secret\") { title } }", json!({})).await;
    assert_eq!(data(&staff)["news"]["totalCount"], 1);
    assert_eq!(data(&staff)["drafts"]["totalCount"], 3);
    assert_eq!(data(&staff)["page"]["title"], "Secret page");
}
e2e!(drafts_are_invisible_to_the_public_everywhere);

async fn a_future_publication_time_is_an_embargo(app: TestApp) {
    let token = editor(&app).await;
    let id = published(
        &app,
        &token,
        "PressRelease",
        "{ title: \"Embargoed\", publishedAt: \"2999-01-01T00:01:00Z\" }",
    )
    .await;
    let public = app
        .gql("query($id: ID!) { pressRelease(slug: \"embargoed\") { id } pressReleases { totalCount } node(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert!(data(&public)["pressRelease"].is_null());
    assert_eq!(data(&public)["pressReleases"]["totalCount"], 0);
    assert!(data(&public)["node"].is_null());
    let staff =
        app.gql_as(&token, "{ pressRelease(slug: \"embargoed\") { status } }", json!({})).await;
    assert_eq!(data(&staff)["pressRelease"]["status"], "PUBLISHED");
}
e2e!(a_future_publication_time_is_an_embargo);
