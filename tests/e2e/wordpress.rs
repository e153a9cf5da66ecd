//! `quire import-wordpress`: a WordPress export (tests/e2e/wordpress/export.xml, written
//! from the WXR format) comes in as news articles, a page tree and assets, sanitised,
//! statuses kept, old permalinks redirected, and a second run changes nothing.

use std::path::Path;

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::media::png;
use crate::portability::{quire, succeeded};
use crate::support::{TestApp, data, e2e};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/wordpress/export.xml");

async fn import_wordpress(app: &TestApp, uploads: &Path) -> String {
    let data_dir = app.data_dir();
    let args = [
        "import-wordpress",
        FIXTURE,
        "--uploads",
        uploads.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ];
    succeeded(&quire(&args, &[("QUIRE_DATABASE_URL", &app.database_url)]).await)
}

const NEWS: &str = "{ news(first: 20, filter: { status: [DRAFT, PUBLISHED, SCHEDULED] }, orderBy: { field: TITLE, direction: ASC }) {
  edges { node { id title slug status publishedAt scheduledAt summary body bodyHtml tags authorName version
    heroImage { filename alt width } } } } }";

fn by_title<'a>(news: &'a Value, title: &str) -> &'a Value {
    news["news"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["title"] == title)
        .unwrap_or_else(|| panic!("no {title} in {news:#}"))
}

async fn a_wordpress_site_comes_in(app: TestApp) {
    let uploads = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(uploads.path().join("2014/01")).unwrap();
    std::fs::write(uploads.path().join("2014/01/classroom.png"), png(64, 32)).unwrap();

    let printed = import_wordpress(&app, uploads.path()).await;
    for line in [
        "news article: 1",
        "news article (draft): 1",
        "news article (scheduled): 1",
        "page: 3",
        "page (draft): 1",
        "assets: 1",
        "annual-report.pdf is not in the uploads folder",
        "in WordPress's trash",
        "Redirects recorded from old permalinks: 2",
        "/2014/01/13/2014-programmes-now-available/ -> /news/2014-programmes-now-available",
        "/2099/06/01/summer-conference-announced/ -> /news/summer-conference-announced",
        "Redirects not recorded: 3",
        "/about/our-network/senior-leaders/: the item is at this address already",
    ] {
        assert!(printed.contains(line), "{line:?} missing from:\n{printed}");
    }

    let token = app.create_token(Role::Editor).await;
    let news = data(&app.gql_as(&token, NEWS, json!({})).await).clone();
    let article = by_title(&news, "2014 programmes now available");
    assert_eq!(article["status"], "PUBLISHED");
    assert_eq!(article["slug"], "2014-programmes-now-available");
    assert_eq!(article["publishedAt"], "2014-01-13T09:00:00+00:00");
    assert_eq!(article["summary"], "The programmes for 2014 are now available.");
    assert_eq!(article["tags"], json!(["london", "programmes"]));
    assert_eq!(article["authorName"], "Jane Smith");
    assert_eq!(
        article["heroImage"],
        json!({ "filename": "classroom.png", "alt": "Pupils in a classroom", "width": 64 })
    );
    let body = article["body"].as_str().unwrap();
    let html = article["bodyHtml"].as_str().unwrap();
    for kept in [
        "available & open for booking",
        "Securing Good",
        "[our programmes page](https://lls.example.org/programmes/)",
        "](/files/",
    ] {
        assert!(body.contains(kept), "{kept:?} missing from:\n{body}");
    }
    assert!(
        html.contains("<li>Securing Good</li>") && html.contains("<img src=\"/files/"),
        "{html}"
    );
    for gone in ["script", "alert", "stolen", "onclick", "wp-content"] {
        assert!(!body.contains(gone) && !html.contains(gone), "{gone:?} survived:\n{body}\n{html}");
    }
    let draft = by_title(&news, "Notes for the spring newsletter");
    assert_eq!(draft["status"], "DRAFT");
    assert_eq!(draft["tags"], json!(["london"]));
    let scheduled = by_title(&news, "Summer conference announced");
    let scheduled_id = scheduled["id"].as_str().unwrap().to_string();
    assert_eq!(scheduled["status"], "SCHEDULED");
    assert_eq!(scheduled["scheduledAt"], "2099-06-01T09:00:00+00:00");
    assert!(scheduled["body"].as_str().unwrap().contains("## Save the date"));
    assert!(!news.to_string().contains("An old mistake"), "the trash stays out");

    // The page tree, parents before children whatever the file's order.
    let page = "{ page(path: \"about/our-network/senior-leaders\") { title position parent { title position parent { title } } } }";
    let tree = data(&app.gql(page, json!({})).await).clone();
    assert_eq!(
        tree["page"],
        json!({ "title": "Senior leaders", "position": 1, "parent": { "title": "Our network", "position": 2, "parent": { "title": "About" } } })
    );
    // The public sees what was published, and nothing else.
    let public =
        data(&app.gql("{ news(first: 20) { edges { node { title } } } }", json!({})).await).clone();
    assert_eq!(public["news"]["edges"].as_array().map(Vec::len), Some(1), "{public}");
    let vacancies = "{ page(path: \"vacancies\") { title } }";
    assert_eq!(data(&app.gql(vacancies, json!({})).await)["page"], Value::Null);

    // Old permalinks lead to the items' new addresses, for those who may see them.
    let redirect = "query($p: String!) { redirect(path: $p) { to permanent } }";
    let old = json!({ "p": "/2014/01/13/2014-programmes-now-available/" });
    assert_eq!(
        data(&app.gql(redirect, old).await)["redirect"],
        json!({ "to": "/news/2014-programmes-now-available", "permanent": true })
    );
    let scheduled = json!({ "p": "/2099/06/01/summer-conference-announced/" });
    assert_eq!(data(&app.gql(redirect, scheduled).await)["redirect"], Value::Null);

    // A second run changes nothing.
    let again = import_wordpress(&app, uploads.path()).await;
    assert!(again.contains("Already there (left as they are): 8"), "{again}");
    assert!(again.contains("Redirects recorded from old permalinks: 0"), "{again}");
    assert!(!again.contains("news article:") && !again.contains("page:"), "{again}");
    assert_eq!(data(&app.gql_as(&token, NEWS, json!({})).await), &news);

    // An imported item an editor has moved to the trash stays there.
    let trash = "mutation($id: ID!) { deleteNewsArticle(id: $id) }";
    data(&app.gql_as(&token, trash, json!({ "id": scheduled_id })).await);
    let third = import_wordpress(&app, uploads.path()).await;
    assert!(third.contains("Already there (left as they are): 8"), "{third}");
}
e2e!(a_wordpress_site_comes_in);
