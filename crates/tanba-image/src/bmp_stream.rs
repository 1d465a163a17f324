//! Big uncompressed BMPs row by row, into a PNG (see `bmp`: BMP has no
//! metadata carrier), in memory that grows with the width, not the area.
//!
//! Taken: a BMP with an INFO or later header (40, 52, 56, 108 or 124
//! bytes), one plane, stored as 24-bit `BI_RGB`, 32-bit `BI_RGB` (the
//! fourth byte unused, as `image` reads it) or 32-bit `BI_BITFIELDS` with
//! the standard masks (alpha read only when a V3-or-later header names it,
//! as `image` does), whose shorter side is at least 2,048 px, as the
//! streamed PNG's. Each row is read from the file where it lies (bottom-up
//! storage is read from its last stored row back; a negative height is
//! stored top-down), turned into RGB or RGBA and fed to the two passes of
//! `png_stream` ([`png_stream::mark_and_write`]). Everything else (RLE,
//! palettes, 16 bpp, other masks, smaller pictures, a file shorter than its
//! rows) takes the whole path in `bmp`.

use std::io::SeekFrom;

use tanba_core::{Error, Job, Labelled, ReadSeek, Result, Source, WriteSeek};
use tanba_watermark::SSIM_SAMPLED_SIDE;

use crate::png_stream::{self, RowSource};
use crate::{BMP, ImageLabeler};

/// The header bytes read: the file header, the largest INFO-family
/// header's masks (they end at 70).
const HEAD_LEN: usize = 70;

/// Where a streamable BMP's rows lie and what they hold.
struct Layout {
    width: u32,
    height: u32,
    top_down: bool,
    data_offset: u64,
    /// Bytes a stored pixel (3 or 4).
    stored: usize,
    /// Samples a written pixel (3, or 4 with alpha).
    channels: usize,
}

impl Layout {
    /// Bytes a stored row, padded to four.
    fn stride(&self) -> u64 {
        (self.width as u64 * self.stored as u64).div_ceil(4) * 4
    }
}

fn u32_at(head: &[u8], at: usize) -> Option<u32> {
    let b = head.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The layout of the BMP whose first bytes are `head`, `len` bytes long:
/// `None` when it is not one this path takes (see the module's note).
fn layout(head: &[u8], len: u64) -> Option<Layout> {
    let dib = u32_at(head, 14)?;
    if !head.starts_with(b"BM") || !matches!(dib, 40 | 52 | 56 | 108 | 124) {
        return None;
    }
    let width = i32::try_from(u32_at(head, 18)?).ok()?;
    let height = u32_at(head, 22)? as i32;
    let planes = u16::from_le_bytes([*head.get(26)?, *head.get(27)?]);
    let bpp = u16::from_le_bytes([*head.get(28)?, *head.get(29)?]);
    let compression = u32_at(head, 30)?;
    let (stored, channels) = match (compression, bpp) {
        (0, 24) => (3, 3),
        (0, 32) => (4, 3),
        (3, 32) => {
            let masks = [u32_at(head, 54)?, u32_at(head, 58)?, u32_at(head, 62)?];
            // `image` reads the alpha mask only from a V3-or-later header.
            let alpha = if dib >= 56 { u32_at(head, 66)? } else { 0 };
            match (masks, alpha) {
                ([0xFF_0000, 0xFF00, 0xFF], 0) => (4, 3),
                ([0xFF_0000, 0xFF00, 0xFF], 0xFF00_0000) => (4, 4),
                _ => return None,
            }
        }
        _ => return None,
    };
    let (width, top_down) = (width.unsigned_abs(), height < 0);
    let height = height.unsigned_abs();
    if planes != 1 || width.min(height) < SSIM_SAMPLED_SIDE as u32 {
        return None;
    }
    let l = Layout {
        width,
        height,
        top_down,
        data_offset: u64::from(u32_at(head, 10)?),
        stored,
        channels,
    };
    // The header's claim is not trusted: checked sums.
    let rows = l.stride().checked_mul(u64::from(height))?;
    let end = l.data_offset.checked_add(rows)?;
    // The pixels follow the file and INFO headers (54 bytes).
    (end <= len && l.data_offset >= 54).then_some(l)
}

/// A streamable BMP's rows, read where they lie and turned into RGB(A).
struct BmpRows<'a> {
    reader: &'a mut dyn ReadSeek,
    layout: Layout,
}

