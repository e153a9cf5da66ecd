//! The desk's files over HTTP, and what the API gained for it: these need no browser and run
//! on both databases.

use quire_api::auth::Role;
use serde_json::json;

use crate::fixtures::{PASSWORD, login, user};
use crate::media::png;
use crate::support::{TestApp, data, e2e, error_code, error_field};

/// The desk's folder in the source tree: every file in it is served.
fn desk_files() -> Vec<(String, u64)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/api/desk");
    let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (entry.file_name().into_string().unwrap(), entry.metadata().unwrap().len())
        })
        .collect();
    files.sort();
    files
}

async fn desk_is_served_from_the_binary_under_a_strict_policy(app: TestApp) {
    let client = &app.client;
    let index = client.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    let policy = index.headers()["content-security-policy"].to_str().unwrap().to_string();
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(policy.contains(part), "{part} missing from {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let etag = index.headers()["etag"].clone();
    let html = index.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="app.js">"#));
    assert!(!html.contains("style="), "no inline styles");
    assert!(!html.contains("://"), "nothing from another origin");

    let again = client.get(app.url("/admin/")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/admin/");

    let mut total = 0;
    for (name, size) in desk_files() {
        let response = client.get(app.url(&format!("/admin/{name}"))).send().await.unwrap();
        assert_eq!(response.status(), 200, "{name} is served");
        assert!(response.headers().contains_key("content-security-policy"));
        if name.ends_with(".js") {
            assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
        }
        assert_eq!(response.bytes().await.unwrap().len() as u64, size, "{name} as built");
        total += size;
    }
    assert!(total < 300 * 1024, "the desk is {total} bytes, over 300 KB");
    let missing = client.get(app.url("/admin/missing.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    // The newsletter export keeps its address beside the desk.
    let csv = client.get(app.url("/admin/newsletter.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 401);
}
e2e!(desk_is_served_from_the_binary_under_a_strict_policy);

async fn markdown_previews_render_as_saving_does(app: TestApp) {
    let editor = user(&app, "e@x.org", Role::Editor).await;
    let markdown = "# Hi\n\nA [link](javascript:alert(1)) and <script>x</script> **bold**[^1]\n\n[^1]: note\n\n- [x] done";
    let saved = app
        .gql_as(
            &editor.token,
            "mutation($b: String!) { createNewsArticle(input: { title: \"T\", body: $b }) { bodyHtml } }",
            json!({ "b": markdown }),
        )
        .await;
    let preview = app
        .gql_as(
            &editor.token,
            "query($m: String!) { renderMarkdown(markdown: $m) }",
            json!({ "m": markdown }),
        )
        .await;
    assert_eq!(data(&preview)["renderMarkdown"], data(&saved)["createNewsArticle"]["bodyHtml"]);
    assert!(!data(&preview)["renderMarkdown"].as_str().unwrap().contains("script"));

    let public = app.gql("{ renderMarkdown(markdown: \"x\") }", json!({})).await;
    assert_eq!(error_code(&public), "UNAUTHENTICATED");
    let long = "a".repeat(500_001);
    let refused = app
        .gql_as(
            &editor.token,
            "query($m: String!) { renderMarkdown(markdown: $m) }",
            json!({ "m": long }),
        )
        .await;
    assert_eq!((error_code(&refused), error_field(&refused)), ("BAD_USER_INPUT", "markdown"));
    // Counted in characters, as a save counts a body: 300,000 of them in 600,000 bytes.
    let accented = "é".repeat(300_000);
    let rendered = app
        .gql_as(
            &editor.token,
            "query($m: String!) { renderMarkdown(markdown: $m) }",
            json!({ "m": accented }),
        )
        .await;
    assert!(data(&rendered)["renderMarkdown"].as_str().unwrap().contains("éé"));
}
e2e!(markdown_previews_render_as_saving_does);

async fn people_change_their_own_password(mut app: TestApp) {
    // Each try counts as a sign-in attempt (see the test after): this one makes six.
    app.reconfigure(|config| config.workflow.login_attempts_per_minute = 10).await;
    let me = user(&app, "me@x.org", Role::Author).await;
    let other_session = login(&app, "me@x.org", PASSWORD).await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let wrong =
        app.gql_as(&me.token, change, json!({ "c": "not it at all", "n": "a new password" })).await;
    assert_eq!((error_code(&wrong), error_field(&wrong)), ("BAD_USER_INPUT", "currentPassword"));
    let short = app.gql_as(&me.token, change, json!({ "c": PASSWORD, "n": "short" })).await;
    assert_eq!((error_code(&short), error_field(&short)), ("BAD_USER_INPUT", "newPassword"));
    // Nothing changed: the other session still works.
    let still = app.gql_as(&other_session.token, "{ me { email } }", json!({})).await;
    assert_eq!(data(&still)["me"]["email"], "me@x.org");

    let changed =
        app.gql_as(&me.token, change, json!({ "c": PASSWORD, "n": "a new password" })).await;
    assert_eq!(data(&changed)["changePassword"], true);
    let this_one = app.gql_as(&me.token, "{ me { email } }", json!({})).await;
    assert_eq!(data(&this_one)["me"]["email"], "me@x.org");
    let ended = app.gql_as(&other_session.token, "{ me { email } }", json!({})).await;
    assert_eq!(error_code(&ended), "UNAUTHENTICATED");
    login(&app, "me@x.org", "a new password").await;

    let token = app.create_token(Role::Editor).await;
    let by_token =
        app.gql_as(&token, change, json!({ "c": PASSWORD, "n": "a new password" })).await;
    assert_eq!(error_code(&by_token), "FORBIDDEN");
    let public = app.gql(change, json!({ "c": PASSWORD, "n": "a new password" })).await;
    assert_eq!(error_code(&public), "UNAUTHENTICATED");
}
e2e!(people_change_their_own_password);

/// A stolen session cannot guess its owner's password faster than signing in could: each
/// try counts against the account from that address, and past the limit even the right
/// password is refused and changes nothing.
async fn password_guesses_while_signed_in_count_as_sign_in_attempts(app: TestApp) {
    let me = user(&app, "me@x.org", Role::Author).await;
    let hash = || async {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let found = quire_entity::user::Entity::find()
            .filter(quire_entity::user::Column::Email.eq("me@x.org"))
            .one(app.db().conn())
            .await;
        found.unwrap().unwrap().password_hash
    };
    let before = hash().await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    // The sign-in above was the first of five a minute.
    for guess in 0..4 {
        let c = format!("guess number {guess}");
        let wrong = app.gql_as(&me.token, change, json!({ "c": c, "n": "a new password" })).await;
        assert_eq!(error_code(&wrong), "BAD_USER_INPUT", "{wrong}");
    }
    let limited =
        app.gql_as(&me.token, change, json!({ "c": PASSWORD, "n": "a new password" })).await;
    assert_eq!(error_code(&limited), "RATE_LIMITED", "{limited}");
    let signed_in = app
        .gql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": "me@x.org", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&signed_in), "RATE_LIMITED", "the same budget as signing in");
    // The password did not change, and the session still works.
    assert_eq!(hash().await, before);
    let still = app.gql_as(&me.token, "{ me { email } }", json!({})).await;
    assert_eq!(data(&still)["me"]["email"], "me@x.org");
}
e2e!(password_guesses_while_signed_in_count_as_sign_in_attempts);

/// Uploads a small image; returns its id.
async fn upload_image(app: &TestApp, token: &str, filename: &str) -> String {
    let uploaded: serde_json::Value =
        app.upload(Some(token), filename, png(12, 10)).await.json().await.unwrap();
    uploaded["data"]["uploadAsset"]["id"].as_str().unwrap().to_string()
}

/// A draft news article with a new hero image: the image's id, and the article's id and slug.
async fn draft_with_hero(
    app: &TestApp,
    token: &str,
    filename: &str,
) -> (String, serde_json::Value) {
    let image = upload_image(app, token, filename).await;
    let created = app
        .gql_as(
            token,
            "mutation($i: ID!) { createNewsArticle(input: { title: \"Hero\", heroImageId: $i }) { id slug } }",
            json!({ "i": image }),
        )
        .await;
    (image, data(&created)["createNewsArticle"].clone())
}

async fn assets_say_where_they_are_used(app: TestApp) {
    let editor = user(&app, "e@x.org", Role::Editor).await;
    let (image, article) = draft_with_hero(&app, &editor.token, "hero.png").await;
    let unused = upload_image(&app, &editor.token, "other.png").await;
    let listed =
        app.gql_as(&editor.token, "{ assets { nodes { id usedBy { id } } } }", json!({})).await;
    let used: Vec<(String, usize)> = data(&listed)["assets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_string(), a["usedBy"].as_array().unwrap().len()))
        .collect();
    assert!(used.contains(&(image.clone(), 1)) && used.contains(&(unused, 0)), "{used:?}");

    let search = "query($q: String) { assets(search: $q) { nodes { filename } } }";
    for (text, found) in [
        ("HERO", json!([{ "filename": "hero.png" }])),
        ("%", json!([])),
        ("", json!([{ "filename": "other.png" }, { "filename": "hero.png" }])),
    ] {
        let listed = app.gql_as(&editor.token, search, json!({ "q": text })).await;
        assert_eq!(data(&listed)["assets"]["nodes"], found, "{text}");
    }
    let long = app.gql_as(&editor.token, search, json!({ "q": "x".repeat(201) })).await;
    assert_eq!((error_code(&long), error_field(&long)), ("BAD_USER_INPUT", "search"));

    // The public sees the draft nowhere; once published, it sees who uses the image.
    let query = "query($s: String!) { newsArticle(slug: $s) { heroImage { usedBy { id } } } }";
    let hidden = app.gql(query, json!({ "s": article["slug"] })).await;
    assert!(data(&hidden)["newsArticle"].is_null());
    crate::fixtures::publish(&app, &editor.token, "NewsArticle", article["id"].as_str().unwrap())
        .await;
    let shown = app.gql(query, json!({ "s": article["slug"] })).await;
    assert_eq!(data(&shown)["newsArticle"]["heroImage"]["usedBy"][0]["id"], article["id"]);
}
e2e!(assets_say_where_they_are_used);

async fn graphiql_uses_the_websocket_and_can_be_turned_off(mut app: TestApp) {
    let page =
        app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/graphql/ws"));

    app.reconfigure(|config| config.graphiql = false).await;
    let off =
        app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_ne!(off.status(), 200);
    assert!(!off.text().await.unwrap().contains("graphiql"));
}
e2e!(graphiql_uses_the_websocket_and_can_be_turned_off);

async fn lists_show_only_mine_when_asked(app: TestApp) {
    let author = user(&app, "a@x.org", Role::Author).await;
    let editor = user(&app, "e@x.org", Role::Editor).await;
    let create = "mutation($t: String!) { createPage(input: { title: $t }) { id } }";
    for (who, title) in [(&author, "Author's"), (&editor, "Editor's")] {
        data(&app.gql_as(&who.token, create, json!({ "t": title })).await);
    }
    let mine = "{ pages(filter: { mine: true }) { totalCount nodes { title } } }";
    let listed = app.gql_as(&author.token, mine, json!({})).await;
    assert_eq!(data(&listed)["pages"]["nodes"], json!([{ "title": "Author's" }]));
    let everyone = app.gql_as(&author.token, "{ pages { totalCount } }", json!({})).await;
    assert_eq!(data(&everyone)["pages"]["totalCount"], 2);
    let token = app.create_token(Role::Editor).await;
    let by_token = app.gql_as(&token, mine, json!({})).await;
    assert_eq!(data(&by_token)["pages"]["totalCount"], 0, "a token created nothing itself");
}
e2e!(lists_show_only_mine_when_asked);

async fn items_say_whether_you_may_edit_them(app: TestApp) {
    let author = user(&app, "a@x.org", Role::Author).await;
    let editor = user(&app, "e@x.org", Role::Editor).await;
    let create = "mutation($t: String!) { createNewsArticle(input: { title: $t }) { id } }";
    let own =
        data(&app.gql_as(&author.token, create, json!({ "t": "Own" })).await)["createNewsArticle"]
            ["id"]
            .clone();
    let other = data(&app.gql_as(&editor.token, create, json!({ "t": "Other" })).await)["createNewsArticle"]["id"].clone();
    let may = |token: Option<String>, id: serde_json::Value| {
        let app = &app;
        async move {
            let query =
                "query($id: ID!) { node(id: $id) { ... on NewsArticle { viewerMayEdit } } }";
            let response = match token {
                Some(token) => app.gql_as(&token, query, json!({ "id": id })).await,
                None => app.gql(query, json!({ "id": id })).await,
            };
            data(&response)["node"]["viewerMayEdit"].as_bool()
        }
    };
    assert_eq!(may(Some(author.token.clone()), own.clone()).await, Some(true));
    assert_eq!(may(Some(author.token.clone()), other.clone()).await, Some(false));
    assert_eq!(may(Some(editor.token.clone()), own.clone()).await, Some(true));
    crate::fixtures::publish(&app, &editor.token, "NewsArticle", own.as_str().unwrap()).await;
    assert_eq!(may(Some(author.token.clone()), own.clone()).await, Some(false), "only drafts");
    assert_eq!(may(None, own).await, Some(false), "the public edits nothing");
}
e2e!(items_say_whether_you_may_edit_them);

async fn a_preview_shows_its_drafts_own_images(app: TestApp) {
    let editor = user(&app, "e@x.org", Role::Editor).await;
    let (_, article) = draft_with_hero(&app, &editor.token, "draft.png").await;
    let id = article["id"].clone();
    let token = app
        .gql_as(
            &editor.token,
            "mutation($id: ID!) { createPreviewToken(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    let token = data(&token)["createPreviewToken"].clone();

    let preview = app
        .gql(
            "query($t: String!) { preview(token: $t) { ... on NewsArticle { heroImage { url } } } }",
            json!({ "t": token }),
        )
        .await;
    let url = data(&preview)["preview"]["heroImage"]["url"].as_str().unwrap().to_string();
    assert!(url.contains("sig="), "signed for the token's holder: {url}");
    let image = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(image.status(), 200);
    let bare = crate::media::bare(&json!(url));
    let public = app.client.get(app.url(&bare)).send().await.unwrap();
    assert_eq!(public.status(), 404, "never for the public without the signature");
}
e2e!(a_preview_shows_its_drafts_own_images);
