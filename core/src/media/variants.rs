//! Resized and re-encoded images (`?w=640&format=webp`) in a configured set of widths, made
//! once by a small pool and kept on disk within a budget, so that a second request for the
//! same variant does no work and no request can make an unbounded number of files.
//!
//! Variants are turned upright as the original's EXIF orientation says (and carry no EXIF
//! themselves); the original is kept and served byte for byte. JPEG and WebP variants are
//! lossy, at the configured quality.

use std::io::BufWriter;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder};
use quire_entity::asset;

use super::builders::{BuildError, Builders};
use super::storage::Storage;
use super::variant_disk::VariantDisk;
use crate::config::MediaConfig;

/// Larger images are not decoded: decoding costs up to four bytes a pixel (100 MB here).
/// The pool decodes at most this many pixels at once.
const MAX_PIXELS: u64 = 25_000_000;
/// The formats a variant may be made in.
const FORMATS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Webp,
    Jpeg,
    Png,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "webp" => Some(Format::Webp),
            "jpeg" | "jpg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    fn of(mime_type: &str) -> Option<Format> {
        match mime_type {
            "image/webp" => Some(Format::Webp),
            "image/jpeg" => Some(Format::Jpeg),
            "image/png" => Some(Format::Png),
            _ => None,
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Webp => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Webp => "webp",
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }

    fn lossy(self) -> bool {
        self != Format::Png
    }
}

/// Whether an orientation swaps an image's width and height.
pub(super) fn turns_sideways(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Names a variant on disk and in its ETag: its size, its format and, for a lossy format,
/// its quality, so that a change of `--image-quality` makes new variants rather than
/// serving the old ones. (Variants of Quire 0.1.0, named `640-webp.webp`, are never read again:
/// they were not turned upright; the disk budget removes them in time.)
fn tag(width: Option<u32>, format: Format, quality: u8) -> String {
    let size = width.map_or("full".to_string(), |w| w.to_string());
    if format.lossy() {
        format!("{size}.q{quality}.{}", format.extension())
    } else {
        format!("{size}.{}", format.extension())
    }
}

/// A variant asked for: a width, a format, or both.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub width: Option<u32>,
    pub format: Option<Format>,
}

/// The widths variants are made in, narrowest first.
#[derive(Debug, Clone)]
pub struct Widths(Vec<u32>);

impl Widths {
    pub fn new(mut widths: Vec<u32>) -> Widths {
        widths.retain(|w| *w > 0);
        widths.sort_unstable();
        widths.dedup();
        Widths(widths)
    }

    /// The width made for a request of `width`: the narrowest listed at or above it, or the
    /// widest listed; `None` (no resizing) when none is listed.
    pub fn serving(&self, width: u32) -> Option<u32> {
        self.0.iter().copied().find(|w| *w >= width).or_else(|| self.0.last().copied())
    }

    /// The most variant files one image can have: each width and the full size, in each
    /// format.
    pub fn most_files_per_image(&self) -> usize {
        (self.0.len() + 1) * FORMATS
    }
}

/// What a request for a variant is served.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// The stored file itself: the request asks for its own format at its own size or more.
    Original,
    /// A variant, at `width` (`None`: the full width) in `format`.
    Variant { width: Option<u32>, format: Format },
}

/// Decides what a request is served, or why it is refused.
pub fn plan(asset: &asset::Model, wanted: Wanted, widths: &Widths) -> Result<Plan, String> {
    let own_format = match asset.mime_type.as_str() {
        // GIFs are not written: their variants are PNGs, and even a full-size PNG is one.
        "image/gif" => None,
        other => Format::of(other),
    };
    if own_format.is_none() && asset.mime_type != "image/gif" {
        return Err("only PNG, JPEG, WebP and GIF images can be resized or converted".into());
    }
    if wanted.width == Some(0) {
        return Err("the width must be at least 1".into());
    }
    let original_width = asset.width.and_then(|w| u32::try_from(w).ok()).unwrap_or(0);
    if original_width == 0 || pixels(asset) == 0 {
        return Err("this image's size is unknown, so it cannot be resized".into());
    }
    let format = wanted.format.or(own_format).unwrap_or(Format::Png);
    // Never enlarged: a width at or past the original's is the full size.
    let width = wanted.width.and_then(|w| widths.serving(w)).filter(|w| *w < original_width);
    if width.is_none() && Some(format) == own_format {
        return Ok(Plan::Original);
    }
    if pixels(asset) > MAX_PIXELS {
        return Err("this image is too large to resize".into());
    }
    Ok(Plan::Variant { width, format })
}

