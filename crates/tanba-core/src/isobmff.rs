//! ISO BMFF (MP4, MOV, M4A) boxes Tanba writes after FFmpeg has muxed a
//! file: the XMP packet, which FFmpeg does not write, and cover art, which
//! its muxer drops in the `use_metadata_tags` mode the `AIGC` key needs.
//! Used by the audio (M4A) and video (MP4/MOV) labelers alike.
//!
//! - XMP goes in a top-level `uuid` box BE7ACFCB-97A9-42E8-9C71-999491E3AFAC
//!   (docs/compliance.md), appended after `moov`, where it needs no offsets patched;
//!   reading walks the top-level boxes only, so a large `mdat` costs one
//!   seek.
//! - Cover art goes where iTunes stores it: a second `moov/udta/meta` box
//!   with the `mdir` handler whose `ilst/covr` holds one `data` atom per
//!   picture. FFmpeg, exiftool and players read it back as the cover. The
//!   movie box grows, so when it comes before the media data (fast start)
//!   every chunk offset is moved by the same amount.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::{Error, Result};

/// Adobe's XMP identifier for ISO BMFF `uuid` boxes.
pub const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

/// Largest XMP packet read back; ours are a few kB.
const MAX_XMP_BYTES: u64 = 16 * 1024 * 1024;

/// Writes a top-level XMP `uuid` box at the end of `file` (a box after
/// `moov` is valid and needs no offsets patched).
pub fn append_xmp(file: &mut (impl Write + Seek), packet: &str) -> Result<()> {
    let size = u32::try_from(8 + 16 + packet.len())
        .map_err(|_| Error::cannot_label("XMP packet too large for a box"))?;
    file.seek(SeekFrom::End(0))?;
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend_from_slice(&size.to_be_bytes());
    bytes.extend_from_slice(b"uuid");
    bytes.extend_from_slice(&XMP_UUID);
    bytes.extend_from_slice(packet.as_bytes());
    file.write_all(&bytes)?;
    file.flush()?;
    Ok(())
}

/// A top-level box: its type, where it starts, its header and total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopBox {
    /// The four-character type.
    pub kind: [u8; 4],
    /// The offset of its header in the file.
    pub pos: u64,
    /// 8, or 16 with a 64-bit size.
    pub header: u64,
    /// Header and body.
    pub size: u64,
}

/// The top-level boxes of `file`, by their headers only. A box that runs
/// past the end (a damaged or cut-off tail) ends the list: the second value
/// is then `true`.
pub fn top_level_boxes(file: &mut (impl Read + Seek)) -> Result<(Vec<TopBox>, bool)> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut boxes = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= len {
        file.seek(SeekFrom::Start(pos))?;
        let mut head = [0u8; 8];
        file.read_exact(&mut head)?;
        let mut size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let mut header = 8u64;
        if size == 1 {
            let mut large = [0u8; 8];
            file.read_exact(&mut large)?;
            size = u64::from_be_bytes(large);
            header = 16;
        } else if size == 0 {
            size = len - pos;
        }
        if size < header || pos.saturating_add(size) > len {
            return Ok((boxes, true));
        }
        boxes.push(TopBox {
            kind: [head[4], head[5], head[6], head[7]],
            pos,
            header,
            size,
        });
        pos += size;
    }
    Ok((boxes, pos != len))
}

