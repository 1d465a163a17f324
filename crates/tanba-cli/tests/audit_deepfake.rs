//! `tanba audit` checks the deepfake notice itself, not only the flag
//! (issue #23): a file whose manifest says it imitates a real person is
//! searched for the deepfake text; found, it is compliant ("real person:
//! yes, deepfake notice found"); a file that claims a real person but shows
//! the default notice is `real-person-notice-missing` (exit 1), and
//! `--fix` labels it with the deepfake notice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{s, tanba};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Labels `input` into `out` with `flags`; returns the output path.
fn label(input: &Path, out: &Path, flags: &[&str]) -> PathBuf {
    let mut args = vec!["label", s(input), "--out", s(out), "--quiet"];
    args.extend_from_slice(flags);
    let run = tanba(&args);
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out.join(input.file_name().unwrap())
}

/// The chunks of a PNG: (type, whole chunk bytes).
fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
        out.push((kind, png[at..at + 12 + len].to_vec()));
        at += 12 + len;
    }
    out
}

/// The pixels of `shown` with the metadata (every ancillary chunk) of
/// `claims`: a picture whose manifest says real person and deepfake text
/// but which shows the default notice.
fn forge(shown: &Path, claims: &Path, out: &Path) {
    let shown = std::fs::read(shown).unwrap();
    let claims = std::fs::read(claims).unwrap();
    let critical = |k: &[u8; 4]| k[0].is_ascii_uppercase();
    let mut png = shown[..8].to_vec();
    let shown = chunks(&shown);
    png.extend_from_slice(&shown[0].1); // IHDR
    for (kind, bytes) in chunks(&claims) {
        if !critical(&kind) {
            png.extend_from_slice(&bytes);
        }
    }
    for (kind, bytes) in &shown[1..] {
        if critical(kind) {
            png.extend_from_slice(bytes);
        }
    }
    std::fs::write(out, png).unwrap();
}

/// `audit --json` with `extra` flags: exit code and the rows.
fn audit(extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", "--json"];
    args.extend_from_slice(extra);
    let o = tanba(&args);
    let rows = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), rows)
}

#[test]
fn audit_looks_for_the_deepfake_text_when_the_manifest_says_real_person() {
    let d = tempfile::tempdir().unwrap();
    let png = d.path().join("face.png");
    let made = Command::new("convert")
        .args(["-size", "640x400", "xc:#336699", s(&png)])
        .status()
        .expect("ImageMagick's convert is needed for this test");
    assert!(made.success());
    let flags = ["--no-watermark", "--lang", "en"];
    let deep = label(
        &png,
        &d.path().join("deep"),
        &[&flags[..], &["--real-person"]].concat(),
    );
    let default = label(&png, &d.path().join("default"), &flags);

    // The genuine deepfake label: found by the search, compliant.
    let (code, rows) = audit(&["--lang", "en", s(&deep)]);
    assert_eq!(code, Some(0), "{rows}");
    assert_eq!(rows[0]["verdict"], "compliant", "{rows}");
    assert_eq!(rows[0]["real_person"], true, "{rows}");
    assert_eq!(rows[0]["deepfake_notice"], "found", "{rows}");
    let printed = tanba(&["audit", "--lang", "en", s(&deep)]);
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(
        text.contains("real person: yes, deepfake notice found"),
        "{text}"
    );

    // The claim without the notice: the default label is drawn, so the
    // visible label is there, but the deepfake text is not.
    let forged = d.path().join("forged").join("face.png");
    std::fs::create_dir_all(forged.parent().unwrap()).unwrap();
    forge(&default, &deep, &forged);
    let (code, rows) = audit(&["--lang", "en", s(&forged)]);
    assert_eq!(code, Some(1), "{rows}");
    assert_eq!(rows[0]["real_person"], true, "{rows}");
    assert_eq!(rows[0]["deepfake_notice"], "missing", "{rows}");
    assert_eq!(rows[0]["verdict"], "real-person-notice-missing", "{rows}");
    let printed = tanba(&["audit", "--lang", "en", s(&forged)]);
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(
        text.contains("real person: yes, deepfake notice missing"),
        "{text}"
    );
    assert!(text.contains("real-person-notice-missing"), "{text}");

    // A file that says nothing of a real person is not searched for it.
    let (code, rows) = audit(&["--lang", "en", s(&default)]);
    assert_eq!(code, Some(0), "{rows}");
    assert!(rows[0].get("deepfake_notice").is_none(), "{rows}");

    // --fix labels the forged file with the deepfake notice.
    let fixed = d.path().join("fixed");
    let (code, rows) = audit(&[
        "--lang",
        "en",
        "--no-watermark",
        "--fix",
        "--out",
        s(&fixed),
        s(&forged),
    ]);
    assert_eq!(code, Some(0), "{rows}");
    assert_eq!(rows[0]["fixed"]["verdict"], "compliant", "{rows}");
    let (_, rows) = audit(&["--lang", "en", s(&fixed.join("face.png"))]);
    assert_eq!(rows[0]["deepfake_notice"], "found", "{rows}");
}
