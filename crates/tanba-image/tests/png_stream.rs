//! Big PNGs are labelled row by row: the same pixels as the whole-picture
//! path with the watermark off, a mark that reads back with it on, and
//! metadata outside tools read. (The memory bound: png_stream_memory.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tanba_core::{Job, Limits, WatermarkKey};
use tanba_image::ImageLabeler;

#[path = "common_png/mod.rs"]
mod common_png;
use common_png::{label_file, verify_file, write_png};

fn pixels(path: &Path) -> Vec<u8> {
    image::open(path).unwrap().into_bytes()
}

#[test]
fn streamed_pngs_match_the_whole_path_and_carry_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    for channels in [1, 3, 4] {
        let input = dir.path().join(format!("in{channels}.png"));
        write_png(&input, 2048, 2200, channels);
        // Watermark off: the very pixels the whole-picture path writes.
        let job = Job::new().with_watermark(None);
        let streamed = dir.path().join("streamed.png");
        let l = label_file(&input, &streamed, &job);
        assert!(
            l.notes.iter().any(|n| n.contains("streamed")),
            "{:?}",
            l.notes
        );
        let bytes = std::fs::read(&input).unwrap();
        let (whole, _) = ImageLabeler::default()
            .label_bytes(&bytes, Some(&input), &job)
            .unwrap();
        let whole_path = dir.path().join("whole.png");
        std::fs::write(&whole_path, whole).unwrap();
        assert_eq!(
            pixels(&streamed),
            pixels(&whole_path),
            "{channels} channels"
        );
        assert!(verify_file(&streamed, None).is_compliant());
        // Watermark on: it reads back, where embedded and blind.
        let job = Job::new();
        let marked = dir.path().join("marked.png");
        let l = label_file(&input, &marked, &job);
        let payload = l.manifest.watermark_payload().unwrap();
        let v = verify_file(&marked, Some(WatermarkKey::PUBLIC));
        assert!(v.is_compliant(), "{v:?}");
        assert_eq!(v.watermark.map(|f| f.payload), Some(payload));
        let read = ImageLabeler::default()
            .read_watermark_bytes(
                &std::fs::read(&marked).unwrap(),
                WatermarkKey::PUBLIC,
                &Limits::default(),
            )
            .unwrap();
        assert_eq!(read.map(|f| f.payload), Some(payload), "blind read");
        // Outside tools: exiftool finds the marks, ImageMagick decodes it.
        let exif = std::process::Command::new("exiftool")
            .args(["-s", "-DigitalSourceType", "-AIGC"])
            .arg(&marked)
            .output()
            .expect("exiftool is installed");
        let said = String::from_utf8_lossy(&exif.stdout);
        assert!(said.contains("trainedAlgorithmicMedia"), "{said}");
        assert!(said.contains("AIGC"), "{said}");
        let identify = std::process::Command::new("identify")
            .arg(&marked)
            .output()
            .expect("ImageMagick is installed");
        assert!(identify.status.success());
        assert!(String::from_utf8_lossy(&identify.stdout).contains("2048x2200"));
    }
}
