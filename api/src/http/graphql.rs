//! GraphQL over HTTP, following the GraphQL-over-HTTP spec: queries by GET or POST,
//! mutations by POST only, `application/graphql-response+json` when the client accepts it
//! (with 4xx for requests that cannot run) and `application/json` otherwise. A browser
//! asking for HTML gets GraphiQL.

use async_graphql::http::{GraphiQLSource, MultipartOptions};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ParseRequestError, ServerError};
use axum::body::Body;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use http::header::{
    ACCEPT, ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    VARY, WWW_AUTHENTICATE,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::AppState;
use super::response_cache::{self, CachedResponse};
use crate::graphql::{InputIndex, Known, Refused, RequestContext};
use quire_core::auth::{self, Actor};
use quire_core::commits::Scope;
use quire_core::error::ApiError;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if query.is_empty() && state.graphiql && accepts(&headers, "text/html") {
        let page = GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Quire GraphiQL")
            .finish();
        return Html(page).into_response();
    }
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => return request_error(&headers, StatusCode::BAD_REQUEST, &err.to_string()),
    };
    execute(&state, peer, &headers, request, Via::Get).await
}

/// How a request came: GET answers may be cached by HTTP caches and never run mutations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Get,
    Post,
}

/// With the largest file size, bounds a whole multipart request (async-graphql does not
/// count the files themselves); the body limit bounds it too.
const MAX_FILES: usize = 2;

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type == "multipart/form-data" {
        // Only editors upload: anyone else is refused before a byte of the body is read.
        let actor = match authenticate(&state, &headers).await {
            Ok(actor) => actor,
            Err(response) => return closing(response),
        };
        if let Err(err) = quire_core::media::assets::may_upload(&actor) {
            return closing(refusal(&headers, err));
        }
        return match receive_upload(&state, content_type, body).await {
            Ok(request) => execute_as(&state, peer, &headers, request, actor, Via::Post).await,
            Err((status, message)) => closing(request_error(&headers, status, &message)),
        };
    }
    if !matches!(media_type.as_str(), "" | "application/json" | "application/graphql") {
        return request_error(
            &headers,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as `Content-Type: application/json`",
        );
    }
    // An announced length over the limit is refused before any of the body is read.
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large =
        || request_error(&headers, StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large");
    if announced.is_some_and(|n| n > state.max_body_bytes) {
        return closing(too_large());
    }
    let Ok(body) = axum::body::to_bytes(body, state.max_body_bytes).await else {
        return too_large();
    };
    let parsed = if media_type == "application/graphql" {
        String::from_utf8(body.to_vec()).map(async_graphql::Request::new).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<async_graphql::Request>(&body)
            .map_err(|e| format!("invalid JSON body: {e}"))
    };
    match parsed {
        Ok(request) => execute(&state, peer, &headers, request, Via::Post).await,
        Err(message) => request_error(&headers, StatusCode::BAD_REQUEST, &message),
    }
}

/// A GraphQL multipart request (uploads). The files are streamed to temporary files as
/// they arrive, so memory stays bounded whatever their size, and the size limit is
/// enforced while streaming.
async fn receive_upload(
    state: &AppState,
    content_type: &str,
    body: Body,
) -> Result<async_graphql::Request, (StatusCode, String)> {
    use futures_util::TryStreamExt;
    use tokio_util::compat::TokioAsyncReadCompatExt;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream).compat();
    let max_file = usize::try_from(state.media.max_upload_bytes).unwrap_or(usize::MAX);
    let options = MultipartOptions::default().max_file_size(max_file).max_num_files(MAX_FILES);
    let too_large =
        || (StatusCode::PAYLOAD_TOO_LARGE, format!("a file is larger than {max_file} bytes"));
    async_graphql::http::receive_body(Some(content_type), reader, options).await.map_err(|err| {
        match err {
            ParseRequestError::PayloadTooLarge => too_large(),
            // The body limit, met while streaming a body of no announced length.
            ParseRequestError::Io(e) if e.to_string().contains("length limit") => too_large(),
            ParseRequestError::Io(e) => {
                tracing::warn!(error = %e, "reading an upload");
                (StatusCode::BAD_REQUEST, "the upload could not be read".to_string())
            }
            other => (StatusCode::BAD_REQUEST, format!("invalid multipart request: {other}")),
        }
    })
}

