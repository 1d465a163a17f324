//! A big strip TIFF is labelled strip by strip: the peak allocation,
//! measured by a counting allocator in this test binary (one test, so
//! nothing else allocates meanwhile; not a timer), grows with the width
//! (a strip of about 1 MB, a band of the badge, a few rows), not with the
//! area. (Verifying the output takes the whole path; not measured here.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tanba_core::Job;

#[path = "common_tiff/mod.rs"]
mod common_tiff;
use common_tiff::{label_file, write_tiff};

// Counts every allocation, so the test measures peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

/// Peak of labelling a `side`-px square RGB TIFF, the watermark on.
fn label_peak(side: u32) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.tif");
    let output = dir.path().join("out.tif");
    write_tiff(&input, side, side, 3, 1);
    let (peak, l) = peak_of(|| label_file(&input, &output, &Job::new()));
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("streamed strip by strip")),
        "{:?}",
        l.notes
    );
    eprintln!("{side}x{side} RGB TIFF: label peak {peak} B");
    peak
}

#[test]
fn big_rgb_tiffs_are_labelled_in_memory_that_grows_with_a_row() {
    let peak_4k = label_peak(4096);
    let peak_8k = label_peak(8192);
    // One decoded 4096-px RGB frame is 48 MiB, 192 MiB at 8192 px; the
    // streamed path peaked at 9.6 MB and 16.6 MB (a strip of about 1 MB
    // and its LZW, the mark's grids, a band of the badge).
    assert!(peak_4k < 16 << 20, "label peaked at {peak_4k} B");
    // Four times the pixels, at most twice and a bit the memory (a row is
    // twice as long).
    assert!(peak_8k < peak_4k * 5 / 2, "{peak_8k} B vs {peak_4k} B");
}
