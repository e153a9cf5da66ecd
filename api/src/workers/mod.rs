//! Work that runs beside the server, started and stopped by [`crate::App`]. Each worker is a
//! loop that wakes on a timer, a queue or a notification and calls the core; the rules are
//! the core's.

pub mod download_counts;
pub mod live_listener;
pub mod mail;
pub mod scheduler;
pub mod webhook_sender;
