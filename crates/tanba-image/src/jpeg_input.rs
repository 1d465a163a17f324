//! A sequential JPEG labelled from its file without holding the file: the
//! head (every segment up to the first scan's header) is read and checked
//! against the limits, the scan is read through a bounded window as the
//! MCU rows are decoded ([`crate::jpeg_dct::input`]), and what follows the
//! scan is checked from the file as the whole path checks it in memory.
//!
//! Taken: a JPEG given by its path (a regular file of the source's length)
//! whose frame the DCT path handles and whose scan is sequential, with the
//! source's own quality. Everything else is read whole by the caller, as
//! before: a progressive scan (decoded whole by the DCT path anyway), a
//! fixed quality (re-encoded whole), a head over [`MAX_HEAD`], a damaged
//! head or a scan followed by a DNL marker or a second scan (the whole
//! path says why). When the DCT path declines once the head is read (a
//! watermark on a small picture, saturated colours), the re-encode reads
//! the file again from the source.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use tanba_core::{Error, Job, Labelled, Result, Source, WriteSeek, read_all};

use crate::jpeg_dct::input::Window;
use crate::{Ctx, ImageLabeler, JPEG, JpegQuality, Marks, Prepared, badge};

/// Largest head (segments before the scan) read here; a larger one (big
/// ICC profiles, previews in APP segments) is left to the whole read.
const MAX_HEAD: usize = 4 << 20;
/// Bytes read at once while looking for the scan's header.
const HEAD_CHUNK: usize = 64 << 10;

/// Labels the JPEG in `source` reading its scan through a window (see the
/// module's note); `None` when it is not one this path takes (nothing is
/// written then).
pub(crate) fn label(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    output: &mut dyn WriteSeek,
    job: &Job,
) -> Result<Option<Labelled>> {
    let Some(path) = source.path else {
        return Ok(None);
    };
    if labeler.settings.jpeg_quality != JpegQuality::Source {
        return Ok(None);
    }
    // The whole path's first checks, in its order.
    job.limits.check_bytes(source.len)?;
    labeler.settings.style.validate()?;
    labeler.settings.font.check_label(&job.label)?;
    let Some(mut file) = same_file(path, source.len) else {
        return Ok(None);
    };
    let Some((head, at)) = read_head(&mut file)? else {
        return Ok(None);
    };
    if crate::jpeg::parse(&head).is_err() || !crate::jpeg_dct::takes_window(&head) {
        return Ok(None);
    }
    // The decoding thread reads the file: its own handle, which is `Send`.
    let mut scan = Box::new(Window::new(file, at)?);
    match scan.first_marker()? {
        Some(0xD9) => {}
        // A DNL marker or more scans: the whole path re-encodes, saying so.
        Some(_) => return Ok(None),
        // No marker at all, so no EOI: what the whole path's parse says.
        None => {
            return Err(Error::malformed(
                "JPEG is truncated: the image data has no end-of-image marker",
            ));
        }
    }
    let notes = crate::name_notes(&JPEG, source.path);
    let reader = &mut *source.reader;
    let prepared = labeler.prepare(&JPEG, &head, notes, job, || {
        tanba_core::manifest::sha256_of(reader)
    })?;
    let Prepared {
        info,
        placed,
        manifest,
        watermark,
        packet,
        aigc,
        out_format,
        mut notes,
    } = prepared;
    let marks = Marks { xmp: &packet, aigc };
    let placed = badge::PaintOnUse::new(placed);
    let ctx = Ctx {
        bytes: &head,
        info: &info,
        placed: &placed,
        marks: &marks,
        settings: &labeler.settings,
        limits: &job.limits,
        watermark,
    };
    let h = crate::jpeg::parse(&head)?;
    let before = notes.len();
    let labelled = crate::jpeg_dct::label(&ctx, &h, &mut notes, Some(&mut *output), Some(scan))?;
    let (out, weak) = match labelled {
        Some(out) => (out, weak(&ctx)),
        None => {
            // The re-encode decodes the whole picture: the file is read
            // again, whole, from the source.
            let bytes = read_all(source, &job.limits)?;
            let whole = Ctx {
                bytes: &bytes,
                ..ctx
            };
            let out = crate::jpeg::reencode(&whole, &h, &mut notes, before)?;
            (out, weak(&whole))
        }
    };
    output.write_all(&out)?;
    output.flush()?;
    if weak {
        notes.push(crate::WEAK_NOTE.to_string());
    }
    Ok(Some(Labelled::new(out_format, manifest).with_notes(notes)))
}

