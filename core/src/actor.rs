//! Who acts, and what they may do: the [`Actor`] every service takes, with the checks it
//! asks of it. Below everything that acts for someone; `auth` finds the actor of a request.

use quire_entity::{api_token, user};
use uuid::Uuid;

use crate::content::Viewer;
use crate::error::{ApiError, ApiResult};

/// What a person or token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything: content, users, API tokens, webhooks, purging the trash.
    Admin,
    /// All content: create, edit, publish, delete, restore.
    Editor,
    /// Creates drafts and edits their own drafts; cannot publish or delete.
    Author,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
        }
    }
}

impl From<api_token::Role> for Role {
    fn from(role: api_token::Role) -> Self {
        match role {
            api_token::Role::Admin => Role::Admin,
            api_token::Role::Editor => Role::Editor,
        }
    }
}

impl From<user::Role> for Role {
    fn from(role: user::Role) -> Self {
        match role {
            user::Role::Admin => Role::Admin,
            user::Role::Editor => Role::Editor,
            user::Role::Author => Role::Author,
        }
    }
}

impl From<Role> for user::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => user::Role::Admin,
            Role::Editor => user::Role::Editor,
            Role::Author => user::Role::Author,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// No credentials: reads published content only.
    Public,
    /// A program holding an API token.
    Token { id: Uuid, role: Role, name: String },
    /// A person signed in with a session.
    User { id: Uuid, role: Role, name: String, session_id: Uuid },
    /// Quire itself: the scheduler, `quire seed`.
    System,
}

impl Actor {
    /// Which content this actor may read.
    pub fn viewer(&self) -> Viewer {
        match self {
            Actor::Public => Viewer::Public,
            _ => Viewer::Staff,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Public => None,
            Actor::Token { role, .. } | Actor::User { role, .. } => Some(*role),
            Actor::System => Some(Role::Admin),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// For revisions and the audit log: what kind of actor, its id and a readable name.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Public => "public",
            Actor::Token { .. } => "token",
            Actor::User { .. } => "user",
            Actor::System => "system",
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::Token { id, .. } | Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Actor::Public => "public",
            Actor::Token { name, .. } | Actor::User { name, .. } => name,
            Actor::System => "Quire",
        }
    }

    /// Any signed-in person or token.
    pub fn require_staff(&self) -> ApiResult<Role> {
        self.role().ok_or(ApiError::Unauthenticated("sign in or send a token"))
    }

    /// Editors and admins: publishing, deleting, every item.
    pub fn require_editor(&self) -> ApiResult<()> {
        match self.require_staff()? {
            Role::Admin | Role::Editor => Ok(()),
            Role::Author => Err(ApiError::Forbidden("this needs an editor")),
        }
    }

    /// Editors and admins work on any item; an author only on items they created.
    pub fn require_owner_or_editor(&self, created_by: Option<Uuid>) -> ApiResult<()> {
        match self.require_staff()? {
            Role::Admin | Role::Editor => Ok(()),
            Role::Author if created_by.is_some() && created_by == self.user_id() => Ok(()),
            Role::Author => Err(ApiError::Forbidden("authors may work only on their own items")),
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        match self.require_staff()? {
            Role::Admin => Ok(()),
            _ => Err(ApiError::Forbidden("this needs an admin")),
        }
    }
}
