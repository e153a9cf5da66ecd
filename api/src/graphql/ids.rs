//! Global object ids as GraphQL `ID`s; the encoding and its checks are the core's
//! [`quire_core::ids`].

use async_graphql::ID;
use quire_core::error::ApiResult;
use quire_core::ids;
use uuid::Uuid;

pub fn encode(type_name: &str, id: Uuid) -> ID {
    ID(ids::encode(type_name, id))
}

/// The type name and UUID inside an id, if it is one of ours.
pub fn decode(id: &ID) -> Option<(String, Uuid)> {
    ids::decode(id.as_str())
}

/// The UUID inside an id of `type_name`: see [`quire_core::ids::expect`].
pub fn expect(id: &ID, type_name: &str, field: &str, what: &str) -> ApiResult<Uuid> {
    ids::expect(id.as_str(), type_name, field, what)
}