async fn execute(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    request: async_graphql::Request,
    via: Via,
) -> Response {
    match authenticate(state, headers).await {
        Ok(actor) => execute_as(state, peer, headers, request, actor, via).await,
        Err(response) => response,
    }
}

/// The caller, or the response that refuses them.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Actor, Response> {
    auth::authenticate(&state.db, headers).await.map_err(|err| refusal(headers, err))
}

fn refusal(headers: &HeaderMap, err: ApiError) -> Response {
    let status = match err {
        ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = error_response(headers, status, err);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

async fn execute_as(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    mut request: async_graphql::Request,
    actor: Actor,
    via: Via,
) -> Response {
    if let Err(err) = state.persisted.resolve(&mut request) {
        let response = async_graphql::Response::from_errors(vec![err]);
        return private(render_without_data(headers, StatusCode::OK, &response));
    }
    if request.query.trim().is_empty() {
        return request_error(headers, StatusCode::BAD_REQUEST, "the request has no query");
    }
    // Only a text that mentions "mutation" can be one, and only then is it parsed before the
    // response cache is asked: a cached answer needs no document.
    let may_mutate = request.query.contains("mutation");
    let (mut request, known) = if may_mutate {
        state.documents.prepare_known(request)
    } else {
        (request, Known::default())
    };
    let mutation = may_mutate && is_mutation(&mut request);
    if via == Via::Get && mutation {
        let mut response = request_error(
            headers,
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        );
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let public = matches!(actor, Actor::Public);
    // Only the public's queries are shared: everyone else may see drafts.
    let cache_key = (public && !mutation && state.responses.is_on())
        .then(|| response_cache::key(&request, response_format(headers)));
    let operation = request.operation_name.clone();
    let started = std::time::Instant::now();
    let commits = state.db.commits();
    if let Some(hit) = cache_key.as_ref().and_then(|key| state.responses.get(key, commits)) {
        super::metrics::operation(operation.as_deref(), true, started.elapsed().as_secs_f64());
        return public_answer(state, headers, via, hit.body, &hit.etag);
    }
    let client = state.client_ip(peer, headers);
    let (mut request, known) =
        if may_mutate { (request, known) } else { state.documents.prepare_known(request) };
    let checked = match guard(state, &mut request, public) {
        Ok(checked) => checked,
        Err(stop) => return private(refused_before_running(headers, stop)),
    };
    // What the answer may show, and where the writes within it stand before it is read.
    let scope = match (&cache_key, request.parsed_query()) {
        (Some(_), Ok(document)) => response_cache::scope(document, operation.as_deref()),
        _ => Scope::EVERYTHING,
    };
    let stamp = commits.stamp(scope);
    let mut request = request.data(RequestContext::new(state.db.clone(), actor, Some(client)));
    let validated_before = known.validated();
    let schema = if validated_before && on_text(state, &mut request, InputIndex::fits) {
        super::metrics::validation_skipped(operation.as_deref());
        &state.validated_schema
    } else {
        &state.schema
    };
    // Whether this request's pass of the full validation counts for its text.
    let counts = !validated_before && on_text(state, &mut request, InputIndex::covers);
    let turn = state.budget.enter(checked.cost).await;
    let place = match mutation || !checked.reads_data {
        true => None,
        false => Some(state.running.enter(client).await),
    };
    let mut response = schema.execute(request).await;
    drop((place, turn));
    super::metrics::operation(
        operation.as_deref(),
        response.errors.is_empty(),
        started.elapsed().as_secs_f64(),
    );
    let before_execution = crate::graphql::errors::before_execution(&response);
    if counts && !before_execution {
        known.passed_validation();
    }
    crate::graphql::errors::label(&mut response, before_execution);
    let status = if before_execution { request_error_status(headers) } else { StatusCode::OK };
    if before_execution {
        return private(render_without_data(headers, status, &response));
    }
    let shareable = public && response.errors.is_empty() && response.http_headers.is_empty();
    if !shareable {
        return private(render(headers, status, &response));
    }
    let body = match serde_json::to_vec(&response) {
        // Only an answer the cache keeps needs a copy of its exact length.
        Ok(body) if cache_key.is_some() => response_cache::exact(body),
        Ok(body) => Bytes::from(body),
        Err(err) => {
            tracing::error!(error = %err, "serialising a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = response_cache::etag(&body);
    if let Some(key) = cache_key {
        let stored_at = std::time::Instant::now();
        let stored =
            CachedResponse { scope, stamp, stored_at, body: body.clone(), etag: etag.clone() };
        state.responses.put(key, stored);
    }
    public_answer(state, headers, via, body, &etag)
}

/// What the checks before running found of a request that may run.
struct Checked {
    cost: u64,
    /// Whether it asks for anything but `__typename` and introspection.
    reads_data: bool,
}

/// Why a request stops before async-graphql validates it.
enum Stop {
    /// The text is not a GraphQL document.
    Syntax(ServerError),
    Refused(Refused),
}

/// Parses a request and checks it before it is validated or run (see
/// [`crate::graphql::RequestGuard`]); what it was measured to cost when it may run.
fn guard(
    state: &AppState,
    request: &mut async_graphql::Request,
    public: bool,
) -> Result<Checked, Stop> {
    let operation_name = request.operation_name.clone();
    let variables = std::mem::take(&mut request.variables);
    let checked = match request.parsed_query() {
        Ok(document) => state
            .guard
            .check(document, operation_name.as_deref(), &variables, public)
            .map(|cost| Checked {
                cost: cost.cost,
                reads_data: crate::graphql::reads_data(document, operation_name.as_deref()),
            })
            .map_err(Stop::Refused),
        Err(err) => Err(Stop::Syntax(err)),
    };
    request.variables = variables;
    checked
}

/// One of the checks of a request's text, operation and variables against the schema's
/// input types, such as [`InputIndex::fits`].
fn on_text(
    state: &AppState,
    request: &mut async_graphql::Request,
    check: fn(&InputIndex, &ExecutableDocument, Option<&str>, &async_graphql::Variables) -> bool,
) -> bool {
    let operation_name = request.operation_name.clone();
    let variables = std::mem::take(&mut request.variables);
    let holds = request.parsed_query().is_ok_and(|document| {
        check(state.guard.inputs(), document, operation_name.as_deref(), &variables)
    });
    request.variables = variables;
    holds
}

/// The status of an answer to a request that could not run: 400 for clients of the GraphQL
/// response media type, 200 for `application/json` ones, as the GraphQL-over-HTTP spec says.
fn request_error_status(headers: &HeaderMap) -> StatusCode {
    if wants_graphql_response(headers) { StatusCode::BAD_REQUEST } else { StatusCode::OK }
}

/// A parser's error as a sentence: its last line says what was expected, and the location
/// goes in `locations` (the parser's own message draws the line with ASCII art).
fn syntax_sentence(err: &ServerError) -> String {
    let expected = err
        .message
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("= "))
        .unwrap_or_else(|| err.message.lines().next().unwrap_or_default().trim());
    match err.locations.first() {
        Some(at) => format!(
            "the query does not parse at line {}, column {}: {expected}",
            at.line, at.column
        ),
        None => format!("the query does not parse: {expected}"),
    }
}

/// The answer to a request stopped before it ran. A document that does not parse, or that
/// is over a limit, is answered as a validation failure is, with no `data`; a protected
/// mutation called by the public as its resolver would have answered, whatever its
/// arguments.
fn refused_before_running(headers: &HeaderMap, stop: Stop) -> Response {
    let (status, body) = match stop {
        Stop::Syntax(err) => {
            let locations: Vec<_> = err
                .locations
                .iter()
                .map(|at| serde_json::json!({ "line": at.line, "column": at.column }))
                .collect();
            let error = serde_json::json!({
                "message": syntax_sentence(&err),
                "locations": locations,
                "extensions": { "code": quire_core::error::codes::GRAPHQL_PARSE_FAILED },
            });
            (request_error_status(headers), serde_json::json!({ "errors": [error] }))
        }
        Stop::Refused(Refused::TooComplex(refusal)) => {
            let error = serde_json::json!({
                "message": format!("the query is too complex: {}", refusal.message()),
                "extensions": { "code": quire_core::error::codes::QUERY_TOO_COMPLEX },
            });
            (request_error_status(headers), serde_json::json!({ "errors": [error] }))
        }
        Stop::Refused(Refused::Unauthenticated { field }) => {
            let error = serde_json::json!({
                "message": "sign in to do this",
                "path": [field],
                "extensions": { "code": quire_core::error::codes::UNAUTHENTICATED },
            });
            (StatusCode::OK, serde_json::json!({ "data": null, "errors": [error] }))
        }
    };
    (status, [(CONTENT_TYPE, content_type(headers))], body.to_string()).into_response()
}

/// A successful public answer: over GET with an `ETag` and the configured `Cache-Control`,
/// and `304 Not Modified` when the client already has it.
fn public_answer(
    state: &AppState,
    headers: &HeaderMap,
    via: Via,
    body: Bytes,
    etag: &str,
) -> Response {
    let content_type = content_type(headers);
    let mut response = if via == Via::Get
        && headers
            .get(IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| response_cache::matches(tags, etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, [(CONTENT_TYPE, content_type)], body).into_response()
    };
    let out = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(etag) {
        out.insert(ETAG, etag);
    }
    out.insert(VARY, HeaderValue::from_static("Accept, Authorization"));
    let cache_control = match via {
        Via::Get => state.public_cache_control.clone(),
        Via::Post => HeaderValue::from_static("no-store"),
    };
    out.insert(CACHE_CONTROL, cache_control);
    response
}

/// Answers that are not the public's to share (signed-in callers, errors, previews) are
/// never stored by any cache.
fn private(mut response: Response) -> Response {
    let out = response.headers_mut();
    out.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-store"));
    out.insert(VARY, HeaderValue::from_static("Accept, Authorization"));
    response
}

/// A refusal sent before the whole body was read: the rest of it will not be read, so the
/// connection closes after the answer, and the client must not send another request on it.
fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let operation_name = request.operation_name.clone();
    // Parsed once: the document is kept in the request for its execution.
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => ops.iter().any(|(name, op)| {
            op.node.ty == OperationType::Mutation
                && operation_name.as_deref().is_none_or(|wanted| wanted == name.as_str())
        }),
    }
}

fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains(media_type))
}

fn wants_graphql_response(headers: &HeaderMap) -> bool {
    accepts(headers, GRAPHQL_RESPONSE_JSON)
}

fn content_type(headers: &HeaderMap) -> &'static str {
    if wants_graphql_response(headers) { GRAPHQL_RESPONSE_JSON } else { "application/json" }
}

