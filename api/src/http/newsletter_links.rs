//! The pages the links in newsletter mail open: `/newsletter/confirm?token=…` and
//! `/newsletter/unsubscribe?token=…`. Opening a link shows a button; only the button's POST
//! acts, because mail scanners open links by themselves and must not confirm a sign-up
//! nobody asked for. The unsubscribe POST is also RFC 8058's one-click unsubscribe.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use http::header::{CACHE_CONTROL, REFERRER_POLICY};
use serde::Deserialize;

use super::AppState;
use quire_core::error::ApiError;
use quire_core::newsletter;

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn confirm_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(query, "Confirm your subscription", "Confirm")
}

pub async fn unsubscribe_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(query, "Unsubscribe from the newsletter", "Unsubscribe")
}

pub async fn confirm(State(state): State<AppState>, Query(query): Query<TokenQuery>) -> Response {
    let token = query.token.unwrap_or_default();
    outcome(newsletter::confirm(&state.db, &token).await, "You are subscribed. Thank you!")
}

pub async fn unsubscribe(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    outcome(newsletter::unsubscribe(&state.db, &token).await, "You are unsubscribed.")
}

fn outcome(result: Result<(), ApiError>, done: &str) -> Response {
    match result {
        Ok(()) => page(StatusCode::OK, done, ""),
        Err(ApiError::NotFound(_)) => page(
            StatusCode::NOT_FOUND,
            "This link is unknown, used or expired.",
            "<p>Sign up again to get a new one.</p>",
        ),
        Err(err) => {
            tracing::error!(error = ?err, "following a newsletter link");
            page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong. Try again later.", "")
        }
    }
}

/// A form with no action posts back to the same address, token included, so the token
/// is never copied into the page.
fn button_page(query: TokenQuery, title: &str, button: &str) -> Response {
    if query.token.is_none_or(|t| t.is_empty()) {
        return page(StatusCode::NOT_FOUND, "This link is incomplete.", "");
    }
    let form = format!("<form method=\"post\"><button type=\"submit\">{button}</button></form>");
    page(StatusCode::OK, title, &form)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    );
    // The address holds a token: it must not leak to other sites or stay in caches.
    (status, [(CACHE_CONTROL, "no-store"), (REFERRER_POLICY, "no-referrer")], Html(html))
        .into_response()
}
