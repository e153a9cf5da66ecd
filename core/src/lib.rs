//! Quire's domain: the rules for content, media, people and access, tokens, the audit log,
//! previews, the webhooks' outbox, the newsletter, search and feeds, over the entities.
//!
//! It knows no interface: HTTP, GraphQL and the command line live in `quire-api`, above it,
//! and call the services here with the actor they act for.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod client_key;
pub mod config;
pub mod content;
pub mod db;
pub mod error;
pub mod feeds;
pub mod ids;
pub mod live;
pub mod media;
pub mod newsletter;
pub mod preview;
pub mod search;
pub mod seed;
pub mod tls;
pub mod tokens;
pub mod users;
pub mod webhooks;