/// The text of the first top-level XMP `uuid` box, if the file has one.
/// A damaged tail ends the search without an error.
pub fn find_xmp(file: &mut (impl Read + Seek)) -> Result<Option<String>> {
    let (boxes, _) = top_level_boxes(file)?;
    let mut found = None;
    for b in boxes {
        if &b.kind != b"uuid" || b.size < b.header + 16 {
            continue;
        }
        file.seek(SeekFrom::Start(b.pos + b.header))?;
        let mut id = [0u8; 16];
        file.read_exact(&mut id)?;
        if id == XMP_UUID {
            let body = b.size - b.header - 16;
            if body > MAX_XMP_BYTES {
                return Err(Error::malformed("XMP box larger than 16 MiB"));
            }
            let mut text = Vec::with_capacity(body as usize);
            (&mut *file).take(body).read_to_end(&mut text)?;
            found = Some(String::from_utf8_lossy(&text).into_owned());
            break;
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(found)
}

/// Whether the movie box comes before the media data ("fast start", for
/// playback while downloading).
pub fn is_fast_start(path: &Path) -> Result<bool> {
    let (boxes, _) = top_level_boxes(&mut File::open(path)?)?;
    let at = |kind: &[u8; 4]| boxes.iter().position(|b| &b.kind == kind);
    Ok(matches!((at(b"moov"), at(b"mdat")), (Some(m), Some(d)) if m < d))
}

/// The largest movie box rewritten in memory; real ones are a few MiB.
const MAX_MOOV_BYTES: u64 = 256 * 1024 * 1024;

/// One cover picture, as an iTunes `data` atom stores it.
#[derive(Clone)]
pub struct CoverArt {
    /// The atom's well-known type: 13 JPEG, 14 PNG, 27 BMP.
    data_type: u32,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for CoverArt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoverArt")
            .field("data_type", &self.data_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl CoverArt {
    /// A picture iTunes metadata can hold (JPEG, PNG or BMP, told by its
    /// first bytes); `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<CoverArt> {
        let data_type = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            13
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            14
        } else if bytes.starts_with(b"BM") {
            27
        } else {
            return None;
        };
        Some(CoverArt {
            data_type,
            bytes: bytes.to_vec(),
        })
    }
}

/// The boxes one after another in `data` (a file's bytes or a box's body),
/// `(type, body)`, for readers that walk a structure rather than edit it.
/// A box whose header is cut or whose size runs past `data` is an error,
/// and ends the walk.
pub fn children(mut data: &[u8]) -> impl Iterator<Item = Result<([u8; 4], &[u8])>> {
    std::iter::from_fn(move || {
        if data.is_empty() {
            return None;
        }
        let item = next_child(data);
        data = match &item {
            Ok((_, _, rest)) => rest,
            Err(_) => &[],
        };
        Some(item.map(|(kind, body, _)| (kind, body)))
    })
}

/// The first box of `data`: its type, its body and what follows it.
fn next_child(data: &[u8]) -> Result<([u8; 4], &[u8], &[u8])> {
    let cut = || Error::malformed("truncated inside a box header");
    let head = data.get(..8).ok_or_else(cut)?;
    let kind = [head[4], head[5], head[6], head[7]];
    let (size, header) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
        0 => (data.len() as u64, 8),
        1 => {
            let large: [u8; 8] = data
                .get(8..16)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(cut)?;
            (u64::from_be_bytes(large), 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header as u64 || size > data.len() as u64 {
        return Err(Error::malformed(format!(
            "the '{}' box runs past the end of its parent",
            String::from_utf8_lossy(&kind)
        )));
    }
    let (this, rest) = data.split_at(size as usize);
    Ok((kind, &this[header..], rest))
}

/// A box found in a buffer: its type and where its header and body are.
#[derive(Debug, Clone, Copy)]
struct BoxAt {
    kind: [u8; 4],
    start: usize,
    body: usize,
    end: usize,
}

/// The boxes one after another in `buf[from..to]`.
fn boxes_in(buf: &[u8], from: usize, to: usize) -> Result<Vec<BoxAt>> {
    let bad = || Error::malformed("a box in the movie header runs past its parent");
    let mut found = Vec::new();
    let mut pos = from;
    while pos + 8 <= to {
        let word = |at: usize| -> Result<[u8; 4]> {
            buf.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(bad)
        };
        let mut size = u64::from(u32::from_be_bytes(word(pos)?));
        let kind = word(pos + 4)?;
        let mut header = 8;
        if size == 1 {
            let large: [u8; 8] = buf
                .get(pos + 8..pos + 16)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(bad)?;
            size = u64::from_be_bytes(large);
            header = 16;
        } else if size == 0 {
            size = (to - pos) as u64;
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| pos.checked_add(s))
            .filter(|&e| e <= to && e >= pos + header)
            .ok_or_else(bad)?;
        found.push(BoxAt {
            kind,
            start: pos,
            body: pos + header,
            end,
        });
        pos = end;
    }
    Ok(found)
}

/// A box of `kind` around `body`, with a 32-bit size.
fn make_box(kind: &[u8; 4], body: &[u8]) -> Result<Vec<u8>> {
    let size = u32::try_from(8 + body.len())
        .map_err(|_| Error::cannot_label("cover art too large for a box"))?;
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    Ok(out)
}

/// `meta` (handler `mdir`) with `ilst/covr` holding the pictures.
fn itunes_cover_meta(covers: &[CoverArt]) -> Result<Vec<u8>> {
    let mut covr = Vec::new();
    for cover in covers {
        let mut data = Vec::with_capacity(cover.bytes.len() + 8);
        data.extend_from_slice(&cover.data_type.to_be_bytes());
        data.extend_from_slice(&[0; 4]); // locale
        data.extend_from_slice(&cover.bytes);
        covr.extend(make_box(b"data", &data)?);
    }
    let ilst = make_box(b"ilst", &make_box(b"covr", &covr)?)?;
    // hdlr: version/flags, pre_defined, handler type, reserved (iTunes
    // writes its vendor there), an empty name.
    let mut hdlr = vec![0u8; 8];
    hdlr.extend_from_slice(b"mdir");
    hdlr.extend_from_slice(b"appl");
    hdlr.extend_from_slice(&[0; 9]);
    let mut meta = vec![0u8; 4]; // version/flags: `meta` is a full box
    meta.extend(make_box(b"hdlr", &hdlr)?);
    meta.extend(ilst);
    make_box(b"meta", &meta)
}

/// Adds every chunk offset at or after `from` by `by`, in each track's
/// `stco`/`co64` inside the movie box `moov`.
fn move_chunk_offsets(moov: &mut [u8], top: BoxAt, from: u64, by: u64) -> Result<()> {
    let too_far = || Error::cannot_label("a chunk offset would pass 4 GiB in a 32-bit table");
    let mut tables = Vec::new();
    for trak in boxes_in(moov, top.body, top.end)? {
        if &trak.kind != b"trak" {
            continue;
        }
        for mdia in boxes_in(moov, trak.body, trak.end)? {
            if &mdia.kind != b"mdia" {
                continue;
            }
            for minf in boxes_in(moov, mdia.body, mdia.end)? {
                if &minf.kind != b"minf" {
                    continue;
                }
                for stbl in boxes_in(moov, minf.body, minf.end)? {
                    if &stbl.kind == b"stbl" {
                        tables.extend(
                            boxes_in(moov, stbl.body, stbl.end)?
                                .into_iter()
                                .filter(|b| &b.kind == b"stco" || &b.kind == b"co64"),
                        );
                    }
                }
            }
        }
    }
    for table in tables {
        let wide = &table.kind == b"co64";
        let width = if wide { 8 } else { 4 };
        // version/flags, then the entry count.
        let entries = table.body + 8;
        let count = moov
            .get(table.body + 4..entries)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| Error::malformed("a chunk offset table is cut short"))?;
        let span = count as usize * width;
        let cells = moov
            .get_mut(entries..entries + span)
            .filter(|_| entries + span <= table.end)
            .ok_or_else(|| Error::malformed("a chunk offset table is cut short"))?;
        for cell in cells.chunks_exact_mut(width) {
            if wide {
                let mut word = [0u8; 8];
                word.copy_from_slice(cell);
                let offset = u64::from_be_bytes(word);
                if offset >= from {
                    cell.copy_from_slice(&(offset + by).to_be_bytes());
                }
            } else {
                let mut word = [0u8; 4];
                word.copy_from_slice(cell);
                let offset = u64::from(u32::from_be_bytes(word));
                if offset >= from {
                    let moved = u32::try_from(offset + by).map_err(|_| too_far())?;
                    cell.copy_from_slice(&moved.to_be_bytes());
                }
            }
        }
    }
    Ok(())
}

/// Writes a new 32-bit size into the header of `at` (whose header was
/// 8 bytes: the ones this module grows are checked for that).
fn set_size(buf: &mut [u8], at: BoxAt, size: usize) -> Result<()> {
    let size =
        u32::try_from(size).map_err(|_| Error::cannot_label("the movie box is too large"))?;
    buf[at.start..at.start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// Moves `file[from..]` forward by `by` bytes, from the end back, so no
/// byte is overwritten before it is copied.
fn shift_tail(file: &mut File, from: u64, by: u64) -> Result<()> {
    let len = file.metadata()?.len();
    file.set_len(len + by)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut pos = len;
    while pos > from {
        let chunk = (pos - from).min(buf.len() as u64);
        pos -= chunk;
        let part = &mut buf[..chunk as usize];
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(part)?;
        file.seek(SeekFrom::Start(pos + by))?;
        file.write_all(part)?;
    }
    Ok(())
}

/// Adds `covers` to an MP4/MOV/M4A file, in place: a `meta` box
/// with the iTunes handler goes at the end of `moov/udta` (made if
/// missing), and chunk offsets behind the movie box move with it.
pub fn add_cover_art(file: &mut File, covers: &[CoverArt]) -> Result<()> {
    if covers.is_empty() {
        return Ok(());
    }
    let (boxes, damaged) = top_level_boxes(file)?;
    if damaged {
        return Err(Error::malformed("a top-level box runs past the end"));
    }
    if boxes.iter().any(|b| &b.kind == b"moof") {
        return Err(Error::cannot_label("the file is fragmented"));
    }
    let moov = boxes
        .iter()
        .find(|b| &b.kind == b"moov")
        .ok_or_else(|| Error::malformed("no movie box"))?;
    let (moov_pos, moov_size) = (moov.pos, moov.size);
    if moov.header != 8 {
        return Err(Error::cannot_label("the movie box has a 64-bit size"));
    }
    if moov_size > MAX_MOOV_BYTES {
        return Err(Error::cannot_label("the movie box is over 256 MiB"));
    }
    let mut buf = vec![0u8; moov_size as usize];
    file.seek(SeekFrom::Start(moov_pos))?;
    file.read_exact(&mut buf)?;
    let top = BoxAt {
        kind: *b"moov",
        start: 0,
        body: 8,
        end: buf.len(),
    };

    let meta = itunes_cover_meta(covers)?;
    let udta = boxes_in(&buf, top.body, top.end)?
        .into_iter()
        .find(|b| &b.kind == b"udta" && b.body == b.start + 8);
    let (insert_at, added) = match udta {
        Some(udta) => (udta.end, meta),
        None => (top.end, make_box(b"udta", &meta)?),
    };
    let by = added.len() as u64;
    move_chunk_offsets(&mut buf, top, moov_pos + moov_size, by)?;
    if let Some(udta) = udta {
        set_size(&mut buf, udta, udta.end - udta.start + added.len())?;
    }
    let grown = buf.len() + added.len();
    set_size(&mut buf, top, grown)?;
    buf.splice(insert_at..insert_at, added);

    shift_tail(file, moov_pos + moov_size, by)?;
    file.seek(SeekFrom::Start(moov_pos))?;
    file.write_all(&buf)?;
    file.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    #[test]
    fn boxes_are_walked_and_a_bad_size_is_refused() {
        let mut buf = make_box(b"free", &[1, 2, 3]).unwrap();
        buf.extend(make_box(b"udta", &[]).unwrap());
        let found = boxes_in(&buf, 0, buf.len()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(&found[1].kind, b"udta");
        assert_eq!(found[1].end, buf.len());
        buf[3] = 200;
        assert!(boxes_in(&buf, 0, buf.len()).is_err());
    }

    #[test]
    fn the_tail_moves_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        shift_tail(&mut file, 10, 7).unwrap();
        drop(file);
        let after = std::fs::read(&path).unwrap();
        assert_eq!(after.len(), data.len() + 7);
        assert_eq!(&after[..10], &data[..10]);
        assert_eq!(&after[17..], &data[10..]);
    }

    #[test]
    fn appended_box_is_found_after_other_boxes() {
        let mut file = std::io::Cursor::new(Vec::new());
        file.write_all(&[0, 0, 0, 16, b'f', b't', b'y', b'p'])
            .and_then(|()| file.write_all(b"M4A \0\0\0\0"))
            .and_then(|()| file.write_all(&[0, 0, 0, 12, b'm', b'd', b'a', b't', 1, 2, 3, 4]))
            .unwrap_or_default();
        assert_eq!(find_xmp(&mut file).ok().flatten(), None);
        append_xmp(&mut file, "<x:xmpmeta/>").unwrap_or_default();
        assert_eq!(
            find_xmp(&mut file).ok().flatten().as_deref(),
            Some("<x:xmpmeta/>")
        );
    }
}
