//! A big PNG is labelled and checked row by row: the peak allocation,
//! measured by a counting allocator in this test binary (one test, so
//! nothing else allocates meanwhile; not a timer), stays under one frame,
//! and above the badge's own rendering it is a few rows' worth.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tanba_core::{Job, WatermarkKey};
use tanba_image::BadgeStyle;
use tanba_image::badge::render_badge;

#[path = "common_png/mod.rs"]
mod common_png;
use common_png::{label_file, verify_file, write_png};

// Counts every allocation, so the tests measure peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

#[test]
fn a_4096_square_rgba_png_is_labelled_and_checked_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.png");
    let output = dir.path().join("out.png");
    write_png(&input, 4096, 4096, 4);
    let job = Job::new();
    let font = tanba_core::font::FontFile::default();
    let (peak_badge, badge) =
        peak_of(|| render_badge(&font, &job.label, 4096, 4096, &BadgeStyle::default()).unwrap());
    let (peak_label, l) = peak_of(|| label_file(&input, &output, &job));
    let (peak_verify, v) = peak_of(|| verify_file(&output, Some(WatermarkKey::PUBLIC)));
    eprintln!(
        "4096x4096 RGBA: label peak {peak_label} B, verify peak {peak_verify} B, the {}x{} badge \
         alone {peak_badge} B",
        badge.rgba.width(),
        badge.rgba.height()
    );
    assert!(v.is_compliant(), "{v:?}");
    assert_eq!(
        v.watermark.map(|f| f.payload),
        l.manifest.watermark_payload()
    );
    // One decoded frame is 64 MiB (the whole path holds it and an encoder
    // copy); the streamed path holds the badge and a few rows.
    let frame = 4096 * 4096 * 4;
    assert!(peak_label < frame, "label peaked at {peak_label} B");
    assert!(
        peak_label < peak_badge + (8 << 20),
        "label peaked at {peak_label} B, the badge alone at {peak_badge} B"
    );
    assert!(peak_verify < frame / 2, "verify peaked at {peak_verify} B");
}
