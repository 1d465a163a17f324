//! Shared by the streamed-BMP tests: generated big BMPs, labelled through
//! the `Labeler` trait (the streamed path).
#![allow(dead_code, clippy::unwrap_used)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use tanba_core::{Job, Labeler, Source};
use tanba_image::{BMP, ImageLabeler};

/// How the generated BMP stores its pixels.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// 24-bit `BI_RGB`, INFO header, bottom-up.
    Rgb24,
    /// 32-bit `BI_RGB` (fourth byte unused), INFO header, top-down.
    Rgb32TopDown,
    /// 32-bit `BI_BITFIELDS` with an alpha mask, V4 header, bottom-up.
    Bitfields32Alpha,
}

/// A `w` x `h` BMP with a photograph's statistics (a gradient with mild
/// noise), written row by row.
pub fn write_bmp(path: &Path, w: u32, h: u32, kind: Kind) {
    let (dib, bpp, compression, top_down) = match kind {
        Kind::Rgb24 => (40u32, 24u16, 0u32, false),
        Kind::Rgb32TopDown => (40, 32, 0, true),
        Kind::Bitfields32Alpha => (108, 32, 3, false),
    };
    let stored = usize::from(bpp / 8);
    let stride = (w as usize * stored).div_ceil(4) * 4;
    let offset = 14 + dib;
    let size = offset as u64 + (stride * h as usize) as u64;
    let mut out = BufWriter::new(File::create(path).unwrap());
    let mut head = b"BM".to_vec();
    head.extend_from_slice(&u32::try_from(size).unwrap_or(0).to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes());
    head.extend_from_slice(&offset.to_le_bytes());
    head.extend_from_slice(&dib.to_le_bytes());
    head.extend_from_slice(&(w as i32).to_le_bytes());
    let height = if top_down { -(h as i32) } else { h as i32 };
    head.extend_from_slice(&height.to_le_bytes());
    head.extend_from_slice(&1u16.to_le_bytes());
    head.extend_from_slice(&bpp.to_le_bytes());
    head.extend_from_slice(&compression.to_le_bytes());
    head.extend_from_slice(&[0u8; 20]); // image size, resolution, colours
    if dib == 108 {
        for mask in [0xFF_0000u32, 0xFF00, 0xFF, 0xFF00_0000, 0x7352_4742] {
            head.extend_from_slice(&mask.to_le_bytes());
        }
        head.extend_from_slice(&[0u8; 48]); // end points, gammas
    }
    assert_eq!(head.len(), offset as usize);
    out.write_all(&head).unwrap();
    let mut row = vec![0u8; stride];
    for stored_y in 0..h {
        let py = if top_down { stored_y } else { h - 1 - stored_y };
        let mut x: u32 = 99 ^ py.wrapping_mul(2_654_435_761);
        for px in 0..w {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (40 + (px + py) * 160 / (w + h)) as u8 + (x & 0x0F) as u8;
            let bgra = [v, v / 2 + 40, v.wrapping_add(30), 200 + (px % 50) as u8];
            let at = px as usize * stored;
            row[at..at + stored].copy_from_slice(&bgra[..stored]);
        }
        out.write_all(&row).unwrap();
    }
    out.flush().unwrap();
}

/// Labels the BMP at `input` into `output` through the `Labeler` trait.
pub fn label_bmp(input: &Path, output: &Path, job: &Job) -> tanba_core::Labelled {
    let mut file = File::open(input).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format: &BMP,
        path: Some(input),
        len,
    };
    let mut out = File::create(output).unwrap();
    ImageLabeler::default()
        .label(source, &mut out, job)
        .unwrap()
}
