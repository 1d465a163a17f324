//! Luminance of one region of a JPEG, decoded cheaply for verification.
//!
//! A sequential JPEG whose single scan has restart markers at intervals
//! that tile its MCU rows (the labeler writes such files, see
//! [`restart_interval`]) is cut down to the intervals covering the region:
//! a small JPEG made of the original's tables and those intervals'
//! entropy-coded data. Each interval restarts its DC prediction, so the
//! small JPEG decodes to exactly the luminance blocks of the original.
//! Any other JPEG is decoded whole, luminance only (no chroma upsampling
//! or colour conversion). CMYK and YCCK files are left to the caller.

use image::GrayImage;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use tanba_core::{Error, Limits, Result};

/// Luminance of the stored pixels from (`x`, `y`) on.
pub(crate) struct Window {
    pub luma: GrayImage,
    pub x: u32,
    pub y: u32,
}

/// The markers and data of a JPEG up to the end of its first scan.
pub(crate) struct Layout<'a> {
    /// DQT and DHT segments, markers included.
    tables: Vec<&'a [u8]>,
    /// The frame header segment, marker included.
    sof: &'a [u8],
    /// The scan header segment, marker included.
    sos: &'a [u8],
    /// Entropy-coded data of the first scan, up to the end-of-image marker.
    data: &'a [u8],
    /// Restart interval in MCUs (0: none).
    pub interval: u16,
}

impl Layout<'_> {
    fn sof_byte(&self, at: usize) -> u8 {
        self.sof.get(4 + at).copied().unwrap_or(0)
    }

    pub(crate) fn width(&self) -> u32 {
        u32::from(u16::from_be_bytes([self.sof_byte(3), self.sof_byte(4)]))
    }

    pub(crate) fn height(&self) -> u32 {
        u32::from(u16::from_be_bytes([self.sof_byte(1), self.sof_byte(2)]))
    }

    pub(crate) fn components(&self) -> u8 {
        self.sof_byte(5)
    }

    /// MCU size in pixels, for a scan holding every component.
    pub(crate) fn mcu(&self) -> (u32, u32) {
        let n = usize::from(self.components());
        if n == 1 {
            return (8, 8);
        }
        let (mut h, mut v) = (1u32, 1u32);
        for c in 0..n {
            let f = self.sof_byte(6 + 3 * c + 1);
            h = h.max(u32::from(f >> 4));
            v = v.max(u32::from(f & 0x0F));
        }
        (8 * h, 8 * v)
    }
}

/// The restart interval (in MCUs) the labeler writes into a `width`-pixel
/// wide JPEG with `mcu_w`-pixel MCUs: the largest divisor of the MCUs per
/// row up to 32 (at most 512 px), or a whole row when that would be under 8.
/// A few bytes per interval buy a verification that decodes only the
/// intervals under the badge.
pub(crate) fn restart_interval(width: u32, mcu_w: u32) -> u16 {
    let per_row = width.div_ceil(mcu_w.max(1)).max(1);
    let divisor = (1..=32u32.min(per_row))
        .rev()
        .find(|&d| per_row.is_multiple_of(d))
        .unwrap_or(1);
    let k = if divisor < 8 { per_row } else { divisor };
    u16::try_from(k).unwrap_or(0)
}

/// Walks the segments to the first scan; `None` for what this module does
/// not cut (no scan found, a marker it does not expect).
pub(crate) fn layout(bytes: &[u8]) -> Option<Layout<'_>> {
    let mut pos = 2;
    let mut tables = Vec::new();
    let (mut sof, mut interval) = (None, 0u16);
    loop {
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(pos + 1)?;
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(pos + 2)?,
            *bytes.get(pos + 3)?,
        ]));
        let segment = bytes.get(pos..pos + 2 + len)?;
        match marker {
            0xDB | 0xC4 => tables.push(segment),
            // Sequential Huffman frames only.
            0xC0 | 0xC1 => sof = Some(segment),
            0xC2..=0xCF => return None,
            0xDD => interval = u16::from_be_bytes([*segment.get(4)?, *segment.get(5)?]),
            0xDA => {
                let rest = &bytes[pos + 2 + len..];
                let end = rest.windows(2).rposition(|w| w == [0xFF, 0xD9])?;
                return Some(Layout {
                    tables,
                    sof: sof?,
                    sos: segment,
                    data: &rest[..end],
                    interval,
                });
            }
            _ => {}
        }
        pos += 2 + len;
    }
}

