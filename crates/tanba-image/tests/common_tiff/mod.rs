//! Shared by the streamed-TIFF tests: a generated big strip TIFF, and
//! labelling and verifying files through the `Labeler` trait (the streamed
//! path).
#![allow(dead_code, clippy::unwrap_used)]

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use tanba_core::{Job, Labeler, Limits, Source, WatermarkKey};
use tanba_image::{ImageLabeler, TIFF};
use tiff::encoder::{TiffEncoder, colortype};
use tiff::tags::Tag;

/// One row of a picture with a photograph's statistics (a gradient with
/// mild noise), `channels` samples a pixel.
fn row(w: u32, h: u32, py: u32, channels: usize, x: &mut u32, out: &mut Vec<u8>) {
    out.clear();
    for px in 0..w {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        let v = (40 + (px + py) * 160 / (w + h)) as u8 + (*x & 0x0F) as u8;
        let rgba = [v, v / 2 + 40, v, 200 + (px % 50) as u8];
        match channels {
            1 => out.push(v),
            3 => out.extend_from_slice(&rgba[..3]),
            _ => out.extend_from_slice(&rgba),
        }
    }
}

/// A `w` x `h` uncompressed strip TIFF of `channels` (1, 3 or 4) samples a
/// pixel, one row a strip (written row by row), with `orientation` and an
/// ICC profile's bytes as tags.
pub fn write_tiff(path: &Path, w: u32, h: u32, channels: usize, orientation: u16) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    let mut enc = TiffEncoder::new(&mut out).unwrap();
    macro_rules! rows {
        ($ct:ty) => {{
            let mut image = enc.new_image::<$ct>(w, h).unwrap();
            image.rows_per_strip(1).unwrap();
            image
                .encoder()
                .write_tag(Tag::Orientation, orientation)
                .unwrap();
            image
                .encoder()
                .write_tag(Tag::IccProfile, &b"not really an ICC profile"[..])
                .unwrap();
            let (mut x, mut line) = (99u32, Vec::new());
            for py in 0..h {
                row(w, h, py, channels, &mut x, &mut line);
                image.write_strip(&line).unwrap();
            }
            image.finish().unwrap();
        }};
    }
    match channels {
        1 => rows!(colortype::Gray8),
        3 => rows!(colortype::RGB8),
        _ => rows!(colortype::RGBA8),
    }
}

fn source<'a>(file: &'a mut File, path: &'a Path) -> Source<'a> {
    let len = file.metadata().unwrap().len();
    Source {
        reader: file,
        format: &TIFF,
        path: Some(path),
        len,
    }
}

pub fn label_file(input: &Path, output: &Path, job: &Job) -> tanba_core::Labelled {
    let mut file = File::open(input).unwrap();
    let mut out = File::create(output).unwrap();
    ImageLabeler::default()
        .label(source(&mut file, input), &mut out, job)
        .unwrap()
}

pub fn verify_file(path: &Path, key: Option<WatermarkKey>) -> tanba_core::Verification {
    let mut file = File::open(path).unwrap();
    let labeler = ImageLabeler::default();
    let limits = Limits::default();
    match key {
        Some(key) => labeler
            .verify_with_watermark(source(&mut file, path), key, &limits)
            .unwrap(),
        None => labeler.verify(source(&mut file, path), &limits).unwrap(),
    }
}

/// Reads the mark made with `key` blind, through the `Labeler` trait.
pub fn read_watermark_file(path: &Path, key: WatermarkKey) -> Option<tanba_core::WatermarkFound> {
    let mut file = File::open(path).unwrap();
    ImageLabeler::default()
        .read_watermark(source(&mut file, path), key, &Limits::default())
        .unwrap()
}
