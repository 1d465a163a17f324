//! Labels one image file: `cargo run --example label_file -- IN OUT`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use tanba_core::Job;
use tanba_image::ImageLabeler;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = (&args[1], &args[2]);
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
        .label_bytes(&bytes, Some(Path::new(input)), &Job::default())
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
