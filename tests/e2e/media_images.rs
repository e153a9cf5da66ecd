//! Images as people upload them: phone photos with an EXIF orientation, and variants whose
//! size matters (lossy WebP and JPEG at `--image-quality`).

use std::process::Command;

use image::{GenericImageView, Rgb, RgbImage};
use serde_json::Value;

use crate::fixtures::editor;
use crate::media::{bare, get, uploaded};
use crate::support::{TestApp, e2e};

/// A JPEG whose stored pixels are `width`×`height`: a red band down the left quarter, blue
/// elsewhere.
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 4 { Rgb([230, 20, 20]) } else { Rgb([20, 20, 230]) }
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(&image)
        .unwrap();
    bytes.into_inner()
}

/// `jpeg` with an EXIF block (APP1, right after the start marker) holding one tag:
/// Orientation (0x0112), a SHORT, set to `orientation`.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    // TIFF header, big-endian; the first IFD at offset 8.
    exif.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    exif.extend_from_slice(&1u16.to_be_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_be_bytes()); // one value
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0]); // the value's field is four bytes
    exif.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn is_red(pixel: Rgb<u8>) -> bool {
    let [r, _, b] = pixel.0;
    r > 150 && b < 100
}

fn is_blue(pixel: Rgb<u8>) -> bool {
    let [r, _, b] = pixel.0;
    b > 150 && r < 100
}

async fn phone_photos_are_shown_upright(app: TestApp) {
    let token = editor(&app).await;
    // Stored 400×300 on its side; orientation 6 says "turn 90° clockwise to show": 300×400.
    let bytes = with_orientation(&jpeg(400, 300), 6);
    assert_eq!(image::load_from_memory(&bytes).unwrap().dimensions(), (400, 300));
    let asset = uploaded(&app, &token, "phone.jpg", bytes.clone()).await;
    assert_eq!((asset["width"].as_i64(), asset["height"].as_i64()), (Some(300), Some(400)));
    let url = bare(&asset["url"]);

    // The original is kept byte for byte, its EXIF block with it: browsers turn it.
    let original = get(&app, &url, Some(&token), &[]).await;
    assert_eq!(original.bytes().await.unwrap().to_vec(), bytes);

    // A variant is turned: 160 wide, 213 high, the red band (the stored left edge) on top.
    for format in ["webp", "jpeg", "png"] {
        let variant = get(&app, &format!("{url}?w=160&format={format}"), Some(&token), &[]).await;
        assert_eq!(variant.status(), 200, "{format}");
        let image = image::load_from_memory(&variant.bytes().await.unwrap()).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (160, 213), "{format}");
        assert!(is_red(*image.get_pixel(80, 10)), "{format}: the top is red");
        assert!(is_blue(*image.get_pixel(80, 200)), "{format}: the bottom is blue");
        assert!(is_blue(*image.get_pixel(5, 100)), "{format}: the left is blue");
    }
    // Full size in another format: upright, as wide as reported.
    let full = get(&app, &format!("{url}?format=png"), Some(&token), &[]).await;
    let image = image::load_from_memory(&full.bytes().await.unwrap()).unwrap();
    assert_eq!(image.dimensions(), (300, 400));

    // Orientation 3 (upside down) keeps the size but turns the picture: red on the right.
    let asset = uploaded(&app, &token, "flipped.jpg", with_orientation(&jpeg(400, 300), 3)).await;
    assert_eq!((asset["width"].as_i64(), asset["height"].as_i64()), (Some(400), Some(300)));
    let url = bare(&asset["url"]);
    let variant = get(&app, &format!("{url}?w=160&format=png"), Some(&token), &[]).await;
    let image = image::load_from_memory(&variant.bytes().await.unwrap()).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (160, 120));
    assert!(is_red(*image.get_pixel(155, 60)) && is_blue(*image.get_pixel(5, 60)));
}
e2e!(phone_photos_are_shown_upright);

