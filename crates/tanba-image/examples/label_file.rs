//! Labels one picture file, for measuring by hand with `/usr/bin/time -v`
//! (docs/benchmarks-by-hand.md): `label_file IN OUT [--watermark] [--verify]`.
//! Without `--watermark` the mark is left out, as `tanba label --no-watermark`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tanba_core::{Job, Limits, WatermarkKey};
use tanba_image::ImageLabeler;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = (&args[1], &args[2]);
    let watermark = args.iter().any(|a| a == "--watermark");
    let bytes = std::fs::read(input).expect("input readable");
    let job = Job::new().with_watermark(watermark.then_some(WatermarkKey::PUBLIC));
    let labeler = ImageLabeler::default();
    let (out, labelled) = labeler
        .label_bytes(&bytes, Some(Path::new(input)), &job)
        .expect("labelled");
    drop(bytes);
    std::fs::write(output, &out).expect("output written");
    for n in &labelled.notes {
        eprintln!("note: {n}");
    }
    if args.iter().any(|a| a == "--verify") {
        let v = labeler
            .verify_bytes(&out, &Limits::default())
            .expect("verified");
        eprintln!("compliant: {}", v.is_compliant());
    }
}
