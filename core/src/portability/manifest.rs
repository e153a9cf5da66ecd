//! `manifest.json`: what an export holds, and the SHA-256 of every file in it. It is
//! written last, so a folder without one is an export that did not finish.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What `manifest.json` says it is.
pub const FORMAT: &str = "quire-export";
/// The folder format's version: raised whenever an older Quire could not read the folder
/// right (see docs/portability.md).
pub const FORMAT_VERSION: u32 = 1;
pub(super) const MANIFEST: &str = "manifest.json";

/// The manifest. Nothing in it depends on when or from which database the export was made,
/// so exporting the same site twice gives the same manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// Rows per kind; each kind's rows are in `<kind>.jsonl`.
    pub kinds: BTreeMap<String, u64>,
    /// Stored files (`files/<asset id>`).
    pub files: u64,
    /// Every other file of the export by its path (`/`-separated, relative to the folder).
    pub checksums: BTreeMap<String, Checksum>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub sha256: String,
    pub bytes: u64,
}

impl Manifest {
    pub(super) fn new() -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            kinds: BTreeMap::new(),
            files: 0,
            checksums: BTreeMap::new(),
        }
    }

    /// Reads `dir/manifest.json`, refusing what this Quire cannot read.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("reading {} (an export that did not finish has none)", path.display())
        })?;
        // The version first, so that a newer export is named for what it is even if the
        // rest of its manifest is new too.
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Version {
            format: String,
            format_version: u32,
        }
        let version: Version =
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        if version.format != FORMAT {
            bail!("{} is not a Quire export (its format is {:?})", path.display(), version.format);
        }
        if version.format_version > FORMAT_VERSION {
            bail!(
                "this export is in format version {}, newer than this Quire reads (up to version \
                 {FORMAT_VERSION}): import it with the Quire that made it, or a newer one",
                version.format_version
            );
        }
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    pub(super) fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        let path = dir.join(MANIFEST);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Checks every file the manifest names against its checksum.
    pub(super) fn verify(&self, dir: &Path) -> anyhow::Result<()> {
        for (name, expected) in &self.checksums {
            if name.split('/').any(|part| part == ".." || part.is_empty()) {
                bail!("the manifest names a file outside the export: {name}");
            }
            let path = dir.join(name);
            let file = std::fs::File::open(&path)
                .with_context(|| format!("{name} is missing from the export"))?;
            let found = Hashing::new(io::sink()).copy_from(file)?;
            if &found != expected {
                bail!(
                    "{name} does not match the manifest's checksum: it was changed or damaged \
                     after the export; nothing was imported"
                );
            }
        }
        Ok(())
    }
}

/// A writer that counts and hashes what passes through it.
pub(super) struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub(super) fn new(inner: W) -> Hashing<W> {
        Hashing { inner, hasher: Sha256::new(), bytes: 0 }
    }

    pub(super) fn copy_from(mut self, mut from: impl Read) -> io::Result<Checksum> {
        io::copy(&mut from, &mut self)?;
        self.finish()
    }

    pub(super) fn finish(mut self) -> io::Result<Checksum> {
        self.inner.flush()?;
        Ok(Checksum { sha256: hex::encode(self.hasher.finalize()), bytes: self.bytes })
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_format_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::new();
        manifest.format_version = FORMAT_VERSION + 1;
        manifest.write(dir.path()).unwrap();
        let err = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&format!("format version {}", FORMAT_VERSION + 1)), "{err}");
    }

    #[test]
    fn a_changed_file_fails_its_checksum() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("users.jsonl"), "{}\n").unwrap();
        let mut manifest = Manifest::new();
        let file = std::fs::File::open(dir.path().join("users.jsonl")).unwrap();
        let sum = Hashing::new(io::sink()).copy_from(file).unwrap();
        manifest.checksums.insert("users.jsonl".into(), sum);
        manifest.verify(dir.path()).unwrap();
        std::fs::write(dir.path().join("users.jsonl"), "{ }\n").unwrap();
        assert!(manifest.verify(dir.path()).is_err());
        manifest.checksums.insert("../x".into(), Checksum { sha256: String::new(), bytes: 0 });
        assert!(manifest.verify(dir.path()).is_err());
    }
}
