//! Checking an upload before anything is stored: its name, its real type (sniffed from the
//! bytes, never taken from the name or the client's word), its size and hash, and what can
//! be read from it (image size, PDF pages). A refused upload leaves nothing behind.

use std::io::{Read, Seek, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// The types accepted, with the file name extensions each may carry.
const ACCEPTED: &[(&str, &[&str])] = &[
    ("application/pdf", &["pdf"]),
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg"]),
    ("image/webp", &["webp"]),
    ("image/gif", &["gif"]),
    ("image/avif", &["avif"]),
];

/// How much of the start of a file the type is sniffed from.
const HEAD: usize = 8192;

fn refuse(message: impl Into<String>) -> ApiError {
    ApiError::bad_input("file", message)
}

/// A checked upload, written to a staging file that is deleted unless it is stored.
pub struct Staged {
    pub file: tempfile::TempPath,
    pub filename: String,
    pub mime_type: &'static str,
    pub sha256: String,
    pub byte_size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub page_count: Option<u32>,
}

/// Reduces a client's file name to a safe ASCII name (`Ünïcode Report.PDF` becomes
/// `unicode-report.pdf`). A name with a path in it is refused, not repaired: it is a sign
/// of a client that is confused or hostile.
pub fn safe_filename(given: &str) -> ApiResult<(String, Option<String>)> {
    let given = given.trim();
    if given.contains(['/', '\\']) || given.contains("..") || given.chars().any(char::is_control) {
        return Err(refuse("a file name may not contain a path"));
    }
    let (stem, extension) = match given.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() => (stem, Some(ext.to_ascii_lowercase())),
        _ => (given, None),
    };
    let mut stem = slug::slugify(stem);
    stem.truncate(100);
    let stem = if stem.is_empty() { "file".to_string() } else { stem };
    let extension = extension.filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()));
    Ok((stem, extension))
}

/// The accepted type of these first bytes, checked against the name's extension.
pub fn sniff(head: &[u8], extension: Option<&str>) -> ApiResult<(&'static str, &'static str)> {
    let detected = infer::get(head).map(|kind| kind.mime_type());
    let Some((mime_type, extensions)) =
        ACCEPTED.iter().find(|(mime, _)| Some(*mime) == detected).copied()
    else {
        if looks_like_svg(head) {
            return Err(refuse("SVG files are not accepted: they can carry scripts"));
        }
        return Err(refuse("only PDF, PNG, JPEG, WebP, GIF and AVIF files are accepted"));
    };
    if let Some(extension) = extension
        && !extensions.contains(&extension)
    {
        return Err(refuse(format!(
            "the file is {mime_type} but its name ends in .{extension}: rename it"
        )));
    }
    Ok((mime_type, extensions[0]))
}

fn looks_like_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    text.contains("<svg")
}

/// Copies the upload into the staging folder while hashing it, then checks it. Blocking:
/// run it on a blocking thread.
pub fn stage(
    mut upload: std::fs::File,
    given_name: &str,
    staging_dir: &Path,
    max_bytes: u64,
) -> ApiResult<Staged> {
    let (stem, extension) = safe_filename(given_name)?;
    let internal = |e: std::io::Error| ApiError::Internal(e.into());
    upload.rewind().map_err(internal)?;
    let mut staged = tempfile::NamedTempFile::new_in(staging_dir).map_err(internal)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(HEAD);
    let mut byte_size = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = upload.read(&mut buffer).map_err(internal)?;
        if read == 0 {
            break;
        }
        byte_size += read as u64;
        if byte_size > max_bytes {
            return Err(refuse(format!("the file is larger than {max_bytes} bytes")));
        }
        let chunk = &buffer[..read];
        if head.len() < HEAD {
            head.extend_from_slice(&chunk[..chunk.len().min(HEAD - head.len())]);
        }
        hasher.update(chunk);
        staged.write_all(chunk).map_err(internal)?;
    }
    if byte_size == 0 {
        return Err(refuse("the file is empty"));
    }
    staged.flush().map_err(internal)?;
    let (mime_type, canonical_extension) = sniff(&head, extension.as_deref())?;
    let file = staged.into_temp_path();
    let (width, height) = if mime_type.starts_with("image/") {
        image_size(&file).map_or((None, None), |(w, h)| (Some(w), Some(h)))
    } else {
        (None, None)
    };
    let page_count = if mime_type == "application/pdf" { pdf_pages(&file) } else { None };
    Ok(Staged {
        file,
        filename: format!("{stem}.{canonical_extension}"),
        mime_type,
        sha256: hex::encode(hasher.finalize()),
        byte_size,
        width,
        height,
        page_count,
    })
}

/// The size an image is displayed at: read from its header, turned as its EXIF orientation
/// says (a phone's 4000×3000 photo tagged "rotate 90°" is shown 3000×4000). `None` for
/// formats Quire cannot decode (AVIF).
fn image_size(path: &Path) -> Option<(u32, u32)> {
    use image::ImageDecoder;
    let mut decoder =
        image::ImageReader::open(path).ok()?.with_guessed_format().ok()?.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    // An unreadable EXIF block is no reason to refuse the image: it is shown as stored.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    Some(if super::variants::turns_sideways(orientation) {
        (height, width)
    } else {
        (width, height)
    })
}

/// Counted by lopdf when built with the default `pdf-pages` feature; without it, booklets
/// simply have no `pageCount`.
#[cfg(feature = "pdf-pages")]
fn pdf_pages(path: &Path) -> Option<u32> {
    match lopdf::Document::load_metadata(path) {
        Ok(metadata) => Some(metadata.page_count),
        Err(err) => {
            tracing::warn!(error = %err, "cannot read a PDF's page count");
            None
        }
    }
}

#[cfg(not(feature = "pdf-pages"))]
fn pdf_pages(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_reduced_to_safe_ascii() {
        assert_eq!(
            safe_filename("Ünïcode Report 2014.PDF").ok(),
            Some(("unicode-report-2014".to_string(), Some("pdf".to_string())))
        );
        assert_eq!(safe_filename("photo").ok(), Some(("photo".to_string(), None)));
        assert_eq!(safe_filename("«»!.png").ok(), Some(("file".to_string(), Some("png".into()))));
        for bad in ["../../etc/passwd", "a/b.png", "c:\\x.png", "x\u{0}.png", ".."] {
            assert!(safe_filename(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn types_come_from_the_bytes_and_must_match_the_name() {
        let pdf = b"%PDF-1.4\n%...";
        assert_eq!(sniff(pdf, Some("pdf")).ok(), Some(("application/pdf", "pdf")));
        assert_eq!(sniff(pdf, None).ok(), Some(("application/pdf", "pdf")));
        assert!(sniff(pdf, Some("png")).is_err(), "a PDF named .png");
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png, Some("png")).ok(), Some(("image/png", "png")));
        assert!(sniff(b"<?xml version=\"1.0\"?><svg onload=\"x()\">", Some("svg")).is_err());
        assert!(sniff(b"plain text", Some("txt")).is_err());
    }
}
