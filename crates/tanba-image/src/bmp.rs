//! BMP: header check; the labelled picture is written as PNG. BMP has no
//! metadata carrier, so a labelled BMP could hold only the visible badge
//! and would fail its own verification; PNG is lossless, so no pixel is
//! lost, and carries the XMP packet and `tEXt AIGC`. The labeler says so in
//! `Labelled::notes` and names the output `.png`
//! (`Labeler::output_format`). A big uncompressed BMP is read row by row
//! instead (`bmp_stream`).

use image::DynamicImage;

use crate::{Ctx, Info, badge, png};
use tanba_core::{Error, Result};

/// A `BM` file whose DIB header size is one of the known ones.
pub(crate) fn plausible_header(head: &[u8]) -> bool {
    head.get(14..18)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .is_some_and(|size| matches!(size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124))
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Info> {
    let dib = bytes
        .get(14..18)
        .ok_or_else(|| Error::malformed("BMP is truncated"))?;
    let dib_size = u32::from_le_bytes([dib[0], dib[1], dib[2], dib[3]]);
    let (w, h) = if dib_size == 12 {
        let b = bytes
            .get(18..22)
            .ok_or_else(|| Error::malformed("BMP is truncated"))?;
        (
            u32::from(u16::from_le_bytes([b[0], b[1]])),
            u32::from(u16::from_le_bytes([b[2], b[3]])),
        )
    } else {
        let b = bytes
            .get(18..26)
            .ok_or_else(|| Error::malformed("BMP is truncated"))?;
        let w = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let h = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        (w.unsigned_abs(), h.unsigned_abs())
    };
    Ok(Info::new(w, h, "none (BMP has no metadata carrier)"))
}

/// What `Labelled::notes` says about the change of format.
pub(crate) const NOTE: &str = "BMP cannot carry a machine-readable mark; written as PNG";

pub(crate) fn label(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let mut img = crate::decode(&crate::BMP, ctx.bytes, ctx.info, ctx.limits)?;
    if !matches!(
        img,
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_)
    ) {
        img = if img.color().has_alpha() {
            DynamicImage::ImageRgba8(img.into_rgba8())
        } else {
            DynamicImage::ImageRgb8(img.into_rgb8())
        };
    }
    crate::mark::apply(&mut img, ctx.watermark.as_ref())?;
    badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;
    notes.push(NOTE.to_string());
    png::from_pixels(&img, ctx.marks)
}
