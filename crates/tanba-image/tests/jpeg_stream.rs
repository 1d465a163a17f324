//! A marked JPEG through the `Labeler` trait (the CLI's file path): the
//! output goes out through a temporary file and equals what `label_bytes`
//! returns, a fallback included; the read-back check reads the file one
//! band of rows at a time and finds what the whole decode finds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;

use image::{Rgb, RgbImage};
use tanba_core::{Job, Labeler, Labelled, Source, Verification};
use tanba_image::{ImageLabeler, JPEG};

/// Labels through the trait into memory: the bytes written and the notes.
fn label_file_path(input: &[u8]) -> (Vec<u8>, Labelled) {
    let mut reader = Cursor::new(input);
    let source = Source {
        reader: &mut reader,
        format: &JPEG,
        path: None,
        len: input.len() as u64,
    };
    let mut out = Cursor::new(Vec::new());
    let l = ImageLabeler::default()
        .label(source, &mut out, &Job::new())
        .unwrap();
    (out.into_inner(), l)
}

/// The check after labelling, through the trait (streamed).
fn verify_streamed(out: &[u8]) -> tanba_core::Result<Verification> {
    let job = Job::new();
    let mut reader = Cursor::new(out);
    let source = Source {
        reader: &mut reader,
        format: &JPEG,
        path: None,
        len: out.len() as u64,
    };
    ImageLabeler::default().verify_with_watermark(source, job.watermark.unwrap(), &job.limits)
}

/// Whether `jpeg` is one JPEG and nothing else: its first end-of-image
/// marker after the scan's header is its last two bytes (a copy of the
/// coefficient path's output left before or after another would not be).
fn one_jpeg(jpeg: &[u8]) -> bool {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let eoi = jpeg[sos..].windows(2).position(|w| w == [0xFF, 0xD9]);
    jpeg.starts_with(&[0xFF, 0xD8]) && eoi.map(|e| sos + e + 2) == Some(jpeg.len())
}

/// The payload the whole decode reads from `out`, and the one its
/// manifest carries.
fn payloads(out: &[u8], l: &Labelled) -> (Option<u64>, Option<u64>) {
    let job = Job::new();
    let whole = ImageLabeler::default()
        .verify_bytes_with_watermark(out, job.watermark.unwrap(), &job.limits)
        .unwrap();
    (
        whole.watermark.map(|f| f.payload),
        l.manifest.watermark_payload(),
    )
}

