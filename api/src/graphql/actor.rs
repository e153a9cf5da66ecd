//! `Actor`: who did something, in revisions and the audit log.

use async_graphql::{Enum, ID, Object};
use uuid::Uuid;

use super::ids;

/// What kind of actor did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ActorKind {
    /// Someone without credentials (a failed sign-in, for example).
    Public,
    /// A program with an API token.
    Token,
    /// A signed-in person.
    User,
    /// Quire itself: the scheduler, the example-site loader.
    System,
}

/// Who did something.
pub struct ActorInfo {
    pub kind: String,
    pub id: Option<Uuid>,
    pub name: String,
}

impl ActorInfo {
    /// As stored beside revisions and audit entries.
    pub fn stored(kind: &str, id: Option<Uuid>, name: &str) -> Self {
        ActorInfo { kind: kind.to_string(), id, name: name.to_string() }
    }
}

/// Who did something.
#[Object(name = "Actor")]
impl ActorInfo {
    /// What kind of actor.
    async fn kind(&self) -> ActorKind {
        match self.kind.as_str() {
            "token" => ActorKind::Token,
            "user" => ActorKind::User,
            "system" => ActorKind::System,
            _ => ActorKind::Public,
        }
    }

    /// The user's or API token's id.
    async fn id(&self) -> Option<ID> {
        let type_name = match self.kind.as_str() {
            "token" => "ApiToken",
            "user" => "User",
            _ => return None,
        };
        self.id.map(|id| ids::encode(type_name, id))
    }

    /// The user's display name, or the token's name.
    async fn name(&self) -> &str {
        &self.name
    }
}
