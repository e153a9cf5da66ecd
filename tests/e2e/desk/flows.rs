//! What editors do at the desk, each flow start to finish in the browser, checked through
//! the API afterwards.

use fantoccini::Locator;
use quire_api::auth::Role;
use serde_json::json;

use super::Desk;
use crate::fixtures::user;
use crate::media::png;

const NEWS: &str = "id title slug summary status version";

async fn news_by_title(desk: &Desk, title: &str) -> serde_json::Value {
    let data =
        desk.api(&format!("{{ news(first: 50) {{ nodes {{ {NEWS} }} }} }}"), json!({})).await;
    data["news"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == title)
        .cloned()
        .unwrap_or_else(|| panic!("no news article titled {title}: {data}"))
}

async fn create_news(desk: &Desk, title: &str, summary: &str) -> String {
    let data = desk
        .api(
            "mutation($input: CreateNewsArticleInput!) { createNewsArticle(input: $input) { id } }",
            json!({ "input": { "title": title, "summary": summary, "body": "First words." } }),
        )
        .await;
    data["createNewsArticle"]["id"].as_str().unwrap().to_string()
}

/// Presses Publish on the open form and waits until the item says it is published.
async fn publish(desk: &Desk) {
    desk.click("Publish").await;
    let badge = "//section[@aria-labelledby='publishing-title']//span[.='Published']";
    desk.wait_for(Locator::XPath(badge)).await;
}

/// Opens an item's edit form the way an editor does: its list, then its title.
async fn open_from_list(desk: &Desk, list: &str, title: &str) {
    desk.click_link(list).await;
    desk.click_link(title).await;
    desk.wait_for_heading(title).await;
}

pub async fn signs_in_and_publishes_a_news_article(desk: &Desk) {
    desk.open("/admin/").await;
    desk.wait_for_heading("Sign in to the Quire desk").await;
    desk.screenshots("sign-in").await;
    desk.fill("Email", super::EDITOR).await;
    desk.fill("Password", crate::fixtures::PASSWORD).await;
    desk.click("Sign in").await;
    desk.wait_for_heading("My drafts").await;
    // Measured by the browser, from pressing Sign in to the dashboard drawn.
    let first_screen = desk
        .browser
        .execute(
            "return performance.measure('first', 'quire:sign-in', 'quire:dashboard').duration",
            vec![],
        )
        .await
        .unwrap();
    let ms = first_screen.as_f64().unwrap();
    assert!(ms < 1000.0, "the dashboard took {ms} ms after signing in");
    desk.screenshots("dashboard").await;

    desk.click_link("News").await;
    desk.click("New news article").await;
    desk.wait_for_heading("New news article").await;
    desk.fill("Title", "Sports day raises £2,000").await;
    desk.fill("Summary", "Thank you, runners.").await;
    desk.fill("Body", "Pupils ran **ten miles** between them.").await;
    desk.fill("Tags", "sport, fundraising").await;
    // The live preview is rendered by Quire, as saving renders it.
    desk.wait_for(Locator::XPath(
        "//section[@aria-label='Preview of body']//strong[.='ten miles']",
    ))
    .await;
    desk.screenshots("news-form").await;
    desk.click("Save").await;
    desk.wait_for_heading("Sports day raises £2,000").await;
    let saved = news_by_title(desk, "Sports day raises £2,000").await;
    assert_eq!(saved["status"], "DRAFT");

    // Publishing with unsaved changes saves them first.
    desk.fill("Title", "Sports day raises £2,500").await;
    publish(desk).await;
    desk.wait_for_heading("Sports day raises £2,500").await;

    let public = desk
        .app
        .gql(
            "query($slug: String!) { newsArticle(slug: $slug) { title tags bodyHtml } }",
            json!({ "slug": saved["slug"] }),
        )
        .await;
    let article = &crate::support::data(&public)["newsArticle"];
    assert_eq!(article["title"], "Sports day raises £2,500");
    assert_eq!(article["tags"], json!(["fundraising", "sport"]));
    assert!(article["bodyHtml"].as_str().unwrap().contains("<strong>ten miles</strong>"));

    desk.click_link("News").await;
    desk.wait_for_link("Sports day raises £2,500").await;
    desk.screenshots("news-list").await;
}

