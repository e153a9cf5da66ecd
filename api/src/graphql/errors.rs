//! Every error a client reads carries a code, set here for HTTP and WebSocket alike. A
//! service's [`ApiError`] reaches async-graphql through its `Display` (the public message)
//! and stays attached as the error's source; this module reads the code and field from it.
//! async-graphql's own errors come without one and are labelled by when they happened.

use async_graphql::{Response, ServerError};
use quire_core::error::{ApiError, codes};

/// Sets `extensions.code` (and `field`) on every error of `response`. `before_execution`
/// says the request was refused before any resolver ran (syntax, validation, limits).
pub fn label(response: &mut Response, before_execution: bool) {
    for error in &mut response.errors {
        label_one(error, before_execution);
    }
}

/// Errors that stopped the request before execution (syntax, validation, limits) carry no
/// path; field errors always do.
pub fn before_execution(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// A service's error as a GraphQL error outside of execution (a refused request).
pub fn server_error(err: ApiError) -> ServerError {
    if let ApiError::Internal(cause) = &err {
        tracing::error!(error = ?cause, "internal error");
    }
    let mut error = ServerError::new(err.to_string(), None);
    set_code(&mut error, &err);
    error
}

/// A refusal of Quire's own, outside of execution, with its code.
pub fn coded(message: &str, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error.extensions.get_or_insert_with(Default::default).set("code", code);
    error
}

fn label_one(error: &mut ServerError, before_execution: bool) {
    if let Some(source) = error.source.clone()
        && let Some(err) = source.downcast_ref::<ApiError>()
    {
        if let ApiError::Internal(cause) = err {
            tracing::error!(error = ?cause, "internal error");
        }
        set_code(error, err);
        return;
    }
    if error.extensions.as_ref().is_some_and(|e| e.get("code").is_some()) {
        return;
    }
    let code = if is_bad_value(&error.message) {
        codes::BAD_USER_INPUT
    } else if before_execution {
        // Quire's own limits are checked, and coded, before async-graphql validates.
        codes::GRAPHQL_VALIDATION_FAILED
    } else {
        // A fault of ours met while resolving (missing context data, say): its words are
        // for the log, not the client.
        tracing::error!(error = %error.message, path = ?error.path, "internal error");
        error.message = "internal error".to_string();
        codes::INTERNAL_SERVER_ERROR
    };
    error.extensions.get_or_insert_with(Default::default).set("code", code);
}

fn set_code(error: &mut ServerError, err: &ApiError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", err.code());
    if let Some(field) = err.field() {
        extensions.set("field", field);
    }
}

/// async-graphql's words for an argument or variable whose value does not fit its type,
/// or a variable the request left out, in validation and while arguments are read.
fn is_bad_value(message: &str) -> bool {
    ["Invalid value", "Variable ", "Failed to parse", "Expected input type"]
        .iter()
        .any(|start| message.starts_with(start))
}

#[cfg(test)]
mod tests {
    use async_graphql::{Pos, Value};

    use super::*;

    fn labelled(error: ServerError, before_execution: bool) -> ServerError {
        let mut response = Response::from_errors(vec![error]);
        response.data = Value::Null;
        label(&mut response, before_execution);
        response.errors.remove(0)
    }

    fn from_service(err: ApiError) -> ServerError {
        let error: async_graphql::Error = err.into();
        error.into_server_error(Pos { line: 1, column: 3 })
    }

    fn code(error: &ServerError) -> String {
        error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn service_errors_keep_their_code_and_field() {
        let error = labelled(from_service(ApiError::bad_input("slug", "taken")), false);
        assert_eq!(code(&error), "\"BAD_USER_INPUT\"");
        let field = error.extensions.as_ref().and_then(|e| e.get("field")).map(|v| v.to_string());
        assert_eq!(field.as_deref(), Some("\"slug\""));
        assert_eq!(error.message, "taken");
        let error = labelled(from_service(ApiError::Conflict("saved first".into())), false);
        assert_eq!(code(&error), "\"CONFLICT\"");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = labelled(from_service(ApiError::Internal(anyhow::anyhow!("SELECT 1"))), false);
        assert_eq!(
            (error.message.as_str(), code(&error).as_str()),
            ("internal error", "\"INTERNAL_SERVER_ERROR\"")
        );
    }

    #[test]
    fn uncoded_errors_are_labelled_by_when_they_happened() {
        let plain = |m: &str| ServerError::new(m, None);
        assert_eq!(
            code(&labelled(plain("Unknown field \"x\""), true)),
            "\"GRAPHQL_VALIDATION_FAILED\""
        );
        assert_eq!(
            code(&labelled(plain("Invalid value for argument \"first\""), false)),
            "\"BAD_USER_INPUT\""
        );
        assert_eq!(
            code(&labelled(plain("Variable $n is not defined."), false)),
            "\"BAD_USER_INPUT\""
        );
        let late = labelled(plain("Data `Media` does not exist."), false);
        assert_eq!(
            (late.message.as_str(), code(&late).as_str()),
            ("internal error", "\"INTERNAL_SERVER_ERROR\"")
        );
    }
}
