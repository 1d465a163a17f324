//! The pixel check survives re-compression and fails when the badge is
//! gone (cropped off, or a manifest copied onto an unlabelled picture).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use image::RgbImage;
use tanba_image::ImageLabeler;

/// Re-encodes a JPEG at `quality`, carrying its APPn segments (as a
/// metadata-preserving tool would), optionally cropped to `crop`.
fn recompress(jpeg_bytes: &[u8], quality: u8, crop: Option<(u32, u32)>) -> Vec<u8> {
    let mut img = decode(jpeg_bytes).to_rgb8();
    if let Some((w, h)) = crop {
        img = image::imageops::crop_imm(&img, 0, 0, w, h).to_image();
    }
    let segments: Vec<(u8, Vec<u8>)> = app_segments(jpeg_bytes);
    jpeg(&img, quality, false, &segments)
}

fn verify(bytes: &[u8]) -> tanba_core::Verification {
    ImageLabeler::default()
        .verify_bytes(bytes, &Default::default())
        .unwrap()
}

#[test]
fn survives_recompression_at_quality_60() {
    let input = jpeg(&noisy_rgb(1024, 768, 11), 92, false, &[]);
    let (out, _) = label(&input, None).unwrap();
    // The output has restart markers (a DRI segment before the scan), so
    // verify decodes only the intervals under the badge; the re-compressed
    // copies below have none and are decoded whole.
    let dri = |b: &[u8]| b.windows(4).any(|w| w == [0xFF, 0xDD, 0x00, 0x04]);
    assert!(dri(&out));
    assert!(!dri(&recompress(&out, 60, None)));
    let fresh = verify(&out);
    let q60 = verify(&recompress(&out, 60, None));
    assert!(q60.has_machine_mark());
    assert!(q60.perceptible.found, "{:?}", q60.perceptible);
    assert!(q60.perceptible.score.unwrap() > 0.7);
    assert!(fresh.perceptible.score.unwrap() >= q60.perceptible.score.unwrap() - 0.05);
    // Even harsher.
    let q30 = verify(&recompress(&out, 30, None));
    assert!(q30.perceptible.found, "{:?}", q30.perceptible);
}

#[test]
fn fails_when_the_corner_is_cropped_off() {
    let input = jpeg(&noisy_rgb(1024, 768, 12), 90, false, &[]);
    let (out, _) = label(&input, None).unwrap();
    let cropped = recompress(&out, 90, Some((700, 500)));
    let v = verify(&cropped);
    assert!(v.has_machine_mark(), "metadata survived the crop");
    assert!(!v.perceptible.found, "{:?}", v.perceptible);
    assert!(!v.is_compliant());
}

#[test]
fn fails_when_the_manifest_is_copied_onto_an_unlabelled_picture() {
    let original = noisy_rgb(1024, 768, 13);
    let (out, _) = label(&jpeg(&original, 90, false, &[]), None).unwrap();
    // Same picture, same metadata, but the pixels never had the badge.
    let forged = jpeg(&original, 90, false, &app_segments(&out));
    let v = verify(&forged);
    assert!(v.manifest.is_some());
    assert!(!v.perceptible.found, "{:?}", v.perceptible);
    assert!(v.perceptible.score.unwrap() < 0.3);
    // Also on a flat white picture, where a naive brightness test would pass.
    let white = RgbImage::from_pixel(1024, 768, image::Rgb([255, 255, 255]));
    let v = verify(&jpeg(&white, 90, false, &app_segments(&out)));
    assert!(!v.perceptible.found, "{:?}", v.perceptible);
}

#[test]
fn unlabelled_input_reports_no_marks() {
    let v = verify(&jpeg(&noisy_rgb(320, 240, 14), 90, false, &[]));
    assert!(!v.has_machine_mark());
    assert!(!v.perceptible.found);
    assert!(v.manifest.is_none());
}

/// A labeler's check of its own output reads the watermark where it was
/// embedded, from the decode the badge check uses, and finds the same
/// badge as the plain verification; a picture labelled without the mark,
/// or read with another key, gives none.
#[test]
fn the_output_check_reads_the_watermark_from_the_badge_decode() {
    let labeler = ImageLabeler::default();
    let limits = tanba_core::Limits::default();
    let photo = noisy_rgb(1024, 768, 5);
    let inputs = [
        (jpeg(&photo, 92, false, &[]), "jpeg"),
        (png(&image::DynamicImage::ImageRgb8(photo.clone())), "png"),
    ];
    for (input, what) in inputs {
        let (out, labelled) = label(&input, None).unwrap();
        let payload = labelled.manifest.watermark_payload().unwrap();
        let key = tanba_core::WatermarkKey::PUBLIC;
        let checked = labeler
            .verify_bytes_with_watermark(&out, key, &limits)
            .unwrap();
        let found = checked.watermark.expect(what);
        assert_eq!(found.payload, payload, "{what}");
        assert!(found.strength >= 6.0, "{what}: {found:?}");
        let plain = verify(&out);
        assert!(
            checked.perceptible.found,
            "{what}: {:?}",
            checked.perceptible
        );
        assert_eq!(checked.perceptible.score, plain.perceptible.score, "{what}");
        assert_eq!(checked.marks, plain.marks, "{what}");
        let other = labeler
            .verify_bytes_with_watermark(&out, tanba_core::WatermarkKey(7), &limits)
            .unwrap();
        assert_eq!(other.watermark, None, "{what}: another key");
        let job = tanba_core::Job::default().with_watermark(None);
        let (bare, _) = labeler.label_bytes(&input, None, &job).unwrap();
        let unmarked = labeler
            .verify_bytes_with_watermark(&bare, key, &limits)
            .unwrap();
        assert_eq!(unmarked.watermark, None, "{what}: unmarked");
        assert!(unmarked.perceptible.found, "{what}");
    }
}
