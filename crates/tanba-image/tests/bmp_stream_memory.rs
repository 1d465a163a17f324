//! A big 24-bit BMP is labelled row by row into a PNG: the peak allocation,
//! measured by a counting allocator in this test binary (one test, so
//! nothing else allocates meanwhile; not a timer), grows with the width
//! (a row, a band of the badge), not with the area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tanba_core::{Job, WatermarkKey};

#[path = "common_bmp/mod.rs"]
mod common_bmp;
#[path = "common_png/mod.rs"]
mod common_png;
use common_bmp::{Kind, label_bmp, write_bmp};
use common_png::verify_file;

// Counts every allocation, so the test measures peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

/// The peak of labelling a `side`-px square 24-bit BMP, watermark on.
fn peak(side: u32) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.bmp");
    let output = dir.path().join("out.png");
    write_bmp(&input, side, side, Kind::Rgb24);
    let job = Job::new();
    let (peak, l) = peak_of(|| label_bmp(&input, &output, &job));
    assert!(l.notes.iter().any(|n| n.contains("BMP streamed")));
    let v = verify_file(&output, Some(WatermarkKey::PUBLIC));
    assert!(v.is_compliant(), "{v:?}");
    assert_eq!(
        v.watermark.map(|f| f.payload),
        l.manifest.watermark_payload()
    );
    eprintln!("{side}x{side} 24-bit BMP: label peak {peak} B");
    peak
}

#[test]
fn big_bmps_are_labelled_in_memory_that_grows_with_a_row() {
    let label_4k = peak(4096);
    let label_8k = peak(8192);
    // One decoded 4096-px RGB frame is 48 MiB, 192 MiB at 8192 px; the
    // streamed path holds a band of the badge and a few rows.
    assert!(label_4k < 24 << 20, "label peaked at {label_4k} B");
    // Four times the pixels, at most twice and a bit the memory.
    assert!(label_8k < label_4k * 5 / 2, "{label_8k} B vs {label_4k} B");
}