pub async fn a_conflict_is_resolved_in_the_conflict_view(desk: &Desk) {
    let id = create_news(desk, "Choir tour", "Ours").await;
    desk.sign_in(super::EDITOR).await;
    open_from_list(desk, "News", "Choir tour").await;

    // Someone else saves first.
    desk.api(
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { summary: \"Theirs\" }, expectedVersion: 1) { version } }",
        json!({ "id": id }),
    )
    .await;

    desk.fill("Title", "Choir tour to York").await;
    desk.click("Save").await;
    desk.wait_for_heading("Someone else saved this first").await;
    desk.screenshots("conflict").await;
    desk.click("Use theirs for Summary").await;
    desk.click("Keep mine").await;
    desk.wait_for_heading("Choir tour to York").await;

    let merged = news_by_title(desk, "Choir tour to York").await;
    assert_eq!(merged["summary"], "Theirs");
    assert_eq!(merged["version"], 3);
}

pub async fn uploads_a_booklet_and_its_cover(desk: &Desk) {
    let dir = tempfile::tempdir().unwrap();
    let cover = dir.path().join("cover.png");
    std::fs::write(&cover, png(40, 30)).unwrap();
    let pdf =
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/lls/booklets/9-pillars-of-greatness.pdf");

    desk.sign_in(super::EDITOR).await;
    desk.click_link("Booklets").await;
    desk.click("New booklet").await;
    desk.fill("Title", "Nine pillars").await;
    desk.field("Upload booklet file").await.send_keys(pdf).await.unwrap();
    desk.button("Remove booklet file").await;
    desk.fill("Alt text for the cover image", "Nine stone pillars").await;
    desk.field("Upload cover image").await.send_keys(&cover.display().to_string()).await.unwrap();
    // Saved at once: the save waits for the upload on its way.
    desk.click("Save").await;
    desk.wait_for_heading("Nine pillars").await;

    let data = desk
        .api(
            "{ booklets { nodes { title file { mimeType pageCount } cover { alt width } } } }",
            json!({}),
        )
        .await;
    let booklet = &data["booklets"]["nodes"][0];
    assert_eq!(booklet["title"], "Nine pillars");
    assert_eq!(booklet["file"]["mimeType"], "application/pdf");
    assert_eq!(booklet["cover"]["alt"], "Nine stone pillars");
    assert_eq!(booklet["cover"]["width"], 40);

    desk.click_link("Media").await;
    desk.wait_for_heading("Media").await;
    desk.wait_for_link("cover.png").await;
    desk.screenshots("media").await;

    // A file dropped on the upload form (made here by drawing on a canvas).
    desk.fill("Alt text", "A dropped square").await;
    let form = desk.browser.find(Locator::Css("form.upload")).await.unwrap();
    desk.browser
        .execute_async(
            r#"const [form, done] = arguments;
               const canvas = document.createElement('canvas');
               canvas.width = 20; canvas.height = 20;
               canvas.getContext('2d').fillRect(0, 0, 20, 20);
               canvas.toBlob((blob) => {
                 const data = new DataTransfer();
                 data.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));
                 form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
                 done();
               }, 'image/png');"#,
            vec![serde_json::to_value(&form).unwrap()],
        )
        .await
        .unwrap();
    desk.click("Upload").await;
    desk.wait_for_link("dropped.png").await;
    let dropped =
        desk.api("{ assets(search: \"dropped\") { nodes { alt width } } }", json!({})).await;
    assert_eq!(dropped["assets"]["nodes"], json!([{ "alt": "A dropped square", "width": 20 }]));
    desk.fill("Search files", "GREATNESS").await;
    desk.click("Search").await;
    desk.wait_until(
        "the search to leave the cover out",
        "return ![...document.querySelectorAll('main a')].some(a => a.textContent === 'cover.png')",
    )
    .await;
    desk.wait_for_link("Nine pillars").await; // where the file is used
    assert!(!desk.button("Delete 9-pillars-of-greatness.pdf").await.is_enabled().await.unwrap());
}

