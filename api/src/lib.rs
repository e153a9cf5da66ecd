//! Quire's interfaces: the HTTP server, the GraphQL schema and the command line, with the
//! workers they start, over the domain in `quire-core`.

// The schema's types nest deeply (content ↔ related content ↔ menus); async-graphql's
// generated resolvers need more than the default recursion limit to compile.
#![recursion_limit = "256"]

pub mod app;
pub mod cli;
pub mod config;
pub mod graphql;
pub(crate) mod http;
pub mod telemetry;
pub(crate) mod workers;

// The domain modules that the binary, the examples and the tests reach through this crate.
pub use quire_core::{
    auth, backup, db, live, media, portability, search, seed, tls, tokens, users,
};

pub use app::App;
pub use config::ServeConfig;
