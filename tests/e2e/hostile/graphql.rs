//! Hostile requests: graphql.

#[allow(unused_imports)]
use super::*;
