#![cfg(all(
    feature = "image",
    feature = "audio",
    feature = "pdf",
    feature = "video"
))]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end through the facade with the bundled fixtures: every binary
//! media type is detected by content, labelled, verified (machine mark and
//! perceptible label), and a second run refuses to stack a second label.

use std::path::{Path, PathBuf};

use tanba::{Error, Job, Registry};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(relative)
}

#[test]
fn fixtures_of_every_media_type_label_and_verify() {
    let registry = Registry::default();
    let out = tempfile::tempdir().unwrap();
    for (input, format, output_ext) in [
        ("image/sample-photo.jpg", "jpeg", "jpg"),
        ("image/sample-generated.png", "png", "png"),
        ("audio/sample-voice.wav", "wav", "wav"),
        ("pdf/report.pdf", "pdf", "pdf"),
        ("video/sample.mp4", "mp4", "mp4"),
    ] {
        let source = fixture(input);
        let before = std::fs::read(&source).unwrap();
        let target = out.path().join(Path::new(input).file_name().unwrap());
        let outcome = registry
            .label_file(&source, &target, &Job::default())
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(outcome.labelled.format.name, format, "{input}");
        assert_eq!(
            outcome.output.extension().unwrap(),
            output_ext,
            "{input}: output {}",
            outcome.output.display()
        );
        assert_eq!(std::fs::read(&source).unwrap(), before, "{input} modified");
        let check = registry
            .verify_file(&outcome.output, &tanba::Limits::default())
            .unwrap();
        assert!(check.has_machine_mark(), "{input}: no machine mark");
        assert!(check.perceptible.found, "{input}: {:?}", check.perceptible);
        assert!(check.is_compliant(), "{input}");
        assert!(verify_fails_on_input(&registry, &source), "{input}");

        // A second run sees the mark and refuses to stack a second label.
        let again = out.path().join(format!("again.{output_ext}"));
        let err = registry
            .label_file(&outcome.output, &again, &Job::default())
            .unwrap_err();
        assert!(!again.exists(), "{input}: output left behind");
        assert!(
            matches!(err, Error::AlreadyLabelled { .. }),
            "{input}: {err}"
        );
    }
}

fn verify_fails_on_input(registry: &Registry, input: &Path) -> bool {
    match registry.verify_file(input, &tanba::Limits::default()) {
        Ok(v) => !v.is_compliant(),
        Err(_) => true,
    }
}

#[test]
fn compressed_audio_output_is_named_after_the_format_written() {
    let registry = Registry::default();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("music.mp3");
    let outcome = registry
        .label_file(&fixture("audio/sample-music.mp3"), &target, &Job::default())
        .unwrap();
    // Whichever encoder this build has, the name follows the real format,
    // and nothing is left under the other name.
    let ext = outcome.labelled.format.extension();
    assert_eq!(outcome.output, out.path().join(format!("music.{ext}")));
    let names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let check = registry
        .verify_file(&outcome.output, &tanba::Limits::default())
        .unwrap();
    assert!(check.is_compliant());
}

#[test]
fn a_png_named_jpg_is_sniffed_and_labelled_as_png() {
    let registry = Registry::default();
    let dir = tempfile::tempdir().unwrap();
    let disguised = dir.path().join("photo.jpg");
    std::fs::copy(fixture("image/sample-generated.png"), &disguised).unwrap();
    let outcome = registry
        .label_file(&disguised, &dir.path().join("out.jpg"), &Job::default())
        .unwrap();
    assert_eq!(outcome.labelled.format.name, "png");
}

/// Resume compares `settings_sha256`: a changed badge style (here only the
/// box colour, or a margin) must change it, so the file is labelled again.
#[test]
fn the_badge_style_is_part_of_the_settings_fingerprint() {
    use tanba::image::{BadgeStyle, ImageLabeler, ImageSettings};
    let with = |style: BadgeStyle| {
        let mut r = Registry::empty();
        r.register(ImageLabeler::new(ImageSettings {
            style,
            ..ImageSettings::default()
        }));
        r.settings_sha256(0, &Job::default())
    };
    let default = with(BadgeStyle::default());
    assert_eq!(default, with(BadgeStyle::default()));
    let blue = BadgeStyle {
        box_color: [0, 0, 192],
        ..BadgeStyle::default()
    };
    assert_ne!(default, with(blue));
    let margin = BadgeStyle {
        margin_px: Some(4),
        ..BadgeStyle::default()
    };
    assert_ne!(default, with(margin));
}
