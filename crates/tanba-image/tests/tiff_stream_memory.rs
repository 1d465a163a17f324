//! A big strip TIFF is labelled strip by strip: the peak allocation,
//! measured by a counting allocator in this test binary (one test, so
//! nothing else allocates meanwhile; not a timer), grows with the width
//! (a strip of about 1 MB, a band of the badge, a few rows), not with the
//! area; so do the check after labelling (`verify_with_watermark`, which
//! the CLI runs on every output) and the blind read of the mark, a strip
//! at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tanba_core::{Job, WatermarkKey};

#[path = "common_tiff/mod.rs"]
mod common_tiff;
use common_tiff::{label_file, read_watermark_file, verify_file, write_tiff};

// Counts every allocation, so the test measures peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

/// Peaks of labelling a `side`-px square RGB TIFF with the watermark on,
/// of the check after labelling and of the blind read of its mark.
fn peaks(side: u32) -> [usize; 3] {
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
    let (peak_verify, v) = peak_of(|| verify_file(&output, Some(WatermarkKey::PUBLIC)));
    let (peak_blind, blind) = peak_of(|| read_watermark_file(&output, WatermarkKey::PUBLIC));
    eprintln!(
        "{side}x{side} RGB TIFF: label peak {peak} B, verify peak {peak_verify} B, blind read \
         peak {peak_blind} B"
    );
    assert!(v.is_compliant(), "{v:?}");
    assert!(l.manifest.watermark_payload().is_some());
    assert_eq!(
        v.watermark.map(|f| f.payload),
        l.manifest.watermark_payload()
    );
    assert_eq!(blind.map(|f| f.payload), l.manifest.watermark_payload());
    [peak, peak_verify, peak_blind]
}

#[test]
fn big_rgb_tiffs_are_labelled_and_checked_in_memory_that_grows_with_a_row() {
    let [label_4k, verify_4k, blind_4k] = peaks(4096);
    let [label_8k, verify_8k, blind_8k] = peaks(8192);
    // One decoded 4096-px RGB frame is 48 MiB, 192 MiB at 8192 px; the
    // streamed label peaked at 9.6 MB and 16.6 MB (a strip of about 1 MB
    // and its LZW, the mark's grids, a band of the badge).
    for (what, peak) in [
        ("label", label_4k),
        ("verify", verify_4k),
        ("blind read", blind_4k),
    ] {
        assert!(peak < 16 << 20, "{what} peaked at {peak} B");
    }
    // Four times the pixels, at most twice and a bit the memory (a row is
    // twice as long).
    for (what, p4, p8) in [
        ("label", label_4k, label_8k),
        ("verify", verify_4k, verify_8k),
        ("blind read", blind_4k, blind_8k),
    ] {
        assert!(p8 < p4 * 5 / 2, "{what}: {p8} B vs {p4} B");
    }
}