/// An image's pixels; 0 when its size is unknown.
fn pixels(asset: &asset::Model) -> u64 {
    let side = |n: Option<i32>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    side(asset.width) * side(asset.height)
}

/// A variant, open and ready to send.
pub struct Variant {
    pub file: tokio::fs::File,
    pub length: u64,
    pub mime_type: &'static str,
    /// Distinguishes the variant in its ETag.
    pub tag: String,
}

pub enum Served {
    Original,
    Variant(Variant),
}

#[derive(Debug)]
pub enum VariantError {
    /// Cannot be made: a 400, with the reason.
    Refused(String),
    /// The client has too many variants being made: a 429, to come back later.
    Busy,
    Internal(anyhow::Error),
}

/// Image variants: the widths, the pool that makes them, and the disk that keeps them.
pub struct Variants {
    storage: Arc<Storage>,
    widths: Widths,
    /// JPEG and WebP quality, 1–100.
    quality: u8,
    builders: Builders,
    disk: Arc<VariantDisk>,
}

impl Variants {
    /// Reads the variants on disk, removing the temporary files of a crash last written
    /// before `cutoff`.
    pub async fn open(
        storage: Arc<Storage>,
        config: &MediaConfig,
        cutoff: SystemTime,
    ) -> anyhow::Result<Variants> {
        let (root, max_bytes, max_files) = (
            storage.variants_dir(),
            config.image_variants_max_mb.saturating_mul(1024 * 1024),
            config.image_variants_max_files,
        );
        let disk = tokio::task::spawn_blocking(move || {
            VariantDisk::load(root, max_bytes, max_files, cutoff)
        })
        .await
        .context("reading the image variants on disk")?;
        Ok(Variants {
            storage,
            widths: Widths::new(config.image_widths.clone()),
            quality: config.image_quality.clamp(1, 100),
            builders: Builders::new(config.image_variant_builders, MAX_PIXELS),
            disk: Arc::new(disk),
        })
    }

    /// What to send for `wanted` of an image, making the variant now (in `client`'s turn)
    /// if it is not on disk yet.
    pub async fn get(
        &self,
        asset: &asset::Model,
        wanted: Wanted,
        client: IpAddr,
    ) -> Result<Served, VariantError> {
        let Plan::Variant { width, format } =
            plan(asset, wanted, &self.widths).map_err(VariantError::Refused)?
        else {
            return Ok(Served::Original);
        };
        let tag = tag(width, format, self.quality);
        let path = self.dir(&asset.sha256).join(&tag);
        if let Some(variant) = self.opened(&path, format, &tag).await? {
            return Ok(Served::Variant(variant));
        }
        let (storage, disk, key, target) =
            (self.storage.clone(), self.disk.clone(), asset.storage_key.clone(), path.clone());
        let encoding = Encoding { format, quality: self.quality };
        let work = move || build(storage, disk, key, target, width, encoding);
        let pixels = pixels(asset);
        match self.builders.run(path.clone(), client, pixels, work).await {
            Ok(()) => {}
            Err(BuildError::Busy) => return Err(VariantError::Busy),
            Err(BuildError::Failed) => {
                return Err(VariantError::Internal(anyhow::anyhow!("an image variant failed")));
            }
        }
        match self.opened(&path, format, &tag).await? {
            Some(variant) => Ok(Served::Variant(variant)),
            None => Err(VariantError::Internal(anyhow::anyhow!("an image variant went at once"))),
        }
    }