pub async fn schedules_a_press_release_in_local_time(desk: &Desk) {
    desk.sign_in(super::EDITOR).await;
    desk.click_link("Press releases").await;
    desk.click("New press release").await;
    desk.fill("Title", "New school opens").await;
    desk.fill("Notes to editors", "Photos on request.").await;
    desk.click("Save").await;
    desk.wait_for_heading("New school opens").await;
    // The browser runs in London: 10:30 on a June day there is 09:30 UTC.
    desk.set_value("Publish at", "2031-06-02T10:30").await;
    desk.click("Schedule").await;
    desk.wait_for_text("Publishes").await;
    desk.wait_for(Locator::XPath("//button[normalize-space()='Cancel schedule']")).await;

    let data = desk
        .api(
            "{ pressReleases { nodes { title status scheduledAt notesToEditorsHtml } } }",
            json!({}),
        )
        .await;
    let release = &data["pressReleases"]["nodes"][0];
    assert_eq!(release["status"], "SCHEDULED");
    let at =
        chrono::DateTime::parse_from_rfc3339(release["scheduledAt"].as_str().unwrap()).unwrap();
    assert_eq!(at, chrono::DateTime::parse_from_rfc3339("2031-06-02T09:30:00Z").unwrap());
    assert!(release["notesToEditorsHtml"].as_str().unwrap().contains("Photos on request."));
    let public = desk.app.gql("{ pressReleases { totalCount } }", json!({})).await;
    assert_eq!(public["data"]["pressReleases"]["totalCount"], 0, "not before its time");
}

