//! Finding the burnt-in label of a video whose metadata is gone: labelled,
//! then re-encoded as a platform does (metadata dropped, x264 CRF 28 at
//! 720p, with the real ffmpeg), the badge is still found in its frames; an
//! unmarked video shows none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::path::Path;

use tanba_core::{Job, Labeler, Source, read_head};
use tanba_video::sniff;

fn find(path: &Path, job: &Job) -> Option<tanba_core::VisibleFound> {
    let mut file = File::open(path).unwrap();
    let head = read_head(&mut file).unwrap();
    let source = Source {
        format: sniff(&head).unwrap(),
        path: Some(path),
        len: file.metadata().unwrap().len(),
        reader: &mut file,
    };
    common::labeler().find_visible_label(source, job).unwrap()
}

#[test]
fn the_badge_survives_a_720p_reencode_without_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/video/sample.mp4");
    let labelled = dir.path().join("labelled.mp4");
    let job = Job::default();
    common::label_with(&common::labeler(), &input, &labelled, &job).unwrap();
    let stripped = dir.path().join("stripped.mp4");
    common::ffmpeg(&[
        "-i",
        labelled.to_str().unwrap(),
        "-map_metadata",
        "-1",
        "-vf",
        "scale=-2:720",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "28",
        "-an",
        stripped.to_str().unwrap(),
    ]);
    let v = common::verify(&stripped).unwrap();
    assert!(v.manifest.is_none(), "ffmpeg kept the manifest");
    let found = find(&stripped, &job).expect("the badge is found");
    eprintln!("720p CRF 28: {found:?}");
    assert!(found.place.starts_with("bottom-right"), "{found:?}");
    // The unmarked original shows no badge.
    let none = find(&input, &job);
    eprintln!("unmarked: {none:?}");
    assert!(none.is_none());
}
