//! The DCT-domain JPEG path holds one MCU row of coefficients, not the
//! picture: its peak allocation, measured by a counting allocator in this
//! test binary (not a timer), stays near the size of the input and output
//! files however many pixels they hold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tanba_core::Job;
use tanba_image::ImageLabeler;

// Counts every allocation, so the tests measure peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::{peak_of, serial};

/// A smooth baseline 4:2:0 JPEG of `w` x `h` made by `cjpeg` (small file,
/// many pixels: the case where holding the picture would show).
fn smooth_jpeg(w: usize, h: usize) -> Vec<u8> {
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.reserve(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            ppm.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 90]);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.ppm");
    std::fs::write(&path, &ppm).unwrap();
    drop(ppm);
    let out = std::process::Command::new("cjpeg")
        .args(["-sample", "2x2", "-quality", "90"])
        .arg(&path)
        .output()
        .expect("cjpeg is installed (Debian: libjpeg-turbo-progs)");
    assert!(out.status.success());
    out.stdout
}

/// Peak bytes allocated while labelling (the input already in memory),
/// and the output's size.
fn peak_of_label(input: &[u8]) -> (usize, usize) {
    let job = Job::new().with_watermark(None);
    let labeler = ImageLabeler::default();
    let (peak, (out, l)) = peak_of(|| {
        labeler
            .label_bytes(input, Some(Path::new("big.jpg")), &job)
            .unwrap()
    });
    assert!(
        l.notes.iter().any(|n| n.contains("DCT domain")),
        "{:?}",
        l.notes
    );
    (peak, out.len())
}

#[test]
fn peak_memory_does_not_grow_with_the_picture() {
    let _one = serial();
    // The same width and shorter side, so the same badge (its text is 5 %
    // of the shorter side), and four times the pixels.
    let square = smooth_jpeg(2400, 2400);
    let tall = smooth_jpeg(2400, 9600);
    // Once first, so both measured runs find the badge's masks drawn
    // (the labeler keeps the last ones for the check that follows).
    peak_of_label(&square);
    let (peak_square, _) = peak_of_label(&square);
    let (peak_tall, out_tall) = peak_of_label(&tall);
    let more_pixels = 2400 * (9600 - 2400);
    eprintln!(
        "peak: {peak_square} B for 2400x2400, {peak_tall} B for 2400x9600 (input {} B, output {out_tall} B)",
        tall.len()
    );
    // Decoding the picture would take 3 bytes for each of the 17 million
    // more pixels (52 MB); the path takes only the larger output.
    let growth = peak_tall.saturating_sub(peak_square);
    assert!(
        growth < out_tall * 2 + (1 << 20),
        "the peak grew by {growth} B for {more_pixels} more pixels"
    );
}

/// Drawing the badge holds its pixels and masks, not a whole-box `f32`
/// coverage (4 bytes a pixel, now rasterised a band of rows at a time)
/// nor a copy for the orientation (5 bytes a pixel, no longer made when
/// the picture is upright): at most 7 bytes per badge pixel (RGBA, the text
/// mask, and the two masks kept for the read-back check), where it took
/// about 11.5 before.
#[test]
fn badge_drawing_holds_its_pixels_and_masks_only() {
    let _one = serial();
    let (labeler, job) = (ImageLabeler::default(), Job::new());
    let draw = || {
        tanba_image::badge::place_badge(
            &labeler.settings.font,
            &job.label,
            6000,
            6000,
            image::metadata::Orientation::NoTransforms,
            job.position,
            &labeler.settings.style,
        )
        .unwrap()
    };
    let (peak, placed) = peak_of(draw);
    let [_, _, w, h] = placed.region();
    let pixels = w as usize * h as usize;
    eprintln!(
        "badge {w}x{h}: peak {peak} B, {:.2} B a pixel",
        peak as f64 / pixels as f64
    );
    assert!(pixels > 4_000_000, "a large badge: {w}x{h}");
    assert!(
        peak < pixels * 7 + (4 << 20),
        "peak {peak} B for a {w}x{h} badge"
    );
}

