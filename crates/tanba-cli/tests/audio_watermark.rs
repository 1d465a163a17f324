//! The watermark on audio, end to end through the built `tanba`: 30 s of
//! speech and of music labelled (the watermark is on by default), turned
//! into a 96 kb/s MP3 by ffmpeg with the metadata dropped, and verified:
//! the watermark reads the manifest's payload, the manifest comes back
//! from the store, the spoken disclaimer is found by searching the sound,
//! and the file is compliant. `--no-watermark` leaves no mark; unmarked
//! files never report one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ffmpeg, fixture, s, tanba, verify_json};
use std::path::{Path, PathBuf};

fn label(input: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec!["label", s(input), "-o", s(out), "-q"];
    args.extend(extra);
    let done = tanba(&args);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    out.join(input.file_name().unwrap())
}

/// 30 s WAVs a generator might deliver: the voice fixture looped (speech,
/// 44.1 kHz stereo) and the music fixture looped (music).
fn programmes(dir: &Path) -> Vec<PathBuf> {
    let speech = dir.join("speech.wav");
    let voice = fixture("audio/sample-voice.wav");
    let args = ["-stream_loop", "6", "-i", s(&voice), "-t", "30"];
    ffmpeg(&[&args[..], &["-ar", "44100", "-ac", "2", s(&speech)]].concat());
    let music = dir.join("music.wav");
    let song = fixture("audio/sample-music.mp3");
    ffmpeg(&["-stream_loop", "5", "-i", s(&song), "-t", "30", s(&music)]);
    vec![speech, music]
}

#[test]
fn a_stripped_96k_mp3_keeps_the_watermark_and_brings_its_manifest_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for source in programmes(dir.path()) {
        let labelled = label(
            &source,
            &dir.path().join("out"),
            &["--manifest-store", s(&store)],
        );
        let row = verify_json(&labelled, &[]);
        let v = &row["verification"];
        let payload = v["manifest"]["watermark"]["payload"]
            .as_str()
            .unwrap_or_else(|| panic!("no watermark recorded: {row}"))
            .to_string();
        assert_eq!(v["watermark"]["payload"], payload.as_str(), "{row}");
        assert_eq!(row["compliant"], true, "{row}");
        assert!(store.join(format!("{payload}.json")).is_file());

        // Metadata dropped, re-encoded as a 96 kb/s MP3.
        let small = dir.path().join("small.mp3");
        let args = ["-i", s(&labelled), "-map_metadata", "-1"];
        ffmpeg(&[&args[..], &["-b:a", "96k", s(&small)]].concat());
        let row = verify_json(&small, &[]);
        assert!(
            row["verification"]["manifest"].is_null(),
            "metadata gone: {row}"
        );
        assert_eq!(
            row["verification"]["watermark"]["payload"],
            payload.as_str(),
            "{row}"
        );

        let row = verify_json(&small, &["--manifest-store", s(&store)]);
        let v = &row["verification"];
        assert_eq!(row["compliant"], true, "{row}");
        assert_eq!(v["watermark"]["payload"], payload.as_str(), "{row}");
        assert_eq!(
            v["manifest"]["watermark"]["payload"],
            payload.as_str(),
            "{row}"
        );
        assert_eq!(v["manifest"]["label"]["placement"]["position"], "prepend");
        assert!(
            v["recovered_from"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{payload}.json")),
            "{row}"
        );
        assert_eq!(row["layers"]["machine_readable"][0], "watermark", "{row}");
        assert_eq!(
            row["layers"]["perceptible"], "found by searching the content",
            "{row}"
        );
        assert!(
            v["perceptible"]["detail"]
                .as_str()
                .unwrap()
                .starts_with("audible label: found at 0:00-0:0"),
            "{row}"
        );
        // The text report names the layer.
        let out = tanba(&["verify", s(&small), "--manifest-store", s(&store)]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!(
                "machine-readable mark: watermark, payload {payload}"
            )),
            "{text}"
        );
        // The unmarked programme reads no watermark, before or after MP3.
        let plain = dir.path().join("plain.mp3");
        ffmpeg(&["-i", s(&source), "-b:a", "96k", s(&plain)]);
        for file in [&source, &plain] {
            let row = verify_json(file, &[]);
            assert!(row["verification"]["watermark"].is_null(), "{row}");
            assert_eq!(row["compliant"], false);
        }
    }
}

