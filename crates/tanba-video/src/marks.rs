//! Where the machine-readable marks go in each container.
//!
//! - MP4/MOV: the muxer writes the `AIGC` and `TANBA_MANIFEST` keys into
//!   `moov/udta/meta` (keys + ilst, with `movflags=use_metadata_tags`); the
//!   XMP packet goes into a top-level `uuid` box (BE7ACFCB-…) appended after
//!   muxing, since FFmpeg writes no XMP. (Cover art, which that mode keeps
//!   FFmpeg from writing, is added back by `cover.rs`.)
//! - Matroska/WebM: global tags `AIGC` and `TANBA_MANIFEST`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use tanba_core::{Error, Result};

/// Metadata key of the Annex E label.
pub const KEY_AIGC: &str = "AIGC";
/// Metadata key of the Tanba manifest JSON.
pub const KEY_MANIFEST: &str = "TANBA_MANIFEST";
/// Metadata key describing the opening notice (region, text size, span), for verification.
pub const KEY_NOTICE: &str = "TANBA_NOTICE";

/// The XMP uuid box's identifier (Adobe XMP in ISO BMFF).
pub const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

/// Largest XMP packet read back; ours are a few kB.
const MAX_XMP_BYTES: u64 = 16 * 1024 * 1024;

/// Appends a top-level `uuid` XMP box at the end of an ISO BMFF file (a
/// top-level box after `moov` is valid and needs no offsets patched).
pub(crate) fn append_xmp_box(path: &Path, packet: &str) -> Result<()> {
    let size = u32::try_from(8 + 16 + packet.len())
        .map_err(|_| Error::cannot_label("XMP packet too large for a box"))?;
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend_from_slice(&size.to_be_bytes());
    bytes.extend_from_slice(b"uuid");
    bytes.extend_from_slice(&XMP_UUID);
    bytes.extend_from_slice(packet.as_bytes());
    file.write_all(&bytes)?;
    file.flush()?;
    Ok(())
}

/// Finds the XMP `uuid` box among the top-level boxes of an ISO BMFF file
/// (`moov/udta/XMP_` too, as some writers put it there) and returns its text.
pub(crate) fn read_xmp_box(path: &Path) -> Result<Option<String>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
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
        if size < header || pos + size > len {
            // A damaged tail: stop looking rather than fail verification.
            break;
        }
        if &head[4..8] == b"uuid" && size >= header + 16 {
            let mut id = [0u8; 16];
            file.read_exact(&mut id)?;
            if id == XMP_UUID {
                let body = size - header - 16;
                if body > MAX_XMP_BYTES {
                    return Err(Error::malformed("XMP box larger than 16 MiB"));
                }
                let mut text = Vec::with_capacity(body as usize);
                (&mut file).take(body).read_to_end(&mut text)?;
                return Ok(Some(String::from_utf8_lossy(&text).into_owned()));
            }
        }
        pos += size;
    }
    Ok(None)
}

/// The types of an ISO BMFF file's top-level boxes, in order (at most the
/// first 64: a file is a handful of them).
pub(crate) fn top_level_boxes(path: &Path) -> Result<Vec<[u8; 4]>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut kinds = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= len && kinds.len() < 64 {
        file.seek(SeekFrom::Start(pos))?;
        let mut head = [0u8; 8];
        file.read_exact(&mut head)?;
        let mut size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        if size == 1 {
            let mut large = [0u8; 8];
            file.read_exact(&mut large)?;
            size = u64::from_be_bytes(large);
        } else if size == 0 {
            size = len - pos;
        }
        kinds.push([head[4], head[5], head[6], head[7]]);
        if size < 8 {
            break;
        }
        pos += size;
    }
    Ok(kinds)
}

/// Whether the movie box comes before the media data ("fast start", for
/// playback while downloading).
pub(crate) fn is_fast_start(path: &Path) -> Result<bool> {
    let kinds = top_level_boxes(path)?;
    let at = |kind: &[u8; 4]| kinds.iter().position(|k| k == kind);
    Ok(matches!((at(b"moov"), at(b"mdat")), (Some(m), Some(d)) if m < d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_box_is_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.mp4");
        let mut f = File::create(&path).unwrap();
        f.write_all(&[0, 0, 0, 16]).unwrap();
        f.write_all(b"ftypisom\0\0\0\0").unwrap();
        f.write_all(&[0, 0, 0, 8]).unwrap();
        f.write_all(b"mdat").unwrap();
        drop(f);
        assert_eq!(read_xmp_box(&path).unwrap(), None);
        append_xmp_box(&path, "<x:xmpmeta>hi</x:xmpmeta>").unwrap();
        assert_eq!(
            read_xmp_box(&path).unwrap().as_deref(),
            Some("<x:xmpmeta>hi</x:xmpmeta>")
        );
    }
}