/// Counts what is written and keeps none of it: an output file's stand-in.
struct Discard(u64);

impl std::io::Write for Discard {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for Discard {
    fn seek(&mut self, _: std::io::SeekFrom) -> std::io::Result<u64> {
        Ok(self.0)
    }
}

/// Through the `Labeler` trait (the CLI's file path) a JPEG labelled in the
/// DCT domain is written out as it is made: the peak holds no whole
/// output, where `label_bytes` (which returns the bytes) must.
#[test]
fn the_file_path_streams_the_output() {
    use tanba_core::Labeler;
    let _one = serial();
    // Noise, so the output is large next to everything else.
    let made = std::process::Command::new("convert")
        .args([
            "-size",
            "3000x2000",
            "-seed",
            "3",
            "xc:gray",
            "+noise",
            "Gaussian",
        ])
        .args(["-quality", "95", "jpg:-"])
        .output()
        .expect("ImageMagick is installed");
    assert!(made.status.success());
    let input = made.stdout;
    let job = Job::new().with_watermark(None);
    let labeler = ImageLabeler::default();
    // Once first, so both measured runs find the badge's masks drawn.
    peak_of_label(&input);
    let (peak_bytes, out_len) = peak_of_label(&input);
    let (peak_file, (written, l)) = peak_of(|| {
        let mut reader = std::io::Cursor::new(&input);
        let source = tanba_core::Source {
            reader: &mut reader,
            format: &tanba_image::JPEG,
            path: None,
            len: input.len() as u64,
        };
        let mut out = Discard(0);
        let l = labeler.label(source, &mut out, &job).unwrap();
        (out.0, l)
    });
    assert!(
        l.notes.iter().any(|n| n.contains("DCT domain")),
        "{:?}",
        l.notes
    );
    eprintln!("peak {peak_bytes} B returning {out_len} B, {peak_file} B writing {written} B");
    assert_eq!(written as usize, out_len);
    // `label` reads the input into memory (`label_bytes` borrows it), and
    // holds at most a 256-KiB batch of the output; `label_bytes` holds the
    // whole output. Half the output's size leaves room for what differs
    // besides (a few hundred KiB).
    assert!(
        peak_file + out_len / 2 <= peak_bytes + input.len(),
        "file path {peak_file} B, label_bytes {peak_bytes} B, output {out_len} B"
    );
}

/// A grey picture with Gaussian noise, `w` x `h`, quality 90 (ImageMagick):
/// a large output next to everything else.
fn noise_jpeg(w: u32, h: u32) -> Vec<u8> {
    let made = std::process::Command::new("convert")
        .args(["-size", &format!("{w}x{h}"), "-seed", "3", "xc:gray"])
        .args(["+noise", "Gaussian", "-quality", "90", "jpg:-"])
        .output()
        .expect("ImageMagick is installed");
    assert!(made.status.success());
    made.stdout
}

/// Labels `input` through the `Labeler` trait (the CLI's file path) with
/// the default job (watermark on): the peak (without the input, which
/// `label` reads whole), the bytes written and the badge's pixels.
fn peak_of_marked_file(input: &[u8]) -> (usize, usize, usize) {
    use tanba_core::Labeler;
    let labeler = ImageLabeler::default();
    let (peak, (out, l)) = peak_of(|| {
        let mut reader = std::io::Cursor::new(input);
        let source = tanba_core::Source {
            reader: &mut reader,
            format: &tanba_image::JPEG,
            path: None,
            len: input.len() as u64,
        };
        let mut out = Discard(0);
        let l = labeler.label(source, &mut out, &Job::new()).unwrap();
        (out.0, l)
    });
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("watermark added to the luma")),
        "{:?}",
        l.notes
    );
    let [_, _, w, h] = l.manifest.label.placement.region.unwrap();
    (
        peak.saturating_sub(input.len()),
        out as usize,
        w as usize * h as usize,
    )
}