pub async fn restores_a_revision(desk: &Desk) {
    let id = create_news(desk, "Old title", "Summary").await;
    desk.api(
        "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"New title\" }) { id } }",
        json!({ "id": id }),
    )
    .await;
    desk.sign_in(super::EDITOR).await;
    open_from_list(desk, "News", "New title").await;
    desk.click("Revisions").await;
    desk.wait_for_heading("Changes from version 1 to version 2").await;
    desk.wait_for(Locator::XPath("//h3[.='Title']")).await;
    let headings = desk.browser.find_all(Locator::Css("main h3")).await.unwrap();
    assert_eq!(headings.len(), 1, "only the title changed, bookkeeping aside");
    desk.wait_for(Locator::XPath("//pre[@class='diff']/del[contains(., 'Old title')]")).await;
    desk.wait_for(Locator::XPath("//pre[@class='diff']/ins[contains(., 'New title')]")).await;
    desk.screenshots("revisions").await;
    desk.click("Restore version 1").await;
    desk.wait_for_heading("Old title").await;

    let data = desk
        .api(
            "query($id: ID!) { node(id: $id) { ... on NewsArticle { title version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["node"]["title"], "Old title");
    assert_eq!(data["node"]["version"], 3);
}

pub async fn trashes_and_restores(desk: &Desk) {
    let id = create_news(desk, "Bake sale", "Cakes").await;
    let long = format!("Fundraising{} and a long title", "-and-more".repeat(30));
    create_news(desk, &long, "Long").await;
    desk.sign_in(super::EDITOR).await;
    // Long titles wrap: no screen is wider than the window (the screenshots check it).
    open_from_list(desk, "News", &long).await;
    desk.screenshots("long-title").await;
    open_from_list(desk, "News", "Bake sale").await;
    desk.click("Move to trash").await;
    desk.wait_for_heading("News").await;
    let gone = desk
        .app
        .gql_as(&desk.editor.token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert!(gone["data"]["node"].is_null(), "in the trash: {gone}");

    desk.click_link("Trash").await;
    desk.wait_for_heading("Trash").await;
    desk.screenshots("trash").await;
    desk.click("Restore Bake sale").await;
    desk.wait_for_text("Restored: Bake sale.").await;
    let back = desk.api("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(back["node"]["id"], id);
}

pub async fn an_author_never_sees_publish(desk: &Desk) {
    create_news(desk, "The editor's story", "Not theirs").await;
    user(&desk.app, "author@desk.test", Role::Author).await;
    desk.sign_in("author@desk.test").await;
    // Someone else's item: readable, with nothing to save.
    open_from_list(desk, "News", "The editor's story").await;
    desk.wait_for_text("authors change only their own drafts").await;
    assert!(!desk.has_button("Save").await, "an author may not save another's item");

    desk.click_link("News").await;
    desk.click("New news article").await;
    desk.fill("Title", "My first story").await;
    desk.click("Save").await;
    desk.wait_for_heading("My first story").await;
    desk.wait_for_link("Revisions").await;
    for refused in ["Publish", "Schedule", "Unpublish", "Move to trash"] {
        assert!(!desk.has_button(refused).await, "an author sees {refused}");
    }
    let nav = desk.browser.find(Locator::Css("nav.main-nav")).await.unwrap().text().await.unwrap();
    for hidden in ["Trash", "People", "API tokens"] {
        assert!(!nav.lines().any(|l| l.trim() == hidden), "an author sees {hidden} in {nav}");
    }
    assert!(
        desk.browser.find_all(Locator::Css("input[type=file]")).await.unwrap().is_empty(),
        "authors cannot upload"
    );
    // Their own account: a wrong password is named beside its field, in words.
    desk.click_link("author@desk.test (Author)").await;
    desk.wait_for_heading("Your account").await;
    desk.fill("Current password", "not my password").await;
    desk.fill("New password", "a brand new password").await;
    desk.click("Change password").await;
    let error =
        desk.field("Current password").await.attr("aria-describedby").await.unwrap().unwrap();
    let error_id = error.split(' ').next_back().unwrap().to_string();
    let message = desk.wait_for(Locator::Id(&error_id)).await;
    desk.wait_until(
        "the error to show",
        &format!("return document.getElementById('{error_id}').textContent"),
    )
    .await;
    assert_eq!(message.text().await.unwrap(), "This is not your current password.");
    desk.screenshots("account").await;
    desk.fill("Current password", crate::fixtures::PASSWORD).await;
    desk.click("Change password").await;
    desk.wait_for_text("Password changed.").await;
    crate::fixtures::login(&desk.app, "author@desk.test", "a brand new password").await;
}

pub async fn an_admin_creates_a_user_and_a_token(desk: &Desk) {
    user(&desk.app, "admin@desk.test", Role::Admin).await;
    desk.sign_in("admin@desk.test").await;
    desk.click_link("People").await;
    desk.wait_for_heading("People").await;
    desk.fill("Email", "new.editor@desk.test").await;
    desk.fill("Display name", "New Editor").await;
    desk.fill("Password", "a long enough password").await;
    desk.field("Role").await.select_by_value("EDITOR").await.unwrap();
    desk.click("Create user").await;
    desk.wait_for_text("new.editor@desk.test").await;
    desk.screenshots("people").await;
    crate::fixtures::login(&desk.app, "new.editor@desk.test", "a long enough password").await;

    desk.click_link("API tokens").await;
    desk.wait_for_heading("API tokens").await;
    desk.fill("Name", "Website build").await;
    desk.click("Create token").await;
    desk.wait_for_heading("Your new token").await;
    let token = desk.field("New token").await.prop("value").await.unwrap().unwrap();
    let works = desk.app.gql_as(&token, "{ news { totalCount } }", json!({})).await;
    assert_eq!(works["data"]["news"]["totalCount"], 0, "{works}");

    desk.click_link("Webhooks").await;
    desk.wait_for_heading("Webhooks").await;
    desk.fill("URL", "https://hooks.example.org/quire").await;
    desk.fill("Secret", "sixteen characters or more").await;
    desk.click("Create webhook").await;
    desk.click("Deliveries to https://hooks.example.org/quire").await;
    desk.wait_for_heading("Deliveries to https://hooks.example.org/quire").await;

    desk.click_link("Audit log").await;
    desk.wait_for_heading("Audit log").await;
    desk.wait_for(Locator::XPath("//th[.='user.create']")).await;
    desk.screenshots("audit-log").await;

    desk.click_link("Newsletter").await;
    desk.wait_for_heading("Newsletter subscribers").await;
    desk.click("Download CSV of confirmed subscribers").await;
    desk.wait_for_text("Downloaded the confirmed subscribers as CSV.").await;
}

pub async fn a_drafts_preview_shows_its_image(desk: &Desk) {
    let response = desk.app.upload(Some(&desk.editor.token), "hero.png", png(64, 48)).await;
    let body: serde_json::Value = response.json().await.unwrap();
    let image = body["data"]["uploadAsset"]["id"].as_str().unwrap().to_string();
    let data = desk
        .api(
            "mutation($input: CreateNewsArticleInput!) { createNewsArticle(input: $input) { id } }",
            json!({ "input": { "title": "Draft with a picture", "body": "See *this*." } }),
        )
        .await;
    assert!(data["createNewsArticle"]["id"].is_string());
    desk.sign_in(super::EDITOR).await;
    open_from_list(desk, "News", "Draft with a picture").await;
    // The hero image is one uploaded before, found in the library.
    desk.wait_for(Locator::XPath("//summary[.='Choose an uploaded file as the hero image']"))
        .await
        .click()
        .await
        .unwrap();
    desk.fill("Find a file for the hero image", "HERO").await;
    desk.click("Find").await;
    desk.click("Use hero.png").await;
    desk.click("Save").await;
    desk.wait_for_text("Saved.").await;
    let saved = desk.api("{ news { nodes { heroImage { id } } } }", json!({})).await;
    assert_eq!(saved["news"]["nodes"][0]["heroImage"]["id"], image);
    desk.click("Preview").await;
    desk.wait_for(Locator::Css("img.hero")).await;
    let width = desk
        .wait_until(
            "the hero image to load",
            "const img = document.querySelector('img.hero'); return img && img.complete && img.naturalWidth",
        )
        .await;
    assert_eq!(width, 64);
    desk.screenshots("preview").await;

    // The preview link opens the draft for anyone holding it, signed in or not.
    desk.click_link("Back to editing").await;
    desk.click("Copy preview link").await;
    let output =
        desk.wait_for(Locator::Css("input[aria-label='Preview link']:not([hidden])")).await;
    let link = output.prop("value").await.unwrap().unwrap();
    assert!(link.contains("/admin/#/p/"), "{link}");
    desk.click("Sign out").await;
    desk.wait_for_heading("Sign in to the Quire desk").await;
    desk.browser.goto(&link).await.unwrap();
    desk.wait_for_heading("Draft with a picture").await;
    desk.wait_for(Locator::XPath("//em[.='this']")).await;
    let width = desk
        .wait_until(
            "the hero image to load for the link's holder",
            "const img = document.querySelector('img.hero'); return img && img.complete && img.naturalWidth",
        )
        .await;
    assert_eq!(width, 64);
}

pub async fn moves_pages_with_the_keyboard_and_the_mouse(desk: &Desk) {
    let create =
        "mutation($t: String!, $p: Int) { createPage(input: { title: $t, position: $p }) { id } }";
    let about = desk.api(create, json!({ "t": "About", "p": 0 })).await["createPage"]["id"].clone();
    let team = desk.api(create, json!({ "t": "Team", "p": 10 })).await["createPage"]["id"].clone();

    // Signing in with the keyboard alone: Enter submits.
    desk.open("/admin/").await;
    desk.fill("Email", super::EDITOR).await;
    desk.fill("Password", &format!("{}\u{E007}", crate::fixtures::PASSWORD)).await;
    desk.click_link("Page tree").await;
    desk.wait_for_heading("Page tree").await;

    let press_enter = |name: &'static str| async move {
        desk.button(name).await.send_keys("\u{E007}").await.unwrap();
    };
    press_enter("Move Team up").await;
    desk.wait_for_text("Moved Team.").await;
    let order =
        desk.api("{ pages(orderBy: { field: POSITION }) { nodes { title } } }", json!({})).await;
    assert_eq!(order["pages"]["nodes"], json!([{ "title": "Team" }, { "title": "About" }]));

    press_enter("Move About under Team").await;
    desk.wait_for_text("About is now under Team.").await;
    let moved = desk
        .api(
            "query($id: ID!) { node(id: $id) { ... on Page { path parent { id } } } }",
            json!({ "id": about }),
        )
        .await;
    assert_eq!(moved["node"]["parent"]["id"], team);
    assert_eq!(moved["node"]["path"], "team/about");
    desk.screenshots("page-tree").await;

    // With the mouse: About dragged onto Contact moves under it.
    let contact =
        desk.api(create, json!({ "t": "Contact", "p": 20 })).await["createPage"]["id"].clone();
    desk.click_link("Dashboard").await;
    desk.click_link("Page tree").await;
    let row = |id: &serde_json::Value| format!("li[data-page='{}']", id.as_str().unwrap());
    let from = desk.wait_for(Locator::Css(&row(&about))).await;
    let onto = desk.wait_for(Locator::Css(&row(&contact))).await;
    desk.browser
        .execute(
            r#"const [from, onto] = arguments;
               const data = new DataTransfer();
               from.dispatchEvent(new DragEvent('dragstart', { dataTransfer: data, bubbles: true }));
               onto.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
               onto.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));"#,
            vec![serde_json::to_value(&from).unwrap(), serde_json::to_value(&onto).unwrap()],
        )
        .await
        .unwrap();
    desk.wait_for_text("Moved About under Contact.").await;
    let dragged = desk
        .api("query($id: ID!) { node(id: $id) { ... on Page { path } } }", json!({ "id": about }))
        .await;
    assert_eq!(dragged["node"]["path"], "contact/about");
}

