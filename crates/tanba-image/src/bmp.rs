//! BMP: header check, visible badge only. BMP has no metadata carrier, so
//! the output holds no machine-readable mark; the labeler says so in
//! `Labelled::notes` and `verify` reports the mark missing.

use image::{DynamicImage, ImageDecoder};
use std::io::Cursor;

use crate::{Ctx, Info, badge, image_err, image_limits};
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

pub(crate) fn decode(
    bytes: &[u8],
    info: &Info,
    limits: &tanba_core::Limits,
) -> Result<DynamicImage> {
    let mut dec =
        image::codecs::bmp::BmpDecoder::new(Cursor::new(bytes)).map_err(|e| image_err("BMP", e))?;
    dec.set_limits(image_limits(limits, info.width, info.height))
        .map_err(|e| image_err("BMP", e))?;
    DynamicImage::from_decoder(dec).map_err(|e| image_err("BMP", e))
}

pub(crate) fn label(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let mut img = decode(ctx.bytes, ctx.info, ctx.limits)?;
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
    badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;
    let mut out = Vec::with_capacity(ctx.bytes.len());
    image::codecs::bmp::BmpEncoder::new(&mut out)
        .encode(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .map_err(|e| image_err("BMP encoder", e))?;
    notes.push(
        "BMP has no metadata carrier: the output carries the visible badge only, no XMP/AIGC mark; \
         convert to PNG for a machine-readable mark"
            .to_string(),
    );
    Ok(out)
}
