//! A JPEG labelled with `--no-watermark` through the built `tanba` takes
//! the DCT-domain path (issue #20): the report says so, `tanba verify`
//! passes, and the rows above the badge keep their coefficients (libjpeg-
//! turbo's `jpegtran -crop` of input and output give identical files).
//! With the watermark (the default) the picture is re-encoded whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, s, tanba};
use std::path::Path;
use std::process::Command;

/// `jpegtran -copy none -optimize -crop GEOMETRY` of a file.
fn crop(file: &Path, geometry: &str) -> Vec<u8> {
    let out = Command::new("jpegtran")
        .args(["-copy", "none", "-optimize", "-crop", geometry])
        .arg(file)
        .output()
        .expect("jpegtran is installed (Debian: libjpeg-turbo-progs)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn label(input: &Path, out: &Path, report: &Path, extra: &[&str]) -> String {
    let mut args = vec!["label", s(input), "--out", s(out), "--report", s(report)];
    args.extend(extra);
    let done = tanba(&args);
    assert!(
        done.status.success(),
        "label {args:?}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    std::fs::read_to_string(report).unwrap()
}

#[test]
fn no_watermark_jpeg_keeps_its_coefficients_outside_the_badge() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("photo.jpg");
    std::fs::copy(fixture("image/sample-photo.jpg"), &input).unwrap();
    let (plain, marked) = (d.path().join("plain"), d.path().join("marked"));

    let report = label(
        &input,
        &plain,
        &d.path().join("r1.json"),
        &["--no-watermark"],
    );
    assert!(report.contains("DCT domain"), "{report}");
    let output = plain.join("photo.jpg");
    let verify = tanba(&["verify", s(&output)]);
    assert!(
        verify.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // The badge sits in the bottom-right corner: the top 64 rows are
    // whole MCU rows above it.
    let band = "800x64+0+0";
    assert_eq!(crop(&input, band), crop(&output, band), "top band");
    let corner = "256x128+544+472";
    assert_ne!(crop(&input, corner), crop(&output, corner), "the badge");

    let report = label(&input, &marked, &d.path().join("r2.json"), &[]);
    assert!(!report.contains("DCT domain"), "{report}");
    let output = marked.join("photo.jpg");
    assert_ne!(
        crop(&input, band),
        crop(&output, band),
        "watermarked everywhere"
    );
}
