//! Where file contents live: a folder in the data dir (the default), or a bucket of
//! S3-compatible object storage. Contents are stored under their SHA-256 (`blobs/ab/abcd…`),
//! so identical files are stored once and a stored file never changes. Staging files and
//! image variants stay on local disk either way.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::config::MediaConfig;

pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

#[derive(Debug, Clone)]
pub struct Storage {
    /// `<data dir>/files`: the blobs of local storage, and staging and variants always.
    root: PathBuf,
    bucket: Option<Bucket>,
}

#[derive(Clone)]
struct Bucket {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bucket({}, prefix {:?})", self.store, self.prefix)
    }
}

/// The storage key of content with this SHA-256 (hex).
pub fn key_for(sha256: &str) -> String {
    format!("blobs/{}/{sha256}", sha256.get(..2).unwrap_or("00"))
}

fn io_error(err: object_store::Error) -> io::Error {
    match err {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, err),
        other => io::Error::other(other),
    }
}

impl Storage {
    /// Files under `<data dir>/files`.
    pub fn local(data_dir: &Path) -> Storage {
        Storage { root: data_dir.join("files"), bucket: None }
    }

    /// The storage `--storage` names: `local`, or `s3://BUCKET[/PREFIX]` with the `--s3-*`
    /// settings.
    pub fn from_config(config: &MediaConfig, data_dir: &Path) -> anyhow::Result<Storage> {
        let mut storage = Storage::local(data_dir);
        let name = config.storage.trim();
        if name == "local" || name.is_empty() {
            return Ok(storage);
        }
        let Some(rest) = name.strip_prefix("s3://") else {
            bail!("--storage is `local` or `s3://BUCKET[/PREFIX]`, not `{name}`");
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&config.s3_region)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &config.s3_endpoint {
            builder =
                builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&config.s3_access_key_id, &config.s3_secret_access_key) {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret);
        }
        let store = builder.build().context("setting up S3 storage")?;
        storage.bucket =
            Some(Bucket { store: Arc::new(store), prefix: prefix.trim_matches('/').to_string() });
        Ok(storage)
    }

    /// Where uploads are written while they are checked; on the same file system as local
    /// blobs, so that storing one there is a rename.
    pub fn staging_dir(&self) -> io::Result<PathBuf> {
        let dir = self.staging_path();
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// The staging folder, which may not exist yet.
    pub fn staging_path(&self) -> PathBuf {
        self.root.join("staging")
    }

    /// Where image variants (and, with S3, originals fetched to make them) are kept.
    pub fn variants_dir(&self) -> PathBuf {
        self.root.join("variants")
    }

    /// Where a bucket's object is kept on local disk once fetched to make variants.
    pub fn copy_path(&self, key: &str) -> PathBuf {
        self.variants_dir().join("originals").join(key)
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn object(bucket: &Bucket, key: &str) -> ObjectPath {
        if bucket.prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", bucket.prefix))
        }
    }

    /// Stores a fully written and checked staging file under `key`. If the key is already
    /// there, the content is too, and the staging file is simply dropped.
    pub async fn put(&self, key: &str, staged: tempfile::TempPath) -> io::Result<()> {
        if self.exists(key).await? {
            return Ok(());
        }
        match &self.bucket {
            None => {
                let destination = self.path(key);
                if let Some(dir) = destination.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                tokio::task::spawn_blocking(move || {
                    staged.persist(&destination).map_err(|e| e.error)
                })
                .await
                .map_err(io::Error::other)?
            }
            Some(bucket) => {
                // Streamed in parts: memory stays bounded whatever the file's size.
                let mut file = tokio::fs::File::open(&staged).await?;
                let mut writer = object_store::buffered::BufWriter::new(
                    bucket.store.clone(),
                    Self::object(bucket, key),
                );
                if let Err(err) = tokio::io::copy(&mut file, &mut writer).await {
                    let _ = writer.abort().await;
                    return Err(err);
                }
                writer.shutdown().await
            }
        }
    }

    /// Streams the content, or the bytes in `range` of it.
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> io::Result<ByteStream> {
        match &self.bucket {
            None => {
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
            Some(bucket) => {
                let options =
                    GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
                let result = bucket
                    .store
                    .get_opts(&Self::object(bucket, key), options)
                    .await
                    .map_err(io_error)?;
                Ok(Box::pin(result.into_stream().map_err(io_error)))
            }
        }
    }

    /// A local path to the content, for work that needs the whole file (image variants).
    /// With S3 the object is fetched once and kept beside the variants.
    pub async fn local_copy(&self, key: &str) -> io::Result<PathBuf> {
        if self.bucket.is_none() {
            return Ok(self.path(key));
        }
        let path = self.copy_path(key);
        if tokio::fs::try_exists(&path).await? {
            return Ok(path);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        let temporary = tempfile::NamedTempFile::new_in(&dir)?.into_temp_path();
        let mut file = tokio::fs::File::create(&temporary).await?;
        let mut stream = self.read(key, None).await?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        temporary.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    pub async fn exists(&self, key: &str) -> io::Result<bool> {
        match &self.bucket {
            None => tokio::fs::try_exists(self.path(key)).await,
            Some(bucket) => match bucket.store.head(&Self::object(bucket, key)).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(err) => Err(io_error(err)),
            },
        }
    }

    pub async fn delete(&self, key: &str) -> io::Result<()> {
        let result = match &self.bucket {
            None => tokio::fs::remove_file(self.path(key)).await,
            Some(bucket) => {
                let _ = tokio::fs::remove_file(self.copy_path(key)).await;
                bucket.store.delete(&Self::object(bucket, key)).await.map_err(io_error)
            }
        };
        match result {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}
