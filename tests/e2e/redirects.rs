//! Redirects: recorded when a published item's address changes (for every page below a
//! moved page too), added by editors, chains answered in one step, loops refused, and
//! nothing shown of what the caller may not see.

use serde_json::{Value, json};

use crate::fixtures::{editor, published};
use crate::support::{TestApp, data, e2e, error_code, error_field};

const RESOLVE: &str = "query($p: String!) { redirect(path: $p) { to permanent } }";

async fn to(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let response = match token {
        Some(token) => app.gql_as(token, RESOLVE, json!({ "p": path })).await,
        None => app.gql(RESOLVE, json!({ "p": path })).await,
    };
    data(&response)["redirect"]["to"].clone()
}

async fn rename(app: &TestApp, token: &str, type_name: &str, id: &str, slug: &str) {
    let mutation = format!(
        "mutation($id: ID!, $slug: String!) {{ update{type_name}(id: $id, input: {{ slug: $slug }}) {{ id }} }}"
    );
    data(&app.gql_as(token, &mutation, json!({ "id": id, "slug": slug })).await);
}

async fn a_page_move_records_redirects_for_every_page_below_it(app: TestApp) {
    let token = editor(&app).await;
    let about = published(&app, &token, "Page", "{ title: \"About\", slug: \"about\" }").await;
    let team = published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Team\", slug: \"team\", parentId: \"{about}\" }}"),
    )
    .await;
    published(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Heads\", slug: \"heads\", parentId: \"{team}\" }}"),
    )
    .await;
    let draft = crate::fixtures::create(
        &app,
        &token,
        "Page",
        &format!("{{ title: \"Draft\", slug: \"draft\", parentId: \"{about}\" }}"),
    )
    .await;
    assert!(to(&app, None, "/about").await.is_null(), "no redirect before a move");

    rename(&app, &token, "Page", &about, "who-we-are").await;
    assert_eq!(to(&app, None, "/about").await, "/who-we-are");
    assert_eq!(to(&app, None, "/about/team").await, "/who-we-are/team");
    assert_eq!(to(&app, None, "about/team/heads/").await, "/who-we-are/team/heads");
    // A draft page had no public address to keep.
    assert!(to(&app, Some(&token), "/about/draft").await.is_null(), "{draft}");

    // Moved again: the first old address answers with the newest in one step.
    rename(&app, &token, "Page", &about, "us").await;
    assert_eq!(to(&app, None, "/about/team/heads").await, "/us/team/heads");
    assert_eq!(to(&app, None, "/who-we-are/team").await, "/us/team");
    let response = app.gql(RESOLVE, json!({ "p": "/about" })).await;
    assert_eq!(data(&response)["redirect"], json!({ "to": "/us", "permanent": true }));

    // Back where it began: its address is live again, so it redirects nowhere.
    rename(&app, &token, "Page", &about, "about").await;
    assert!(to(&app, None, "/about").await.is_null());
    assert_eq!(to(&app, None, "/us/team").await, "/about/team");
}
e2e!(a_page_move_records_redirects_for_every_page_below_it);

async fn a_redirect_to_what_the_public_cannot_see_is_not_shown_to_it(app: TestApp) {
    let token = editor(&app).await;
    let story =
        published(&app, &token, "NewsArticle", "{ title: \"Story\", slug: \"story\" }").await;
    rename(&app, &token, "NewsArticle", &story, "the-story").await;
    assert_eq!(to(&app, None, "/news/story").await, "/news/the-story");
    let unpublish = "mutation($id: ID!) { unpublishNewsArticle(id: $id) { id } }";
    data(&app.gql_as(&token, unpublish, json!({ "id": story })).await);
    assert!(to(&app, None, "/news/story").await.is_null(), "the draft's new slug stays hidden");
    assert_eq!(to(&app, Some(&token), "/news/story").await, "/news/the-story");

    // Renamed while a draft, then an editor's redirect to its old address: the public is
    // not led through it to the draft's new slug, which it never saw.
    rename(&app, &token, "NewsArticle", &story, "the-secret-story").await;
    data(&create(&app, &token, "/old-story", "/news/story").await);
    assert!(to(&app, None, "/old-story").await.is_null(), "the draft's slug stays hidden");
    assert_eq!(to(&app, Some(&token), "/old-story").await, "/news/the-secret-story");
}
e2e!(a_redirect_to_what_the_public_cannot_see_is_not_shown_to_it);

const CREATE: &str = "mutation($from: String!, $to: String!, $permanent: Boolean) { createRedirect(input: { from: $from, to: $to, permanent: $permanent }) { id from to permanent automatic } }";

