//! Where file contents live. Contents are stored under their SHA-256 (`blobs/ab/abcd…`), so
//! identical files are stored once and a stored file never changes.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A folder in the data dir.
#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

/// The storage key of content with this SHA-256 (hex).
pub fn key_for(sha256: &str) -> String {
    format!("blobs/{}/{sha256}", sha256.get(..2).unwrap_or("00"))
}

impl Storage {
    /// Files under `<data dir>/files`.
    pub fn local(data_dir: &Path) -> Storage {
        Storage { root: data_dir.join("files") }
    }

    /// Where uploads are written while they are checked; on the same file system as the
    /// blobs, so that storing one is a rename.
    pub fn staging_dir(&self) -> io::Result<PathBuf> {
        let dir = self.root.join("staging");
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Where image variants are kept.
    pub fn variants_dir(&self) -> PathBuf {
        self.root.join("variants")
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Stores a fully written and checked staging file under `key`. If the key is already
    /// there, the content is too, and the staging file is simply dropped.
    pub async fn put(&self, key: &str, staged: tempfile::TempPath) -> io::Result<()> {
        let destination = self.path(key);
        if tokio::fs::try_exists(&destination).await? {
            return Ok(());
        }
        if let Some(dir) = destination.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::task::spawn_blocking(move || staged.persist(&destination).map_err(|e| e.error))
            .await
            .map_err(io::Error::other)?
    }

    /// Streams the content, or the bytes in `range` of it.
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> io::Result<ByteStream> {
        let mut file = tokio::fs::File::open(self.path(key)).await?;
        let stream: ByteStream = match range {
            None => Box::pin(ReaderStream::new(file)),
            Some(range) => {
                file.seek(io::SeekFrom::Start(range.start)).await?;
                Box::pin(ReaderStream::new(file.take(range.end - range.start)))
            }
        };
        Ok(stream)
    }

    /// A local path to the content, for work that needs the whole file (image variants).
    pub async fn local_copy(&self, key: &str) -> io::Result<PathBuf> {
        Ok(self.path(key))
    }

    pub async fn exists(&self, key: &str) -> io::Result<bool> {
        tokio::fs::try_exists(self.path(key)).await
    }

    pub async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}
