//! Entry points for the fuzz targets in `fuzz/` and their replay test
//! (crate `tanba-fuzz`): each feeds untrusted bytes to one of this crate's
//! hand-written container parsers. Behind the `fuzzing` feature; not API.
//! A parser may refuse the bytes; it must not panic, hang or balloon.

use std::io::{Cursor, Write};

use tanba_core::Limits;

use crate::{aiff, id3, mp3splice, riff};

/// RIFF/WAVE chunks (`fmt `, `LIST/INFO`, `AIGC`, `_PMX` …) and the output
/// header built from the input's `fmt `.
pub fn riff_wav(bytes: &[u8]) {
    let mut reader = Cursor::new(bytes);
    if let Ok(meta) = riff::read_meta(&mut reader, bytes.len() as u64) {
        let _ = riff::same_format_header(&meta, 2);
    }
}

/// AIFF/AIFF-C chunks, with the ID3v2 tag of their `ID3 ` chunk.
pub fn aiff(bytes: &[u8]) {
    let mut reader = Cursor::new(bytes);
    let limits = Limits {
        max_duration_ms: 60_000,
        ..Limits::default()
    };
    let _ = aiff::read_meta(&mut reader, bytes.len() as u64, &limits);
}

/// An ID3v2 tag: frames, TXXX and PRIV, synchsafe sizes.
pub fn id3(bytes: &[u8]) {
    let _ = id3::read(bytes);
}

/// The MP3 splice: the first two bytes say where the bytes split into the
/// encoded disclaimer (ID3v2 tag, Xing/Info frame with the LAME extension,
/// frames) and the programme (ID3v2 tags, frame headers, a Xing/VBRI
/// frame, trailing tags); the programme is scanned from a file, as the
/// labeler does, and when both parts fit the spliced stream is written.
pub fn mp3(bytes: &[u8]) {
    let Some((split, rest)) = bytes.split_first_chunk::<2>() else {
        return;
    };
    let at = usize::from(u16::from_le_bytes(*split)).min(rest.len());
    let (head, programme) = rest.split_at(at);
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if file.write_all(programme).is_err() || file.flush().is_err() {
        return;
    }
    if let Ok(mp3splice::Scan::Frames(p)) = mp3splice::Programme::scan(file.path()) {
        let mut out = Cursor::new(Vec::new());
        let _ = mp3splice::write(head, &p, file.path(), &mut out);
    }
}
