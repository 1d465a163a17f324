//! Helpers shared by the integration tests: synthetic inputs made with the
//! crates' own encoders, and a runner for exiftool.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use image::{DynamicImage, Rgb, RgbImage};
use std::path::Path;
use std::process::Command;
use tanba_core::{Job, Labelled};
use tanba_image::ImageLabeler;

/// A photo-like picture: gradients plus deterministic noise.
pub fn noisy_rgb(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state % 40) as i32 - 20;
        let base = [
            (x * 255 / w) as i32,
            (y * 255 / h) as i32,
            ((x + y) * 127 / (w + h)) as i32 + 64,
        ];
        Rgb(base.map(|c| (c + n).clamp(0, 255) as u8))
    })
}

/// A JPEG made with jpeg-encoder, with extra APPn segments (marker number, payload).
pub fn jpeg(img: &RgbImage, quality: u8, progressive: bool, app: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_progressive(progressive);
    for (nr, data) in app {
        enc.add_app_segment(*nr, data).unwrap();
    }
    enc.encode(
        img.as_raw(),
        img.width() as u16,
        img.height() as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

/// The APPn segments of a JPEG, up to the first scan.
pub fn app_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut pos = 2;
    let mut out = Vec::new();
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        if marker == 0xDA {
            break;
        }
        if (0xE1..=0xEF).contains(&marker) {
            out.push((marker - 0xE0, jpeg[pos + 4..pos + 2 + len].to_vec()));
        }
        pos += 2 + len;
    }
    out
}

/// An EXIF block (with the `Exif\0\0` prefix) holding just an orientation.
pub fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut v = b"Exif\0\0".to_vec();
    v.extend_from_slice(&exif_tiff(orientation));
    v
}

/// The TIFF-structured EXIF body (as in PNG eXIf / WebP EXIF).
pub fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut v = b"MM\0*\0\0\0\x08".to_vec();
    v.extend_from_slice(&1u16.to_be_bytes()); // one entry
    v.extend_from_slice(&0x0112u16.to_be_bytes());
    v.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    v.extend_from_slice(&1u32.to_be_bytes());
    v.extend_from_slice(&orientation.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    v
}

/// A PNG of `img` (any colour type) via the image crate.
pub fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Inserts a chunk right after IHDR.
pub fn png_with_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut out = png[..ihdr_end].to_vec();
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

/// Labels with the default labeler and job.
pub fn label(bytes: &[u8], name: Option<&str>) -> tanba_core::Result<(Vec<u8>, Labelled)> {
    ImageLabeler::default().label_bytes(bytes, name.map(Path::new), &Job::default())
}

/// exiftool's JSON for the bytes, written to a temporary file with `ext`.
pub fn exiftool(bytes: &[u8], ext: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("probe.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("exiftool")
        .args(["-j", "-G1"])
        .args(args)
        .arg(&path)
        .output()
        .expect("exiftool is installed (Debian: libimage-exiftool-perl)");
    assert!(
        out.status.success(),
        "exiftool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0].clone()
}

/// `exiftool -a -G1 -s` of the bytes: every copy of every tag, one a line.
pub fn exiftool_lines(bytes: &[u8], ext: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("probe.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("exiftool")
        .args(["-a", "-G1", "-s", "-XMP:all", "-PNG:all"])
        .arg(&path)
        .output()
        .expect("exiftool is installed (Debian: libimage-exiftool-perl)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Decodes any output with the image crate.
pub fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}
