//! Hostile requests: websocket.

#[allow(unused_imports)]
use super::*;
