//! The clock every service reads.

use chrono::{DateTime, SubsecRound, Utc};

/// The current time at the precision both databases keep (microseconds), so a value read
/// back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
