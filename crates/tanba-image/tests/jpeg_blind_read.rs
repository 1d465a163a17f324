//! `verify`'s blind read of the watermark (no manifest to say where the
//! mark is) of a JPEG the labeler wrote: one pass over its bands of
//! restart intervals, holding the detector's shrink, not the picture. The
//! peak is measured by a counting allocator in this test binary (one
//! test, so nothing else allocates meanwhile; not a timer).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use tanba_core::{Job, Labeler, Source};
use tanba_image::{ImageLabeler, JPEG};

// Counts every allocation, so the test measures peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

/// A grey picture with Gaussian noise, `w` x `h`, quality 90 (ImageMagick).
fn noise_jpeg(w: u32, h: u32) -> Vec<u8> {
    let made = std::process::Command::new("convert")
        .args(["-size", &format!("{w}x{h}"), "-seed", "5", "xc:gray"])
        .args(["+noise", "Gaussian", "-quality", "90", "jpg:-"])
        .output()
        .expect("ImageMagick is installed");
    assert!(made.status.success());
    made.stdout
}

/// Labels a `w` x `h` picture and reads its mark blind through the trait:
/// the peaks of the streamed read and of the whole decode's, the output's
/// size, and the payloads read streamed, read from the whole decode and
/// carried by the manifest.
fn blind_read(w: u32, h: u32) -> ([usize; 2], usize, [Option<u64>; 3]) {
    let labeler = ImageLabeler::default();
    let job = Job::new();
    let key = job.watermark.unwrap();
    let (out, l) = labeler.label_bytes(&noise_jpeg(w, h), None, &job).unwrap();
    let (peak, found) = peak_of(|| {
        let mut reader = Cursor::new(&out);
        let source = Source {
            reader: &mut reader,
            format: &JPEG,
            path: None,
            len: out.len() as u64,
        };
        labeler.read_watermark(source, key, &job.limits).unwrap()
    });
    let (peak_whole, whole) = peak_of(|| {
        labeler
            .read_watermark_bytes(&out, key, &job.limits)
            .unwrap()
    });
    let payloads = [
        found.map(|f| f.payload),
        whole.map(|f| f.payload),
        l.manifest.watermark_payload(),
    ];
    ([peak, peak_whole], out.len(), payloads)
}

#[test]
fn a_labelled_jpeg_is_read_blind_in_memory_that_does_not_grow_with_it() {
    let ([peak_square, whole_square], out_square, square) = blind_read(2400, 2400);
    let ([peak_tall, _], out_tall, tall) = blind_read(2400, 9600);
    eprintln!(
        "blind read peak: {peak_square} B for 2400x2400 ({out_square} B file; the whole decode \
         {whole_square} B), {peak_tall} B for 2400x9600 ({out_tall} B file)"
    );
    for payloads in [square, tall] {
        assert!(payloads[2].is_some(), "the output carries a mark");
        assert!(
            payloads.iter().all(|p| *p == payloads[2]),
            "streamed, whole and manifest: {payloads:?}"
        );
    }
    // The whole read decodes the picture (17 MB of RGB for the square, 69
    // MB for the tall one); the streamed one holds a few bands (two
    // threads decode them when a core is spare) and the shrink, which
    // follows the aspect ratio (its shorter side is fixed), not the file.
    assert!(
        peak_square < whole_square / 4,
        "{peak_square} B vs {whole_square} B"
    );
    let growth = peak_tall.saturating_sub(peak_square);
    let out_growth = out_tall - out_square;
    assert!(
        growth < out_growth / 4,
        "{growth} B more for {out_growth} B more file"
    );
}
