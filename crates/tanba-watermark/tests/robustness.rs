//! The watermark read back after real tools (ImageMagick `convert`) have
//! stripped, re-encoded, resized and cropped a marked picture; unmarked
//! pictures and wrong keys read nothing; the mark keeps PSNR above 40 dB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use image::RgbImage;
use tanba_watermark::{Key, PUBLIC_KEY, detect, embed};

const PAYLOAD: u64 = 0xA1B2_C3D4_E5F6_0718;

/// Pictures the method is expected to carry through every operation below.
fn pictures() -> Vec<(String, RgbImage)> {
    vec![
        ("photo".into(), common::photo()),
        (
            "smooth-1024x768".into(),
            common::generated("smooth", 1024, 768, 3),
        ),
        (
            "gradient-1500x1000".into(),
            common::generated("gradient", 1500, 1000, 4),
        ),
        (
            "noise-1500x1000".into(),
            common::generated("noise", 1500, 1000, 5),
        ),
    ]
}

/// Marks each picture, runs each operation with ImageMagick, reads back.
/// Returns the failures as "picture/operation".
fn run_matrix(pictures: &[(String, RgbImage)], ops: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, original) in pictures {
        let mut marked = original.clone();
        embed(&mut marked, PAYLOAD, PUBLIC_KEY).unwrap();
        let src = dir.path().join(format!("{name}.png"));
        marked.save(&src).unwrap();
        for (op, args, ext) in common::OPERATIONS.iter().filter(|o| ops.contains(&o.0)) {
            let out = common::convert(&src, args, ext, dir.path(), &format!("{name}-{op}"));
            let read = detect(&out, PUBLIC_KEY);
            if read != Some(PAYLOAD) {
                failures.push(format!("{name}/{op} read {read:?}"));
            }
        }
    }
    failures
}

#[test]
fn payload_survives_strip_jpeg_resize_crop_and_upscale() {
    let ops = [
        "strip",
        "jpeg90",
        "jpeg70",
        "resize75",
        "resize50",
        "resize50-up",
        "crop5",
        "crop10",
        "upscale150",
    ];
    let failures = run_matrix(&pictures(), &ops);
    assert!(failures.is_empty(), "payload lost: {failures:?}");
}

#[test]
#[ignore = "goal not met yet (README, Robustness): WebP q80 and resize 50 % + JPEG q70 lose the photo"]
fn payload_survives_webp_and_resize_then_jpeg() {
    let failures = run_matrix(&pictures(), &["resize50-jpeg70", "webp80"]);
    assert!(failures.is_empty(), "payload lost: {failures:?}");
}

#[test]
#[ignore = "goal not met yet (README, Robustness): text-like pictures and 640x480 noise are not read back"]
fn payload_survives_on_text_and_small_noise() {
    let hard = vec![
        (
            "text-1500x1000".to_string(),
            common::generated("text", 1500, 1000, 6),
        ),
        (
            "noise-640x480".to_string(),
            common::generated("noise", 640, 480, 7),
        ),
    ];
    let failures = run_matrix(&hard, &["strip", "jpeg90", "resize50"]);
    assert!(failures.is_empty(), "payload lost: {failures:?}");
}

#[test]
fn unmarked_pictures_read_nothing() {
    let mut all = common::corpus();
    let generated = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/image/sample-generated.png");
    all.push((
        "sample-generated".into(),
        image::open(generated).unwrap().to_rgb8(),
    ));
    for (name, img) in &all {
        assert_eq!(
            detect(img, PUBLIC_KEY),
            None,
            "{name}: unmarked picture reported a mark"
        );
    }
}

#[test]
fn marked_pictures_stay_above_40_db() {
    for (name, original) in common::corpus() {
        let mut marked = original.clone();
        embed(&mut marked, PAYLOAD, PUBLIC_KEY).unwrap();
        let psnr = common::luma_psnr(&original, &marked);
        assert!(psnr >= 40.0, "{name}: luma PSNR {psnr:.2} dB < 40");
        assert_ne!(marked, original, "{name}: nothing was embedded");
    }
}

#[test]
fn only_the_right_key_reads_the_mark() {
    let private = Key::private(0xDEAD_BEEF_0000_0001);
    let mut marked = common::generated("smooth", 1024, 768, 9);
    embed(&mut marked, PAYLOAD, private).unwrap();
    assert_eq!(detect(&marked, private), Some(PAYLOAD));
    assert_eq!(detect(&marked, PUBLIC_KEY), None);
}

#[test]
fn too_small_a_picture_is_refused_untouched() {
    let original = common::generated("smooth", 300, 200, 1);
    let mut img = original.clone();
    let err = embed(&mut img, PAYLOAD, PUBLIC_KEY).unwrap_err();
    assert_eq!(err.kind_name(), "cannot-label");
    assert_eq!(img, original);
}