/// A grey JPEG made by `cjpeg` from `img`'s green channel.
fn grey_jpeg(img: &RgbImage) -> Vec<u8> {
    let (w, h) = img.dimensions();
    let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
    pgm.extend(img.pixels().map(|p| p[1]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.pgm");
    std::fs::write(&path, &pgm).unwrap();
    let out = std::process::Command::new("cjpeg")
        .args(["-quality", "88"])
        .arg(&path)
        .output()
        .expect("cjpeg is installed (Debian: libjpeg-turbo-progs)");
    assert!(out.status.success());
    out.stdout
}

#[test]
fn the_streamed_read_back_finds_what_the_whole_decode_finds() {
    let img = common::noisy_rgb(2100, 2300, 5);
    for (what, input) in [
        ("colour", common::jpeg(&img, 90, false, &[])),
        ("grey", grey_jpeg(&img)),
    ] {
        let (out, l) = label_file_path(&input);
        assert!(
            l.notes
                .iter()
                .any(|n| n.contains("watermark added to the luma")),
            "{what}: {:?}",
            l.notes
        );
        // The copy out of the temporary file is whole: one JPEG whose
        // mark is the manifest's.
        assert!(one_jpeg(&out), "{what}");
        let (read, carried) = payloads(&out, &l);
        assert!(
            read.is_some() && read == carried,
            "{what}: {read:?} {carried:?}"
        );
        let job = Job::new();
        let whole = ImageLabeler::default()
            .verify_bytes_with_watermark(&out, job.watermark.unwrap(), &job.limits)
            .unwrap();
        let streamed = verify_streamed(&out).unwrap();
        assert!(streamed.is_compliant(), "{what}: {streamed:?}");
        assert_eq!(
            streamed.watermark.map(|f| f.payload),
            whole.watermark.map(|f| f.payload),
            "{what}"
        );
        assert!(streamed.watermark.is_some(), "{what}: the mark reads back");
        // The same luminance under the badge: the same score, exactly.
        assert_eq!(
            streamed.perceptible.score, whole.perceptible.score,
            "{what}"
        );
        assert!(streamed.perceptible.found, "{what}");
        // Without the key (`tanba verify`), only the badge's rows are
        // decoded, with the same score.
        let plain = {
            let mut reader = Cursor::new(&out);
            let source = Source {
                reader: &mut reader,
                format: &JPEG,
                path: None,
                len: out.len() as u64,
            };
            ImageLabeler::default().verify(source, &job.limits).unwrap()
        };
        let whole_plain = ImageLabeler::default()
            .verify_bytes(&out, &job.limits)
            .unwrap();
        assert!(plain.is_compliant(), "{what}: {plain:?}");
        assert_eq!(
            plain.perceptible.score, whole_plain.perceptible.score,
            "{what}"
        );
        // Cut short in the scan: refused, as the whole read refuses it.
        let cut = &out[..out.len() * 3 / 4];
        let e = verify_streamed(cut).unwrap_err();
        assert_eq!(e.kind_name(), "malformed", "{what}: {e}");
    }
}

/// Colour bars (saturated over 5 % of the picture) are sent to the full
/// re-encode after the coefficient path has written its output: the
/// temporary file is dropped and the caller gets the re-encode alone.
#[test]
fn a_fallback_after_the_coefficient_path_writes_only_the_re_encode() {
    let bars = [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
        [255, 255, 0],
        [0, 255, 255],
        [255, 0, 255],
    ];
    let img = RgbImage::from_fn(2100, 2100, |x, _| Rgb(bars[(x / 350) as usize % 6]));
    let input = common::jpeg(&img, 90, false, &[]);
    let (out, l) = label_file_path(&input);
    assert!(
        l.notes.iter().any(|n| n.contains("saturated colours")),
        "{:?}",
        l.notes
    );
    assert!(one_jpeg(&out), "only the re-encode is written");
    let (read, carried) = payloads(&out, &l);
    assert!(read.is_some() && read == carried, "{read:?} {carried:?}");
    assert!(verify_streamed(&out).unwrap().is_compliant());
}

/// The read-back decodes every other band on a second thread when a core
/// is spare: on one thread (inside a pool that takes every core) it finds
/// the same mark, strength and badge score, exactly; a scan that goes
/// wrong half-way is refused on both, without waiting for ever.
#[test]
fn the_read_back_on_one_thread_or_two_finds_the_same() {
    let img = common::noisy_rgb(2100, 2300, 9);
    let (out, l) = label_file_path(&common::jpeg(&img, 90, false, &[]));
    assert!(
        l.notes.iter().any(|n| n.contains("DCT domain")),
        "{:?}",
        l.notes
    );
    let cores = std::thread::available_parallelism().unwrap().get();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cores)
        .build()
        .unwrap();
    let one = pool.install(|| verify_streamed(&out)).unwrap();
    let two = verify_streamed(&out).unwrap();
    assert!(two.watermark.is_some() && two.is_compliant(), "{two:?}");
    assert_eq!(
        one.watermark.map(|f| (f.payload, f.strength.to_bits())),
        two.watermark.map(|f| (f.payload, f.strength.to_bits()))
    );
    assert_eq!(one.perceptible.score, two.perceptible.score);
    // A restart marker half-way through the scan renumbered: the band
    // reader refuses it while the other thread may hold a band.
    let sos = out.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let mut bad = out.clone();
    let half = sos + (out.len() - sos) / 2;
    let rst = half
        + bad[half..]
            .windows(2)
            .position(|w| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
            .unwrap();
    bad[rst + 1] = 0xD0 + (bad[rst + 1] - 0xD0 + 3) % 8;
    for e in [
        pool.install(|| verify_streamed(&bad)).unwrap_err(),
        verify_streamed(&bad).unwrap_err(),
    ] {
        assert_eq!(e.kind_name(), "malformed", "{e}");
    }
}

/// Where `jpeg`'s entropy-coded data starts (after the scan's header).
fn scan_start(jpeg: &[u8]) -> usize {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    sos + 2 + usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]))
}

/// The check after labelling reads the mark from a band of rows around
/// the badge first and takes it only when it gives the manifest's payload:
/// an output whose scan carries another payload, or no mark at all, gets
/// the whole read's verdict (the other payload, refused by the caller as
/// unverified, or no mark), as before the band.
#[test]
fn a_wrong_or_missing_mark_is_not_passed_by_the_band() {
    let img = common::noisy_rgb(2100, 2300, 13);
    let input = common::jpeg(&img, 90, false, &[]);
    let (one, l1) = label_file_path(&input);
    let (two, l2) = label_file_path(&input);
    let plain = {
        let mut reader = Cursor::new(&input);
        let source = Source {
            reader: &mut reader,
            format: &JPEG,
            path: None,
            len: input.len() as u64,
        };
        let mut out = Cursor::new(Vec::new());
        let job = Job::new().with_watermark(None);
        ImageLabeler::default()
            .label(source, &mut out, &job)
            .unwrap();
        out.into_inner()
    };
    let (p1, p2) = (
        l1.manifest.watermark_payload(),
        l2.manifest.watermark_payload(),
    );
    assert!(p1.is_some() && p2.is_some() && p1 != p2);
    let v = verify_streamed(&one).unwrap();
    assert_eq!(v.watermark.map(|f| f.payload), p1);
    let head = &one[..scan_start(&one)];
    for (what, other, want) in [("another payload", &two, p2), ("no mark", &plain, None)] {
        // `one`'s header and manifest, `other`'s scan (same tables).
        let spliced = [head, &other[scan_start(other)..]].concat();
        let v = verify_streamed(&spliced).unwrap();
        assert_eq!(v.watermark.map(|f| f.payload), want, "{what}");
        let job = Job::new();
        let whole = ImageLabeler::default()
            .verify_bytes_with_watermark(&spliced, job.watermark.unwrap(), &job.limits)
            .unwrap();
        assert_eq!(whole.watermark.map(|f| f.payload), want, "{what}");
    }
}