/// Whether the watermark came out weak in this picture.
fn weak(ctx: &Ctx<'_>) -> bool {
    ctx.watermark.as_ref().is_some_and(|w| w.weak.get())
}

/// `path` opened again when it is a regular file of `len` bytes (the
/// source's): `None` otherwise (a pipe, a file changed meanwhile).
fn same_file(path: &Path, len: u64) -> Option<File> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    (meta.is_file() && meta.len() == len).then_some(file)
}

/// The file's bytes up to the end of the first scan's header, then an EOI
/// (so they parse as a file), and the offset where the scan's data starts;
/// `None` when they are not a JPEG's segments or exceed [`MAX_HEAD`].
fn read_head(file: &mut File) -> Result<Option<(Vec<u8>, u64)>> {
    let mut bytes = Vec::with_capacity(HEAD_CHUNK);
    loop {
        match scan_start(&bytes) {
            Walk::Scan(at) => {
                bytes.truncate(at);
                bytes.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(Some((bytes, at as u64)));
            }
            Walk::Not => return Ok(None),
            Walk::More if bytes.len() >= MAX_HEAD => return Ok(None),
            Walk::More => {}
        }
        let got = Read::by_ref(file)
            .take(HEAD_CHUNK as u64)
            .read_to_end(&mut bytes)?;
        if got == 0 {
            return Ok(None);
        }
    }
}

/// What the walk over a head's segments found.
#[derive(Debug, PartialEq)]
enum Walk {
    /// The first scan's data starts at this offset.
    Scan(usize),
    /// The bytes end before the scan's header does.
    More,
    /// Not a JPEG's segments (the whole path says how).
    Not,
}

