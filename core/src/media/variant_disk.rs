//! The image variants kept on disk (and, with S3, the originals fetched to make them),
//! within a budget of bytes and of files: past it, the least recently used go. The list is
//! read from the folder at start, when the half-written files of a crash are removed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::leftovers::{is_temporary, older_than};

pub struct VariantDisk {
    /// `<data dir>/files/variants`: nothing outside it is ever listed, so nothing outside it
    /// is ever removed.
    root: PathBuf,
    max_bytes: u64,
    max_files: u64,
    used: Mutex<Lru>,
}

/// Files by last use: `order` maps a use's number to its file.
#[derive(Default)]
struct Lru {
    files: HashMap<PathBuf, (u64, u64)>,
    order: BTreeMap<u64, PathBuf>,
    bytes: u64,
    uses: u64,
}

impl Lru {
    fn used(&mut self, path: &Path, bytes: u64) {
        self.uses += 1;
        if let Some((old_bytes, old_use)) =
            self.files.insert(path.to_path_buf(), (bytes, self.uses))
        {
            self.order.remove(&old_use);
            self.bytes -= old_bytes;
        }
        self.order.insert(self.uses, path.to_path_buf());
        self.bytes += bytes;
    }

    fn remove(&mut self, path: &Path) {
        if let Some((bytes, last_use)) = self.files.remove(path) {
            self.order.remove(&last_use);
            self.bytes -= bytes;
        }
    }

    /// Takes the least recently used files off the list until it is within the budget; the
    /// newest stays whatever its size.
    fn over(&mut self, max_bytes: u64, max_files: u64) -> Vec<PathBuf> {
        let mut gone = Vec::new();
        while (self.bytes > max_bytes || self.files.len() as u64 > max_files)
            && self.files.len() > 1
        {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            if let Some((bytes, _)) = self.files.remove(&oldest) {
                self.bytes -= bytes;
            }
            gone.push(oldest);
        }
        gone
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => files_under(&path, out),
            Ok(kind) if kind.is_file() => out.push(path),
            _ => {}
        }
    }
}

impl VariantDisk {
    /// Reads what is in `root`, oldest first, removing temporary files last written before
    /// `cutoff` (a crash's: a build still writing one keeps it newer) and what is over the
    /// budget. Blocking: run it on a blocking thread.
    pub fn load(root: PathBuf, max_bytes: u64, max_files: u64, cutoff: SystemTime) -> VariantDisk {
        let mut found = Vec::new();
        files_under(&root, &mut found);
        let mut kept = Vec::new();
        for path in found {
            if is_temporary(&path) {
                if older_than(&path, cutoff) {
                    remove(&path);
                }
                continue;
            }
            if let Ok(metadata) = std::fs::metadata(&path) {
                let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                kept.push((modified, path, metadata.len()));
            }
        }
        kept.sort();
        let mut used = Lru::default();
        for (_, path, bytes) in &kept {
            used.used(path, *bytes);
        }
        for path in used.over(max_bytes, max_files) {
            remove(&path);
        }
        tracing::debug!(files = used.files.len(), bytes = used.bytes, "image variants on disk");
        VariantDisk { root, max_bytes, max_files, used: Mutex::new(used) }
    }

    fn lru(&self) -> MutexGuard<'_, Lru> {
        self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that a file was just served or made; it becomes the last to go.
    pub fn used(&self, path: &Path, bytes: u64) {
        if path.starts_with(&self.root) {
            self.lru().used(path, bytes);
        }
    }

    /// Lists a file just made, and removes the least recently used files if that takes the
    /// disk over its budget.
    pub async fn added(&self, path: &Path, bytes: u64) {
        if !path.starts_with(&self.root) {
            return;
        }
        let gone = {
            let mut lru = self.lru();
            lru.used(path, bytes);
            lru.over(self.max_bytes, self.max_files)
        };
        for path in gone {
            if let Err(err) = tokio::fs::remove_file(&path).await
                && err.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %err, "removing an image variant");
            }
        }
        ::metrics::gauge!("quire_image_variant_bytes").set(self.bytes() as f64);
        ::metrics::gauge!("quire_image_variant_files").set(self.files() as f64);
    }

    /// Forgets the files under `prefix` (once they are removed).
    pub fn forget(&self, prefix: &Path) {
        let mut lru = self.lru();
        let under: Vec<PathBuf> =
            lru.files.keys().filter(|p| p.starts_with(prefix)).cloned().collect();
        for path in under {
            lru.remove(&path);
        }
    }

    /// Bytes listed now.
    pub fn bytes(&self) -> u64 {
        self.lru().bytes
    }

    /// Files listed now.
    pub fn files(&self) -> usize {
        self.lru().files.len()
    }
}

fn remove(path: &Path) {
    if let Err(err) = std::fs::remove_file(path)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %err, "removing an image variant");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first() {
        let mut lru = Lru::default();
        for name in ["a", "b", "c"] {
            lru.used(Path::new(name), 10);
        }
        lru.used(Path::new("a"), 10);
        assert_eq!(lru.over(25, 10), vec![PathBuf::from("b")]);
        assert_eq!(lru.over(100, 1), vec![PathBuf::from("c")]);
        assert_eq!(lru.bytes, 10);
        assert!(lru.over(0, 0).is_empty(), "the newest stays");
        lru.remove(Path::new("a"));
        assert_eq!((lru.bytes, lru.files.len(), lru.order.len()), (0, 0, 0));
    }

    #[test]
    fn loading_removes_old_temporary_files_and_keeps_to_the_budget() {
        let dir = tempfile::tempdir().expect("a folder");
        let root = dir.path().join("variants");
        let image = root.join("abc");
        std::fs::create_dir_all(&image).expect("folders");
        for name in ["160-webp.webp", "320-webp.webp", ".tmpXYZ"] {
            std::fs::write(image.join(name), [0u8; 100]).expect("a file");
        }
        let future = SystemTime::now() + std::time::Duration::from_secs(60);
        let disk = VariantDisk::load(root.clone(), 150, 10, future);
        assert!(!image.join(".tmpXYZ").exists(), "a crash's temporary file is removed");
        assert_eq!((disk.files(), disk.bytes()), (1, 100), "over the budget: one goes");

        std::fs::write(image.join(".tmpNEW"), [0u8; 1]).expect("a file");
        let past = SystemTime::now() - std::time::Duration::from_secs(60);
        VariantDisk::load(root, 150, 10, past);
        assert!(image.join(".tmpNEW").exists(), "one being written now is left alone");
    }
}