    /// The variant at `path`, opened, if it is there.
    async fn opened(
        &self,
        path: &Path,
        format: Format,
        tag: &str,
    ) -> Result<Option<Variant>, VariantError> {
        let internal = |e: std::io::Error| VariantError::Internal(e.into());
        let file = match tokio::fs::File::open(path).await {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(internal(err)),
        };
        // Open, it can be sent even if it is removed now to make room.
        let length = file.metadata().await.map_err(internal)?.len();
        self.disk.used(path, length);
        Ok(Some(Variant { file, length, mime_type: format.mime_type(), tag: tag.to_string() }))
    }

    fn dir(&self, sha256: &str) -> PathBuf {
        self.storage.variants_dir().join(sha256)
    }

    /// Drops an image's variants (and its fetched copy), once its content is deleted.
    pub async fn forget(&self, sha256: &str, storage_key: &str) {
        let dir = self.dir(sha256);
        let _ = tokio::fs::remove_dir_all(&dir).await;
        self.disk.forget(&dir);
        self.disk.forget(&self.storage.copy_path(storage_key));
    }
}

/// Makes a variant unless it is there already (made by another process on the same data
/// dir, or just before this build's turn), and lists it. Failures are logged here.
async fn build(
    storage: Arc<Storage>,
    disk: Arc<VariantDisk>,
    key: String,
    path: PathBuf,
    width: Option<u32>,
    encoding: Encoding,
) -> Result<(), ()> {
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(());
    }
    let made = async {
        let source = storage.local_copy(&key).await.context("fetching the original")?;
        // A copy fetched from S3 is kept within the budget too; a local blob is never listed.
        if let Ok(metadata) = tokio::fs::metadata(&source).await {
            disk.added(&source, metadata.len()).await;
        }
        let target = path.clone();
        tokio::task::spawn_blocking(move || make(&source, &target, width, encoding)).await??;
        let bytes = tokio::fs::metadata(&path).await?.len();
        ::metrics::counter!("quire_image_variants_made_total").increment(1);
        disk.added(&path, bytes).await;
        anyhow::Ok(())
    }
    .await;
    made.map_err(|err| tracing::error!(error = ?err, "making an image variant"))
}

/// How a variant is written.
#[derive(Debug, Clone, Copy)]
struct Encoding {
    format: Format,
    /// 1–100, for JPEG and WebP.
    quality: u8,
}

