//! One module per content type: its GraphQL object, lookups, list, inputs and mutations.

pub mod booklet;
pub mod columns;
pub mod news_article;
pub mod page;
pub mod press_release;
mod shared;
pub mod testimonial;

use async_graphql::{ID, MaybeUndefined};
use uuid::Uuid;

use super::ids;
use super::types::ContentStatus;
use quire_core::content::Status;
use quire_core::error::ApiResult;

/// `undefined` leaves a field alone, `null` clears it.
pub(crate) fn patch<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

pub(crate) fn statuses(given: Option<Vec<ContentStatus>>) -> Option<Vec<Status>> {
    given.map(|s| s.into_iter().map(Status::from).collect())
}

/// Decodes an optional reference to an asset (`fileId`, `heroImageId`, …).
pub(crate) fn asset_ref(id: Option<ID>, field: &str) -> ApiResult<Option<Uuid>> {
    id.map(|id| ids::expect(&id, super::types::asset::NAME, field, "asset")).transpose()
}

pub(crate) fn asset_patch(id: MaybeUndefined<ID>, field: &str) -> ApiResult<Option<Option<Uuid>>> {
    patch(id).map(|id| asset_ref(id, field)).transpose()
}
