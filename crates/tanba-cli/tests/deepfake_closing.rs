//! The video's closing deepfake notice (issue #23) is recorded beside the
//! opening one (the `TANBA_NOTICE` record's `closing` span, read here with
//! ffprobe) and checked by `verify`: a copy whose last 2 s were painted
//! over by ffmpeg (metadata kept) fails, the untouched output passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ffmpeg, s, tanba};
use std::path::Path;
use std::process::Command;

/// `verify --json --real-person`: exit code and the row.
fn verify(file: &Path) -> (Option<i32>, serde_json::Value) {
    let o = tanba(&["verify", "--json", "--real-person", s(file)]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), rows[0].clone())
}

#[test]
fn the_closing_notice_is_recorded_and_verify_checks_a_frame_of_it() {
    let d = tempfile::tempdir().unwrap();
    let clip = d.path().join("speech.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x336699:s=320x240:r=10:d=8",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        s(&clip),
    ]);
    let out = d.path().join("deep");
    let run = tanba(&[
        "label",
        s(&clip),
        "--out",
        s(&out),
        "--quiet",
        "--no-watermark",
        "--lang",
        "en",
        "--real-person",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let deep = out.join("speech.mp4");

    // Recorded: the span of the last 2 s, next to the opening notice's.
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format_tags=TANBA_NOTICE",
            "-of",
            "default=nw=1:nk=1",
            s(&deep),
        ])
        .output()
        .expect("ffprobe is needed for this test");
    let record: serde_json::Value = serde_json::from_slice(&probe.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&probe.stdout)));
    let closing = record["closing"].as_array().expect("a closing span");
    let from = closing[0].as_f64().unwrap();
    let seconds = closing[1].as_f64().unwrap();
    assert!((5.9..=6.1).contains(&from), "{record}");
    assert!((1.9..=2.1).contains(&seconds), "{record}");

    let (code, row) = verify(&deep);
    assert_eq!(code, Some(0), "{row}");
    let detail = row["verification"]["perceptible"]["detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains("closing notice at"), "{detail}");

    // The last 2 s painted over, every tag kept: the closing notice is
    // missing, and verify says so.
    let painted = d.path().join("painted.mp4");
    ffmpeg(&[
        "-i",
        s(&deep),
        "-vf",
        "drawbox=x=0:y=0:w=iw:h=ih:color=0x336699:t=fill:enable='gte(t,6)'",
        "-map_metadata",
        "0",
        "-movflags",
        "use_metadata_tags",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        s(&painted),
    ]);
    let (code, row) = verify(&painted);
    assert_eq!(code, Some(1), "{row}");
    let perceptible = &row["verification"]["perceptible"];
    assert_eq!(perceptible["found"], false, "{row}");
    assert!(
        perceptible["detail"]
            .as_str()
            .unwrap()
            .contains("closing notice at"),
        "{row}"
    );
}
