//! AVI: the marks go where RIFF keeps metadata. The `LIST/INFO` list gets
//! an `AIGC` item (the label's JSON; FFmpeg and exiftool list INFO items)
//! and a `TNBN` item (the opening notice's record, for verification), and
//! an `_PMX` chunk holds the XMP packet with the manifest (Adobe's place
//! for XMP in AVI, which exiftool reads). FFmpeg's muxer writes only the
//! INFO items it knows, so the marks are written afterwards into the
//! padding it reserves before `movi` for tag editing
//! (`metadata_header_padding`): no chunk after it moves, so the `idx1` and
//! OpenDML indexes stay valid.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use tanba_core::riff::{chunk, list_items};
use tanba_core::{Error, Result};

/// The INFO item of the opening notice's record.
pub(crate) const INFO_NOTICE: &str = "TNBN";
/// Chunks before `movi` looked at (a header has a handful).
const MAX_CHUNKS: usize = 256;
/// An INFO list or XMP chunk larger than this is not read.
const MAX_META_CHUNK: u32 = 16 * 1024 * 1024;
/// Room left in the padding beyond the marks' size.
const SPARE: usize = 1024;

/// `RIFF....AVI `.
pub(crate) fn sniff(head: &[u8]) -> bool {
    head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"AVI "
}

/// Padding to ask the muxer for: room for `marks_len` bytes of marks.
pub(crate) fn padding_for(marks_len: usize) -> usize {
    (marks_len + SPARE).next_multiple_of(4)
}

/// A top-level chunk of the first RIFF list.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    id: [u8; 4],
    /// The list type of a `LIST`.
    list: [u8; 4],
    /// Where its 8-byte header starts.
    start: u64,
    /// Its body's size (without the pad byte).
    size: u32,
}

impl Chunk {
    /// Header, body and pad byte.
    fn total(&self) -> u64 {
        8 + u64::from(self.size) + u64::from(self.size & 1)
    }
}

/// The top-level chunks up to (and including) `LIST movi`.
fn header_chunks(file: &mut File) -> Result<Vec<Chunk>> {
    let len = file.metadata()?.len();
    let mut head = [0u8; 12];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut head)?;
    if !sniff(&head) {
        return Err(Error::malformed("not a RIFF/AVI file"));
    }
    let mut chunks = Vec::new();
    let mut at = 12u64;
    while at + 12 <= len && chunks.len() < MAX_CHUNKS {
        let mut h = [0u8; 12];
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut h)?;
        let chunk = Chunk {
            id: [h[0], h[1], h[2], h[3]],
            list: [h[8], h[9], h[10], h[11]],
            start: at,
            size: u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
        };
        chunks.push(chunk);
        if &chunk.id == b"LIST" && &chunk.list == b"movi" {
            return Ok(chunks);
        }
        at += chunk.total();
    }
    Err(Error::malformed("the AVI has no movi list"))
}

fn body(file: &mut File, chunk: &Chunk) -> Result<Vec<u8>> {
    if chunk.size > MAX_META_CHUNK {
        return Err(Error::malformed("an AVI metadata chunk is too large"));
    }
    let mut body = vec![0u8; chunk.size as usize];
    file.seek(SeekFrom::Start(chunk.start + 8))?;
    file.read_exact(&mut body)?;
    Ok(body)
}

/// The INFO items of a list body (after `INFO`), `(id, body)`.
fn info_items(items: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    list_items(items)
        .into_iter()
        .map(|(id, body)| (id, body.to_vec()))
        .collect()
}

/// The marks' bytes: `LIST/INFO` (the muxer's items, ours replacing any
/// earlier ones) and `_PMX`. `extra` NULs lengthen the `AIGC` item, so the
/// rest of the padding can be filled exactly.
fn marks_bytes(
    kept: &[([u8; 4], Vec<u8>)],
    marks: &[(&str, &str)],
    xmp: &str,
    extra: usize,
) -> Vec<u8> {
    let mut info = b"INFO".to_vec();
    for (id, body) in kept {
        if !marks.iter().any(|(k, _)| k.as_bytes() == id) {
            info.extend(chunk(id, body));
        }
    }
    for (i, (key, value)) in marks.iter().enumerate() {
        let Ok(id) = <[u8; 4]>::try_from(key.as_bytes()) else {
            continue;
        };
        let mut body = value.as_bytes().to_vec();
        body.push(0);
        if i == 0 {
            body.resize(body.len() + extra, 0);
        }
        info.extend(chunk(&id, &body));
    }
    let mut out = chunk(b"LIST", &info);
    out.extend(chunk(b"_PMX", xmp.as_bytes()));
    out
}

/// Writes the marks (`(four-character INFO id, text)` pairs, the first
/// padded if need be) and the XMP packet into the padding before `movi`,
/// replacing the muxer's INFO list there.
pub(crate) fn add_marks(path: &Path, marks: &[(&str, &str)], xmp: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let chunks = header_chunks(&mut file)?;
    let n = chunks.len();
    let junk = n
        .checked_sub(2)
        .and_then(|i| chunks.get(i))
        .filter(|c| &c.id == b"JUNK")
        .copied()
        .ok_or_else(|| Error::cannot_label("the AVI header has no padding before its frames"))?;
    let info = n
        .checked_sub(3)
        .and_then(|i| chunks.get(i))
        .filter(|c| &c.id == b"LIST" && &c.list == b"INFO" && c.start + c.total() == junk.start)
        .copied();
    let (start, kept) = match &info {
        Some(c) => (
            c.start,
            info_items(body(&mut file, c)?.get(4..).unwrap_or(&[])),
        ),
        None => (junk.start, Vec::new()),
    };
    let room = junk.start + junk.total() - start;
    let fits = |bytes: &Vec<u8>| {
        let rest = room.checked_sub(bytes.len() as u64)?;
        (rest == 0 || rest >= 8).then_some(rest)
    };
    let mut bytes = marks_bytes(&kept, marks, xmp, 0);
    let rest = match fits(&bytes) {
        Some(rest) => rest,
        None => {
            // 2, 4 or 6 bytes short of a JUNK header: pad the first item.
            let short = room.saturating_sub(bytes.len() as u64) as usize;
            bytes = marks_bytes(&kept, marks, xmp, short);
            fits(&bytes).ok_or_else(|| {
                Error::cannot_label("the AVI header's padding has no room for the marks")
            })?
        }
    };
    if rest >= 8 {
        let fill = vec![0u8; (rest - 8) as usize];
        bytes.extend(chunk(b"JUNK", &fill));
    }
    file.seek(SeekFrom::Start(start))?;
    file.write_all(&bytes)?;
    file.flush()?;
    Ok(())
}

/// The XMP packet of the `_PMX` chunk before `movi`, when there is one.
pub(crate) fn find_xmp(path: &Path) -> Result<Option<String>> {
    let mut file = File::open(path)?;
    let Ok(chunks) = header_chunks(&mut file) else {
        return Ok(None);
    };
    match chunks.iter().find(|c| &c.id == b"_PMX") {
        Some(c) => Ok(Some(
            String::from_utf8_lossy(&body(&mut file, c)?).into_owned(),
        )),
        None => Ok(None),
    }
}
