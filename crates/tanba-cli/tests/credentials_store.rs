//! Credentials that come back (#18): a JPEG labelled and signed with a
//! C2PA key into a `--manifest-store` has its C2PA manifest store kept
//! there too; stripped by exiftool, `verify --manifest-store` brings back
//! the manifest and the credentials by the watermark's payload and checks
//! them as a soft binding. A store entry swapped for another file's is a
//! mismatch, and the file is not compliant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, s, tanba};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(tool: &str, args: &[&str]) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed: {e}"));
    assert!(out.status.success(), "{tool} {args:?}: {out:?}");
}

/// Labels `input` into `output`, signed with the test keys, into `store`;
/// returns the watermark payload.
fn label_signed(input: &Path, output: &Path, keys: &Path, store: &Path) -> String {
    let before: Vec<String> = std::fs::read_dir(store)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let cert = keys.join("signing-cert-chain.pem");
    let key = keys.join("signing-key.pem");
    let o = tanba(&[
        "label",
        s(input),
        "-o",
        s(output),
        "--c2pa-cert",
        s(&cert),
        "--c2pa-key",
        s(&key),
        "--manifest-store",
        s(store),
        "-q",
    ]);
    assert!(o.status.success(), "{o:?}");
    // The store's entries are named by payload: the new one is this output's.
    let mut new: Vec<String> = std::fs::read_dir(store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new.remove(0)
}

fn verify(file: &Path, store: &Path) -> (serde_json::Value, String, Option<i32>) {
    let o = tanba(&["verify", "--json", s(file), "--manifest-store", s(store)]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = tanba(&["verify", s(file), "--manifest-store", s(store)]);
    (
        rows[0].clone(),
        String::from_utf8_lossy(&text.stdout).into_owned(),
        o.status.code(),
    )
}

#[test]
fn a_stripped_signed_jpeg_gets_its_credentials_back_by_soft_binding() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let o = tanba(&["keys", "new", s(&keys)]);
    assert!(o.status.success(), "{o:?}");
    let store = tmp.path().join("store");
    // Enlarged 3x so the mark has room (as in watermark_pictures.rs).
    let input = tmp.path().join("photo.jpg");
    run(
        "convert",
        &[
            s(&fixture("image/sample-photo.jpg")),
            "-resize",
            "300%",
            s(&input),
        ],
    );
    let out = tmp.path().join("out.jpg");
    let payload = label_signed(&input, &out, &keys, &store);
    // The embedded manifest store was kept beside the manifest.
    let c2pa: PathBuf = store.join(format!("{payload}.c2pa"));
    assert!(store.join(format!("{payload}.json")).is_file(), "{payload}");
    let kept = std::fs::read(&c2pa).expect("the embedded C2PA store is in the store");
    assert!(String::from_utf8_lossy(&kept).contains("c2pa.soft-binding"));

    let stripped = tmp.path().join("stripped.jpg");
    std::fs::copy(&out, &stripped).unwrap();
    run(
        "exiftool",
        &["-q", "-overwrite_original", "-all=", s(&stripped)],
    );
    let (row, text, code) = verify(&stripped, &store);
    let v = &row["verification"];
    assert_eq!(v["watermark"]["payload"], payload.as_str(), "{row:#}");
    let creds = &v["credentials"];
    assert_eq!(creds["state"], "valid", "{row:#}");
    assert_eq!(creds["recovered_from"], s(&c2pa), "{row:#}");
    assert!(
        creds["detail"][0]
            .as_str()
            .unwrap()
            .starts_with("soft-binding match"),
        "{row:#}"
    );
    assert!(
        text.contains("content credentials (C2PA): recovered from store, soft-binding match"),
        "{text}"
    );
    assert_eq!(code, Some(0), "{text}");

    // Tampered: the store's entry replaced by another output's credentials.
    let other = tmp.path().join("other.jpg");
    let other_payload = label_signed(&input, &other, &keys, &store);
    assert_ne!(other_payload, payload);
    std::fs::copy(store.join(format!("{other_payload}.c2pa")), &c2pa).unwrap();
    let (row, text, code) = verify(&stripped, &store);
    let creds = &row["verification"]["credentials"];
    assert_eq!(creds["state"], "invalid", "{row:#}");
    let why = creds["detail"][0].as_str().unwrap();
    assert!(
        why.starts_with("soft-binding mismatch") && why.contains(&other_payload),
        "{row:#}"
    );
    assert!(
        text.contains("recovered from store, soft-binding MISMATCH"),
        "{text}"
    );
    assert_eq!(row["compliant"], false);
    assert_eq!(code, Some(1), "{text}");
}
