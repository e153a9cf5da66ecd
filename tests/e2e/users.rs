//! People: the first admin from the command line, signing in and out, roles, and the rate
//! limit on sign-in attempts.

use std::io::Write;
use std::process::{Command, Stdio};

use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, create, editor, id_of, login, refused, user};
use crate::support::{TestApp, data, e2e, error_code};

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { email role } } }";
const ME: &str = "{ me { email displayName role active } }";

fn user_create(app: &crate::support::TestApp, email: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
    command
        .args(["user", "create", "--email", email, "--role", "admin"])
        .env("QUIRE_DATABASE_URL", &app.database_url)
        .env("QUIRE_LOG", "error")
        .env_remove("QUIRE_ADMIN_PASSWORD");
    command
}

async fn the_cli_makes_the_first_admin_who_can_sign_in(app: TestApp) {
    let output = user_create(&app, "Head@LLS.example.org")
        .env("QUIRE_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains(PASSWORD), "the password is never printed");

    // Without the variable and without a terminal, the password is read from stdin.
    let mut child = user_create(&app, "second@lls.example.org")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"another long password\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let admin = login(&app, "head@lls.example.org", PASSWORD).await;
    let me = app.gql_as(&admin.token, ME, json!({})).await;
    assert_eq!(
        data(&me)["me"],
        json!({ "email": "head@lls.example.org", "displayName": "head@lls.example.org", "role": "ADMIN", "active": true })
    );
    login(&app, "second@lls.example.org", "another long password").await;

    // The same email twice is refused and prints no secret.
    let again = user_create(&app, "head@lls.example.org")
        .env("QUIRE_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains(PASSWORD));
}
e2e!(the_cli_makes_the_first_admin_who_can_sign_in);

async fn sessions_expire_and_end_at_logout(app: TestApp) {
    let author = user(&app, "author@lls.example.org", Role::Author).await;
    let signed_in = app.gql(LOGIN, json!({ "e": "author@lls.example.org", "p": PASSWORD })).await;
    let session = &data(&signed_in)["login"];
    assert_eq!(session["user"]["role"], "AUTHOR");
    let expires: chrono::DateTime<chrono::Utc> =
        session["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!(
        expires > chrono::Utc::now() + chrono::Duration::hours(11),
        "sessions last 12 hours by default"
    );

    let me = app.gql_as(&author.token, ME, json!({})).await;
    assert_eq!(data(&me)["me"]["role"], "AUTHOR");
    let me = app.gql(ME, json!({})).await;
    assert!(data(&me)["me"].is_null(), "the public is nobody");
    let token = editor(&app).await;
    let me = app.gql_as(&token, ME, json!({})).await;
    assert!(data(&me)["me"].is_null(), "an API token is not a person");

    let out = app.gql_as(&author.token, "mutation { logout }", json!({})).await;
    assert_eq!(data(&out)["logout"], true);
    assert_eq!(refused(&app, Some(&author.token), ME, json!({})).await, "UNAUTHENTICATED");

    // No field of a user ever carries a password or its hash.
    let fields = app.gql("{ __type(name: \"User\") { fields { name } } }", json!({})).await;
    let names = data(&fields)["__type"]["fields"].to_string().to_lowercase();
    assert!(!names.contains("password") && !names.contains("hash"), "{names}");
}
e2e!(sessions_expire_and_end_at_logout);

async fn wrong_passwords_and_unknown_emails_get_the_same_answer(app: TestApp) {
    user(&app, "editor@lls.example.org", Role::Editor).await;
    let wrong =
        app.gql(LOGIN, json!({ "e": "editor@lls.example.org", "p": "not the password" })).await;
    let unknown =
        app.gql(LOGIN, json!({ "e": "nobody@lls.example.org", "p": "not the password" })).await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"]);
    assert_eq!(wrong["errors"][0]["extensions"], unknown["errors"][0]["extensions"]);
    // Email addresses are matched case-insensitively.
    login(&app, " EDITOR@lls.example.org", PASSWORD).await;
}
e2e!(wrong_passwords_and_unknown_emails_get_the_same_answer);

async fn sign_in_attempts_are_limited_per_account_and_per_address(mut app: TestApp) {
    user(&app, "editor@lls.example.org", Role::Editor).await;
    // The fixture signed in once; four more wrong tries use up five a minute.
    for _ in 0..4 {
        let wrong = app
            .gql(LOGIN, json!({ "e": "editor@lls.example.org", "p": "guess guess guess" }))
            .await;
        assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    }
    let limited = app.gql(LOGIN, json!({ "e": "editor@lls.example.org", "p": PASSWORD })).await;
    assert_eq!(error_code(&limited), "RATE_LIMITED", "even the right password waits");
    // An unknown address is limited the same way, so the limit tells nothing.
    for _ in 0..5 {
        app.gql(LOGIN, json!({ "e": "ghost@lls.example.org", "p": "guess guess guess" })).await;
    }
    let limited =
        app.gql(LOGIN, json!({ "e": "ghost@lls.example.org", "p": "guess guess guess" })).await;
    assert_eq!(error_code(&limited), "RATE_LIMITED");

    app.reconfigure(|config| config.workflow.login_attempts_per_address_per_minute = 3).await;
    for i in 0..3 {
        let wrong = app
            .gql(LOGIN, json!({ "e": format!("try{i}@lls.example.org"), "p": "guess guess guess" }))
            .await;
        assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    }
    let limited =
        app.gql(LOGIN, json!({ "e": "fresh@lls.example.org", "p": "guess guess guess" })).await;
    assert_eq!(
        error_code(&limited),
        "RATE_LIMITED",
        "one address cannot try account after account"
    );
}
e2e!(sign_in_attempts_are_limited_per_account_and_per_address);

async fn behind_a_trusted_proxy_limits_count_the_forwarded_client(mut app: TestApp) {
    let sign_in = |app: &TestApp, email: String, forwarded_for: &'static str| {
        let body = json!({ "query": LOGIN, "variables": { "e": email, "p": "guess guess guess" } });
        let request = app
            .client
            .post(app.url("/graphql"))
            .header("X-Forwarded-For", forwarded_for)
            .json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Not trusted: the header is ignored, so changing it gets round nothing.
    app.reconfigure(|config| config.workflow.login_attempts_per_address_per_minute = 2).await;
    for (i, forwarded) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        assert_eq!(
            error_code(&sign_in(&app, format!("a{i}@lls.example.org"), forwarded).await),
            "UNAUTHENTICATED"
        );
    }
    let spoofed = sign_in(&app, "a2@lls.example.org".into(), "203.0.113.3").await;
    assert_eq!(error_code(&spoofed), "RATE_LIMITED");

    // Trusted: each forwarded client has a limit of its own.
    app.reconfigure(|config| {
        config.workflow.login_attempts_per_address_per_minute = 2;
        config.trusted_proxies = vec![quire_api::config::parse_proxy("127.0.0.1").unwrap()];
    })
    .await;
    for i in 0..2 {
        let wrong = sign_in(&app, format!("b{i}@lls.example.org"), "198.51.100.1").await;
        assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    }
    let limited = sign_in(&app, "b2@lls.example.org".into(), "198.51.100.1").await;
    assert_eq!(error_code(&limited), "RATE_LIMITED");
    let neighbour = sign_in(&app, "c0@lls.example.org".into(), "198.51.100.2").await;
    assert_eq!(
        error_code(&neighbour),
        "UNAUTHENTICATED",
        "another client behind the proxy is not held back"
    );
}
e2e!(behind_a_trusted_proxy_limits_count_the_forwarded_client);

async fn authors_write_their_own_drafts_and_nothing_more(app: TestApp) {
    let author = user(&app, "author@lls.example.org", Role::Author).await;
    let other = user(&app, "other@lls.example.org", Role::Author).await;
    let editor = user(&app, "editor@lls.example.org", Role::Editor).await;
    let a = &author.token;

    let mine = id_of(&create(&app, a, "NewsArticle", "{ title: \"My draft\" }").await);
    let edited = app.gql_as(a, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { body: \"More\" }) { version } }", json!({ "id": mine })).await;
    assert_eq!(data(&edited)["updateNewsArticle"]["version"], 2);
    let preview = app
        .gql_as(a, "mutation($id: ID!) { createPreviewToken(id: $id) }", json!({ "id": mine }))
        .await;
    let pass = data(&preview)["createPreviewToken"].as_str().unwrap();
    let seen =
        app.gql("query($t: String!) { preview(token: $t) { id } }", json!({ "t": pass })).await;
    assert_eq!(data(&seen)["preview"]["id"], mine.as_str(), "authors may preview their drafts");

    for mutation in [
        "mutation($id: ID!) { publishNewsArticle(id: $id) { id } }",
        "mutation($id: ID!) { unpublishNewsArticle(id: $id) { id } }",
        "mutation($id: ID!) { deleteNewsArticle(id: $id) }",
        "mutation($id: ID!) { purge(id: $id) }",
    ] {
        assert_eq!(
            refused(&app, Some(a), mutation, json!({ "id": mine })).await,
            "FORBIDDEN",
            "{mutation}"
        );
    }

    // Another author's draft and an editor's draft are off limits.
    let theirs =
        id_of(&create(&app, &other.token, "NewsArticle", "{ title: \"Their draft\" }").await);
    let editors =
        id_of(&create(&app, &editor.token, "NewsArticle", "{ title: \"Editor's draft\" }").await);
    for id in [&theirs, &editors] {
        for query in [
            "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Mine now\" }) { id } }",
            "query($id: ID!) { revisions(id: $id) { nodes { id } } }",
            "mutation($id: ID!) { createPreviewToken(id: $id) }",
        ] {
            assert_eq!(
                refused(&app, Some(a), query, json!({ "id": id })).await,
                "FORBIDDEN",
                "{query}"
            );
        }
        let revisions = app
            .gql_as(
                &editor.token,
                "query($id: ID!) { revisions(id: $id) { nodes { id } } }",
                json!({ "id": id }),
            )
            .await;
        let first = data(&revisions)["revisions"]["nodes"][0]["id"].clone();
        let code = refused(
            &app,
            Some(a),
            "mutation($id: ID!) { restoreRevision(id: $id) { id } }",
            json!({ "id": first }),
        )
        .await;
        assert_eq!(code, "FORBIDDEN", "restoring is editing");
    }
    let own_history = app
        .gql_as(
            a,
            "query($id: ID!) { revisions(id: $id) { nodes { version } } }",
            json!({ "id": mine }),
        )
        .await;
    assert_eq!(
        data(&own_history)["revisions"]["nodes"],
        json!([{ "version": 2 }, { "version": 1 }])
    );
    assert_eq!(refused(&app, Some(a), "{ trash { nodes { id } } }", json!({})).await, "FORBIDDEN");

    // Moving their own page moves the pages below it: not when those are someone else's.
    let section = id_of(&create(&app, a, "Page", "{ title: \"My section\" }").await);
    let child = app.gql_as(&editor.token, "mutation($p: ID!) { createPage(input: { title: \"Their page\", parentId: $p }) { id path } }", json!({ "p": section })).await;
    assert_eq!(data(&child)["createPage"]["path"], "my-section/their-page");
    let code = refused(
        &app,
        Some(a),
        "mutation($id: ID!) { updatePage(id: $id, input: { slug: \"renamed\" }) { id } }",
        json!({ "id": section }),
    )
    .await;
    assert_eq!(code, "FORBIDDEN");
    let unmoved = app
        .gql_as(&editor.token, "{ page(path: \"my-section/their-page\") { version } }", json!({}))
        .await;
    assert_eq!(data(&unmoved)["page"]["version"], 1);

    // Once an editor publishes it, it is no longer the author's draft to change.
    let published = app
        .gql_as(
            &editor.token,
            "mutation($id: ID!) { publishNewsArticle(id: $id) { status } }",
            json!({ "id": mine }),
        )
        .await;
    assert_eq!(data(&published)["publishNewsArticle"]["status"], "PUBLISHED");
    let code = refused(&app, Some(a), "mutation($id: ID!) { updateNewsArticle(id: $id, input: { title: \"Changed live\" }) { id } }", json!({ "id": mine })).await;
    assert_eq!(code, "FORBIDDEN");

    // Nothing the author was refused changed anything.
    let check = app.gql_as(&editor.token, "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on NewsArticle { title version } } b: node(id: $b) { ... on NewsArticle { title version } } }", json!({ "a": theirs, "b": editors })).await;
    assert_eq!(data(&check)["a"], json!({ "title": "Their draft", "version": 1 }));
    assert_eq!(data(&check)["b"], json!({ "title": "Editor's draft", "version": 1 }));

    // People, tokens, webhooks and the audit log are for admins.
    for token in [a.as_str(), editor.token.as_str()] {
        for query in [
            "mutation { createUser(input: { email: \"x@y.org\", password: \"long enough password\", role: ADMIN }) { id } }",
            "mutation { createApiToken(name: \"x\", role: ADMIN) { token } }",
            "mutation { createWebhook(input: { url: \"http://127.0.0.1:9/x\", events: [CONTENT_PUBLISHED], secret: \"0123456789abcdef\" }) { id } }",
            "{ users { id } }",
            "{ webhooks { id } }",
            "{ auditLog { nodes { action } } }",
        ] {
            assert_eq!(refused(&app, Some(token), query, json!({})).await, "FORBIDDEN", "{query}");
        }
    }
}
e2e!(authors_write_their_own_drafts_and_nothing_more);

async fn admins_manage_people(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let created = app
        .gql_as(&admin, "mutation { createUser(input: { email: \"New@LLS.example.org\", password: \"a long password\", role: AUTHOR, displayName: \"Ana\" }) { id email role displayName active } }", json!({}))
        .await;
    let created = data(&created)["createUser"].clone();
    assert_eq!(created["email"], "new@lls.example.org");
    assert_eq!(created["role"], "AUTHOR");
    let id = id_of(&created);

    let dup = app.gql_as(&admin, "mutation { createUser(input: { email: \"new@lls.example.org\", password: \"a long password\", role: AUTHOR }) { id } }", json!({})).await;
    assert_eq!(error_code(&dup), "BAD_USER_INPUT");
    let short = app.gql_as(&admin, "mutation { createUser(input: { email: \"p@lls.example.org\", password: \"short\", role: AUTHOR }) { id } }", json!({})).await;
    assert_eq!(error_code(&short), "BAD_USER_INPUT");
    assert_eq!(short["errors"][0]["extensions"]["field"], "password");

    let session = login(&app, "new@lls.example.org", "a long password").await;
    let promoted = app
        .gql_as(
            &admin,
            "mutation($id: ID!) { updateUser(id: $id, input: { role: EDITOR }) { role } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&promoted)["updateUser"]["role"], "EDITOR");
    let me = app.gql_as(&session.token, "{ me { role } }", json!({})).await;
    assert_eq!(data(&me)["me"]["role"], "EDITOR", "a role change applies to open sessions");

    let reset = app.gql_as(&admin, "mutation($id: ID!) { updateUser(id: $id, input: { password: \"a new long password\" }) { id } }", json!({ "id": id })).await;
    data(&reset);
    assert_eq!(
        refused(&app, Some(&session.token), ME, json!({})).await,
        "UNAUTHENTICATED",
        "a new password ends old sessions"
    );
    let session = login(&app, "new@lls.example.org", "a new long password").await;

    let listed = app.gql_as(&admin, "{ users { email } }", json!({})).await;
    assert_eq!(data(&listed)["users"], json!([{ "email": "new@lls.example.org" }]));

    let off = app
        .gql_as(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&off)["deactivateUser"]["active"], false);
    assert_eq!(
        refused(&app, Some(&session.token), ME, json!({})).await,
        "UNAUTHENTICATED",
        "their sessions end"
    );
    let again: Value =
        app.gql(LOGIN, json!({ "e": "new@lls.example.org", "p": "a new long password" })).await;
    assert_eq!(error_code(&again), "UNAUTHENTICATED");
}
e2e!(admins_manage_people);
