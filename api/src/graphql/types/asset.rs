//! `Asset`: a stored file's metadata.

use async_graphql::{ID, Object};
use quire_entity::asset;

use crate::graphql::ids;

/// A stored file: a booklet's PDF, an image.
#[derive(Clone)]
pub struct Asset(pub asset::Model);

pub const NAME: &str = "Asset";

#[Object]
impl Asset {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(NAME, self.0.id)
    }

    /// Where to download the file, relative to the server's address.
    async fn url(&self) -> String {
        format!("/files/{}/{}", self.0.id, self.0.filename)
    }

    /// The file's name, safe for a URL and a download.
    async fn filename(&self) -> &str {
        &self.0.filename
    }

    /// The media type, as sniffed from the file's bytes.
    async fn mime_type(&self) -> &str {
        &self.0.mime_type
    }

    /// Size in bytes.
    async fn byte_size(&self) -> i64 {
        self.0.byte_size
    }

    /// SHA-256 of the content, in hex.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }

    /// Text alternative for images.
    async fn alt(&self) -> Option<&str> {
        self.0.alt.as_deref()
    }
}
