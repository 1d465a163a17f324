//! `tanba verify` on files a platform stripped of their metadata: with no
//! manifest to say where the label is, the pixels are searched for the
//! label the job's flags describe; the JSON says which layers were found.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;

/// `convert IN -strip -resize 50% OUT`, ImageMagick as a platform would.
fn strip_and_halve(input: &std::path::Path, output: &std::path::Path) {
    let status = Command::new("convert")
        .arg(input)
        .args(["-strip", "-resize", "50%"])
        .arg(output)
        .status()
        .expect("ImageMagick's convert is needed (CI installs it)");
    assert!(status.success());
}

fn verify_json(path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", "--json", s(path)];
    args.extend_from_slice(extra);
    let out = tanba(&args);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    rows[0].clone()
}

#[test]
fn a_stripped_resized_picture_shows_its_visible_label() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("photo.jpg");
    let out = tanba(&[
        "label",
        s(&fixture("image/sample-photo.jpg")),
        "-o",
        s(&labelled),
        // No watermark: this test is about the visible label alone, and a
        // mark that survives the resize would make the file compliant.
        "--no-watermark",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stripped = dir.path().join("stripped.jpg");
    strip_and_halve(&labelled, &stripped);

    let row = verify_json(&stripped, &[]);
    let perceptible = &row["verification"]["perceptible"];
    assert_eq!(perceptible["found"], true, "{row:#}");
    assert!(
        perceptible["detail"]
            .as_str()
            .unwrap()
            .starts_with("visible label: found at bottom-right (score "),
        "{row:#}"
    );
    assert!(perceptible["score"].as_f64().unwrap() >= 0.6);
    assert_eq!(
        row["layers"]["perceptible"],
        "found by searching the content"
    );
    // The label alone is half of what the law asks: no machine mark is left.
    assert_eq!(row["compliant"], false);

    // The words printed for people say so too.
    let out = tanba(&["verify", s(&stripped)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("visible label: found at bottom-right"),
        "{text}"
    );
    assert!(text.contains("machine-readable mark: none"), "{text}");
    assert_eq!(out.status.code(), Some(1));

    // Sought in other words (the flags say English), it is not there.
    let row = verify_json(&stripped, &["--lang", "en", "--short"]);
    assert_eq!(
        row["verification"]["perceptible"]["found"], false,
        "{row:#}"
    );
    assert_eq!(row["layers"]["perceptible"], serde_json::Value::Null);
}

#[test]
fn an_unmarked_picture_shows_no_label() {
    for fixture_name in ["image/sample-photo.jpg", "image/sample-generated.png"] {
        let row = verify_json(&fixture(fixture_name), &[]);
        assert_eq!(
            row["verification"]["perceptible"]["found"], false,
            "{fixture_name}: {row:#}"
        );
        assert_eq!(row["layers"]["machine_readable"], serde_json::json!([]));
    }
}

#[test]
fn a_labelled_file_keeps_the_manifest_check() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("art.png");
    let out = tanba(&[
        "label",
        s(&fixture("image/sample-generated.png")),
        "-o",
        s(&labelled),
    ]);
    assert!(out.status.success());
    let row = verify_json(&labelled, &[]);
    assert_eq!(row["compliant"], true);
    assert_eq!(
        row["layers"]["perceptible"],
        "checked where the manifest records it"
    );
    assert!(
        row["layers"]["machine_readable"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("Tanba manifest"))
    );
}

#[test]
fn a_stripped_mp3_still_speaks_its_disclaimer() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("voice.wav");
    let out = tanba(&[
        "label",
        s(&fixture("audio/sample-voice.wav")),
        "-o",
        s(&labelled),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mp3 = dir.path().join("voice.mp3");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&labelled)
        .args(["-map_metadata", "-1", "-c:a", "libmp3lame", "-b:a", "96k"])
        .arg(&mp3)
        .status()
        .expect("ffmpeg is needed (CI installs it)");
    assert!(status.success());
    let row = verify_json(&mp3, &[]);
    let detail = row["verification"]["perceptible"]["detail"]
        .as_str()
        .unwrap();
    assert!(
        detail.starts_with("audible label: found at 0:00-0:0"),
        "{row:#}"
    );
    assert_eq!(
        row["layers"]["perceptible"],
        "found by searching the content"
    );
}
