//! Big strip TIFFs are labelled strip by strip: the same pixels as the
//! whole-picture path with the watermark off, the tags it carries (XMP
//! that exiftool reads, ICC, orientation), output that verifies, and a
//! mark that reads back with the watermark on. (The memory bound:
//! tiff_stream_memory.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use tanba_core::{Job, Limits, WatermarkKey};
use tanba_image::ImageLabeler;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

#[path = "common_tiff/mod.rs"]
mod common_tiff;
use common_tiff::{label_file, verify_file, write_tiff};

/// The stored pixels (not turned by the orientation), ICC and orientation.
fn decoded(path: &Path) -> (Vec<u8>, Vec<u8>, u16) {
    let mut d = Decoder::new(std::fs::File::open(path).unwrap()).unwrap();
    let icc = d.get_tag_u8_vec(Tag::IccProfile).unwrap();
    let orientation = d.get_tag_unsigned::<u16>(Tag::Orientation).unwrap();
    let DecodingResult::U8(pixels) = d.read_image().unwrap() else {
        panic!("not 8-bit")
    };
    (pixels, icc, orientation)
}

fn exiftool(path: &Path, tag: &str) -> String {
    let out = Command::new("exiftool")
        .args(["-s3", tag])
        .arg(path)
        .output()
        .expect("exiftool is needed (CI installs it)");
    String::from_utf8(out.stdout).unwrap()
}

/// ImageMagick's hash of the decoded pixels.
fn signature(path: &Path) -> String {
    let out = Command::new("identify")
        .args(["-format", "%#"])
        .arg(path)
        .output()
        .expect("ImageMagick is needed (CI installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn streamed_tiffs_match_the_whole_path_and_carry_the_tags() {
    let dir = tempfile::tempdir().unwrap();
    // RGB is stored turned (orientation 6): its badge is painted whole and
    // turned, not a band at a time.
    for (channels, orientation) in [(1, 1), (3, 6), (4, 1)] {
        let input = dir.path().join(format!("in{channels}.tif"));
        write_tiff(&input, 2048, 2200, channels, orientation);
        let job = Job::new().with_watermark(None);
        let streamed = dir.path().join("streamed.tif");
        let l = label_file(&input, &streamed, &job);
        assert!(
            l.notes
                .iter()
                .any(|n| n.contains("streamed strip by strip")),
            "{:?}",
            l.notes
        );
        let (whole, _) = ImageLabeler::default()
            .label_bytes(&std::fs::read(&input).unwrap(), Some(&input), &job)
            .unwrap();
        let whole_path = dir.path().join("whole.tif");
        std::fs::write(&whole_path, whole).unwrap();
        let (streamed_px, icc, o) = decoded(&streamed);
        let (whole_px, whole_icc, whole_o) = decoded(&whole_path);
        assert!(
            streamed_px == whole_px,
            "{channels} channels: pixels differ"
        );
        assert_eq!((icc, o), (whole_icc, whole_o));
        assert_eq!(o, orientation);
        assert_eq!(exiftool(&streamed, "-Compression").trim(), "LZW");
        // libtiff (through ImageMagick) reads the hand-written directory
        // and LZW strips to the same pixels.
        let sig = signature(&streamed);
        assert_eq!(sig.len(), 64, "{sig}");
        assert_eq!(sig, signature(&whole_path));
        let aigc = exiftool(&streamed, "-XMP-TC260:Aigc");
        assert!(aigc.starts_with("{\"AIGC\":{\"Label\":\"1\""), "{aigc}");
        assert!(!exiftool(&streamed, "-XMP-tanba:Manifest").trim().is_empty());
        let v = verify_file(&streamed, None);
        assert!(v.is_compliant(), "{v:?}");
        // The streamed check (a strip at a time) sees what the whole
        // path's does.
        let whole_v = ImageLabeler::default()
            .verify_bytes(&std::fs::read(&streamed).unwrap(), &Limits::default())
            .unwrap();
        assert_eq!(format!("{:?}", v.marks), format!("{:?}", whole_v.marks));
        assert_eq!(v.perceptible.found, whole_v.perceptible.found);
        let (s, ws) = (
            v.perceptible.score.unwrap(),
            whole_v.perceptible.score.unwrap(),
        );
        assert!((s - ws).abs() < 1e-6, "{s} vs {ws}");
    }
    // The labelled XMP copied (exiftool) onto the unbadged picture: the
    // streamed check finds the marks but not the badge.
    let forged = dir.path().join("forged.tif");
    let status = Command::new("exiftool")
        .arg("-tagsFromFile")
        .arg(dir.path().join("streamed.tif"))
        .args(["-xmp", "-o"])
        .arg(&forged)
        .arg(dir.path().join("in4.tif"))
        .status()
        .expect("exiftool is needed (CI installs it)");
    assert!(status.success());
    let v = verify_file(&forged, None);
    assert!(!v.marks.is_empty(), "{v:?}");
    assert!(!v.perceptible.found, "{v:?}");
    assert!(!v.is_compliant(), "{v:?}");
    // Watermark on: the mark made from the first pass reads back.
    let input = dir.path().join("in3.tif");
    let marked = dir.path().join("marked.tif");
    let l = label_file(&input, &marked, &Job::new());
    let v = verify_file(&marked, Some(WatermarkKey::PUBLIC));
    assert!(v.is_compliant(), "{v:?}");
    assert_eq!(
        v.watermark.map(|f| f.payload),
        l.manifest.watermark_payload()
    );
}

#[test]
fn small_or_tiled_tiffs_keep_the_whole_path() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.tif");
    write_tiff(&small, 1024, 900, 3, 1);
    let big = dir.path().join("big.tif");
    write_tiff(&big, 2048, 2100, 3, 1);
    let tiled = dir.path().join("tiled.tif");
    let status = Command::new("convert")
        .arg(&big)
        .args(["-define", "tiff:tile-geometry=256x256", "-compress", "lzw"])
        .arg(&tiled)
        .status()
        .expect("ImageMagick is needed (CI installs it)");
    assert!(status.success());
    assert!(exiftool(&tiled, "-TileWidth").trim() == "256");
    for input in [small, tiled] {
        let out = dir.path().join("out.tif");
        let l = label_file(&input, &out, &Job::new());
        assert!(
            !l.notes.iter().any(|n| n.contains("streamed")),
            "{:?}",
            l.notes
        );
        assert!(verify_file(&out, None).is_compliant());
    }
}