/// A photo-like 800×600 image: smooth gradients under sensor-like noise, which is what
/// makes lossless encodings of photos large.
fn noisy_gradient() -> RgbImage {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        i32::try_from(state % 25).unwrap() - 12
    };
    RgbImage::from_fn(800, 600, |x, y| {
        let (x, y) = (i32::try_from(x).unwrap(), i32::try_from(y).unwrap());
        let channel = |base: i32, noise: i32| u8::try_from((base + noise).clamp(0, 255)).unwrap();
        Rgb([
            channel(x * 255 / 800, noise()),
            channel(y * 255 / 600, noise()),
            channel(128 + (x - y) / 8, noise()),
        ])
    })
}

fn encoded(image: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

async fn variant(app: &TestApp, url: &str, token: &str) -> (Vec<u8>, String) {
    let response = get(app, url, Some(token), &[]).await;
    assert_eq!(response.status(), 200, "{url}");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (response.bytes().await.unwrap().to_vec(), etag)
}

async fn webp_variants_of_photos_are_lossy_and_small(mut app: TestApp) {
    let token = editor(&app).await;
    let photo = noisy_gradient();
    let png = encoded(&photo, image::ImageFormat::Png);
    // What the WebP variant was before: the image crate writes lossless WebP only.
    let lossless = encoded(&photo, image::ImageFormat::WebP);
    let asset: Value = uploaded(&app, &token, "photo.png", png.clone()).await;
    let url = bare(&asset["url"]);

    let (webp, webp_etag) = variant(&app, &format!("{url}?format=webp"), &token).await;
    let (jpeg, _) = variant(&app, &format!("{url}?format=jpeg"), &token).await;
    let decoded = image::load_from_memory(&webp).unwrap();
    assert_eq!(decoded.dimensions(), (800, 600));
    println!(
        "800×600 noisy gradient at quality 80: PNG {} B, lossless WebP {} B, JPEG {} B, \
         lossy WebP {} B",
        png.len(),
        lossless.len(),
        jpeg.len(),
        webp.len()
    );
    assert!(webp.len() * 3 < lossless.len(), "lossy WebP is far smaller than lossless");
    assert!(webp.len() < jpeg.len(), "WebP is smaller than the JPEG at the same quality");
    // Lossy, but close: every channel within a small average error of the original.
    let error: u64 = decoded
        .to_rgb8()
        .pixels()
        .zip(photo.pixels())
        .flat_map(|(a, b)| a.0.into_iter().zip(b.0).map(|(a, b)| u64::from(a.abs_diff(b))))
        .sum();
    let mean_error = error as f64 / (800.0 * 600.0 * 3.0);
    assert!(mean_error < 12.0, "mean error {mean_error:.1} per channel");

    // A lower quality makes new, smaller variants (named and tagged by their quality).
    app.reconfigure(|config| config.media.image_quality = 40).await;
    let (webp_40, etag_40) = variant(&app, &format!("{url}?format=webp"), &token).await;
    let (jpeg_40, _) = variant(&app, &format!("{url}?format=jpeg"), &token).await;
    println!("at quality 40: JPEG {} B, lossy WebP {} B", jpeg_40.len(), webp_40.len());
    assert_ne!(etag_40, webp_etag);
    assert!(webp_40.len() < webp.len(), "quality 40 is smaller than 80");
    assert!(jpeg_40.len() < jpeg.len(), "quality 40 is smaller than 80");
    // PNG variants are lossless whatever the quality.
    let (png_variant, _) = variant(&app, &format!("{url}?w=320&format=png"), &token).await;
    assert_eq!(image::load_from_memory(&png_variant).unwrap().dimensions(), (320, 240));
}
e2e!(webp_variants_of_photos_are_lossy_and_small);

#[test]
fn image_quality_is_between_1_and_100() {
    for bad in ["0", "101", "high"] {
        let output = Command::new(env!("CARGO_BIN_EXE_quire"))
            .args(["serve", "--addr", "127.0.0.1:0", "--image-quality", bad])
            .env("QUIRE_LOG", "error")
            .env_remove("QUIRE_DATABASE_URL")
            .current_dir(tempfile::tempdir().unwrap().path())
            .output()
            .unwrap();
        assert!(!output.status.success(), "--image-quality {bad} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--image-quality"), "{stderr}");
    }
}