/// The response format asked for, as part of a cache key.
fn response_format(headers: &HeaderMap) -> &'static str {
    if wants_graphql_response(headers) { "graphql-response" } else { "json" }
}

fn render(headers: &HeaderMap, status: StatusCode, response: &async_graphql::Response) -> Response {
    render_with(headers, status, response, true)
}

/// A response to a request that did not run: the GraphQL spec says it has no `data` entry.
fn render_without_data(
    headers: &HeaderMap,
    status: StatusCode,
    response: &async_graphql::Response,
) -> Response {
    render_with(headers, status, response, false)
}

fn render_with(
    headers: &HeaderMap,
    status: StatusCode,
    response: &async_graphql::Response,
    with_data: bool,
) -> Response {
    let content_type = content_type(headers);
    let serialised = if with_data {
        serde_json::to_vec(response)
    } else {
        serde_json::to_value(response).and_then(|mut value| {
            if let Some(object) = value.as_object_mut() {
                object.remove("data");
            }
            serde_json::to_vec(&value)
        })
    };
    let body = match serialised {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "serialising a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut out = (status, [(CONTENT_TYPE, content_type)], body).into_response();
    for (name, value) in response.http_headers.iter() {
        out.headers_mut().append(name, value.clone());
    }
    out
}

fn error_response(headers: &HeaderMap, status: StatusCode, err: ApiError) -> Response {
    let error = crate::graphql::errors::server_error(err);
    render_without_data(headers, status, &async_graphql::Response::from_errors(vec![error]))
}

fn request_error(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    error_response(headers, status, ApiError::bad_input("request", message))
}