/// A marked output may still go to the re-encode (saturated colours), so
/// it used to be held whole; it now goes to a temporary file and is
/// copied out once kept: 6 MP and 23 MP of noise peak nearly the same,
/// though the larger output is 4x the size.
#[test]
fn a_marked_output_is_not_held() {
    let _one = serial();
    let square = noise_jpeg(2400, 2400);
    let tall = noise_jpeg(2400, 9600);
    peak_of_marked_file(&square);
    let (peak_square, out_square, badge_px) = peak_of_marked_file(&square);
    let (peak_tall, out_tall, _) = peak_of_marked_file(&tall);
    // The badge is painted a band of rows at a time as the MCU rows pass:
    // the peak stays under its RGBA alone (4 bytes a pixel).
    assert!(
        peak_square < badge_px * 4,
        "peak {peak_square} B with a badge of {badge_px} px"
    );
    let growth = peak_tall.saturating_sub(peak_square);
    let out_growth = out_tall - out_square;
    eprintln!(
        "peak besides the input: {peak_square} B for 2400x2400, {peak_tall} B for 2400x9600 \
         (outputs {out_square} and {out_tall} B)"
    );
    assert!(out_growth > 6 << 20, "a large output: {out_growth} B more");
    // Holding the output would grow the peak by `out_growth` (8 MB); what
    // grows instead is the mark's grid, which follows the aspect ratio
    // (about 2 MB for a picture four times as tall).
    assert!(
        growth < out_growth / 2,
        "the peak grew by {growth} B for {out_growth} B more output"
    );
}

/// The check of a marked JPEG after labelling (`verify_with_watermark`
/// through the `Labeler` trait, as `label_file` calls it) reads the file
/// one band of rows at a time: its peak does not grow with the picture,
/// where the whole read held the file and its whole luminance.
#[test]
fn the_read_back_of_a_marked_jpeg_does_not_grow_with_the_picture() {
    use tanba_core::Labeler;
    let _one = serial();
    let labeler = ImageLabeler::default();
    let job = Job::new();
    let check = |input: &[u8]| {
        let (out, _) = labeler.label_bytes(input, None, &job).unwrap();
        let key = job.watermark.unwrap();
        let (peak, v) = peak_of(|| {
            let mut reader = std::io::Cursor::new(&out);
            let source = tanba_core::Source {
                reader: &mut reader,
                format: &tanba_image::JPEG,
                path: None,
                len: out.len() as u64,
            };
            labeler
                .verify_with_watermark(source, key, &job.limits)
                .unwrap()
        });
        assert!(v.is_compliant(), "{v:?}");
        assert!(v.watermark.is_some(), "the mark reads back: {v:?}");
        // `tanba verify` (no key) reads the file the same way, decoding
        // only the badge's rows.
        let (plain, v) = peak_of(|| {
            let mut reader = std::io::Cursor::new(&out);
            let source = tanba_core::Source {
                reader: &mut reader,
                format: &tanba_image::JPEG,
                path: None,
                len: out.len() as u64,
            };
            labeler.verify(source, &job.limits).unwrap()
        });
        assert!(v.is_compliant(), "{v:?}");
        // A few bands in flight (two at the second thread, at most
        // `jpeg_stream::PENDING` waiting to be handed on), where the whole read held the file and its
        // whole luminance (5.8 MB at 2400x2400).
        assert!(
            plain < 3 << 20,
            "verify without the key: {plain} B (output {} B)",
            out.len()
        );
        (peak, out.len())
    };
    let square = noise_jpeg(2400, 2400);
    let tall = noise_jpeg(2400, 9600);
    check(&square);
    let (peak_square, _) = check(&square);
    let (peak_tall, out_tall) = check(&tall);
    eprintln!("read-back peak: {peak_square} B for 2400x2400, {peak_tall} B for 2400x9600");
    // The whole read took the file (`out_tall` B) and 23 MB of luminance;
    // the streamed one grows by the mark reader's grid only (it follows
    // the aspect ratio: about 2 MB for a picture four times as tall).
    let growth = peak_tall.saturating_sub(peak_square);
    assert!(
        growth < 4 << 20,
        "the read-back peak grew by {growth} B (output {out_tall} B)"
    );
}
