//! One error type for the API, turned into a GraphQL error with `extensions.code` in one
//! place. Internal errors are logged with their cause and reach clients as "internal error".

use async_graphql::ErrorExtensions;
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

/// Deliberately not `Display`: async-graphql converts every `Display` type into an error
/// without a code, and this type must go through [`From<ApiError>`] instead.
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

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code();
        let (message, field) = match err {
            ApiError::Unauthenticated(m) | ApiError::Forbidden(m) | ApiError::RateLimited(m) => {
                (m.to_string(), None)
            }
            ApiError::BadUserInput { field, message } => (message, Some(field)),
            ApiError::NotFound(m) | ApiError::Conflict(m) => (m, None),
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                ("internal error".to_string(), None)
            }
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(err: ApiError) -> (String, Option<String>) {
        let gql: async_graphql::Error = err.into();
        let ext = gql.extensions.expect("extensions");
        let code = ext.get("code").map(|v| v.to_string()).unwrap_or_default();
        let field = ext.get("field").map(|v| v.to_string());
        (code, field)
    }

    #[test]
    fn every_variant_sets_its_code() {
        let cases = [
            (ApiError::Unauthenticated("x"), "\"UNAUTHENTICATED\""),
            (ApiError::Forbidden("x"), "\"FORBIDDEN\""),
            (ApiError::bad_input("slug", "x"), "\"BAD_USER_INPUT\""),
            (ApiError::not_found("page"), "\"NOT_FOUND\""),
            (ApiError::Conflict("x".into()), "\"CONFLICT\""),
            (ApiError::RateLimited("x"), "\"RATE_LIMITED\""),
            (ApiError::Internal(anyhow::anyhow!("secret")), "\"INTERNAL_SERVER_ERROR\""),
        ];
        for (err, expected) in cases {
            assert_eq!(code_of(err).0, expected);
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(code_of(ApiError::bad_input("slug", "x")).1.as_deref(), Some("\"slug\""));
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let gql: async_graphql::Error =
            ApiError::Internal(anyhow::anyhow!("SELECT * FROM secret")).into();
        assert_eq!(gql.message, "internal error");
    }
}
