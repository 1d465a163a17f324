//! Labels one picture file and reads the output back as the facade does
//! (`label` through the `Labeler` trait from file to file, then
//! `verify_with_watermark`): `cargo run --release --example stream_file --
//! IN OUT [--whole] [--no-watermark]`. A big PNG takes the row-by-row path;
//! `--whole` forces today's whole-picture path (`label_bytes`) to compare
//! (docs/benchmarks-by-hand.md). `--make W H OUT` writes a W x H RGBA test
//! PNG (a gradient with mild noise) row by row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use tanba_core::{Job, Labeler, Limits, Source, WatermarkKey};
use tanba_image::{ImageLabeler, PNG};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "--make" {
        make(args[2].parse().unwrap(), args[3].parse().unwrap(), &args[4]);
        return;
    }
    let (input, output) = (Path::new(&args[1]), Path::new(&args[2]));
    let mut job = Job::default();
    if args.iter().any(|a| a == "--no-watermark") {
        job = job.with_watermark(None);
    }
    let labeler = ImageLabeler::default();
    let start = Instant::now();
    let labelled = if args.iter().any(|a| a == "--whole") {
        let bytes = std::fs::read(input).unwrap();
        let (out, l) = labeler.label_bytes(&bytes, Some(input), &job).unwrap();
        std::fs::write(output, out).unwrap();
        l
    } else {
        let mut file = File::open(input).unwrap();
        let len = file.metadata().unwrap().len();
        let source = Source {
            reader: &mut file,
            format: &PNG,
            path: Some(input),
            len,
        };
        let mut out = File::create(output).unwrap();
        labeler.label(source, &mut out, &job).unwrap()
    };
    let labelled_in = start.elapsed();
    let mut file = File::open(output).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format: &PNG,
        path: Some(output),
        len,
    };
    let v = if args.iter().any(|a| a == "--whole") {
        let bytes = std::fs::read(output).unwrap();
        labeler
            .verify_bytes_with_watermark(&bytes, WatermarkKey::PUBLIC, &Limits::default())
            .unwrap()
    } else {
        labeler
            .verify_with_watermark(source, WatermarkKey::PUBLIC, &Limits::default())
            .unwrap()
    };
    eprintln!(
        "labelled in {labelled_in:?}, checked in {:?}; compliant {}, watermark {:?}",
        start.elapsed() - labelled_in,
        v.is_compliant(),
        v.watermark.map(|f| f.payload)
    );
    for note in &labelled.notes {
        eprintln!("note: {note}");
    }
}

fn make(w: u32, h: u32, out: &str) {
    let mut enc = png::Encoder::new(std::io::BufWriter::new(File::create(out).unwrap()), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().unwrap();
    let mut stream = writer.stream_writer_with_size(1 << 20).unwrap();
    let mut x: u32 = 99;
    let mut row = Vec::with_capacity(w as usize * 4);
    for py in 0..h {
        row.clear();
        for px in 0..w {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (40 + (u64::from(px + py) * 160 / u64::from(w + h)) as u32) as u8
                + (x & 0x0F) as u8;
            row.extend_from_slice(&[v, v / 2 + 40, v, 255]);
        }
        stream.write_all(&row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();
}
