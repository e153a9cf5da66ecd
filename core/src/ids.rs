//! Global object ids: opaque to clients, `base64url("Type:uuid")` inside, so `node(id:)`
//! knows where to look and an id of the wrong type is simply not found. The GraphQL layer
//! wraps these strings in its `ID` type.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

pub fn encode(type_name: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}"))
}

/// The type name and UUID inside an id, if it is one of ours.
pub fn decode(id: &str) -> Option<(String, Uuid)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let (type_name, uuid) = raw.split_once(':')?;
    Some((type_name.to_string(), Uuid::parse_str(uuid).ok()?))
}

/// The UUID inside an id of `type_name`. A malformed id is bad input in `field`; an id of
/// another type names nothing of this type, so it is not found.
pub fn expect(id: &str, type_name: &str, field: &str, what: &str) -> ApiResult<Uuid> {
    match decode(id) {
        None => Err(ApiError::bad_input(field, "this is not a valid id")),
        Some((found, uuid)) if found == type_name => Ok(uuid),
        Some(_) if field == "id" => Err(ApiError::not_found(what)),
        Some(_) => Err(ApiError::bad_input(field, format!("this id is not a {what}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_their_type() {
        let uuid = Uuid::now_v7();
        let id = encode("Page", uuid);
        assert_eq!(decode(&id), Some(("Page".to_string(), uuid)));
        assert_eq!(expect(&id, "Page", "id", "page").ok(), Some(uuid));
        assert_eq!(
            expect(&id, "Booklet", "id", "booklet").err().map(|e| e.code()),
            Some(crate::error::codes::NOT_FOUND)
        );
        assert_eq!(
            expect(&id, "Asset", "fileId", "asset").err().map(|e| e.code()),
            Some(crate::error::codes::BAD_USER_INPUT)
        );
        assert_eq!(
            expect("nonsense", "Page", "id", "page").err().map(|e| e.code()),
            Some(crate::error::codes::BAD_USER_INPUT)
        );
    }
}
