//! End-to-end tests: each starts a real Quire server on 127.0.0.1:0 with a fresh database
//! and talks to it over HTTP. Every test runs on SQLite, and on PostgreSQL when
//! `QUIRE_TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;
mod process;
mod receiver;
mod support;

mod audit;
mod auth;
mod backup;
mod batches;
mod caching;
mod cli;
mod content;
mod desk;
mod errors;
mod examples;
mod feeds;
mod hostile;
mod http;
mod leaks;
mod live;
mod markdown;
mod media;
mod media_images;
mod media_signed;
mod metrics;
mod narrow_lists;
mod newsletter;
mod pagination;
mod persistence;
mod portability;
mod postgres_reads;
mod preview;
mod redirects;
mod revisions;
mod running;
mod s3;
mod scaleout;
mod scheduling;
mod schema;
mod search;
mod site;
mod site_frontend;
mod sitemap;
mod sqlite_reads;
mod statements;
mod sync;
mod trash;
mod users;
mod validation;
mod visibility;
mod webhooks;
mod wordpress;
