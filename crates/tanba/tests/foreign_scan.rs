//! The scan for other tools' marks over a file (`foreign::scan_file`)
//! finds what `foreign::scan` finds over the file's two ends read whole
//! (what it did before it read in chunks), and in flat memory: the peak,
//! measured by a counting allocator in this test binary, is a chunk, not
//! the two 16 MiB windows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use tanba::foreign::{self, ForeignMarks, SCAN_WINDOW};

// Counts every allocation, so the test measures peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::{peak_of, serial};

const MIB: usize = 1024 * 1024;
const AIGC: &[u8] = br#"{"AIGC":{"Label":"1","ContentProducer":"acme","ProduceID":"p1"}}"#;

/// The scan as it was: both windows read into memory, then `scan`.
fn reference(path: &Path) -> ForeignMarks {
    let mut file = std::fs::File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    let mut bytes = Vec::new();
    (&mut file)
        .take(SCAN_WINDOW)
        .read_to_end(&mut bytes)
        .unwrap();
    if len > 2 * SCAN_WINDOW {
        file.seek(SeekFrom::Start(len - SCAN_WINDOW)).unwrap();
        file.take(SCAN_WINDOW).read_to_end(&mut bytes).unwrap();
    } else {
        file.read_to_end(&mut bytes).unwrap();
    }
    foreign::scan(&bytes)
}

/// `len` bytes of text lines with `parts` written at their offsets.
fn text_with(len: usize, parts: &[(usize, &[u8])]) -> Vec<u8> {
    let mut bytes: Vec<u8> = b"Some plain prose, line after line.\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect();
    for (at, part) in parts {
        bytes[*at..*at + part.len()].copy_from_slice(part);
    }
    bytes
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0; 4]); // the CRC, unchecked by the scan
    out
}

/// A PNG with `idat` bytes of image data and text chunks before and after.
fn png(idat: usize) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &[0; 13]));
    out.extend(png_chunk(b"tEXt", b"Software\0Made in Midjourney v6"));
    out.extend(png_chunk(b"IDAT", &vec![7u8; idat]));
    out.extend(png_chunk(b"tEXt", b"parameters\0a cat, Steps: 20"));
    out.extend(png_chunk(b"iTXt", b"workflow\0\0\0en\0\0{}"));
    out.extend(png_chunk(b"IEND", b""));
    out
}

/// A JPEG whose EXIF names a generator, after an APP0, with `scan` bytes
/// of entropy-coded data.
fn jpeg(scan: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let exif = b"Exif\0\0II*\0 Software: DALL-E 3";
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
    out.extend(std::iter::repeat_n(0x55u8, scan));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[test]
fn chunked_scan_finds_what_the_whole_windows_gave() {
    let _one = serial();
    let w = SCAN_WINDOW as usize;
    let big = 2 * w + 5 * MIB;
    let xmp: &[u8] = b"<x:xmpmeta><rdf:Description xmp:CreatorTool=\"Midjourney v6\" \
        Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia\"/></x:xmpmeta>";
    // (name, bytes, AIGC labels expected, fingerprints expected)
    let cases: Vec<(&str, Vec<u8>, usize, usize)> = vec![
        (
            "small text with AIGC",
            text_with(4096, &[(100, AIGC)]),
            1,
            0,
        ),
        ("small text", text_with(4096, &[]), 0, 0),
        // Across the first pass's chunk edge.
        (
            "AIGC across a chunk",
            text_with(3 * MIB, &[(MIB - 3, AIGC)]),
            1,
            0,
        ),
        (
            "XMP across a chunk",
            text_with(3 * MIB, &[(2 * MIB - 5, xmp)]),
            0,
            1,
        ),
        (
            "big, AIGC in the middle",
            text_with(big, &[(w + MIB, AIGC)]),
            0,
            0,
        ),
        (
            "big, AIGC at the end",
            text_with(big, &[(big - 200, AIGC)]),
            1,
            0,
        ),
        ("big, no mark", text_with(big, &[]), 0, 0),
        // Split by the join of the windows, as `scan` sees them joined.
        (
            "big, AIGC across the join",
            text_with(big, &[(w - 4, &AIGC[..4]), (big - w, &AIGC[4..])]),
            1,
            0,
        ),
        ("PNG", png(1000), 0, 3),
        ("PNG with text after 20 MiB of data", png(20 * MIB), 0, 3),
        ("PNG past two windows", png(2 * w + MIB), 0, 1),
        ("JPEG", jpeg(1000), 0, 1),
        ("big JPEG", jpeg(big), 0, 1),
        ("JPEG cut in its EXIF", jpeg(0)[..30].to_vec(), 0, 0),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, aigc, fingerprints) in cases {
        let path = dir.path().join("input");
        std::fs::write(&path, &bytes).unwrap();
        drop(bytes);
        let found = foreign::scan_file(&path).unwrap();
        assert_eq!(found, reference(&path), "{name}");
        assert_eq!(found.aigc.len(), aigc, "{name}: {found:?}");
        assert_eq!(found.fingerprints.len(), fingerprints, "{name}: {found:?}");
    }
}

#[test]
fn a_big_file_without_marks_is_scanned_in_flat_memory() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let w = SCAN_WINDOW as usize;
    for (name, bytes) in [
        ("text", text_with(2 * w + 5 * MIB, &[])),
        ("PNG", png(2 * w)),
        ("JPEG", jpeg(2 * w)),
    ] {
        let path = dir.path().join("input");
        std::fs::write(&path, &bytes).unwrap();
        drop(bytes);
        let (peak, found) = peak_of(|| foreign::scan_file(&path).unwrap());
        let (old, _) = peak_of(|| reference(&path));
        eprintln!("{name}: scan_file peaked at {peak} bytes, the whole windows at {old}");
        assert!(peak < 2 * MIB, "{name}: {peak} bytes");
        assert!(old > 16 * MIB, "{name}: the reference read {old} bytes");
        assert_eq!(found, reference(&path), "{name}");
    }
}
