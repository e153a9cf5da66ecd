//! Metrics in Prometheus text format at `GET /metrics`: requests by route and status with
//! latency histograms, GraphQL operations by name and outcome, SQL statements, the
//! database pool, the response and query caches, scheduled changes, the webhook backlog and
//! booklet downloads.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// Latency buckets, in seconds: Quire answers most requests in well under a millisecond.
const LATENCY_BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// How often histograms' samples are folded into their buckets.
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(1);

/// One recorder per process (tests run many servers in one process).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            ::metrics::set_global_recorder(recorder).ok()?;
            // Histograms keep every sample until they are folded into their buckets, which
            // a scrape does: without a scraper they would grow by each request's timings.
            let folding = handle.clone();
            std::thread::Builder::new()
                .name("quire-metrics".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP);
                        folding.run_upkeep();
                    }
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder; call once at start-up.
pub fn init() {
    if handle().is_none() {
        tracing::warn!("metrics are off: another recorder is installed");
    }
}

/// Counts and times every request by its route pattern (not its path, which would make a
/// series per file) and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    ::metrics::counter!("quire_http_requests_total", &labels).increment(1);
    ::metrics::histogram!("quire_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

/// Distinct operation names given their own series; later ones are counted as `other`.
const MAX_OPERATION_NAMES: usize = 200;

/// The label for an operation name. Names come from clients, so the set is bounded: a
/// client sending a new name with every request must not grow the server's memory.
fn operation_label(name: Option<&str>) -> String {
    static SEEN: std::sync::Mutex<Option<std::collections::HashSet<String>>> =
        std::sync::Mutex::new(None);
    let Some(name) = name else { return "anonymous".to_string() };
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return "other".to_string();
    }
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let seen = seen.get_or_insert_with(Default::default);
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_string());
        name.to_string()
    } else {
        "other".to_string()
    }
}

/// A GraphQL operation's name (or `anonymous`) and whether it had errors.
pub fn operation(name: Option<&str>, ok: bool, seconds: f64) {
    let name = operation_label(name);
    let outcome = if ok { "ok" } else { "error" };
    ::metrics::counter!("quire_graphql_operations_total", "operation" => name.clone(), "outcome" => outcome)
        .increment(1);
    ::metrics::histogram!("quire_graphql_operation_duration_seconds", "operation" => name)
        .record(seconds);
}

/// An operation that ran without async-graphql's validation of its text, which had passed
/// before (see [`crate::graphql::Schemas`]).
pub fn validation_skipped(name: Option<&str>) {
    ::metrics::counter!("quire_graphql_validations_skipped_total", "operation" => operation_label(name))
        .increment(1);
}

pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (http::StatusCode::SERVICE_UNAVAILABLE, "metrics are off").into_response();
    };
    // Values read at scrape time.
    ::metrics::counter!("quire_sql_statements_total").absolute(state.db.statement_count());
    let pool = state.db.pool_state();
    ::metrics::gauge!("quire_db_pool_connections").set(pool.0 as f64);
    ::metrics::gauge!("quire_db_pool_idle_connections").set(pool.1 as f64);
    match quire_core::webhooks::delivery::backlog(&state.db).await {
        Ok(n) => ::metrics::gauge!("quire_webhook_backlog").set(n as f64),
        Err(err) => tracing::warn!(error = ?err, "counting the webhook backlog"),
    }
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("HomePage")), "HomePage");
        assert_eq!(operation_label(Some("not a name")), "other");
        for i in 0..MAX_OPERATION_NAMES + 10 {
            operation_label(Some(&format!("Random{i}")));
        }
        assert_eq!(operation_label(Some("OneTooMany")), "other");
        assert_eq!(operation_label(Some("HomePage")), "HomePage", "names already seen keep theirs");
    }
}
