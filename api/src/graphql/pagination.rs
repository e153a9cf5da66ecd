//! Relay connections from pages of rows, and their cursors.

use async_graphql::connection::{Connection, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use quire_core::error::{ApiError, ApiResult};

fn encode_cursor(value: &impl serde::Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

pub(super) fn decode_cursor<T: serde::de::DeserializeOwned>(
    cursor: Option<String>,
) -> ApiResult<Option<T>> {
    cursor
        .map(|raw| {
            URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| ApiError::bad_input("after", "this cursor is not valid"))
        })
        .transpose()
}

/// Fetches one more than asked for, to know whether another page follows.
pub(super) fn connection<C, T, N: async_graphql::OutputType>(
    mut rows: Vec<T>,
    limit: u64,
    had_cursor: bool,
    cursor: impl Fn(&T) -> C,
    node: impl Fn(T) -> N,
) -> Connection<String, N>
where
    C: serde::Serialize,
{
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let mut out = Connection::new(had_cursor, has_next);
    out.edges
        .extend(rows.into_iter().map(|row| Edge::new(encode_cursor(&cursor(&row)), node(row))));
    out
}
