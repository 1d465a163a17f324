//! The imperceptible watermark on pictures, end to end through the built
//! `tanba`: on by default, recorded in the manifest, still read after
//! exiftool and ImageMagick strip the metadata and halve the picture, and
//! bringing the manifest back from a `--manifest-store`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, s, tanba};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Runs an outside tool, which must be installed (CI installs it).
fn run(tool: &str, args: &[&str]) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `tanba verify --json` of some files: one row each.
fn verify_json(files: &[&Path], extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["verify", "--json"];
    args.extend(files.iter().map(|f| s(f)));
    args.extend(extra);
    let out = tanba(&args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn label(inputs: &[&Path], out: &Path, extra: &[&str]) {
    let mut args = vec!["label"];
    args.extend(inputs.iter().map(|f| s(f)));
    args.extend(["-o", s(out), "-q"]);
    args.extend(extra);
    let done = tanba(&args);
    assert!(
        done.status.success(),
        "label {args:?}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// The two fixtures enlarged three times (halving the 800x600 JPEG
/// fixture itself lost the mark for about half the payloads, measured;
/// 2400x1800 kept it for 6 of 6).
fn inputs(dir: &Path) -> [std::path::PathBuf; 2] {
    let jpg = dir.join("photo.jpg");
    let png = dir.join("generated.png");
    run(
        "convert",
        &[
            s(&fixture("image/sample-photo.jpg")),
            "-resize",
            "300%",
            s(&jpg),
        ],
    );
    run(
        "convert",
        &[
            s(&fixture("image/sample-generated.png")),
            "-resize",
            "300%",
            s(&png),
        ],
    );
    [jpg, png]
}

#[test]
fn a_stripped_halved_picture_keeps_its_watermark_and_gets_its_manifest_back() {
    let dir = tempfile::tempdir().unwrap();
    let [jpg, png] = inputs(dir.path());
    let out = dir.path().join("out");
    let store = dir.path().join("store");
    label(&[&jpg, &png], &out, &["--manifest-store", s(&store)]);

    for name in ["photo.jpg", "generated.png"] {
        let labelled = out.join(name);
        // The labelled file: its manifest records the mark, which reads back.
        let row = &verify_json(&[&labelled], &[])[0];
        let v = &row["verification"];
        let payload = v["manifest"]["watermark"]["payload"].as_str().unwrap();
        assert_eq!(v["manifest"]["watermark"]["method"], "tanba-wm-1");
        assert_eq!(v["manifest"]["watermark"]["key"], "public");
        let id = v["manifest"]["id"].as_str().unwrap();
        assert_eq!(
            id.trim_start_matches("urn:uuid:").replace('-', "")[..16],
            *payload,
            "the payload is the id's first 64 bits"
        );
        assert_eq!(v["watermark"]["payload"], payload);
        assert_eq!(row["compliant"], true);
        let stored = store.join(format!("{payload}.json"));
        assert!(stored.is_file(), "the store holds {}", stored.display());

        // Stripped by exiftool, then stripped and halved by ImageMagick.
        let stripped = dir.path().join(format!("stripped-{name}"));
        std::fs::copy(&labelled, &stripped).unwrap();
        run(
            "exiftool",
            &["-q", "-all=", "-overwrite_original", s(&stripped)],
        );
        let halved = dir.path().join(format!("halved-{name}"));
        run(
            "convert",
            &[s(&stripped), "-strip", "-resize", "50%", s(&halved)],
        );
        for file in [&stripped, &halved] {
            let exif = Command::new("exiftool")
                .args(["-XMP:all", "-s", s(file)])
                .output()
                .unwrap();
            assert!(exif.stdout.is_empty(), "no XMP left in {}", file.display());
            // Without the store: the watermark alone, a machine-readable mark.
            let row = &verify_json(&[file], &[])[0];
            let v = &row["verification"];
            assert_eq!(v["watermark"]["payload"], payload, "{}", file.display());
            assert!(v["manifest"].is_null());
            assert!(
                v["marks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["kind"] == "watermark"),
                "{v}"
            );
            // With it: the manifest comes back, and it is this file's.
            let row = &verify_json(&[file], &["--manifest-store", s(&store)])[0];
            let v = &row["verification"];
            assert_eq!(v["manifest"]["id"], id, "{}", file.display());
            assert_eq!(v["recovered_from"].as_str(), Some(s(&stored)));
            // Both layers, with no metadata left: the watermark, and the
            // badge found by searching the pixels (wmfind's search).
            assert_eq!(row["compliant"], true, "{row}");
            assert_eq!(row["layers"]["machine_readable"][0], "watermark", "{row}");
            let text = tanba(&["verify", s(file), "--manifest-store", s(&store)]);
            let text = String::from_utf8_lossy(&text.stdout);
            assert!(
                text.contains(&format!(
                    "machine-readable mark: watermark, payload {payload}"
                )),
                "{text}"
            );
            assert!(text.contains("manifest recovered from store"), "{text}");
        }
    }
}

#[test]
fn no_watermark_leaves_none_and_unmarked_pictures_never_report_one() {
    let dir = tempfile::tempdir().unwrap();
    let [jpg, png] = inputs(dir.path());
    let out = dir.path().join("out");
    let store = dir.path().join("store");
    label(
        &[&jpg, &png],
        &out,
        &["--no-watermark", "--manifest-store", s(&store)],
    );
    let rows = verify_json(
        &[
            &out.join("photo.jpg"),
            &out.join("generated.png"),
            &fixture("image/sample-photo.jpg"),
            &fixture("image/sample-generated.png"),
            &jpg,
            &png,
        ],
        &[],
    );
    for row in &rows {
        let v = &row["verification"];
        assert!(v["watermark"].is_null(), "{row}");
        assert!(v["manifest"]["watermark"].is_null(), "{row}");
    }
    assert_eq!(rows[0]["compliant"], true, "still labelled: {}", rows[0]);
    assert!(!store.exists(), "nothing to store without a watermark");

    // The same from tanba.toml.
    let toml = dir.path().join("tanba.toml");
    std::fs::write(&toml, "[watermark]\nenabled = false\n").unwrap();
    let out2 = dir.path().join("out2");
    label(&[&jpg], &out2, &["--config", s(&toml)]);
    let row = &verify_json(&[&out2.join("photo.jpg")], &[])[0];
    assert!(row["verification"]["watermark"].is_null(), "{row}");
}

#[test]
fn a_private_key_mark_is_read_only_with_that_key() {
    let dir = tempfile::tempdir().unwrap();
    let [jpg, _] = inputs(dir.path());
    let out = dir.path().join("out");
    let key = "0f1e2d3c4b5a6978";
    let toml = dir.path().join("tanba.toml");
    std::fs::write(&toml, format!("[watermark]\nkey = \"{key}\"\n")).unwrap();
    label(&[&jpg], &out, &["--config", s(&toml)]);
    let file = out.join("photo.jpg");
    let row = &verify_json(&[&file], &[])[0];
    assert_eq!(
        row["verification"]["manifest"]["watermark"]["key"],
        "private"
    );
    assert!(
        row["verification"]["watermark"].is_null(),
        "the public key reads nothing: {row}"
    );
    let row = &verify_json(&[&file], &["--watermark-key", key])[0];
    assert_eq!(row["verification"]["watermark"]["key"], "private", "{row}");
    let bad = tanba(&["verify", s(&file), "--watermark-key", "12345"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a malformed key is a usage error"
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("16 hex digits"));
}
