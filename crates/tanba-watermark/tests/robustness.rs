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
        if ops.contains(&"exiftool") {
            let out = common::exiftool_strip(&src, dir.path(), &format!("{name}-exiftool"));
            let read = detect(&out, PUBLIC_KEY);
            if read != Some(PAYLOAD) {
                failures.push(format!("{name}/exiftool read {read:?}"));
            }
        }
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
        "exiftool",
        "strip",
        "jpeg90",
        "jpeg70",
        "jpeg50",
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
#[ignore = "goal not met yet (README, What does not meet): lossy WebP loses the 800x600 photo"]
fn payload_survives_webp_and_resize_then_jpeg() {
    let failures = run_matrix(&pictures(), &["resize50-jpeg70", "webp80"]);
    assert!(failures.is_empty(), "payload lost: {failures:?}");
}

#[test]
#[ignore = "goal not met yet (README, What does not meet): text-like pictures and 640x480 noise, which embed reports weak, are not read back"]
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
fn marked_pictures_keep_psnr_40_db_and_ssim_098() {
    let corpus = common::corpus();
    for (name, original) in &corpus {
        let mut marked = original.clone();
        embed(&mut marked, PAYLOAD, PUBLIC_KEY).unwrap();
        let psnr = common::luma_psnr(original, &marked);
        assert!(psnr >= 40.0, "{name}: luma PSNR {psnr:.2} dB < 40");
        assert_ne!(&marked, original, "{name}: nothing was embedded");
    }
    // SSIM (slow in a debug build) on the pictures where it binds: small
    // cells on smooth content. 480x320 has cells of 2.5 px, where the SSIM
    // floor scales the mark down.
    let small = [
        ("photo-800x600".to_string(), common::photo()),
        (
            "gradient-640x480".into(),
            common::generated("gradient", 640, 480, 11),
        ),
        (
            "smooth-480x320".into(),
            common::generated("smooth", 480, 320, 8),
        ),
    ];
    for (name, original) in &small {
        let mut marked = original.clone();
        embed(&mut marked, PAYLOAD, PUBLIC_KEY).unwrap();
        let ssim = common::luma_ssim(original, &marked);
        assert!(ssim >= 0.98, "{name}: luma SSIM {ssim:.4} < 0.98");
    }
}

/// Flat synthetic colour fields at 1080p see the 8-px cells: the SSIM
/// floor estimates the SSIM on sampled windows from 1,024 px up (the full
/// SSIM is too slow there), and keeps SMPTE bars above 0.98 (0.978
/// without it).
#[test]
fn smpte_bars_at_1080p_keep_ssim_098_and_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    for (w, h) in [(1920, 1080), (1280, 1024)] {
        let out = dir.path().join(format!("bars-{w}x{h}.png"));
        let (src, o) = (format!("smptehdbars=size={w}x{h}"), out.to_str().unwrap());
        common::video::ffmpeg(&["-f", "lavfi", "-i", &src, "-frames:v", "1", o]);
        let original = image::open(&out).unwrap().to_rgb8();
        let mut marked = original.clone();
        embed(&mut marked, PAYLOAD, PUBLIC_KEY).unwrap();
        let ssim = common::luma_ssim(&original, &marked);
        assert!(ssim >= 0.98, "bars {w}x{h}: luma SSIM {ssim:.4} < 0.98");
        let jpeg = common::convert(&out, &["-quality", "70"], "jpg", dir.path(), "q70");
        assert_ne!(
            detect(&jpeg, PUBLIC_KEY),
            Some(PAYLOAD),
            "unmarked bars read"
        );
        marked.save(&out).unwrap();
        let jpeg = common::convert(&out, &["-quality", "70"], "jpg", dir.path(), "q70");
        assert_eq!(
            detect(&jpeg, PUBLIC_KEY),
            Some(PAYLOAD),
            "bars {w}x{h} after JPEG q70"
        );
    }
}

#[test]
fn embed_reports_text_pages_and_small_pictures_weak_and_photos_not() {
    let strength = |img: &RgbImage| embed(&mut img.clone(), PAYLOAD, PUBLIC_KEY).unwrap();
    let photo = strength(&common::photo());
    assert!(!photo.is_weak(), "photo: {photo:?}");
    assert_eq!(photo.scale, 1.0, "photo: {photo:?}");
    let text = strength(&common::generated("text", 1024, 768, 2));
    assert!(text.is_weak(), "text page: {text:?}");
    let small = strength(&common::generated("smooth", 480, 320, 8));
    assert!(small.is_weak(), "480x320: {small:?}");
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

/// The weak threshold on the sync z is the z of twice the peak-to-noise
/// ratio the detector's z 6 stands for, given the z a flat picture (the
/// mark alone) reaches: 1/z² = 1/z0² + 1/r² (see `WEAK_SYNC_Z`).
#[test]
fn the_weak_sync_threshold_is_twice_the_detectors_peak_to_noise_ratio() {
    let flat = RgbImage::from_pixel(1024, 768, image::Rgb([128, 128, 128]));
    let z0 = f64::from(
        embed(&mut flat.clone(), PAYLOAD, PUBLIC_KEY)
            .unwrap()
            .sync_z,
    );
    assert!((12.0..15.0).contains(&z0), "flat picture's z {z0}");
    let detector_z = 6.0_f64;
    let r_needed = 1.0 / (1.0 / (detector_z * detector_z) - 1.0 / (z0 * z0)).sqrt();
    let r_weak = 2.0 * r_needed;
    let z_weak = 1.0 / (1.0 / (z0 * z0) + 1.0 / (r_weak * r_weak)).sqrt();
    assert!(
        // The ceiling moves with the payload (12.9 to 14.0 seen), the
        // threshold's equivalent with it (9.3 to 9.6).
        (f64::from(tanba_watermark::WEAK_SYNC_Z) - z_weak).abs() < 0.4,
        "WEAK_SYNC_Z {} against {z_weak:.2} (z0 {z0:.2}, r needed {r_needed:.2})",
        tanba_watermark::WEAK_SYNC_Z
    );
}