#[test]
fn no_watermark_leaves_the_programme_unmarked() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let source = programmes(dir.path()).remove(0);
    let out = dir.path().join("out");
    let labelled = label(
        &source,
        &out,
        &["--no-watermark", "--manifest-store", s(&store)],
    );
    let row = verify_json(&labelled, &[]);
    let v = &row["verification"];
    assert!(v["manifest"]["watermark"].is_null(), "{row}");
    assert!(v["watermark"].is_null(), "{row}");
    assert_eq!(row["compliant"], true, "the metadata and the disclaimer");
    // Nothing for the store to find a manifest by.
    assert!(
        !store.exists() || std::fs::read_dir(&store).unwrap().next().is_none(),
        "{store:?}"
    );
    let small = dir.path().join("small.mp3");
    let args = ["-i", s(&labelled), "-map_metadata", "-1"];
    ffmpeg(&[&args[..], &["-b:a", "96k", s(&small)]].concat());
    let row = verify_json(&small, &["--manifest-store", s(&store)]);
    assert!(row["verification"]["watermark"].is_null(), "{row}");
    assert!(row["verification"]["manifest"].is_null(), "{row}");
    // The disclaimer is still heard, but a label needs a machine mark too.
    assert_eq!(row["compliant"], false, "{row}");
    // The fixtures, never labelled, read no watermark either.
    for plain in [
        fixture("audio/sample-voice.wav"),
        fixture("audio/sample-music.mp3"),
    ] {
        let row = verify_json(&plain, &[]);
        assert!(row["verification"]["watermark"].is_null(), "{row}");
    }
}

#[test]
fn a_signed_wav_gets_its_c2pa_credentials_back_by_soft_binding() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let o = tanba(&["keys", "new", s(&keys)]);
    assert!(o.status.success(), "{o:?}");
    let store = dir.path().join("store");
    let source = programmes(dir.path()).remove(0);
    let cert = keys.join("signing-cert-chain.pem");
    let key = keys.join("signing-key.pem");
    let signed = [
        "--c2pa-cert",
        s(&cert),
        "--c2pa-key",
        s(&key),
        "--manifest-store",
        s(&store),
    ];
    let labelled = label(&source, &dir.path().join("out"), &signed);
    let row = verify_json(&labelled, &[]);
    let payload = row["verification"]["watermark"]["payload"]
        .as_str()
        .unwrap_or_else(|| panic!("{row}"))
        .to_string();
    // The C2PA store kept beside the manifest names the payload.
    let c2pa = store.join(format!("{payload}.c2pa"));
    let kept = std::fs::read(&c2pa).expect("the embedded C2PA store is in the store");
    assert!(String::from_utf8_lossy(&kept).contains("c2pa.soft-binding"));
    assert!(String::from_utf8_lossy(&kept).contains(&payload));

    let small = dir.path().join("small.mp3");
    let args = ["-i", s(&labelled), "-map_metadata", "-1"];
    ffmpeg(&[&args[..], &["-b:a", "96k", s(&small)]].concat());
    let row = verify_json(&small, &["--manifest-store", s(&store)]);
    let creds = &row["verification"]["credentials"];
    assert_eq!(creds["state"], "valid", "{row:#}");
    assert_eq!(creds["recovered_from"], s(&c2pa), "{row:#}");
    assert!(
        creds["detail"][0]
            .as_str()
            .unwrap()
            .starts_with("soft-binding match"),
        "{row:#}"
    );
    assert_eq!(row["compliant"], true, "{row:#}");
}
