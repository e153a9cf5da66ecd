//! Quire: a headless CMS with a GraphQL API, on SQLite or PostgreSQL.

pub mod app;
pub(crate) mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub(crate) mod client_key;
pub mod config;
pub(crate) mod content;
pub mod db;
pub(crate) mod error;
pub(crate) mod feeds;
pub mod graphql;
pub(crate) mod http;
pub mod live;
pub mod media;
pub(crate) mod newsletter;
pub(crate) mod preview;
pub(crate) mod scheduler;
pub mod search;
pub mod seed;
pub mod telemetry;
pub mod tokens;
pub mod users;
pub(crate) mod webhooks;

pub use app::App;
pub use config::ServeConfig;
