//! Hostile requests: ops.

#[allow(unused_imports)]
use super::*;
