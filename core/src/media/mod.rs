//! Files: uploads checked and stored once per content, downloads served safely, image
//! variants made on request, booklet downloads counted.

pub mod assets;
mod builders;
pub mod downloads;
pub mod ingest;
pub mod leftovers;
pub mod signed;
pub mod storage;
mod variant_disk;
pub mod variants;

pub use storage::Storage;

use std::sync::Arc;

use downloads::DownloadCounter;

/// What uploads and downloads need, shared by the GraphQL API and the file routes.
#[derive(Clone)]
pub struct Media {
    pub storage: Arc<Storage>,
    pub max_upload_bytes: u64,
    /// Without a trailing slash.
    pub public_url: Option<String>,
    pub downloads: DownloadCounter,
    pub variants: Arc<variants::Variants>,
    pub signer: Arc<signed::Signer>,
}

impl Media {
    /// Where a file is downloaded: absolute when the public URL is known.
    pub fn url(&self, asset: &quire_entity::asset::Model) -> String {
        let path = format!("/files/{}/{}", asset.id, asset.filename);
        match &self.public_url {
            Some(base) => format!("{base}{path}"),
            None => path,
        }
    }

    /// Where staff load a file, whether or not published content uses it: [`Self::url`]
    /// with a signature that anyone holding the URL may use for an hour or two.
    pub fn signed_url(&self, asset: &quire_entity::asset::Model) -> String {
        let signature = self.signer.sign(asset.id, chrono::Utc::now());
        format!("{}?{}", self.url(asset), signature.query())
    }
}