pub(crate) fn decode_luma(jpeg: &[u8], limits: &Limits) -> Result<GrayImage> {
    let max = limits.max_dimension as usize;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(max)
        .set_max_height(max);
    let mut dec = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    let pixels = dec
        .decode()
        .map_err(|e| Error::malformed(format!("JPEG: {e}")))?;
    let info = dec
        .info()
        .ok_or_else(|| Error::malformed("JPEG: no frame header"))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    GrayImage::from_raw(w, h, pixels)
        .ok_or_else(|| Error::malformed("JPEG decodes to fewer pixels than its size"))
}

/// The luminance of at least `region` (`[x, y, w, h]`, inside the picture)
/// of a JPEG; `None` for CMYK or YCCK, whose luminance needs the full
/// colour conversion.
pub(crate) fn region_luma(
    bytes: &[u8],
    region: [u32; 4],
    limits: &Limits,
) -> Result<Option<Window>> {
    let layout = layout(bytes);
    if layout.as_ref().is_some_and(|l| l.components() > 3) {
        return Ok(None);
    }
    if let Some(l) = &layout
        && let Some(sub) = cut(l, region)
    {
        let (jpeg, x, y) = sub;
        return Ok(Some(Window {
            luma: decode_luma(&jpeg, limits)?,
            x,
            y,
        }));
    }
    Ok(Some(Window {
        luma: decode_luma(bytes, limits)?,
        x: 0,
        y: 0,
    }))
}

/// The luminance of a whole JPEG, decoded without chroma or colour
/// conversion; `None` for CMYK or YCCK, whose luminance needs the full
/// colour conversion.
pub(crate) fn whole_luma(bytes: &[u8], limits: &Limits) -> Result<Option<GrayImage>> {
    if layout(bytes).is_some_and(|l| l.components() > 3) {
        return Ok(None);
    }
    decode_luma(bytes, limits).map(Some)
}

/// Starts of the restart intervals of `data`, enough of them to hold
/// interval `last`, each with its end; `None` when the data holds a marker
/// other than the expected restart markers.
fn intervals(data: &[u8], last: usize) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::with_capacity(last + 1);
    let (mut start, mut i) = (0usize, 0usize);
    while out.len() <= last {
        let Some(off) = memchr::memchr(0xFF, &data[i..]) else {
            out.push((start, data.len()));
            break;
        };
        let p = i + off;
        match data.get(p + 1) {
            Some(0x00) => i = p + 2,
            Some(0xFF) => i = p + 1,
            Some(&m) if m == 0xD0 + (out.len() % 8) as u8 => {
                out.push((start, p));
                start = p + 2;
                i = start;
            }
            _ => return None,
        }
    }
    (out.len() > last).then_some(out)
}

/// A JPEG of the restart intervals covering `region`, and where its
/// top-left pixel lies in the original; `None` when the file's intervals do
/// not tile its rows (or there are none).
fn cut(l: &Layout<'_>, region: [u32; 4]) -> Option<(Vec<u8>, u32, u32)> {
    let k = l.tiling()?;
    let (mcu_w, mcu_h) = l.mcu();
    let per_row_intervals = l.width().div_ceil(mcu_w) / k;
    let rows = l.height().div_ceil(mcu_h);
    let [x, y, w, h] = region;
    let (c0, c1) = (x / mcu_w / k, (x + w).saturating_sub(1) / mcu_w / k);
    let (r0, r1) = (y / mcu_h, ((y + h).saturating_sub(1) / mcu_h).min(rows - 1));
    let index = |r: u32, c: u32| (r * per_row_intervals + c) as usize;
    let found = intervals(l.data, index(r1, c1))?;
    let (sub_w, sub_h) = ((c1 - c0 + 1) * k * mcu_w, (r1 - r0 + 1) * mcu_h);
    let mut pieces = Vec::with_capacity(((r1 - r0 + 1) * (c1 - c0 + 1)) as usize);
    for r in r0..=r1 {
        for c in c0..=c1 {
            let (s, e) = *found.get(index(r, c))?;
            pieces.push(l.data.get(s..e)?);
        }
    }
    let out = assemble(l, (sub_w, sub_h), &pieces)?;
    Some((out, c0 * k * mcu_w, r0 * mcu_h))
}

impl Layout<'_> {
    /// The restart interval when the intervals tile the MCU rows (a
    /// whole number of them in each row, one scan of every component).
    pub(crate) fn tiling(&self) -> Option<u32> {
        let k = u32::from(self.interval);
        let scan_components = *self.sos.get(4)?;
        let per_row = self.width().div_ceil(self.mcu().0);
        (k > 0 && scan_components == self.components() && per_row.is_multiple_of(k)).then_some(k)
    }
}

