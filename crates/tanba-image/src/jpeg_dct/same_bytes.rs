//! The DCT path's output bytes, pinned: a fixture JPEG and pictures made
//! by libjpeg-turbo's `cjpeg` (4:4:4, 4:2:0, 4:2:2, grey, progressive,
//! optimised tables, restart intervals) labelled with and without the
//! watermark must give the bytes they gave at 8f7f6a7. The kernels
//! (Huffman coding, transforms, the walk over the rows) are rewritten for
//! speed, never for output. The watermark's payload is fixed here (the
//! labeler draws it from the manifest's random id), and the hash starts at
//! the first DQT: the segments before it carry the manifest's id and time.

// Gated in `mod.rs` too; the outer attribute marks the file's code as
// test code for tools that read files, not modules.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod pinned {

    use std::path::Path;

    use tanba_core::{Job, WatermarkKey};

    use crate::{Ctx, ImageLabeler, Marks, badge, jpeg, mark};

    /// A photo-like `w` x `h` picture: gradients and xorshift noise, each
    /// channel its own (so chroma blocks have AC terms too).
    fn ppm(w: usize, h: usize) -> Vec<u8> {
        let mut out = format!("P6\n{w} {h}\n255\n").into_bytes();
        let mut x = 0x9E37_79B9u32;
        let mut noise = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 48) as usize
        };
        for y in 0..h {
            for i in 0..w {
                out.extend_from_slice(&[
                    (i * 200 / w + noise()) as u8,
                    (y * 200 / h + noise()) as u8,
                    ((i + y) * 100 / (w + h) + 40 + noise()) as u8,
                ]);
            }
        }
        out
    }

    /// `cjpeg` of a `w` x `h` picture with `args`.
    fn cjpeg(w: usize, h: usize, args: &[&str]) -> Vec<u8> {
        crate::jpeg_input::tests::cjpeg_of(&ppm(w, h), args)
    }

    /// Labels `bytes` as `label_bytes` does, with the watermark's payload
    /// fixed; returns the output and its notes.
    fn label(bytes: &[u8], marked: bool) -> (Vec<u8>, Vec<String>) {
        let labeler = ImageLabeler::default();
        let job = Job::new().with_watermark(marked.then_some(WatermarkKey::PUBLIC));
        let p = labeler
            .prepare(&crate::JPEG, bytes, Vec::new(), &job, || Ok(String::new()))
            .unwrap();
        let marks = Marks {
            xmp: &p.packet,
            aigc: p.aigc,
        };
        let placed = badge::PaintOnUse::new(p.placed);
        let ctx = Ctx {
            bytes,
            info: &p.info,
            placed: &placed,
            marks: &marks,
            settings: &labeler.settings,
            limits: &job.limits,
            watermark: p
                .watermark
                .map(|w| mark::Watermark::new(0x0123_4567_89AB_CDEF, w.key)),
        };
        let mut notes = p.notes;
        let out = jpeg::label(&ctx, &mut notes, None).unwrap();
        (out, notes)
    }

    /// SHA-256 (first 16 hex digits) of `jpeg` from its first DQT segment.
    fn tail_hash(jpeg: &[u8]) -> String {
        let mut pos = 2;
        while jpeg[pos + 1] != 0xDB {
            pos += 2 + usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        }
        tanba_core::manifest::sha256_hex(&jpeg[pos..])[..16].to_string()
    }

    #[test]
    fn labelled_jpegs_keep_the_bytes_they_had() {
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image/sample-photo.jpg");
        let inputs: Vec<(&str, Vec<u8>)> = vec![
            ("fixture 800x600 4:2:0", std::fs::read(fixture).unwrap()),
            (
                "4:4:4 restart 3",
                cjpeg(
                    2064,
                    2056,
                    &["-quality", "90", "-sample", "1x1", "-restart", "3B"],
                ),
            ),
            (
                "4:2:0 restart 1 row",
                cjpeg(
                    2100,
                    2050,
                    &["-quality", "85", "-sample", "2x2", "-restart", "1"],
                ),
            ),
            (
                "4:2:2 optimised",
                cjpeg(
                    2072,
                    2048,
                    &["-quality", "75", "-sample", "2x1", "-optimize"],
                ),
            ),
            (
                "grey restart 7",
                cjpeg(
                    2050,
                    2049,
                    &["-quality", "92", "-grayscale", "-restart", "7B"],
                ),
            ),
            (
                "4:2:0 progressive",
                cjpeg(2048, 2060, &["-quality", "80", "-progressive"]),
            ),
        ];
        let mut got = Vec::new();
        for (what, bytes) in &inputs {
            for marked in [false, true] {
                let (out, notes) = label(bytes, marked);
                let path = if notes
                    .iter()
                    .any(|n| n.contains("labelled in the DCT domain"))
                {
                    "DCT"
                } else {
                    "re-encoded"
                };
                got.push(format!(
                    "{what}, marked {marked}: {path} {}",
                    tail_hash(&out)
                ));
            }
        }
        // Taken at 8f7f6a7 (the 800x600 fixture is too small to be marked
        // in the DCT domain: its marked label is the re-encode).
        let want = [
            "fixture 800x600 4:2:0, marked false: DCT bd921af8da35929e",
            "fixture 800x600 4:2:0, marked true: re-encoded 583da401da6faa0c",
            "4:4:4 restart 3, marked false: DCT 7c5547e56360eafd",
            "4:4:4 restart 3, marked true: DCT c87704ace8df307d",
            "4:2:0 restart 1 row, marked false: DCT 847c341c7cffd154",
            "4:2:0 restart 1 row, marked true: DCT 4a5c6cb3ccd715b2",
            "4:2:2 optimised, marked false: DCT 32268251871b2442",
            "4:2:2 optimised, marked true: DCT fa7bd7588fdf9dff",
            "grey restart 7, marked false: DCT b7411f706c3bc556",
            "grey restart 7, marked true: DCT 02089aa5099e3936",
            "4:2:0 progressive, marked false: DCT 4f6c8c46de172d00",
            "4:2:0 progressive, marked true: DCT 7c5d982186f1961a",
        ];
        assert_eq!(got, want);
    }

    /// The same hashes for the JPEG named by `TANBA_SAME_BYTES` (the bench's
    /// 12-MP picture, by hand: `cargo test -p tanba-image --lib same_bytes --
    /// --ignored --nocapture`), printed to compare two builds.
    #[test]
    #[ignore = "by hand: hashes a JPEG named in the environment"]
    fn hashes_of_a_named_jpeg() {
        let path = std::env::var("TANBA_SAME_BYTES").expect("TANBA_SAME_BYTES names a JPEG");
        let bytes = std::fs::read(&path).unwrap();
        for marked in [false, true] {
            let (out, _) = label(&bytes, marked);
            println!("{path}, marked {marked}: {}", tail_hash(&out));
        }
    }
}