impl RowSource for BmpRows<'_> {
    fn layout(&self) -> (u32, u32, usize) {
        (self.layout.width, self.layout.height, self.layout.channels)
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(usize, &[u8]) -> Result<()>) -> Result<()> {
        let l = &self.layout;
        let mut stored = vec![0u8; l.stride() as usize];
        let mut row = Vec::with_capacity(l.width as usize * l.channels);
        for y in 0..l.height {
            let at = if l.top_down { y } else { l.height - 1 - y };
            let offset = l.data_offset + u64::from(at) * l.stride();
            self.reader.seek(SeekFrom::Start(offset))?;
            self.reader
                .read_exact(&mut stored)
                .map_err(|e| Error::malformed(format!("BMP row {at}: {e}")))?;
            row.clear();
            for px in stored.chunks_exact(l.stored).take(l.width as usize) {
                row.extend_from_slice(&[px[2], px[1], px[0]]);
                if l.channels == 4 {
                    row.push(px[3]);
                }
            }
            f(y as usize, &row)?;
        }
        Ok(())
    }
}

/// Labels a big uncompressed BMP row by row into a PNG (see the module's
/// note); `None` when it is not one this path takes.
pub(crate) fn label(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    output: &mut dyn WriteSeek,
    job: &Job,
) -> Result<Option<Labelled>> {
    labeler.settings.style.validate()?;
    labeler.settings.font.check_label(&job.label)?;
    job.limits.check_bytes(source.len)?;
    let mut head = [0u8; HEAD_LEN];
    source.reader.seek(SeekFrom::Start(0))?;
    if source.reader.read_exact(&mut head).is_err() {
        return Ok(None);
    }
    let Some(layout) = layout(&head, source.len) else {
        return Ok(None);
    };
    job.limits.check_dimensions(layout.width, layout.height)?;
    let notes = crate::name_notes(&BMP, source.path);
    let reader = &mut *source.reader;
    let prepared = labeler.prepare(&BMP, &head, notes, job, || {
        tanba_core::manifest::sha256_of(reader)
    })?;
    let mut notes = prepared.notes.clone();
    notes.push(crate::bmp::NOTE.to_string());
    let marks = crate::Marks {
        xmp: &prepared.packet,
        aigc: prepared.aigc.clone(),
    };
    let kept = crate::png::chunks_to_keep(&[], &marks);
    let mut rows = BmpRows {
        reader: source.reader,
        layout,
    };
    png_stream::mark_and_write(&mut rows, output, &prepared, &kept, &mut notes)?;
    notes.push("BMP streamed row by row".to_string());
    Ok(Some(
        Labelled::new(prepared.out_format, prepared.manifest).with_notes(notes),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 24-bit INFO-header BMP head claiming `w` x `h` pixels.
    fn head(w: i32, h: i32) -> Vec<u8> {
        let mut b = b"BM\0\0\0\0\0\0\0\0".to_vec();
        b.extend_from_slice(&54u32.to_le_bytes());
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&w.to_le_bytes());
        b.extend_from_slice(&h.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&24u16.to_le_bytes());
        b.resize(HEAD_LEN, 0);
        b
    }

    #[test]
    fn takes_only_big_whole_uncompressed_bmps() {
        let rows = 6144 * 2048;
        assert!(layout(&head(2048, 2048), 54 + rows).is_some());
        let top_down = layout(&head(2048, -2048), 54 + rows).unwrap();
        assert!(top_down.top_down);
        // Too short a file, too small a picture, a header claiming more
        // rows than the file holds: the whole path says how.
        assert!(layout(&head(2048, 2048), 53 + rows).is_none());
        assert!(layout(&head(2047, 2048), u64::MAX).is_none());
        assert!(layout(&head(i32::MAX, i32::MIN), 1 << 40).is_none());
    }
}
