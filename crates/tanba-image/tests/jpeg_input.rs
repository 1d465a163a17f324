//! A sequential JPEG labelled from its file (`Labeler::label` with a path,
//! as the CLI labels) has its scan read through a window
//! (src/jpeg_input.rs): the output and notes are those of the whole read
//! (the same labeller given the file in memory), errors are the same, and
//! the peak memory, counted by the allocator of this test binary, does not
//! grow with the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;

use tanba_core::{Error, Job, Labeler, Labelled, ReadSeek, Source};
use tanba_image::ImageLabeler;
use tanba_testkit::{peak_of, serial};

#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;

/// A noisy `w` x `h` JPEG made by `cjpeg` with `args`: a big file for its
/// pixels, where holding it would show.
fn cjpeg(w: usize, h: usize, args: &[&str]) -> Vec<u8> {
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.reserve(w * h * 3);
    let mut x = 0x9E37_79B9u32;
    for i in 0..w * h * 3 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        ppm.push(((i / 3 % w) * 190 / w) as u8 + (x & 63) as u8);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.ppm");
    std::fs::write(&path, &ppm).unwrap();
    drop(ppm);
    let out = std::process::Command::new("cjpeg")
        .args(args)
        .arg(&path)
        .output()
        .expect("cjpeg is installed (Debian: libjpeg-turbo-progs)");
    assert!(out.status.success(), "cjpeg {args:?}");
    out.stdout
}

/// Labels `input` through `Labeler::label`: from a file by its path
/// (`from_file`, the windowed read) or from memory without a path (read
/// whole, as before). The bytes written, or the error.
fn label(input: &[u8], job: &Job, from_file: bool) -> (Result<Labelled, Error>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jpg");
    std::fs::write(&path, input).unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    let mut memory = Cursor::new(input);
    let reader: &mut dyn ReadSeek = if from_file { &mut file } else { &mut memory };
    let source = Source {
        reader,
        format: &tanba_image::JPEG,
        path: from_file.then_some(path.as_path()),
        len: input.len() as u64,
    };
    let mut out = Cursor::new(Vec::new());
    let labelled = ImageLabeler::default().label(source, &mut out, job);
    (labelled, out.into_inner())
}

/// The output from its first quantisation table on: what follows the
/// segments that carry the manifest (whose id and time differ per run).
fn from_tables(jpeg: &[u8]) -> &[u8] {
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
    &jpeg[at..]
}

/// Labels `input` both ways without the watermark: the same notes, the
/// same tables and scan; returns the notes.
fn same_both_ways(what: &str, input: &[u8]) -> Vec<String> {
    let job = Job::new().with_watermark(None);
    let (whole, whole_out) = label(input, &job, false);
    let (windowed, windowed_out) = label(input, &job, true);
    let (whole, windowed) = (whole.unwrap(), windowed.unwrap());
    assert_eq!(windowed.notes, whole.notes, "{what}");
    assert!(
        from_tables(&windowed_out) == from_tables(&whole_out),
        "{what}: {} bytes from the file, {} from memory",
        windowed_out.len(),
        whole_out.len()
    );
    whole.notes
}

#[test]
fn labelled_from_the_file_as_from_memory() {
    let _one = serial();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image/sample-photo.jpg");
    let mut after_eoi = cjpeg(400, 300, &["-sample", "2x2"]);
    // Data after the end of the image (a preview, a trailer) is not kept.
    after_eoi.extend_from_slice(&cjpeg(64, 48, &[]));
    after_eoi.extend_from_slice(b"trailing bytes");
    let cases = [
        ("fixture photo", std::fs::read(fixture).unwrap()),
        ("4:2:0", cjpeg(900, 700, &["-sample", "2x2"])),
        (
            "4:2:2 restart",
            cjpeg(900, 700, &["-sample", "2x1", "-restart", "5B"]),
        ),
        (
            "4:4:4 restart rows",
            cjpeg(900, 700, &["-sample", "1x1", "-restart", "1"]),
        ),
        (
            "grey optimised",
            cjpeg(900, 700, &["-grayscale", "-optimize"]),
        ),
        ("data after EOI", after_eoi),
    ];
    for (what, input) in &cases {
        let notes = same_both_ways(what, input);
        assert!(
            notes.iter().any(|n| n.contains("DCT domain")),
            "{what}: {notes:?}"
        );
    }
    // Read whole by both (progressive: decoded whole; a fixed quality:
    // re-encoded whole), the same.
    let progressive = cjpeg(600, 400, &["-progressive"]);
    let notes = same_both_ways("progressive", &progressive);
    assert!(notes.iter().any(|n| n.contains("DCT domain")), "{notes:?}");
}

