//! The labeler's check of its own output reads the watermark where it was
//! embedded, from the frames the label check decodes (no second pass over
//! the first seconds, no blind search).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::path::Path;

use common::*;
use tanba_core::{Job, Labeler, Limits, Source, Verification, WatermarkKey, read_head};

/// A 1280x720 25 fps moving test pattern, 3 s, H.264 in MP4: at 640x360
/// whether the mark survives x264 depends on the payload (a miss there is
/// a note, not an error), so the test would fail now and then.
fn clip(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("in.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=25:duration=3",
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
    // Each labelling draws a new payload, and whether x264 keeps a given
    // payload's mark varies (about 1 in 15 here): of three labellings at
    // least one must read back, and every read must be the right payload.
    let mut read = 0;
    for round in 0..3 {
        let marked = dir.path().join(format!("marked{round}.mp4"));
        let labelled = label(&input, &marked);
        let payload = labelled.manifest.watermark_payload().unwrap();
        let v = checked(&marked, WatermarkKey::PUBLIC);
        assert!(v.is_compliant(), "{:?}", v.perceptible);
        if let Some(found) = v.watermark {
            assert_eq!(found.payload, payload);
            assert!(found.strength >= 6.0, "{found:?}");
            read += 1;
        }
        assert_eq!(checked(&marked, WatermarkKey(7)).watermark, None);
    }
    assert!(
        read >= 1,
        "the mark read back from none of three labellings"
    );
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
