//! Hostile requests: webhooks.

#[allow(unused_imports)]
use super::*;