/// Marked in the DCT domain from the file as from memory (the bytes, with
/// one fixed mark, are compared in the crate's own test: here each run's
/// manifest, and so its mark, is new).
#[test]
fn a_marked_picture_takes_the_same_path_from_the_file() {
    let _one = serial();
    let input = cjpeg(2048, 2048, &["-sample", "2x2"]);
    let (whole, _) = label(&input, &Job::new(), false);
    let (windowed, out) = label(&input, &Job::new(), true);
    let (whole, windowed) = (whole.unwrap(), windowed.unwrap());
    let strip = |notes: &[String]| -> Vec<String> {
        notes
            .iter()
            .filter(|n| !n.starts_with("watermark embedded"))
            .cloned()
            .collect()
    };
    assert_eq!(strip(&windowed.notes), strip(&whole.notes));
    assert!(
        windowed
            .notes
            .iter()
            .any(|n| n.contains("watermark added to the luma")),
        "{:?}",
        windowed.notes
    );
    let v = ImageLabeler::default()
        .verify_bytes(&out, &tanba_core::Limits::default())
        .unwrap();
    assert!(v.is_compliant(), "{v:?}");
}

#[test]
fn a_truncated_scan_gives_the_same_error_from_the_file() {
    let _one = serial();
    let input = cjpeg(640, 480, &["-sample", "2x2", "-restart", "2"]);
    let job = Job::new().with_watermark(None);
    let cut = &input[..input.len() * 2 / 3];
    let mut cut_eoi = cut.to_vec();
    cut_eoi.extend_from_slice(&[0xFF, 0xD9]);
    for (what, bad) in [("cut", cut), ("cut, then an EOI", cut_eoi.as_slice())] {
        let (whole, _) = label(bad, &job, false);
        let (windowed, written) = label(bad, &job, true);
        let (whole, windowed) = (whole.unwrap_err(), windowed.unwrap_err());
        assert_eq!(windowed.kind_name(), "malformed", "{what}: {windowed}");
        assert_eq!(windowed.to_string(), whole.to_string(), "{what}");
        if what == "cut" {
            // Refused before anything is written.
            assert!(
                written.is_empty(),
                "{what}: {} bytes written",
                written.len()
            );
        }
    }
}

/// Peak bytes allocated labelling `input` from its file, and the notes.
fn peak_from_file(input: &[u8], job: &Job) -> (usize, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jpg");
    std::fs::write(&path, input).unwrap();
    let out_path = dir.path().join("out.jpg");
    let (peak, labelled) = peak_of(|| {
        let mut file = std::fs::File::open(&path).unwrap();
        let mut out = std::fs::File::create(&out_path).unwrap();
        let source = Source {
            reader: &mut file,
            format: &tanba_image::JPEG,
            path: Some(&path),
            len: input.len() as u64,
        };
        ImageLabeler::default()
            .label(source, &mut out, job)
            .unwrap()
    });
    (peak, labelled.notes)
}

/// 2400 x 2400 and 2400 x 9600, 4:4:4 (files of about 6 and 23 MB): the
/// same width and shorter side, so the same badge and MCU rows; the taller
/// one's peak is not 3/4 of its file more, watermark on and off.
#[test]
fn the_peak_does_not_grow_with_the_file() {
    let _one = serial();
    let short = cjpeg(2400, 2400, &["-sample", "1x1", "-quality", "90"]);
    let tall = cjpeg(2400, 9600, &["-sample", "1x1", "-quality", "90"]);
    for (what, job) in [
        ("unmarked", Job::new().with_watermark(None)),
        ("marked", Job::new()),
    ] {
        // Once first: the badge's masks are kept for the check after.
        peak_from_file(&short, &job);
        let (peak_short, notes) = peak_from_file(&short, &job);
        let (peak_tall, tall_notes) = peak_from_file(&tall, &job);
        for n in [&notes, &tall_notes] {
            assert!(n.iter().any(|n| n.contains("DCT domain")), "{what}: {n:?}");
        }
        eprintln!(
            "{what}: peak {peak_short} B for 2400x2400 ({} B file), {peak_tall} B for 2400x9600 ({} B file)",
            short.len(),
            tall.len()
        );
        // Read whole, the input alone would add 3/4 of the taller file.
        // Unmarked, nothing grows; marked, only the mark's field (in
        // tanba-watermark: a few block transforms per cell of its grid,
        // whose rows follow the height, 2.3 MB here), not the file.
        let growth = peak_tall.saturating_sub(peak_short);
        let allowed = if what == "marked" {
            (tall.len() - short.len()) / 6
        } else {
            256 << 10
        };
        assert!(
            growth < allowed,
            "{what}: the peak grew by {growth} B for a file {} B larger",
            tall.len() - short.len()
        );
        assert!(peak_tall < tall.len() / 2, "{what}: {peak_tall} B");
    }
}
