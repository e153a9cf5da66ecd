//! Hostile requests: limits keyed on the client used against the people they protect.
//! Failing at someone's email on purpose does not lock them out, and a client rotating
//! through the addresses of its IPv6 /64 is still one client. Each test runs the real
//! binary behind a pretend proxy (`--trusted-proxies 127.0.0.1`), so `X-Forwarded-For`
//! names the client.

use std::time::{Duration, Instant};

use quire_api::auth::Role;
use serde_json::{Value, json};

use super::assert_peak_rss;
use crate::fixtures::{PASSWORD, user};
use crate::process::QuireProcess;
use crate::support::{TestApp, data, e2e, error_code};

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
const WRONG: &str = "not the password at all";
const OWNER: &str = "owner@lls.example.org";

/// Runs `query` as the client at `from`.
async fn from(process: &QuireProcess, from: &str, query: &str, variables: Value) -> Value {
    crate::support::http_client()
        .post(process.url("/graphql"))
        .header("X-Forwarded-For", from)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON body")
}

async fn sign_in(process: &QuireProcess, client: &str, email: &str, password: &str) -> Value {
    from(process, client, LOGIN, json!({ "e": email, "p": password })).await
}

/// Checks that a sign-in succeeded and its token speaks for the owner.
async fn assert_owner_signed_in(app: &TestApp, signed_in: &Value, context: &str) {
    let token = data(signed_in)["login"]["token"].as_str().unwrap();
    let me = app.gql_as(token, "{ me { email } }", json!({})).await;
    assert_eq!(data(&me)["me"]["email"], OWNER, "{context}");
}

fn behind_proxy<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut flags = vec!["--trusted-proxies", "127.0.0.1"];
    flags.extend_from_slice(more);
    flags
}

async fn failing_at_an_email_on_purpose_does_not_lock_its_owner_out(app: TestApp) {
    user(&app, OWNER, Role::Editor).await;
    let process = QuireProcess::start_with(&app, &behind_proxy(&[]));
    // From one IPv4 address, and from one IPv6 /64 an address at a time.
    let attackers: Vec<String> = (1..=15)
        .flat_map(|i| ["203.0.113.66".to_string(), format!("2001:db8:66:1:{i:x}::{i:x}")])
        .collect();
    let mut refused = 0;
    for (i, attacker) in attackers.iter().enumerate() {
        let tried = sign_in(&process, attacker, OWNER, WRONG).await;
        let code = error_code(&tried);
        if i < 10 {
            assert_eq!(code, "UNAUTHENTICATED", "{attacker}'s first five tries are checked");
        } else {
            assert_eq!(code, "RATE_LIMITED", "then {attacker} is held back");
            refused += 1;
        }
    }
    assert_eq!(refused, 20);

    // Meanwhile the owner signs in, from anywhere else.
    for owner in ["198.51.100.7", "2001:db8:77::1"] {
        let signed_in = sign_in(&process, owner, OWNER, PASSWORD).await;
        assert_owner_signed_in(&app, &signed_in, owner).await;
    }
    assert_peak_rss(&process);
}
e2e!(failing_at_an_email_on_purpose_does_not_lock_its_owner_out);

async fn rotating_through_an_ipv6_slash_64_is_still_one_client(app: TestApp) {
    let process = QuireProcess::start_with(
        &app,
        &behind_proxy(&[
            "--login-attempts-per-address-per-minute",
            "3",
            "--newsletter-signups-per-address-per-hour",
            "2",
        ]),
    );
    // Sign-in: a different account and a different address each time.
    for i in 1..=3 {
        let tried = sign_in(
            &process,
            &format!("2001:db8:9:9::{i}"),
            &format!("a{i}@lls.example.org"),
            WRONG,
        )
        .await;
        assert_eq!(error_code(&tried), "UNAUTHENTICATED");
    }
    let rotated = sign_in(&process, "2001:db8:9:9:ffff:1:2:3", "a4@lls.example.org", WRONG).await;
    assert_eq!(error_code(&rotated), "RATE_LIMITED");
    let neighbour = sign_in(&process, "2001:db8:9:a::1", "a5@lls.example.org", WRONG).await;
    assert_eq!(error_code(&neighbour), "UNAUTHENTICATED", "the next /64 is another client");

    // Newsletter sign-up, the same.
    let subscribe = "mutation($e: String!) { subscribeToNewsletter(email: $e) }";
    for i in 1..=2 {
        let done = from(
            &process,
            &format!("2001:db8:5:6::{i}"),
            subscribe,
            json!({ "e": format!("r{i}@lls.example.org") }),
        )
        .await;
        assert_eq!(data(&done)["subscribeToNewsletter"], true);
    }
    let rotated =
        from(&process, "2001:db8:5:6:abcd::3", subscribe, json!({ "e": "r3@lls.example.org" }))
            .await;
    assert_eq!(error_code(&rotated), "RATE_LIMITED");
    let neighbour =
        from(&process, "2001:db8:5:7::1", subscribe, json!({ "e": "r4@lls.example.org" })).await;
    assert_eq!(data(&neighbour)["subscribeToNewsletter"], true);
    assert_peak_rss(&process);
}
e2e!(rotating_through_an_ipv6_slash_64_is_still_one_client);

async fn many_clients_at_one_account_are_slowed_never_refused(app: TestApp) {
    user(&app, OWNER, Role::Editor).await;
    let process = QuireProcess::start_with(
        &app,
        &behind_proxy(&["--login-attempts-per-account-per-minute", "3"]),
    );
    // The hold-back past the budget is 2 s; checking a password takes a small part of that.
    let held_back = Duration::from_millis(1900);
    for i in 1..=3 {
        let started = Instant::now();
        let tried = sign_in(&process, &format!("203.0.113.{i}"), OWNER, WRONG).await;
        assert_eq!(error_code(&tried), "UNAUTHENTICATED");
        assert!(started.elapsed() < held_back, "within the budget: not held back");
    }
    let started = Instant::now();
    let tried = sign_in(&process, "203.0.113.4", OWNER, WRONG).await;
    assert_eq!(error_code(&tried), "UNAUTHENTICATED", "past the budget: checked, not refused");
    assert!(started.elapsed() >= held_back, "but held back: {:?}", started.elapsed());
    let started = Instant::now();
    let owner = sign_in(&process, "198.51.100.7", OWNER, PASSWORD).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_owner_signed_in(&app, &owner, "the owner gets in").await;
    assert_peak_rss(&process);
}
e2e!(many_clients_at_one_account_are_slowed_never_refused);

async fn many_sign_ins_at_once_are_bounded_in_memory(app: TestApp) {
    let process = QuireProcess::start_with(&app, &behind_proxy(&[]));
    // Each password check needs 19 MiB of working memory: forty at once from forty
    // clients would need 760 MiB if each had its own.
    let attempts = (0..40).map(|i| {
        let process = &process;
        async move {
            sign_in(process, &format!("192.0.2.{i}"), &format!("n{i}@lls.example.org"), WRONG).await
        }
    });
    let answers =
        tokio::time::timeout(Duration::from_secs(60), futures_util::future::join_all(attempts))
            .await
            .expect("every attempt answered within a minute");
    for answer in &answers {
        assert_eq!(error_code(answer), "UNAUTHENTICATED");
    }
    assert_peak_rss(&process);
}
e2e!(many_sign_ins_at_once_are_bounded_in_memory);
