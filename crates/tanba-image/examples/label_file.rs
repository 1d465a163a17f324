//! Labels one image file: `cargo run --example label_file -- IN OUT
//! [--no-watermark]` (without the watermark a JPEG takes the DCT-domain
//! path). `label_file --badge-only W H` only draws the badge for a W x H
//! picture, to tell its memory from the rest (docs/benchmarks-by-hand.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use tanba_core::Job;
use tanba_image::ImageLabeler;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "--badge-only" {
        badge_only(args[2].parse().unwrap(), args[3].parse().unwrap());
        return;
    }
    let (input, output) = (&args[1], &args[2]);
    let mut job = Job::default();
    if args.iter().any(|a| a == "--no-watermark") {
        job = job.with_watermark(None);
    }
    let bytes = std::fs::read(input).unwrap();
    let start = std::time::Instant::now();
    if std::env::var_os("PLAIN").is_some() {
        // Baseline for comparison: decode and re-encode, no label.
        let img = image::load_from_memory(&bytes).unwrap().into_rgb8();
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 91)
            .encode(
                img.as_raw(),
                img.width() as u16,
                img.height() as u16,
                jpeg_encoder::ColorType::Rgb,
            )
            .unwrap();
        eprintln!(
            "plain decode+encode in {:?}; {} bytes",
            start.elapsed(),
            out.len()
        );
        std::fs::write(output, out).unwrap();
        return;
    }
    let (out, labelled) = ImageLabeler::default()
        .label_bytes(&bytes, Some(Path::new(input)), &job)
        .unwrap();
    eprintln!(
        "labelled in {:?}; {} -> {} bytes",
        start.elapsed(),
        bytes.len(),
        out.len()
    );
    for note in &labelled.notes {
        eprintln!("note: {note}");
    }
    std::fs::write(output, out).unwrap();
}

fn badge_only(w: u32, h: u32) {
    let (labeler, job) = (ImageLabeler::default(), Job::new());
    let placed = tanba_image::badge::place_badge(
        &labeler.settings.font,
        &job.label,
        w,
        h,
        image::metadata::Orientation::NoTransforms,
        job.position,
        &labeler.settings.style,
    )
    .unwrap();
    eprintln!("badge region {:?}", placed.region());
}