pub async fn a_session_that_ends_keeps_unsaved_changes(desk: &Desk) {
    let id = create_news(desk, "Open day", "Come along").await;
    desk.sign_in(super::EDITOR).await;
    open_from_list(desk, "News", "Open day").await;
    desk.wait_for(Locator::XPath("//section[@aria-label='Preview of body']//p[.='First words.']"))
        .await;
    desk.fill("Title", "Open day on Saturday").await;

    // The session ends elsewhere (here: signed out with the desk's own token).
    let token = desk
        .browser
        .execute("return sessionStorage.getItem('quire.session')", vec![])
        .await
        .unwrap();
    let ended = desk.app.gql_as(token.as_str().unwrap(), "mutation { logout }", json!({})).await;
    assert_eq!(ended["data"]["logout"], true);

    desk.click("Save").await;
    desk.wait_for_heading("Your session has ended").await;
    desk.fill("Password", crate::fixtures::PASSWORD).await;
    desk.click("Sign in").await;
    desk.wait_for_text("Signed in again: save your changes now.").await;
    assert_eq!(
        desk.field("Title").await.prop("value").await.unwrap().unwrap(),
        "Open day on Saturday"
    );
    desk.click("Save").await;
    desk.wait_for_heading("Open day on Saturday").await;
    let saved = desk
        .api(
            "query($id: ID!) { node(id: $id) { ... on NewsArticle { title } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(saved["node"]["title"], "Open day on Saturday");
}

pub async fn writes_a_page_under_another_and_a_testimonial(desk: &Desk) {
    desk.api("mutation { createPage(input: { title: \"About us\" }) { id } }", json!({})).await;
    desk.sign_in(super::EDITOR).await;
    desk.click_link("Pages").await;
    desk.click("New page").await;
    desk.fill("Title", "Our team").await;
    desk.field("Parent page").await.select_by_label("About us (/about-us)").await.unwrap();
    desk.fill("Body", "Meet the team.").await;
    desk.click("Save").await;
    desk.wait_for_heading("Our team").await;
    let page =
        desk.api("{ page(path: \"about-us/our-team\") { title bodyHtml } }", json!({})).await;
    assert_eq!(page["page"]["title"], "Our team");

    desk.click_link("Testimonials").await;
    desk.click("New testimonial").await;
    desk.fill("Quote", "The best week of the year.").await;
    desk.fill("Author name", "Sam").await;
    desk.fill("Organisation", "Hillside School").await;
    desk.field("Featured on the home page").await.click().await.unwrap();
    desk.click("Save").await;
    desk.wait_for_heading("“The best week of the year.” — Sam").await;
    publish(desk).await;
    let public = desk
        .app
        .gql(
            "{ testimonials(filter: { featured: true }) { nodes { quote organisation } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        public["data"]["testimonials"]["nodes"],
        json!([{ "quote": "The best week of the year.", "organisation": "Hillside School" }])
    );
}

pub async fn pages_through_a_long_list(desk: &Desk) {
    for n in 1..=30 {
        let title = format!("Notice {n:02}");
        desk.api(
            "mutation($t: String!) { createPressRelease(input: { title: $t }) { id } }",
            json!({ "t": title }),
        )
        .await;
    }
    desk.sign_in(super::EDITOR).await;
    desk.click_link("Press releases").await;
    desk.wait_for_text("30 in all").await;
    desk.field("Sort by").await.select_by_value("TITLE").await.unwrap();
    desk.wait_for(Locator::XPath("//tbody/tr[1]/th/a[.='Notice 01']")).await;
    let rows = desk.browser.find_all(Locator::Css("tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 25);
    desk.click("Next page").await;
    desk.wait_for(Locator::XPath("//tbody/tr[1]/th/a[.='Notice 26']")).await;
    assert_eq!(desk.browser.find_all(Locator::Css("tbody tr")).await.unwrap().len(), 5);
    assert!(!desk.has_button("Next page").await);
    desk.click("Previous page").await;
    desk.wait_for(Locator::XPath("//tbody/tr[25]/th/a[.='Notice 25']")).await;

    desk.fill("Search", "notice 07").await;
    desk.click("Apply").await;
    desk.wait_for(Locator::XPath("//tbody/tr[1]/th/a[.='Notice 07']")).await;
}
