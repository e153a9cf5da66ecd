//! Hostile requests, each sent over HTTP to the real binary in its own process: every one
//! is refused or answered within its bound, and the server's peak resident memory, read
//! from `/proc`, stays under [`PEAK_RSS_LIMIT`] throughout.

mod graphql;
mod media;
mod ops;
mod sign_in;
mod webhooks;
mod websocket;

use crate::process::QuireProcess;

/// The most memory a Quire process may reach while it is attacked.
pub const PEAK_RSS_LIMIT: u64 = 150 * 1024 * 1024;

/// Fails when the process's peak resident memory passed [`PEAK_RSS_LIMIT`].
pub fn assert_peak_rss(process: &QuireProcess) {
    let peak = process.peak_rss();
    assert!(
        peak < PEAK_RSS_LIMIT,
        "peak RSS {} MB is over the {} MB bound",
        peak / (1024 * 1024),
        PEAK_RSS_LIMIT / (1024 * 1024)
    );
}
