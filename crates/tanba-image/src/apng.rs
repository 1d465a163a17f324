//! Animated PNG (APNG): every frame gets the badge.
//!
//! The `image` crate composites each frame onto the canvas (dispose and
//! blend ops applied); the badge is blended onto each composited frame and
//! the animation is written back with the `png` crate as full RGBA frames
//! (dispose none, blend source), with each frame's own delay fraction
//! (`fcTL` delay_num/delay_den, copied exactly) and the loop count
//! (`acTL` num_plays). The frame count and the pixels decoded over all
//! frames are checked against the animation limits in `inspect`, before
//! anything is decoded.

use std::io::Cursor;

use image::AnimationDecoder;
use image::codecs::png::PngDecoder;

use crate::png::{Chunk, PngHeader};
use crate::{Ctx, badge, image_err};
use tanba_core::{Error, Result};

/// What the animation chunks say.
pub(crate) struct Animation {
    /// `acTL` num_plays: 0 loops for ever.
    pub plays: u32,
    /// Each frame's delay as `fcTL` states it (numerator, denominator).
    pub delays: Vec<(u16, u16)>,
    /// The default image (IDAT) is shown only by viewers without APNG
    /// support: it has no `fcTL` before it.
    pub hidden_default: bool,
}

fn be32(d: &[u8], at: usize) -> Result<u32> {
    d.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| Error::malformed("APNG animation chunk is too short"))
}

/// Reads `acTL` and every `fcTL`.
pub(crate) fn animation(chunks: &[Chunk<'_>]) -> Result<Animation> {
    let mut plays = 0;
    let mut delays = Vec::new();
    let mut seen_fctl = false;
    let mut hidden_default = false;
    for c in chunks {
        match &c.kind {
            b"acTL" => plays = be32(c.data, 4)?,
            b"fcTL" => {
                let d = c
                    .data
                    .get(20..24)
                    .ok_or_else(|| Error::malformed("APNG fcTL chunk is too short"))?;
                delays.push((
                    u16::from_be_bytes([d[0], d[1]]),
                    u16::from_be_bytes([d[2], d[3]]),
                ));
                seen_fctl = true;
            }
            b"IDAT" if !seen_fctl => hidden_default = true,
            _ => {}
        }
    }
    if delays.is_empty() {
        return Err(Error::malformed("APNG with an acTL chunk but no frame"));
    }
    Ok(Animation {
        plays,
        delays,
        hidden_default,
    })
}

/// Frames and the pixels decoding them takes (each composited on the full
/// canvas), from the chunks alone.
pub(crate) fn budget(chunks: &[Chunk<'_>], h: &PngHeader) -> Result<(u64, u64)> {
    let frames = animation(chunks)?.delays.len() as u64;
    Ok((frames, frames * u64::from(h.width) * u64::from(h.height)))
}

/// Badges every frame; returns the encoded animation (chunks after IHDR
/// are the encoder's; the caller splices in the kept chunks and marks).
pub(crate) fn label(
    ctx: &Ctx<'_>,
    chunks: &[Chunk<'_>],
    h: &PngHeader,
    notes: &mut Vec<String>,
) -> Result<Vec<u8>> {
    let anim = animation(chunks)?;
    let (frames, pixels) = budget(chunks, h)?;
    ctx.limits.check_animation(frames, pixels)?;
    let mut dec = PngDecoder::new(Cursor::new(ctx.bytes)).map_err(|e| image_err("APNG", e))?;
    image::ImageDecoder::set_limits(&mut dec, crate::image_limits(ctx.limits, h.width, h.height))
        .map_err(|e| image_err("APNG", e))?;
    let apng = dec.apng().map_err(|e| image_err("APNG", e))?;
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, h.width, h.height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Balanced);
    let enc_err = |e: png::EncodingError| Error::malformed(format!("APNG encoder: {e}"));
    enc.set_animated(frames as u32, anim.plays)
        .map_err(enc_err)?;
    let mut writer = enc.write_header().map_err(enc_err)?;
    let mut written = 0usize;
    for frame in apng.into_frames() {
        let mut rgba = frame.map_err(|e| image_err("APNG frame", e))?.into_buffer();
        let &(num, den) = anim
            .delays
            .get(written)
            .ok_or_else(|| Error::malformed("APNG decodes to more frames than its fcTL chunks"))?;
        crate::mark::apply_rgba(&mut rgba, ctx.watermark.as_ref())?;
        badge::blend_badge(
            &mut rgba,
            &ctx.placed.badge.rgba,
            ctx.placed.x,
            ctx.placed.y,
        );
        writer.set_frame_delay(num, den).map_err(enc_err)?;
        writer
            .set_dispose_op(png::DisposeOp::None)
            .map_err(enc_err)?;
        writer.set_blend_op(png::BlendOp::Source).map_err(enc_err)?;
        writer.write_image_data(rgba.as_raw()).map_err(enc_err)?;
        written += 1;
    }
    if written != anim.delays.len() {
        return Err(Error::malformed(format!(
            "APNG declares {} frames but {written} decode",
            anim.delays.len()
        )));
    }
    writer.finish().map_err(enc_err)?;
    notes.push(format!(
        "animated PNG: the badge is on all {written} frames, written as full 8-bit RGBA \
         frames with the source's delays and loop count"
    ));
    if anim.hidden_default {
        notes.push(
            "the APNG's separate default image (shown only by viewers without APNG \
             support) was dropped: such viewers now show the first frame, badged"
                .to_string(),
        );
    }
    Ok(out)
}
