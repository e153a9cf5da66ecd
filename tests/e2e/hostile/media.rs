//! Hostile requests: media.

#[allow(unused_imports)]
use super::*;
