//! Resized and re-encoded images (`?w=640&format=webp`), made once and kept on disk, so a
//! second request for the same variant does no work.

use std::io::BufWriter;
use std::path::PathBuf;

use image::ImageFormat;
use quire_entity::asset;

use super::storage::Storage;
use crate::error::{ApiError, ApiResult};

/// The widest variant made: wider requests get this width.
pub const MAX_WIDTH: u32 = 2048;
/// Larger images are not decoded: decoding costs four bytes a pixel (100 MB here).
const MAX_PIXELS: u64 = 25_000_000;

/// Variants are made one at a time, so that requests for many new variants at once cost
/// time, not memory.
static MAKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

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

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Webp => ImageFormat::WebP,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
        }
    }
}

/// A variant asked for: a width, a format, or both.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub width: Option<u32>,
    pub format: Option<Format>,
}

/// A variant on disk.
pub struct Variant {
    pub path: PathBuf,
    pub mime_type: &'static str,
    /// Distinguishes the variant in its ETag.
    pub tag: String,
}

fn dir(storage: &Storage, sha256: &str) -> PathBuf {
    storage.variants_dir().join(sha256)
}

/// The variant of an image, made now if it is not on disk yet.
pub async fn get(storage: &Storage, asset: &asset::Model, wanted: Wanted) -> ApiResult<Variant> {
    let refuse = |message: &str| ApiError::bad_input("w", message);
    let source_format = match asset.mime_type.as_str() {
        "image/gif" => Some(Format::Png),
        other => Format::of(other),
    };
    let Some(source_format) = source_format else {
        return Err(refuse("only PNG, JPEG, WebP and GIF images can be resized or converted"));
    };
    if wanted.width == Some(0) {
        return Err(refuse("the width must be at least 1"));
    }
    let pixels = match (asset.width, asset.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => w as u64 * h as u64,
        _ => return Err(refuse("this image's size is unknown, so it cannot be resized")),
    };
    if pixels > MAX_PIXELS {
        return Err(refuse("this image is too large to resize"));
    }
    let format = wanted.format.unwrap_or(source_format);
    let width = wanted.width.map(|w| w.min(MAX_WIDTH));
    let tag =
        format!("{}-{}", width.map_or("full".to_string(), |w| w.to_string()), format.extension());
    let path = dir(storage, &asset.sha256).join(format!("{tag}.{}", format.extension()));
    let variant = Variant { path: path.clone(), mime_type: format.mime_type(), tag };
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(variant);
    }
    let _turn = MAKING.acquire().await.map_err(|e| ApiError::Internal(e.into()))?;
    // Another request may have made it while this one waited.
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(variant);
    }
    let source =
        storage.local_copy(&asset.storage_key).await.map_err(|e| ApiError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || make(&source, &path, width, format))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(variant)
}

/// Decodes, resizes (never up) and encodes into a temporary file, then renames it into
/// place, so a half-written variant is never served.
fn make(
    source: &std::path::Path,
    path: &std::path::Path,
    width: Option<u32>,
    format: Format,
) -> ApiResult<()> {
    let internal = |e: &dyn std::fmt::Display| {
        ApiError::Internal(anyhow::anyhow!("making an image variant: {e}"))
    };
    let image = image::ImageReader::open(source)
        .map_err(|e| internal(&e))?
        .with_guessed_format()
        .map_err(|e| internal(&e))?
        .decode()
        .map_err(|e| internal(&e))?;
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
    // JPEG has no transparency.
    let image = if format == Format::Jpeg {
        image::DynamicImage::ImageRgb8(image.to_rgb8())
    } else {
        image
    };
    let dir = path.parent().ok_or_else(|| internal(&"no variants folder"))?;
    std::fs::create_dir_all(dir).map_err(|e| internal(&e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| internal(&e))?;
    image
        .write_to(&mut BufWriter::new(file.as_file_mut()), format.image_format())
        .map_err(|e| internal(&e))?;
    file.persist(path).map_err(|e| internal(&e.error))?;
    Ok(())
}

/// Drops an image's variants, once its content is deleted.
pub async fn forget(storage: &Storage, sha256: &str) {
    let _ = tokio::fs::remove_dir_all(dir(storage, sha256)).await;
}
