//! `Asset`: a stored file's metadata.

use async_graphql::{Context, ID, Object};
use quire_entity::asset;

use crate::graphql::loaders::UsersByAsset;
use crate::graphql::node::Node;
use crate::graphql::{context, ids};
use quire_core::media::Media;

/// A stored file: a booklet's PDF, an image.
#[derive(Clone)]
pub struct Asset(pub asset::Model);

pub const NAME: &str = "Asset";

/// A stored file: a booklet's PDF, an image.
#[Object]
impl Asset {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(NAME, self.0.id)
    }

    /// Where to download the file: absolute when the server knows its public URL
    /// (`--public-url`), otherwise relative to the server's address. Images take `w` (a
    /// width) and `format` (`webp`, `jpeg` or `png`) in the query string. For staff the URL
    /// is signed (`?expires=…&sig=…`, add more with `&`): it loads without credentials, in
    /// an `<img>` say, for one to two hours, whether or not published content uses the file.
    /// The public's URL has no signature and serves the file while published content uses
    /// it; within an answer to `preview`, the URLs are signed as for staff.
    async fn url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let media = ctx.data::<Media>()?;
        Ok(if context::signs_files(ctx)? { media.signed_url(&self.0) } else { media.url(&self.0) })
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

    /// Images: width in pixels (null for formats Quire cannot read, such as AVIF).
    async fn width(&self) -> Option<i32> {
        self.0.width
    }

    /// Images: height in pixels.
    async fn height(&self) -> Option<i32> {
        self.0.height
    }

    /// PDFs: the number of pages.
    async fn page_count(&self) -> Option<i32> {
        self.0.page_count
    }

    /// When it was uploaded.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// The content that uses this file (as a booklet's file or cover, or a hero image)
    /// and that you may see: staff see drafts, the public only published content. Items
    /// in the trash are not listed, yet they too keep the file from being deleted.
    async fn used_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Node>> {
        let users = context::loader(ctx)?.load_one(UsersByAsset(self.0.id)).await?;
        Ok(users.unwrap_or_default().into_iter().map(Node::from).collect())
    }
}