/// A `w` x `h` JPEG of `l`'s tables whose scan is the restart intervals
/// `pieces` (entropy-coded data, in order, numbered again from 0).
pub(crate) fn assemble(l: &Layout<'_>, (w, h): (u32, u32), pieces: &[&[u8]]) -> Option<Vec<u8>> {
    let data: usize = pieces.iter().map(|p| p.len() + 2).sum();
    let mut out = Vec::with_capacity(data + 4096);
    out.extend_from_slice(&[0xFF, 0xD8]);
    for t in &l.tables {
        out.extend_from_slice(t);
    }
    let mut sof = l.sof.to_vec();
    sof.get_mut(5..7)?
        .copy_from_slice(&u16::try_from(h).ok()?.to_be_bytes());
    sof.get_mut(7..9)?
        .copy_from_slice(&u16::try_from(w).ok()?.to_be_bytes());
    out.extend_from_slice(&sof);
    out.extend_from_slice(&[0xFF, 0xDD, 0, 4]);
    out.extend_from_slice(&l.interval.to_be_bytes());
    out.extend_from_slice(l.sos);
    for (n, piece) in pieces.iter().enumerate() {
        if n > 0 {
            out.extend_from_slice(&[0xFF, 0xD0 + ((n - 1) % 8) as u8]);
        }
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy_jpeg(w: u16, h: u16, grey: bool, restart: bool, sampling: (u8, u8)) -> Vec<u8> {
        let mut state = 7u32;
        let channels = if grey { 1 } else { 3 };
        let pixels: Vec<u8> = (0..usize::from(w) * usize::from(h) * channels)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                ((i / 7) as u32 % 200 + state % 50) as u8
            })
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
        let mcu_w = if grey { 8 } else { 8 * u32::from(sampling.0) };
        if restart {
            enc.set_restart_interval(restart_interval(u32::from(w), mcu_w));
        }
        let factor = jpeg_encoder::SamplingFactor::from_factors(sampling.0, sampling.1).unwrap();
        enc.set_sampling_factor(factor);
        let colour = if grey {
            jpeg_encoder::ColorType::Luma
        } else {
            jpeg_encoder::ColorType::Rgb
        };
        enc.encode(&pixels, w, h, colour).unwrap();
        out
    }

    /// The cut-down JPEG decodes to exactly the luminance of the same
    /// pixels in the whole picture.
    #[test]
    fn region_luma_equals_the_full_decode() {
        let limits = Limits::default();
        for (grey, sampling) in [
            (false, (2, 2)),
            (false, (1, 1)),
            (false, (2, 1)),
            (true, (1, 1)),
        ] {
            // 1000 px: 63 (2x2) or 125 (1x1) MCUs per row, intervals of 21 or 25.
            let bytes = noisy_jpeg(1000, 700, grey, true, sampling);
            let full = decode_luma(&bytes, &limits).unwrap();
            for region in [[0, 0, 10, 10], [437, 333, 420, 150], [990, 690, 10, 10]] {
                let l = layout(&bytes).unwrap();
                let (sub, _, _) = cut(&l, region).expect("restart intervals tile the rows");
                assert!(
                    sub.len() < bytes.len() / 2,
                    "{region:?}: only the intervals needed"
                );
                let w = region_luma(&bytes, region, &limits).unwrap().unwrap();
                let [x, y, rw, rh] = region;
                for dy in 0..rh {
                    for dx in 0..rw {
                        assert_eq!(
                            w.luma.get_pixel(x + dx - w.x, y + dy - w.y),
                            full.get_pixel(x + dx, y + dy),
                            "{grey} {sampling:?} {region:?} at {dx},{dy}"
                        );
                    }
                }
            }
        }
        // Without restart markers: the whole picture, luminance only.
        let plain = noisy_jpeg(400, 300, false, false, (2, 2));
        assert!(cut(&layout(&plain).unwrap(), [10, 10, 50, 50]).is_none());
        let w = region_luma(&plain, [10, 10, 50, 50], &limits)
            .unwrap()
            .unwrap();
        assert_eq!(
            (w.x, w.y, w.luma.width(), w.luma.height()),
            (0, 0, 400, 300)
        );
    }

    #[test]
    fn restart_interval_tiles_rows() {
        // 4000 px at 16 px MCUs: 250 per row, largest divisor <= 32 is 25.
        assert_eq!(restart_interval(4000, 16), 25);
        // 251 MCUs (prime): a whole row.
        assert_eq!(restart_interval(251 * 16, 16), 251);
        assert_eq!(restart_interval(10, 16), 1);
    }
}
