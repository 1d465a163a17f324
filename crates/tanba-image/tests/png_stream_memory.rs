//! A big PNG is labelled and checked row by row: the peak allocation,
//! measured by a counting allocator in this test binary (one test, so
//! nothing else allocates meanwhile; not a timer), grows with the width
//! (a row, a band of the badge), not with the area, and stays far under the
//! badge painted whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tanba_core::{Job, WatermarkKey};
use tanba_image::BadgeStyle;
use tanba_image::badge::render_badge;

#[path = "common_png/mod.rs"]
mod common_png;
use common_png::{label_file, read_watermark_file, verify_file, write_png};

// Counts every allocation, so the tests measure peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

/// Peaks of labelling, verifying and reading the mark blind of a
/// `side`-px square RGBA PNG, with the watermark on, and of painting its
/// badge whole (for comparison).
fn peaks(side: u32) -> [usize; 4] {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.png");
    let output = dir.path().join("out.png");
    write_png(&input, side, side, 4);
    let job = Job::new();
    let font = tanba_core::font::FontFile::default();
    let (peak_badge, badge) =
        peak_of(|| render_badge(&font, &job.label, side, side, &BadgeStyle::default()).unwrap());
    drop(badge);
    let (peak_label, l) = peak_of(|| label_file(&input, &output, &job));
    let (peak_verify, v) = peak_of(|| verify_file(&output, Some(WatermarkKey::PUBLIC)));
    let (peak_blind, blind) = peak_of(|| read_watermark_file(&output, WatermarkKey::PUBLIC));
    eprintln!(
        "{side}x{side} RGBA: label peak {peak_label} B, verify peak {peak_verify} B, blind read \
         peak {peak_blind} B, its badge painted whole {peak_badge} B"
    );
    assert_eq!(blind.map(|f| f.payload), l.manifest.watermark_payload());
    assert!(v.is_compliant(), "{v:?}");
    assert_eq!(
        v.watermark.map(|f| f.payload),
        l.manifest.watermark_payload()
    );
    [peak_label, peak_verify, peak_blind, peak_badge]
}

#[test]
fn big_rgba_pngs_are_labelled_and_checked_in_memory_that_grows_with_a_row() {
    let [label_4k, verify_4k, blind_4k, badge_4k] = peaks(4096);
    let [label_8k, verify_8k, blind_8k, badge_8k] = peaks(8192);
    // One decoded 4096-px frame is 64 MiB; the badge painted whole is 46 MB
    // there, 184 MB at 8192 px. The streamed path holds a band of the
    // badge (128 rows), its masks as run lengths and a few picture rows:
    // memory that grows with the width, not the area.
    for (peak, badge) in [(label_4k, badge_4k), (label_8k, badge_8k)] {
        assert!(
            peak < badge / 2,
            "label peaked at {peak} B, the badge whole is {badge} B"
        );
    }
    assert!(label_4k < 24 << 20, "label peaked at {label_4k} B");
    assert!(verify_4k < 24 << 20, "verify peaked at {verify_4k} B");
    // The blind read holds the detector's shrink (a fixed size) and a row.
    assert!(blind_4k < 24 << 20, "the blind read peaked at {blind_4k} B");
    assert!(blind_8k < blind_4k * 5 / 2, "{blind_8k} B vs {blind_4k} B");
    // Four times the pixels, at most twice and a bit the memory (a row is
    // twice as long).
    assert!(label_8k < label_4k * 5 / 2, "{label_8k} B vs {label_4k} B");
    assert!(
        verify_8k < verify_4k * 5 / 2,
        "{verify_8k} B vs {verify_4k} B"
    );
}
