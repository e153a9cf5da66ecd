//! One error type for every service, with the contract's codes. Its `Display` is what a
//! client may read: internal errors show as "internal error", their cause is kept for the
//! log. The GraphQL layer sets `extensions.code` from [`ApiError::code`] in one place.

use std::fmt;

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// The `extensions.code` of every error a client may see, as the contract lists them.
pub mod codes {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const CONFLICT: &str = "CONFLICT";
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
}

/// What went wrong, in words a client may read, with the contract's code.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated(&'static str),
    Forbidden(&'static str),
    BadUserInput { field: String, message: String },
    NotFound(String),
    Conflict(String),
    RateLimited(&'static str),
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadUserInput { field: field.into(), message: message.into() }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => codes::UNAUTHENTICATED,
            ApiError::Forbidden(_) => codes::FORBIDDEN,
            ApiError::BadUserInput { .. } => codes::BAD_USER_INPUT,
            ApiError::NotFound(_) => codes::NOT_FOUND,
            ApiError::Conflict(_) => codes::CONFLICT,
            ApiError::RateLimited(_) => codes::RATE_LIMITED,
            ApiError::Internal(_) => codes::INTERNAL_SERVER_ERROR,
        }
    }

    /// Maps a unique-constraint violation on one of `constraints` (index name, or the
    /// `table.column` SQLite names instead) to a field error; anything else is internal.
    pub fn from_db_unique(err: DbErr, constraints: &[(&str, &str, &str)]) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            for (index, sqlite_column, field) in constraints {
                if detail.contains(index) || detail.contains(sqlite_column) {
                    return ApiError::bad_input(*field, format!("this {field} is already in use"));
                }
            }
        }
        ApiError::from(err)
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if is_collision(&err) {
            tracing::info!(error = %err, "a transaction collided with another and was rolled back");
            return ApiError::Conflict(
                "this change ran into another made at the same moment, and nothing was saved: \
                 try again"
                    .to_string(),
            );
        }
        ApiError::Internal(err.into())
    }
}

/// PostgreSQL rolled the transaction back because it ran into another one: a deadlock, or a
/// serialisation failure. Nothing of it was written, and trying again is the cure.
fn is_collision(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause))) =
        err
    else {
        return false;
    };
    cause
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| matches!(code.as_ref(), "40P01" | "40001"))
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::Internal(err)
    }
}

impl ApiError {
    /// The error for a command line: a sentence naming the field at fault, or the cause of
    /// an internal error, which the operator may read.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            ApiError::Internal(cause) => cause,
            ApiError::BadUserInput { field, message } => anyhow::anyhow!("{field}: {message}"),
            other => anyhow::anyhow!("{other}"),
        }
    }

    /// The field an input error is about.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadUserInput { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// The public message: never the cause of an internal error.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthenticated(m) | ApiError::Forbidden(m) | ApiError::RateLimited(m) => {
                f.write_str(m)
            }
            ApiError::BadUserInput { message, .. } => f.write_str(message),
            ApiError::NotFound(m) | ApiError::Conflict(m) => f.write_str(m),
            ApiError::Internal(_) => f.write_str("internal error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_code() {
        let cases = [
            (ApiError::Unauthenticated("x"), codes::UNAUTHENTICATED),
            (ApiError::Forbidden("x"), codes::FORBIDDEN),
            (ApiError::bad_input("slug", "x"), codes::BAD_USER_INPUT),
            (ApiError::not_found("page"), codes::NOT_FOUND),
            (ApiError::Conflict("x".into()), codes::CONFLICT),
            (ApiError::RateLimited("x"), codes::RATE_LIMITED),
            (ApiError::Internal(anyhow::anyhow!("secret")), codes::INTERNAL_SERVER_ERROR),
        ];
        for (err, expected) in cases {
            assert_eq!(err.code(), expected);
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let err = ApiError::bad_input("slug", "taken");
        assert_eq!((err.field(), err.to_string().as_str()), (Some("slug"), "taken"));
        assert_eq!(ApiError::not_found("page").field(), None);
        assert_eq!(err.into_anyhow().to_string(), "slug: taken");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::Internal(anyhow::anyhow!("SELECT * FROM secret"));
        assert_eq!(err.to_string(), "internal error");
    }
}
