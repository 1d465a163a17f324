//! Shared by the streamed-PNG tests: a generated big PNG, and labelling
//! and verifying files through the `Labeler` trait (the streamed path).
#![allow(dead_code, clippy::unwrap_used)]

use std::fs::File;
use std::path::Path;

use tanba_core::{Job, Labeler, Limits, Source, WatermarkKey};
use tanba_image::{ImageLabeler, PNG};

/// A `w` x `h` picture with a photograph's statistics (a gradient with
/// mild noise), written as a PNG of `channels` samples a pixel.
pub fn write_png(path: &Path, w: u32, h: u32, channels: usize) {
    let colour = match channels {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let mut enc = png::Encoder::new(File::create(path).unwrap(), w, h);
    enc.set_color(colour);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let mut x: u32 = 99;
    let mut row = Vec::with_capacity(w as usize * channels);
    for py in 0..h {
        row.clear();
        for px in 0..w {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (40 + (px + py) * 160 / (w + h)) as u8 + (x & 0x0F) as u8;
            let rgba = [v, v / 2 + 40, v, 200 + (px % 50) as u8];
            match channels {
                1 => row.push(v),
                3 => row.extend_from_slice(&rgba[..3]),
                _ => row.extend_from_slice(&rgba),
            }
        }
        std::io::Write::write_all(&mut stream, &row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();
}

pub fn label_file(input: &Path, output: &Path, job: &Job) -> tanba_core::Labelled {
    let mut file = File::open(input).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format: &PNG,
        path: Some(input),
        len,
    };
    let mut out = File::create(output).unwrap();
    ImageLabeler::default()
        .label(source, &mut out, job)
        .unwrap()
}

pub fn verify_file(path: &Path, key: Option<WatermarkKey>) -> tanba_core::Verification {
    let mut file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format: &PNG,
        path: Some(path),
        len,
    };
    let labeler = ImageLabeler::default();
    match key {
        Some(key) => labeler
            .verify_with_watermark(source, key, &Limits::default())
            .unwrap(),
        None => labeler.verify(source, &Limits::default()).unwrap(),
    }
}

/// The blind watermark read of `verify` (no manifest to say where the mark
/// is) of the PNG at `path`.
pub fn read_watermark_file(path: &Path, key: WatermarkKey) -> Option<tanba_core::WatermarkFound> {
    let mut file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format: &PNG,
        path: Some(path),
        len,
    };
    ImageLabeler::default()
        .read_watermark(source, key, &Limits::default())
        .unwrap()
}
