//! Cover art in MP4/MOV outputs.
//!
//! FFmpeg's MP4/MOV muxer writes cover art (a stream with the attached
//! picture disposition) only into iTunes-style metadata, which
//! `movflags=use_metadata_tags`, needed for the `AIGC` key, replaces. So the
//! pictures are added after muxing, the way iTunes stores them: a second
//! `moov/udta/meta` box with the `mdir` handler whose `ilst/covr` holds one
//! `data` atom per picture. FFmpeg, exiftool and players read that back as
//! the cover. The movie box grows, so when it comes before the media data
//! (fast start) every chunk offset is moved by the same amount.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use ffmpeg_next::codec;
use tanba_core::{Error, Result};

/// The largest movie box rewritten in memory; real ones are a few MiB.
const MAX_MOOV_BYTES: u64 = 256 * 1024 * 1024;

/// One cover picture, as an iTunes `data` atom stores it.
#[derive(Debug, Clone)]
pub(crate) struct CoverArt {
    /// The atom's well-known type: 13 JPEG, 14 PNG, 27 BMP.
    data_type: u32,
    bytes: Vec<u8>,
}

impl CoverArt {
    /// A picture of a codec iTunes metadata can hold; `None` otherwise.
    pub(crate) fn new(codec: codec::Id, bytes: &[u8]) -> Option<CoverArt> {
        let data_type = match codec {
            codec::Id::MJPEG => 13,
            codec::Id::PNG => 14,
            codec::Id::BMP => 27,
            _ => return None,
        };
        Some(CoverArt {
            data_type,
            bytes: bytes.to_vec(),
        })
    }
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

/// Adds `covers` to the MP4/MOV file at `path`, in place: a `meta` box
/// with the iTunes handler goes at the end of `moov/udta` (made if
/// missing), and chunk offsets behind the movie box move with it.
pub(crate) fn add_cover_art(path: &Path, covers: &[CoverArt]) -> Result<()> {
    if covers.is_empty() {
        return Ok(());
    }
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    // The top-level boxes, by their headers only.
    let mut moov = None;
    let mut pos = 0u64;
    while pos + 8 <= len {
        file.seek(SeekFrom::Start(pos))?;
        let mut head = [0u8; 8];
        file.read_exact(&mut head)?;
        let size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = [head[4], head[5], head[6], head[7]];
        let size = match size {
            0 => len - pos,
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large)?;
                u64::from_be_bytes(large)
            }
            s => s,
        };
        if size < 8 || pos + size > len {
            return Err(Error::malformed("a top-level box runs past the end"));
        }
        match &kind {
            b"moov" if u32::try_from(size).is_ok() => moov = Some((pos, size)),
            b"moov" => return Err(Error::cannot_label("the movie box is over 4 GiB")),
            b"moof" => return Err(Error::cannot_label("the file is fragmented")),
            _ => {}
        }
        pos += size;
    }
    let (moov_pos, moov_size) = moov.ok_or_else(|| Error::malformed("no movie box"))?;
    if moov_size > MAX_MOOV_BYTES {
        return Err(Error::cannot_label("the movie box is over 256 MiB"));
    }
    let mut buf = vec![0u8; moov_size as usize];
    file.seek(SeekFrom::Start(moov_pos))?;
    file.read_exact(&mut buf)?;
    if buf.starts_with(&[0, 0, 0, 1]) {
        return Err(Error::cannot_label("the movie box has a 64-bit size"));
    }
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

    shift_tail(&mut file, moov_pos + moov_size, by)?;
    file.seek(SeekFrom::Start(moov_pos))?;
    file.write_all(&buf)?;
    file.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
