//! Labels one picture file, for measuring by hand with `/usr/bin/time -v`
//! (docs/benchmarks-by-hand.md): `label_file IN OUT [--watermark] [--verify]`.
//! Without `--watermark` the mark is left out, as `tanba label --no-watermark`.
//! `label_file --badge-only W H` only draws the badge for a W x H picture,
//! to tell its memory from the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tanba_core::{Job, Limits, WatermarkKey};
use tanba_image::ImageLabeler;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "--badge-only" {
        let (w, h) = (args[2].parse().expect("W"), args[3].parse().expect("H"));
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
        .expect("badge drawn");
        eprintln!("badge region {:?}", placed.region());
        return;
    }
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
