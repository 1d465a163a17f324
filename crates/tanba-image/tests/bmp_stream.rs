//! Big uncompressed BMPs are labelled row by row into a PNG: the same
//! pixels as the whole-picture path with the watermark off, a PNG that
//! verifies with the mark on, marks outside tools read, and BMPs this path
//! does not take still labelled whole. (The memory bound:
//! bmp_stream_memory.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tanba_core::{Job, WatermarkKey};
use tanba_image::ImageLabeler;

#[path = "common_bmp/mod.rs"]
mod common_bmp;
#[path = "common_png/mod.rs"]
mod common_png;
use common_bmp::{Kind, label_bmp, write_bmp};
use common_png::verify_file;

fn decoded(path: &Path) -> image::DynamicImage {
    image::open(path).unwrap()
}

fn streamed(l: &tanba_core::Labelled) -> bool {
    l.notes.iter().any(|n| n.contains("BMP streamed"))
}

#[test]
fn streamed_bmps_match_the_whole_path_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    for kind in [Kind::Rgb24, Kind::Rgb32TopDown, Kind::Bitfields32Alpha] {
        let input = dir.path().join("in.bmp");
        // An odd width: 24-bit rows are padded to four bytes.
        write_bmp(&input, 2051, 2100, kind);
        let job = Job::new().with_watermark(None);
        let out = dir.path().join("streamed.png");
        let l = label_bmp(&input, &out, &job);
        assert!(streamed(&l), "{kind:?}: {:?}", l.notes);
        assert_eq!(l.format.name, "png");
        let bytes = std::fs::read(&input).unwrap();
        let (whole, _) = ImageLabeler::default()
            .label_bytes(&bytes, Some(&input), &job)
            .unwrap();
        let whole_path = dir.path().join("whole.png");
        std::fs::write(&whole_path, whole).unwrap();
        let (s, w) = (decoded(&out), decoded(&whole_path));
        assert_eq!(s.color(), w.color(), "{kind:?}");
        assert_eq!(s.into_bytes(), w.into_bytes(), "{kind:?}");
        assert!(verify_file(&out, None).is_compliant(), "{kind:?}");
    }
}

#[test]
fn a_streamed_bmp_carries_the_watermark_and_the_marks() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.bmp");
    write_bmp(&input, 2048, 2048, Kind::Rgb24);
    let out = dir.path().join("marked.png");
    let l = label_bmp(&input, &out, &Job::new());
    assert!(streamed(&l), "{:?}", l.notes);
    let payload = l.manifest.watermark_payload().unwrap();
    let v = verify_file(&out, Some(WatermarkKey::PUBLIC));
    assert!(v.is_compliant(), "{v:?}");
    assert_eq!(v.watermark.map(|f| f.payload), Some(payload));
    let exif = std::process::Command::new("exiftool")
        .args(["-s", "-DigitalSourceType", "-AIGC"])
        .arg(&out)
        .output()
        .expect("exiftool is installed");
    let said = String::from_utf8_lossy(&exif.stdout);
    assert!(said.contains("trainedAlgorithmicMedia"), "{said}");
    assert!(said.contains("AIGC"), "{said}");
}

#[test]
fn small_or_truncated_bmps_take_the_whole_path() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("small.bmp");
    write_bmp(&input, 640, 480, Kind::Rgb24);
    let out = dir.path().join("small.png");
    let l = label_bmp(&input, &out, &Job::new().with_watermark(None));
    assert!(!streamed(&l), "{:?}", l.notes);
    assert!(verify_file(&out, None).is_compliant());
    // A big BMP cut short is not streamed: the whole path refuses it, and
    // nothing half-written is claimed.
    let big = dir.path().join("big.bmp");
    write_bmp(&big, 2048, 2048, Kind::Rgb24);
    let cut = std::fs::read(&big).unwrap();
    std::fs::write(&big, &cut[..cut.len() / 2]).unwrap();
    let mut file = std::fs::File::open(&big).unwrap();
    let len = file.metadata().unwrap().len();
    let source = tanba_core::Source {
        reader: &mut file,
        format: &tanba_image::BMP,
        path: Some(&big),
        len,
    };
    let mut sink = std::io::Cursor::new(Vec::new());
    let err = tanba_core::Labeler::label(&ImageLabeler::default(), source, &mut sink, &Job::new())
        .unwrap_err();
    assert_eq!(err.kind_name(), "malformed", "{err}");
}
