//! The newsletter: double opt-in sign-up by mail (to the outbox, or over SMTP), tokens to
//! confirm and unsubscribe, rate limits, and the admins' list and CSV export.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quire_api::auth::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{TestApp, data, e2e, error_code, error_field};

const SUBSCRIBE: &str = "mutation($email: String!) { subscribeToNewsletter(email: $email) }";
const CONFIRM: &str = "mutation($token: String!) { confirmNewsletterSubscription(token: $token) }";
const UNSUBSCRIBE: &str = "mutation($token: String!) { unsubscribeFromNewsletter(token: $token) }";
const SUBSCRIBERS: &str = "query($first: Int, $after: String, $status: NewsletterSubscriberStatus) { newsletterSubscribers(first: $first, after: $after, status: $status) { nodes { id email status createdAt confirmedAt unsubscribedAt } pageInfo { hasNextPage endCursor } } }";

async fn subscribe(app: &TestApp, email: &str) -> Value {
    app.gql(SUBSCRIBE, json!({ "email": email })).await
}

/// The `.eml` files in the outbox, oldest first.
fn outbox(app: &TestApp) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(app.data_dir().join("outbox")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

/// The outbox's mail once it holds `count` messages (mail is sent in the background).
async fn mail(app: &TestApp, count: usize) -> Vec<String> {
    for _ in 0..400 {
        let files = outbox(app);
        if files.len() >= count {
            assert_eq!(files.len(), count, "more mail than expected");
            return files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("expected {count} mails in the outbox, found {}", outbox(app).len());
}

/// The body of a mail, quoted-printable decoded (long link lines make it so).
fn body(mail: &str) -> String {
    let (headers, body) = mail.split_once("\r\n\r\n").expect("headers and a body");
    if !headers.contains("Content-Transfer-Encoding: quoted-printable") {
        return body.to_string();
    }
    let joined = body.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn header<'a>(mail: &'a str, name: &str) -> &'a str {
    let (headers, _) = mail.split_once("\r\n\r\n").unwrap();
    headers
        .split("\r\n")
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("no {name} header in {mail}"))
}

/// The token of a link in the mail's body, such as `/newsletter/confirm?token=`.
fn token(mail: &str, action: &str) -> String {
    let body = body(mail);
    let marker = format!("/newsletter/{action}?token=");
    let start =
        body.find(&marker).unwrap_or_else(|| panic!("no {action} link in {body}")) + marker.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn confirm(app: &TestApp, token: &str) -> Value {
    app.gql(CONFIRM, json!({ "token": token })).await
}

async fn subscribers(app: &TestApp, admin: &str, variables: Value) -> Value {
    let response = app.gql_as(admin, SUBSCRIBERS, variables).await;
    data(&response)["newsletterSubscribers"].clone()
}

async fn csv(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/admin/newsletter.csv"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn csv_text(app: &TestApp, admin: &str) -> String {
    let response = csv(app, Some(admin)).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Signs `email` up and confirms it with the token from the newest mail; returns that mail.
async fn confirmed(app: &TestApp, email: &str, mails_before: usize) -> String {
    assert_eq!(data(&subscribe(app, email).await)["subscribeToNewsletter"], true);
    let mail = mail(app, mails_before + 1).await.pop().unwrap();
    let response = confirm(app, &token(&mail, "confirm")).await;
    assert_eq!(data(&response)["confirmNewsletterSubscription"], true);
    mail
}

async fn a_sign_up_is_confirmed_with_the_mailed_token(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let answer = subscribe(&app, "  Ann@Example.ORG ").await;
    assert_eq!(data(&answer)["subscribeToNewsletter"], true);

    let mail = mail(&app, 1).await.pop().unwrap();
    assert_eq!(header(&mail, "To"), "ann@example.org");
    assert_eq!(header(&mail, "From"), "Quire <no-reply@localhost>");
    let unsubscribe = token(&mail, "unsubscribe");
    assert!(
        header(&mail, "List-Unsubscribe")
            .contains(&format!("/newsletter/unsubscribe?token={unsubscribe}"))
    );
    let confirm_token = token(&mail, "confirm");
    assert_eq!(confirm_token.len(), 43);
    assert!(
        body(&mail).contains(&format!("\r\n{confirm_token}\r\n")),
        "the token stands on its own line too"
    );

    let pending = subscribers(&app, &admin, json!({})).await;
    assert_eq!(pending["nodes"][0]["email"], "ann@example.org");
    assert_eq!(pending["nodes"][0]["status"], "PENDING");
    assert!(
        !csv_text(&app, &admin).await.contains("ann@example.org"),
        "pending addresses are not exported"
    );

    assert_eq!(data(&confirm(&app, &confirm_token).await)["confirmNewsletterSubscription"], true);
    let list = subscribers(&app, &admin, json!({})).await;
    assert_eq!(list["nodes"][0]["status"], "CONFIRMED");
    assert!(list["nodes"][0]["confirmedAt"].is_string());

    let export = csv_text(&app, &admin).await;
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines[0], "email,status,subscribed_at,confirmed_at");
    assert_eq!(lines.len(), 2, "{export}");
    assert!(lines[1].starts_with("ann@example.org,confirmed,"), "{export}");

    // A token works once.
    assert_eq!(error_code(&confirm(&app, &confirm_token).await), "NOT_FOUND");
}
e2e!(a_sign_up_is_confirmed_with_the_mailed_token);

async fn a_known_address_gets_the_same_answer_as_a_new_one(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let new = subscribe(&app, "ann@example.org").await;
    let first = mail(&app, 1).await.pop().unwrap();
    // Pending: the same answer, and a fresh mail whose tokens replace the first one's.
    let pending = subscribe(&app, "ANN@example.org").await;
    let second = mail(&app, 2).await.pop().unwrap();
    assert_eq!(pending, new);
    assert_eq!(error_code(&confirm(&app, &token(&first, "confirm")).await), "NOT_FOUND");
    assert_eq!(
        data(&confirm(&app, &token(&second, "confirm")).await)["confirmNewsletterSubscription"],
        true
    );
    // Confirmed: still the same answer, and no more mail.
    let known = subscribe(&app, "ann@example.org").await;
    assert_eq!(known, new);
    subscribe(&app, "bob@example.org").await;
    let mails = mail(&app, 3).await;
    assert_eq!(header(&mails[2], "To"), "bob@example.org", "the confirmed address got no mail");
    assert_eq!(
        subscribers(&app, &admin, json!({ "status": "CONFIRMED" })).await["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
e2e!(a_known_address_gets_the_same_answer_as_a_new_one);

async fn invalid_addresses_are_refused_and_nothing_is_stored_or_sent(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    for bad in [
        "",
        "not an address",
        "ann@",
        "@example.org",
        "ann@localhost",
        "Ann <ann@example.org>",
        "ann@example.org\r\nBcc: eve@example.org",
        "ann@[127.0.0.1]",
    ] {
        let response = subscribe(&app, bad).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{bad:?}");
        assert_eq!(error_field(&response), "email", "{bad:?}");
    }
    assert_eq!(subscribers(&app, &admin, json!({})).await["nodes"], json!([]));
    // Mail goes out in order: once the next good sign-up's mail is there, none came before it.
    subscribe(&app, "ann@example.org").await;
    let mails = mail(&app, 1).await;
    assert_eq!(header(&mails[0], "To"), "ann@example.org");
}
e2e!(invalid_addresses_are_refused_and_nothing_is_stored_or_sent);

async fn sign_ups_are_limited_per_email_and_per_client_address(mut app: TestApp) {
    app.reconfigure(|config| {
        config.newsletter.newsletter_signups_per_email_per_hour = 2;
        config.newsletter.newsletter_signups_per_address_per_hour = 4;
    })
    .await;
    let admin = app.create_token(Role::Admin).await;
    for _ in 0..2 {
        assert_eq!(data(&subscribe(&app, "ann@example.org").await)["subscribeToNewsletter"], true);
    }
    let limited = subscribe(&app, "Ann@Example.org").await;
    assert_eq!(error_code(&limited), "RATE_LIMITED", "per email, however it is written");
    assert_eq!(data(&subscribe(&app, "bob@example.org").await)["subscribeToNewsletter"], true);
    let limited = subscribe(&app, "carol@example.org").await;
    assert_eq!(
        error_code(&limited),
        "RATE_LIMITED",
        "one client cannot sign up address after address"
    );
    let emails: Vec<Value> = subscribers(&app, &admin, json!({})).await["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["email"].clone())
        .collect();
    assert_eq!(emails, vec![json!("bob@example.org"), json!("ann@example.org")]);
}
e2e!(sign_ups_are_limited_per_email_and_per_client_address);

async fn unsubscribing_takes_the_address_out_of_the_export(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    let mail = confirmed(&app, "ann@example.org", 0).await;
    confirmed(&app, "bob@example.org", 1).await;
    assert!(csv_text(&app, &admin).await.contains("ann@example.org"));

    let unsubscribe = token(&mail, "unsubscribe");
    let response = app.gql(UNSUBSCRIBE, json!({ "token": unsubscribe })).await;
    assert_eq!(data(&response)["unsubscribeFromNewsletter"], true);
    let export = csv_text(&app, &admin).await;
    assert!(!export.contains("ann@example.org"), "{export}");
    assert!(export.contains("bob@example.org"), "{export}");
    let gone = subscribers(&app, &admin, json!({ "status": "UNSUBSCRIBED" })).await;
    assert_eq!(gone["nodes"][0]["email"], "ann@example.org");
    assert!(gone["nodes"][0]["unsubscribedAt"].is_string());

    // A second click is harmless; a made-up token is not found.
    let again = app.gql(UNSUBSCRIBE, json!({ "token": unsubscribe })).await;
    assert_eq!(data(&again)["unsubscribeFromNewsletter"], true);
    let bogus = app.gql(UNSUBSCRIBE, json!({ "token": "A".repeat(43) })).await;
    assert_eq!(error_code(&bogus), "NOT_FOUND");

    // Signing up again starts over with a new confirmation.
    subscribe(&app, "ann@example.org").await;
    let renewed = self::mail(&app, 3).await.pop().unwrap();
    assert_eq!(header(&renewed, "To"), "ann@example.org");
    assert!(!csv_text(&app, &admin).await.contains("ann@example.org"));
}
e2e!(unsubscribing_takes_the_address_out_of_the_export);

async fn bogus_confirmation_tokens_are_refused(app: TestApp) {
    for bogus in ["", "nope", &"A".repeat(43), &"x".repeat(5000)] {
        assert_eq!(error_code(&confirm(&app, bogus).await), "NOT_FOUND", "{bogus:?}");
    }
    // An unsubscribe token does not confirm.
    subscribe(&app, "ann@example.org").await;
    let mail = mail(&app, 1).await.pop().unwrap();
    assert_eq!(error_code(&confirm(&app, &token(&mail, "unsubscribe")).await), "NOT_FOUND");
}
e2e!(bogus_confirmation_tokens_are_refused);

async fn only_admins_see_subscribers(app: TestApp) {
    let editor = app.create_token(Role::Editor).await;
    let admin = app.create_token(Role::Admin).await;
    confirmed(&app, "ann@example.org", 0).await;

    let public = app.gql(SUBSCRIBERS, json!({})).await;
    assert_eq!(error_code(&public), "UNAUTHENTICATED");
    let as_editor = app.gql_as(&editor, SUBSCRIBERS, json!({})).await;
    assert_eq!(error_code(&as_editor), "FORBIDDEN");
    for response in [&public, &as_editor] {
        assert!(!response.to_string().contains("ann@example.org"));
    }

    let anonymous = csv(&app, None).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert!(!anonymous.text().await.unwrap().contains("ann@"));
    assert_eq!(csv(&app, Some("quire_not-a-real-token")).await.status(), 401);
    let as_editor = csv(&app, Some(&editor)).await;
    assert_eq!(as_editor.status(), 403);
    assert!(!as_editor.text().await.unwrap().contains("ann@"));

    let response = csv(&app, Some(&admin)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.text().await.unwrap().contains("ann@example.org"));

    // The export is in the audit log.
    let log = app.gql_as(&admin, "{ auditLog(first: 5) { nodes { action } } }", json!({})).await;
    assert_eq!(data(&log)["auditLog"]["nodes"][0]["action"], "newsletter.export");
}
e2e!(only_admins_see_subscribers);

async fn the_admin_list_pages_newest_first(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    for (i, email) in ["a@example.org", "b@example.org", "c@example.org"].into_iter().enumerate() {
        subscribe(&app, email).await;
        mail(&app, i + 1).await;
    }
    let page = subscribers(&app, &admin, json!({ "first": 2 })).await;
    assert_eq!(page["nodes"][0]["email"], "c@example.org");
    assert_eq!(page["nodes"][1]["email"], "b@example.org");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next =
        subscribers(&app, &admin, json!({ "first": 2, "after": page["pageInfo"]["endCursor"] }))
            .await;
    assert_eq!(next["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(next["nodes"][0]["email"], "a@example.org");
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    let too_many = app.gql_as(&admin, SUBSCRIBERS, json!({ "first": 101 })).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let bad_cursor = app.gql_as(&admin, SUBSCRIBERS, json!({ "after": "garbage" })).await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
}
e2e!(the_admin_list_pages_newest_first);

async fn export_cells_that_look_like_formulas_are_defused(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    confirmed(&app, "=cmd@example.org", 0).await;
    confirmed(&app, "-x@example.org", 1).await;
    let export = csv_text(&app, &admin).await;
    assert!(export.lines().any(|l| l.starts_with("'=cmd@example.org,")), "{export}");
    assert!(export.lines().any(|l| l.starts_with("'-x@example.org,")), "{export}");
}
e2e!(export_cells_that_look_like_formulas_are_defused);

async fn the_links_in_the_mail_act_only_when_their_button_is_pressed(app: TestApp) {
    let admin = app.create_token(Role::Admin).await;
    subscribe(&app, "ann@example.org").await;
    let mail = mail(&app, 1).await.pop().unwrap();
    let confirm_url = app.url(&format!("/newsletter/confirm?token={}", token(&mail, "confirm")));

    // Opening the link (as a mail scanner would) changes nothing.
    let page = app.client.get(&confirm_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("<form method=\"post\">"));
    assert_eq!(subscribers(&app, &admin, json!({})).await["nodes"][0]["status"], "PENDING");

    assert_eq!(app.client.post(&confirm_url).send().await.unwrap().status(), 200);
    assert_eq!(subscribers(&app, &admin, json!({})).await["nodes"][0]["status"], "CONFIRMED");
    assert_eq!(app.client.post(&confirm_url).send().await.unwrap().status(), 404);

    // RFC 8058 one-click unsubscribe.
    let unsubscribe_url =
        app.url(&format!("/newsletter/unsubscribe?token={}", token(&mail, "unsubscribe")));
    let response = app
        .client
        .post(&unsubscribe_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(subscribers(&app, &admin, json!({})).await["nodes"][0]["status"], "UNSUBSCRIBED");
    let unknown =
        app.client.post(app.url("/newsletter/unsubscribe?token=nope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}
e2e!(the_links_in_the_mail_act_only_when_their_button_is_pressed);

async fn mail_goes_over_smtp_when_configured(mut app: TestApp) {
    let smtp = SmtpSink::start().await;
    let url = format!("smtp://{}", smtp.addr);
    app.reconfigure(|config| {
        config.newsletter.smtp_url = Some(url);
        config.newsletter.mail_from = "Lifelong Learning <news@lls.example.org>".into();
    })
    .await;
    assert_eq!(data(&subscribe(&app, "ann@example.org").await)["subscribeToNewsletter"], true);
    let received = smtp.wait_for(1).await.pop().unwrap();
    assert_eq!(received.mail_from, "<news@lls.example.org>");
    assert_eq!(received.rcpt_to, vec!["<ann@example.org>".to_string()]);
    assert_eq!(header(&received.data, "To"), "ann@example.org");
    assert!(outbox(&app).is_empty(), "nothing goes to the outbox when SMTP is set");
    let response = confirm(&app, &token(&received.data, "confirm")).await;
    assert_eq!(data(&response)["confirmNewsletterSubscription"], true);
}
e2e!(mail_goes_over_smtp_when_configured);

/// One message an SMTP client handed over.
#[derive(Debug, Clone, Default)]
struct SmtpMessage {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The message as sent, CRLF line ends, dot-stuffing undone.
    data: String,
}

/// A minimal SMTP server on 127.0.0.1 that accepts every message (no TLS, no auth).
struct SmtpSink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<SmtpMessage>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received: Arc<Mutex<Vec<SmtpMessage>>> = Arc::default();
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, store.clone()));
            }
        });
        SmtpSink { addr, received, task }
    }

    async fn wait_for(&self, count: usize) -> Vec<SmtpMessage> {
        for _ in 0..400 {
            let received = self.received.lock().unwrap().clone();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the SMTP server received fewer than {count} messages");
    }
}

async fn smtp_session(stream: TcpStream, store: Arc<Mutex<Vec<SmtpMessage>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    let mut message = SmtpMessage::default();
    let mut in_data = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if in_data {
            if line == "." {
                in_data = false;
                store.lock().unwrap().push(std::mem::take(&mut message));
                let _ = write.write_all(b"250 queued\r\n").await;
            } else {
                message.data.push_str(line.strip_prefix('.').unwrap_or(&line));
                message.data.push_str("\r\n");
            }
            continue;
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 sink\r\n"
        } else if let Some(from) = upper.strip_prefix("MAIL FROM:") {
            message.mail_from = line[line.len() - from.len()..].trim().to_string();
            b"250 ok\r\n"
        } else if let Some(to) = upper.strip_prefix("RCPT TO:") {
            message.rcpt_to.push(line[line.len() - to.len()..].trim().to_string());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            in_data = true;
            b"354 go ahead\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 ok\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