/// Walks the segments of `bytes` as [`crate::jpeg::parse`] does.
fn scan_start(bytes: &[u8]) -> Walk {
    if bytes.len() < 2 {
        return Walk::More;
    }
    if bytes[..2] != [0xFF, 0xD8] {
        return Walk::Not;
    }
    let mut pos = 2;
    loop {
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&ff), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Walk::More;
        };
        if ff != 0xFF || marker == 0xD9 {
            return Walk::Not;
        }
        pos += 2;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue;
        }
        let Some(len) = bytes.get(pos..pos + 2) else {
            return Walk::More;
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Walk::Not;
        }
        if pos + len > bytes.len() {
            return Walk::More;
        }
        if marker == 0xDA {
            return Walk::Scan(pos + len);
        }
        pos += len;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mark::Watermark;
    use std::io::{Seek, Write};

    /// A noisy `w` x `h` JPEG made by `cjpeg` with `args` (its scan is
    /// bigger than a small window many times over).
    fn cjpeg(w: usize, h: usize, args: &[&str]) -> Vec<u8> {
        let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
        let mut x = 0x9E37_79B9u32;
        for i in 0..w * h * 3 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ppm.push(((i / 3 % w) * 200 / w) as u8 + (x & 31) as u8);
        }
        cjpeg_of(&ppm, args)
    }

    /// `cjpeg` with `args` of the PPM picture `ppm` (the crate's tests'
    /// one way to make JPEGs with libjpeg-turbo's own encoder).
    pub(crate) fn cjpeg_of(ppm: &[u8], args: &[&str]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ppm");
        std::fs::write(&path, ppm).unwrap();
        let out = std::process::Command::new("cjpeg")
            .args(args)
            .arg(&path)
            .output()
            .expect("cjpeg is installed (Debian: libjpeg-turbo-progs)");
        assert!(out.status.success(), "cjpeg {args:?}");
        out.stdout
    }

    /// The DCT path's output and notes for `jpeg` as `prepared` says:
    /// from the whole file in memory (`window` None), or from its head with
    /// the scan read through a window of that many bytes; with a fixed
    /// watermark when `marked`.
    fn dct_label(
        jpeg: &[u8],
        prepared: &Prepared,
        marked: bool,
        window: Option<usize>,
    ) -> (Option<Vec<u8>>, Vec<String>) {
        let labeler = ImageLabeler::default();
        let limits = tanba_core::Limits::default();
        let marks = Marks {
            xmp: &prepared.packet,
            aigc: prepared.aigc.clone(),
        };
        let placed = badge::PaintOnUse::new(prepared.placed.clone());
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(jpeg).unwrap();
        file.rewind().unwrap();
        let (head, at) = read_head(&mut file).unwrap().unwrap();
        let key = tanba_core::WatermarkKey::PUBLIC;
        let ctx = Ctx {
            bytes: if window.is_some() { &head } else { jpeg },
            info: &prepared.info,
            placed: &placed,
            marks: &marks,
            settings: &labeler.settings,
            limits: &limits,
            watermark: marked.then(|| Watermark::new(0x5EED_0F7A_4BA5, key)),
        };
        let scan = window.map(|size| Box::new(Window::sized(file, at, size).unwrap()));
        let h = crate::jpeg::parse(ctx.bytes).unwrap();
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let direct = Some(&mut out as &mut dyn Write);
        let got = crate::jpeg_dct::label(&ctx, &h, &mut notes, direct, scan).unwrap();
        (got.map(|rest| [out, rest].concat()), notes)
    }

    /// The scan read through windows of every size gives the bytes the
    /// whole file in memory gives: 4:2:0, 4:2:2, 4:4:4 and grey, with and
    /// without restart markers, marked or not. The 3-KiB window is smaller
    /// than one MCU row of these (each is decoded again with more), the
    /// 64-KiB one holds a few rows (refilled between them).
    #[test]
    fn a_scan_read_through_a_window_gives_the_same_bytes() {
        let cases: [(&str, usize, &[&str]); 5] = [
            ("4:2:0", 640, &["-sample", "2x2"]),
            ("4:2:2 restart", 640, &["-sample", "2x1", "-restart", "3B"]),
            (
                "4:4:4 restart rows",
                640,
                &["-sample", "1x1", "-restart", "1"],
            ),
            ("grey", 640, &["-grayscale", "-optimize"]),
            ("4:2:0 marked", 2048, &["-sample", "2x2", "-restart", "2"]),
        ];
        for (what, side, args) in cases {
            // The DCT path marks pictures of 2048 px or more on each side.
            let marked = side >= 2048;
            let jpeg = cjpeg(side, if marked { side } else { side * 3 / 4 + 8 }, args);
            let job = Job::new().with_source_sha256("00");
            let labeler = ImageLabeler::default();
            let prepared = labeler
                .prepare(&JPEG, &jpeg, Vec::new(), &job, || unreachable!())
                .unwrap();
            let (whole, notes) = dct_label(&jpeg, &prepared, marked, None);
            let whole = whole.unwrap_or_else(|| panic!("{what}: declined: {notes:?}"));
            for size in [3 << 10, 64 << 10, WINDOW_FOR_TESTS] {
                let (windowed, wnotes) = dct_label(&jpeg, &prepared, marked, Some(size));
                assert_eq!(wnotes, notes, "{what}, window {size}");
                let windowed =
                    windowed.unwrap_or_else(|| panic!("{what}, window {size}: declined"));
                let first = whole.iter().zip(&windowed).position(|(a, b)| a != b);
                assert!(
                    windowed == whole,
                    "{what}, window {size}: {} bytes against {}, first difference at {first:?}",
                    windowed.len(),
                    whole.len()
                );
            }
        }
    }

    const WINDOW_FOR_TESTS: usize = crate::jpeg_dct::input::WINDOW;

    #[test]
    fn the_walk_finds_the_scan_or_asks_for_more() {
        // SOI, a COM of 3 bytes, fill bytes, SOS of 8, then data.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xFE, 0, 5, b'a', b'b', b'c', 0xFF, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63,
            0, 0x12, 0x34,
        ];
        assert_eq!(scan_start(&jpeg), Walk::Scan(20));
        for cut in 0..20 {
            assert_eq!(scan_start(&jpeg[..cut]), Walk::More, "cut at {cut}");
        }
        assert_eq!(scan_start(b"\xFF\xD8\xFF\xD9"), Walk::Not);
        assert_eq!(scan_start(b"\xFF\xD8\x00\x00"), Walk::Not);
        assert_eq!(scan_start(b"\x89PNG"), Walk::Not);
    }
}
