//! The XMP `uuid` box of an M4A file (SPEC.md: MP4 XMP goes in a top-level
//! `uuid` box BE7ACFCB-97A9-42E8-9C71-999491E3AFAC, the same as video).
//! FFmpeg writes no XMP, so the box is appended after muxing; reading walks
//! the top-level boxes only, so a large `mdat` costs one seek.

use std::io::{Read, Seek, SeekFrom, Write};

use tanba_core::{Error, Result};

/// Adobe's XMP identifier for ISO BMFF `uuid` boxes.
pub(crate) const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

/// Largest XMP packet read back; ours are a few kB.
const MAX_XMP_BYTES: u64 = 16 * 1024 * 1024;

/// Writes a top-level XMP `uuid` box at the end of `file` (a box after
/// `moov` is valid and needs no offsets patched).
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
pub(crate) fn append_xmp(file: &mut (impl Write + Seek), packet: &str) -> Result<()> {
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

/// The text of the first top-level XMP `uuid` box, if the file has one.
/// A damaged tail ends the walk without an error.
pub(crate) fn find_xmp(file: &mut (impl Read + Seek)) -> Result<Option<String>> {
    let len = file.seek(SeekFrom::End(0))?;
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
                (&mut *file).take(body).read_to_end(&mut text)?;
                file.seek(SeekFrom::Start(0))?;
                return Ok(Some(String::from_utf8_lossy(&text).into_owned()));
            }
        }
        pos += size;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

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
