//! The labeler's check of its own output reads the watermark where it was
//! embedded, from the frames the label check decodes (no second pass over
//! the first seconds, no blind search).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::path::Path;

use common::*;
use tanba_core::{Job, Labeler, Limits, Source, Verification, WatermarkKey, read_head};

/// A 640x360 25 fps moving test pattern, `secs` long, H.264 in MP4.
fn clip(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("in.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25:duration=3",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        out.to_str().unwrap(),
    ]);
    out
}

fn checked(path: &Path, key: WatermarkKey) -> Verification {
    let head = read_head(&mut File::open(path).unwrap()).unwrap();
    let format = tanba_video::sniff(&head).unwrap();
    let mut reader = File::open(path).unwrap();
    let len = reader.metadata().unwrap().len();
    let source = Source {
        reader: &mut reader,
        format,
        path: Some(path),
        len,
    };
    labeler()
        .verify_with_watermark(source, key, &Limits::default())
        .unwrap()
}

#[test]
fn the_output_check_reads_the_mark_from_the_sampled_frames() {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path());
    let marked = dir.path().join("marked.mp4");
    let labelled = label(&input, &marked);
    let payload = labelled.manifest.watermark_payload().unwrap();
    let v = checked(&marked, WatermarkKey::PUBLIC);
    assert!(v.is_compliant(), "{:?}", v.perceptible);
    let found = v.watermark.expect("the mark reads back");
    assert_eq!(found.payload, payload);
    assert!(found.strength >= 6.0, "{found:?}");
    assert_eq!(checked(&marked, WatermarkKey(7)).watermark, None);
    // Labelled without the mark: nothing is read, the label still checks.
    let bare = dir.path().join("bare.mp4");
    label_with(
        &labeler(),
        &input,
        &bare,
        &Job::default().with_watermark(None),
    )
    .unwrap();
    let v = checked(&bare, WatermarkKey::PUBLIC);
    assert_eq!(v.watermark, None);
    assert!(v.is_compliant());
}
