//! A small video matrix, run in CI: two short 720p clips (the fixture
//! clip, real camera video, and ffmpeg's testsrc2), marked and encoded as
//! Tanba does, then each of the operations done with the real
//! ffmpeg (metadata stripped, x264 CRF 28 at a smaller size, VP9, the
//! first seconds cut off) and read back from 3 s of decoded frames. The
//! full matrix is `cargo xtask bench watermark` (examples/video_matrix.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::video::{detect_clip, ffmpeg, make_clip};
use tanba_watermark::PUBLIC_KEY;

/// Operations: name, ffmpeg arguments between the input and the output,
/// output extension, and whether the input is read from second 2.
const OPS: [(&str, &[&str], &str, bool); 4] = [
    (
        "strip",
        &["-map_metadata", "-1", "-c", "copy"],
        "mp4",
        false,
    ),
    (
        "x264 CRF 28 at 480p",
        &["-vf", "scale=-2:480", "-c:v", "libx264", "-crf", "28"],
        "mp4",
        false,
    ),
    (
        "VP9 CRF 36",
        &[
            "-c:v",
            "libvpx-vp9",
            "-crf",
            "36",
            "-b:v",
            "0",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
        "webm",
        false,
    ),
    (
        "first 2 s cut",
        &["-c:v", "libx264", "-crf", "23"],
        "mp4",
        true,
    ),
];

/// Marks `source` as a 1280x720 clip, runs every operation, and returns
/// the ones after which the payload was not read back.
fn lost_after_ops(dir: &Path, tag: &str, source: &[&str], payload: u64) -> Vec<String> {
    let marked = dir.join(format!("{tag}.mp4"));
    make_clip(source, 1280, 720, Some((payload, PUBLIC_KEY)), &marked);
    let m = marked.to_str().unwrap();
    let mut lost = Vec::new();
    for (name, args, ext, cut) in OPS {
        let out = dir.join(format!("{tag}-{}.{ext}", name.replace(' ', "-")));
        let o = out.to_str().unwrap();
        let mut all: Vec<&str> = if cut {
            vec!["-ss", "2", "-i", m]
        } else {
            vec!["-i", m]
        };
        all.extend_from_slice(args);
        all.push(o);
        ffmpeg(&all);
        let found = detect_clip(&out, 3.0, PUBLIC_KEY);
        if found.map(|d| d.payload) != Some(payload) {
            lost.push(format!("{tag}/{name}: {found:?}"));
        }
    }
    lost
}

#[test]
fn two_clips_keep_the_payload_through_strip_x264_vp9_and_a_cut() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/video/sample.mp4");
    let fixture = fixture.to_str().unwrap();
    let camera = ["-stream_loop", "2", "-i", fixture, "-t", "5"];
    let testsrc = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=25",
        "-t",
        "5",
    ];
    let mut lost = lost_after_ops(dir.path(), "camera", &camera, 0x1111_2222_3333_4444);
    lost.extend(lost_after_ops(
        dir.path(),
        "testsrc2",
        &testsrc,
        0x5555_6666_7777_8888,
    ));
    assert!(lost.is_empty(), "payload lost: {lost:?}");
}
