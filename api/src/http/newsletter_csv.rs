//! `GET /admin/newsletter.csv`: the confirmed newsletter subscribers as CSV, for an admin
//! to import into a mailing tool. Authenticated like the API: `Authorization: Bearer`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use quire_entity::newsletter_subscriber;

use super::AppState;
use quire_core::auth;
use quire_core::error::ApiError;
use quire_core::newsletter;

pub async fn export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let rows = match auth::authenticate(&state.db, &headers).await {
        Ok(actor) => newsletter::export(&state.db, &actor).await,
        Err(err) => Err(err),
    };
    let body = rows.and_then(|rows| to_csv(&rows).map_err(ApiError::Internal));
    match body {
        Ok(body) => {
            let filename = format!(
                "attachment; filename=\"newsletter-subscribers-{}.csv\"",
                chrono::Utc::now().format("%Y-%m-%d")
            );
            (
                [
                    (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (CONTENT_DISPOSITION, filename),
                    (CACHE_CONTROL, "no-store".to_string()),
                ],
                body,
            )
                .into_response()
        }
        Err(ApiError::Unauthenticated(message)) => {
            (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")], message).into_response()
        }
        Err(ApiError::Forbidden(message)) => (StatusCode::FORBIDDEN, message).into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "exporting newsletter subscribers");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn to_csv(rows: &[newsletter_subscriber::Model]) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["email", "status", "subscribed_at", "confirmed_at"])?;
    for row in rows {
        let confirmed_at = row.confirmed_at.map(|at| at.to_rfc3339()).unwrap_or_default();
        out.write_record([
            defused(&row.email).as_str(),
            "confirmed",
            &row.created_at.to_rfc3339(),
            &confirmed_at,
        ])?;
    }
    Ok(out.into_inner()?)
}

/// A spreadsheet runs a cell that starts with one of these as a formula; a leading
/// apostrophe makes it text (OWASP's advice against CSV injection). An address may start
/// with `=`, `+` or `-`.
fn defused(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::defused;

    #[test]
    fn formula_cells_become_text() {
        assert_eq!(defused("=cmd@example.org"), "'=cmd@example.org");
        assert_eq!(defused("+1@example.org"), "'+1@example.org");
        assert_eq!(defused("-x@example.org"), "'-x@example.org");
        assert_eq!(defused("ann@example.org"), "ann@example.org");
    }
}