/// Decodes and turns upright as the EXIF orientation says. Blocking.
fn decode_upright(source: &Path) -> anyhow::Result<DynamicImage> {
    let internal = |e: &dyn std::fmt::Display| anyhow::anyhow!("decoding an image: {e}");
    let mut decoder = image::ImageReader::open(source)
        .map_err(|e| internal(&e))?
        .with_guessed_format()
        .map_err(|e| internal(&e))?
        .into_decoder()
        .map_err(|e| internal(&e))?;
    // As at upload: an unreadable EXIF block leaves the image as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| internal(&e))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Encodes an image: JPEG and WebP lossy at `quality`, PNG lossless.
fn encode(
    image: &DynamicImage,
    encoding: Encoding,
    out: impl std::io::Write,
) -> anyhow::Result<()> {
    let internal = |e: &dyn std::fmt::Display| anyhow::anyhow!("encoding an image variant: {e}");
    match encoding.format {
        Format::Jpeg => {
            // JPEG has no transparency.
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            let encoder = JpegEncoder::new_with_quality(out, encoding.quality);
            rgb.write_with_encoder(encoder).map_err(|e| internal(&e))
        }
        Format::Png => image.write_with_encoder(PngEncoder::new(out)).map_err(|e| internal(&e)),
        Format::Webp => {
            let mut out = out;
            let quality = f32::from(encoding.quality);
            let (width, height) = (image.width(), image.height());
            // libwebp takes 8-bit RGB or RGBA: an image without transparency stays RGB,
            // which saves encoding an alpha plane.
            let encoded = if image.color().has_alpha() {
                let rgba = image.to_rgba8();
                webp::Encoder::from_rgba(rgba.as_raw(), width, height).encode_simple(false, quality)
            } else {
                let rgb = image.to_rgb8();
                webp::Encoder::from_rgb(rgb.as_raw(), width, height).encode_simple(false, quality)
            }
            .map_err(|e| internal(&format!("{e:?}")))?;
            out.write_all(&encoded).map_err(|e| internal(&e))
        }
    }
}

/// Decodes, turns upright, resizes (never up) and encodes into a temporary file, then
/// renames it into place, so a half-written variant is never served.
fn make(source: &Path, path: &Path, width: Option<u32>, encoding: Encoding) -> anyhow::Result<()> {
    let internal = |e: &dyn std::fmt::Display| anyhow::anyhow!("making an image variant: {e}");
    let image = decode_upright(source)?;
    let image = match width {
        Some(width) if width < image.width() => {
            // Rounded, so that 300×200 at width 100 is 100×67.
            let (w, h, new_w) =
                (u64::from(image.width()), u64::from(image.height()), u64::from(width));
            let height = ((h * new_w * 2 + w) / (w * 2)).max(1);
            // A box filter in integers: no float buffer the size of the source.
            image.thumbnail_exact(width, height as u32)
        }
        _ => image,
    };
    let dir = path.parent().ok_or_else(|| internal(&"no variants folder"))?;
    std::fs::create_dir_all(dir).map_err(|e| internal(&e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| internal(&e))?;
    let mut out = BufWriter::new(file.as_file_mut());
    encode(&image, encoding, &mut out)?;
    std::io::Write::flush(&mut out).map_err(|e| internal(&e))?;
    drop(out);
    file.persist(path).map_err(|e| internal(&e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(mime_type: &str, width: i32, height: i32) -> asset::Model {
        asset::Model {
            id: uuid::Uuid::nil(),
            filename: "x".into(),
            mime_type: mime_type.into(),
            byte_size: 1,
            sha256: "00".into(),
            storage_key: "blobs/00/00".into(),
            alt: None,
            created_at: chrono::Utc::now(),
            width: Some(width),
            height: Some(height),
            page_count: None,
        }
    }

    fn wanted(width: Option<u32>, format: Option<Format>) -> Wanted {
        Wanted { width, format }
    }

    #[test]
    fn widths_are_served_at_the_nearest_listed_at_or_above() {
        let widths = Widths::new(vec![640, 160, 0, 320, 160]);
        assert_eq!(widths.serving(1), Some(160));
        assert_eq!(widths.serving(160), Some(160));
        assert_eq!(widths.serving(161), Some(320));
        assert_eq!(widths.serving(5000), Some(640), "past the widest: the widest");
        assert_eq!(widths.most_files_per_image(), 12);
        assert_eq!(Widths::new(Vec::new()).serving(100), None);
    }

    #[test]
    fn requests_are_planned_within_the_list_and_the_original() {
        let widths = Widths::new(vec![160, 320, 640]);
        let png = image("image/png", 500, 300);
        let variant = |width, format| Ok(Plan::Variant { width, format });
        assert_eq!(plan(&png, wanted(Some(100), None), &widths), variant(Some(160), Format::Png));
        assert_eq!(
            plan(&png, wanted(Some(161), Some(Format::Webp)), &widths),
            variant(Some(320), Format::Webp)
        );
        // 640 is past the original's 500: its own size, and in its own format, itself.
        assert_eq!(plan(&png, wanted(Some(400), None), &widths), Ok(Plan::Original));
        assert_eq!(plan(&png, wanted(None, Some(Format::Png)), &widths), Ok(Plan::Original));
        assert_eq!(
            plan(&png, wanted(Some(9999), Some(Format::Jpeg)), &widths),
            variant(None, Format::Jpeg)
        );
        let gif = image("image/gif", 500, 300);
        assert_eq!(plan(&gif, wanted(Some(9999), None), &widths), variant(None, Format::Png));
        assert!(plan(&png, wanted(Some(0), None), &widths).is_err());
        assert!(plan(&image("application/pdf", 1, 1), wanted(Some(100), None), &widths).is_err());
        assert!(plan(&image("image/png", 6000, 6000), wanted(Some(100), None), &widths).is_err());
    }
}
