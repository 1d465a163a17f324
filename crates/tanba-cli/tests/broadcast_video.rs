//! MPEG-TS, M2TS and AVI through the command line: made with the ffmpeg
//! CLI, labelled in the same container, played back by ffmpeg without a
//! message, the same PIDs and program in ffprobe, and `tanba verify`
//! saying labelled (for M2TS, through its manifest sidecar).
#![cfg(feature = "video")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ffmpeg, s, tanba};

/// ffprobe's JSON for `entries` of `path`.
fn probe(path: &Path, entries: &str) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_entries", entries])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(id, codec)` of every stream, and the first program's number and PMT PID.
fn layout(path: &Path) -> (Vec<(String, String)>, (i64, i64)) {
    let v = probe(path, "stream=id,codec_name:program=program_num,pmt_pid");
    let streams = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            (
                st["id"].as_str().unwrap_or("").to_string(),
                st["codec_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let p = &v["programs"][0];
    (
        streams,
        (
            p["program_num"].as_i64().unwrap_or(0),
            p["pmt_pid"].as_i64().unwrap_or(0),
        ),
    )
}

/// What ffmpeg says decoding the file's video and audio: nothing, for a
/// file that plays cleanly.
fn decode_messages(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let src = [
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=2",
    ];
    let ts_args = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-f",
        "mpegts",
        "-mpegts_service_id",
        "21",
        "-streamid",
        "0:0x1E1",
        "-streamid",
        "1:0x1E2",
    ];
    let ts = dir.join("news.ts");
    ffmpeg(&[&src[..], &ts_args[..], &[s(&ts)]].concat());
    let m2ts = dir.join("camera.m2ts");
    ffmpeg(
        &[
            &src[..],
            &ts_args[..],
            &["-mpegts_m2ts_mode", "1", s(&m2ts)],
        ]
        .concat(),
    );
    let avi = dir.join("capture.avi");
    let avi_args = ["-c:v", "mpeg4", "-vtag", "XVID", "-c:a", "libmp3lame"];
    ffmpeg(&[&src[..], &avi_args[..], &[s(&avi)]].concat());
    vec![ts, m2ts, avi]
}

#[test]
fn ts_m2ts_and_avi_are_labelled_in_their_own_container() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs(dir.path());
    let out = dir.path().join("out");
    let mut args = vec![
        "label",
        "--out",
        s(&out),
        "--video-preset",
        "ultrafast",
        "--quiet",
    ];
    args.extend(inputs.iter().map(|p| s(p)));
    let done = tanba(&args);
    assert!(done.status.success(), "{done:?}");

    for input in &inputs {
        let output = out.join(input.file_name().unwrap());
        assert_eq!(decode_messages(&output), "", "{}", output.display());
        let (before, program) = layout(input);
        let (after, program_after) = layout(&output);
        assert_eq!(program_after, program, "{}", output.display());
        // The input's streams as they were; TS gains the marks stream.
        assert_eq!(after[..before.len()], before[..], "{}", output.display());
        let verified = tanba(&["verify", s(&output)]);
        assert!(verified.status.success(), "{verified:?}");
    }
    let ts = out.join("news.ts");
    // The marks' PID follows the highest in use (here ffmpeg's PMT, 0x1000).
    assert_eq!(layout(&ts).0[2], ("0x1001".into(), "timed_id3".into()));
    assert_eq!(layout(&ts).1, (21, 4096));

    // Only M2TS gets a manifest sidecar, and it is what verify reads there.
    let sidecars: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tanba.json"))
        .collect();
    assert_eq!(sidecars, ["camera.m2ts.tanba.json"]);
    let m2ts = out.join("camera.m2ts");
    let verified = tanba(&["verify", s(&m2ts)]);
    assert!(
        String::from_utf8_lossy(&verified.stdout).contains("sidecar"),
        "{verified:?}"
    );
    std::fs::remove_file(out.join("camera.m2ts.tanba.json")).unwrap();
    let unmarked = tanba(&["verify", s(&m2ts)]);
    assert_eq!(unmarked.status.code(), Some(1), "{unmarked:?}");
}

#[test]
fn m2ts_through_a_pipe_is_refused_for_want_of_a_sidecar_and_ts_streams_through() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path());
    let sh = |script: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir.path())
            .env("TANBA", env!("CARGO_BIN_EXE_tanba"))
            .output()
            .unwrap()
    };
    let refused = sh("\"$TANBA\" label - -o - --video-preset ultrafast < camera.m2ts > out.m2ts");
    assert!(!refused.status.success(), "{refused:?}");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("label M2TS as a file"), "{err}");
    let ts = sh("\"$TANBA\" label - -o - --video-preset ultrafast < news.ts > out.ts");
    assert!(ts.status.success(), "{ts:?}");
    assert_eq!(decode_messages(&dir.path().join("out.ts")), "");
    let verified = tanba(&["verify", s(&dir.path().join("out.ts"))]);
    assert!(verified.status.success(), "{verified:?}");
}

#[test]
fn formats_lists_ts_m2ts_and_avi() {
    let out = tanba(&["formats"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for row in [
        "video    ts         video/mp2t",
        "video    m2ts       video/mp2t",
        "video    avi        video/x-msvideo",
    ] {
        assert!(text.contains(row), "{text}");
    }
}
