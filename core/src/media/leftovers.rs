//! What a crash leaves behind: uploads half staged and variants half written. Both are
//! temporary files that a running process renames into place or removes; at start, those
//! last written before the process began are leftovers, and are removed.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::Storage;

/// How much older than this process a temporary file must be to count as a leftover:
/// another process sharing the data dir may have just finished writing one that it is
/// about to store.
const MARGIN: Duration = Duration::from_secs(60);

/// The moment before which temporary files are leftovers, for a process starting now.
pub fn cutoff() -> SystemTime {
    SystemTime::now().checked_sub(MARGIN).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Whether a file is a temporary one: they are all named `.tmp…`.
pub fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(".tmp"))
}

/// Whether `path` was last written before `cutoff`.
pub fn older_than(path: &Path, cutoff: SystemTime) -> bool {
    std::fs::metadata(path).and_then(|m| m.modified()).is_ok_and(|modified| modified < cutoff)
}

/// Removes staged uploads last written before `cutoff`; every file in the staging folder is
/// temporary. Blocking: run it on a blocking thread. Returns how many went.
pub fn clean_staging(storage: &Storage, cutoff: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(storage.staging_path()) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_file()) && older_than(&path, cutoff) {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(err) => {
                    tracing::warn!(error = %err, "removing a staged upload left by a crash")
                }
            }
        }
    }
    removed
}
