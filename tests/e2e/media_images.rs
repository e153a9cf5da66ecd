//! Images as people upload them: phone photos with an EXIF orientation.

use image::{GenericImageView, Rgb, RgbImage};

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