async fn create(app: &TestApp, token: &str, from: &str, to: &str) -> Value {
    app.gql_as(token, CREATE, json!({ "from": from, "to": to })).await
}

async fn editors_redirects_collapse_chains_and_refuse_loops(app: TestApp) {
    let token = editor(&app).await;
    let a = create(&app, &token, "/a", "/b").await;
    assert_eq!(data(&a)["createRedirect"]["to"], "/b");
    assert_eq!(data(&a)["createRedirect"]["automatic"], false);
    data(&create(&app, &token, "/b/", "/c").await);
    // `/a` now goes straight to `/c`, in one answer.
    assert_eq!(to(&app, None, "/a").await, "/c");
    let list =
        app.gql_as(&token, "{ redirects(first: 10) { nodes { from to } } }", json!({})).await;
    let rows = data(&list)["redirects"]["nodes"].as_array().unwrap().clone();
    assert!(rows.contains(&json!({ "from": "/a", "to": "/c" })), "{rows:?}");

    for (from, to_path, field) in [
        ("/c", "/a", "to"),
        ("/c", "/b", "to"),
        ("/d", "/d", "to"),
        ("/a", "/e", "from"),
        ("/x", "javascript:alert(1)", "to"),
        ("", "/x", "from"),
    ] {
        let response = create(&app, &token, from, to_path).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{from} → {to_path}: {response}");
        assert_eq!(error_field(&response), field, "{from} → {to_path}");
    }
    let list = app.gql_as(&token, "{ redirects(first: 10) { nodes { id } } }", json!({})).await;
    assert_eq!(
        data(&list)["redirects"]["nodes"].as_array().unwrap().len(),
        2,
        "refused ones changed nothing"
    );

    let temporary = app
        .gql_as(
            &token,
            CREATE,
            json!({ "from": "/sale", "to": "https://shop.example.org/sale", "permanent": false }),
        )
        .await;
    let id = data(&temporary)["createRedirect"]["id"].as_str().unwrap().to_string();
    let response = app.gql(RESOLVE, json!({ "p": "/sale" })).await;
    assert_eq!(
        data(&response)["redirect"],
        json!({ "to": "https://shop.example.org/sale", "permanent": false })
    );
    let deleted = app
        .gql_as(&token, "mutation($id: ID!) { deleteRedirect(id: $id) }", json!({ "id": id }))
        .await;
    assert_eq!(data(&deleted)["deleteRedirect"], json!(id));
    assert!(to(&app, None, "/sale").await.is_null());

    assert_eq!(
        crate::fixtures::refused(&app, None, CREATE, json!({ "from": "/p", "to": "/q" })).await,
        "UNAUTHENTICATED"
    );
    let author = crate::fixtures::user(&app, "author@example.org", quire_api::auth::Role::Author)
        .await
        .token;
    assert_eq!(
        crate::fixtures::refused(&app, Some(&author), CREATE, json!({ "from": "/p", "to": "/q" }))
            .await,
        "FORBIDDEN"
    );
}
e2e!(editors_redirects_collapse_chains_and_refuse_loops);

async fn a_page_made_the_home_page_redirects_from_its_old_address(app: TestApp) {
    const HOME: &str =
        "mutation($id: ID) { updateSiteSettings(input: { homePageId: $id }) { version } }";
    let token = editor(&app).await;
    let about = published(&app, &token, "Page", "{ title: \"About\", slug: \"about\" }").await;
    let welcome =
        published(&app, &token, "Page", "{ title: \"Welcome\", slug: \"welcome\" }").await;
    let draft =
        crate::fixtures::create(&app, &token, "Page", "{ title: \"Next\", slug: \"next\" }");
    let draft = crate::fixtures::id_of(&draft.await);

    data(&app.gql_as(&token, HOME, json!({ "id": about })).await);
    assert_eq!(to(&app, None, "/about").await, "/", "the home page's old address");

    // Another page becomes home: the first has its own address again, the second's old
    // address goes to the home page.
    data(&app.gql_as(&token, HOME, json!({ "id": welcome })).await);
    assert!(to(&app, None, "/about").await.is_null(), "about lives at /about again");
    assert_eq!(to(&app, None, "/welcome").await, "/");

    // A draft made home had no public address to keep.
    data(&app.gql_as(&token, HOME, json!({ "id": draft })).await);
    assert!(to(&app, Some(&token), "/next").await.is_null());
    assert!(to(&app, None, "/welcome").await.is_null(), "welcome lives at /welcome again");
}
e2e!(a_page_made_the_home_page_redirects_from_its_old_address);
