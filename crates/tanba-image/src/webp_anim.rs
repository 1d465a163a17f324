//! Animated WebP: every frame gets the badge.
//!
//! The `image` crate composites each frame onto the canvas; the badge is
//! blended onto each, and each is encoded whole with libwebp (lossy at the
//! source's estimated quality when any frame is lossy, else lossless) and
//! wrapped in an `ANMF` chunk covering the canvas, with the source frame's
//! own duration, no blending and no disposal. The `ANIM` chunk (background
//! colour, loop count) is copied, so the frame count, every duration and
//! the loop count are the source's. The frame count and the pixels decoded
//! over all frames are checked against the animation limits in `inspect`.

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage};

use crate::webp::{RiffChunk, chunk_list, chunks, estimate_quality, write_chunk};
use crate::{Ctx, badge, image_err};
use tanba_core::{Error, Result};

fn le24(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

/// Each frame's duration in milliseconds, from the `ANMF` headers.
pub(crate) fn durations(chunks: &[RiffChunk<'_>]) -> Result<Vec<u32>> {
    chunks
        .iter()
        .filter(|c| &c.fourcc == b"ANMF")
        .map(|c| {
            c.data
                .get(12..15)
                .map(le24)
                .ok_or_else(|| Error::malformed("WebP ANMF chunk is too short"))
        })
        .collect()
}

/// Frames and the pixels decoding them takes (each composited on the full
/// canvas), from the chunks alone.
pub(crate) fn budget(chunks: &[RiffChunk<'_>], w: u32, h: u32) -> Result<(u64, u64)> {
    let frames = durations(chunks)?.len() as u64;
    if frames == 0 {
        return Err(Error::malformed("animated WebP without a frame"));
    }
    Ok((frames, frames * u64::from(w) * u64::from(h)))
}

/// The first lossy frame's bitstream, if any frame is lossy.
fn first_vp8<'a>(anmf: &[&RiffChunk<'a>]) -> Result<Option<&'a [u8]>> {
    for c in anmf {
        let inner = c
            .data
            .get(16..)
            .ok_or_else(|| Error::malformed("WebP ANMF chunk is too short"))?;
        if let Some(vp8) = chunk_list(inner)?.iter().find(|s| &s.fourcc == b"VP8 ") {
            return Ok(Some(vp8.data));
        }
    }
    Ok(None)
}

/// Badges every frame; returns the RIFF body's chunks after `VP8X`/`ICCP`
/// (`ANIM` and the `ANMF` frames) and whether the frames have alpha.
pub(crate) fn frames(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<(Vec<u8>, bool)> {
    let source = chunks(ctx.bytes)?;
    let (w, h) = (ctx.info.width, ctx.info.height);
    let (count, pixels) = budget(&source, w, h)?;
    ctx.limits.check_animation(count, pixels)?;
    let durations = durations(&source)?;
    let anim = source
        .iter()
        .find(|c| &c.fourcc == b"ANIM")
        .ok_or_else(|| Error::malformed("animated WebP without an ANIM chunk"))?;
    let anmf: Vec<&RiffChunk<'_>> = source.iter().filter(|c| &c.fourcc == b"ANMF").collect();
    let quality = first_vp8(&anmf)?.map(|vp8| {
        ctx.settings
            .webp_quality
            .or(estimate_quality(vp8))
            .unwrap_or(80.0)
            .clamp(0.0, 100.0)
    });
    let dec = WebPDecoder::new(Cursor::new(ctx.bytes)).map_err(|e| image_err("WebP", e))?;
    let alpha = image::ImageDecoder::color_type(&dec).has_alpha();
    let mut body = Vec::new();
    write_chunk(&mut body, b"ANIM", anim.data);
    let mut written = 0usize;
    for frame in dec.into_frames() {
        let mut rgba = frame.map_err(|e| image_err("WebP frame", e))?.into_buffer();
        let &duration = durations
            .get(written)
            .ok_or_else(|| Error::malformed("WebP decodes to more frames than its ANMF chunks"))?;
        crate::mark::apply_rgba(&mut rgba, ctx.watermark.as_ref())?;
        badge::blend_badge(
            &mut rgba,
            &ctx.placed.badge.rgba,
            ctx.placed.x,
            ctx.placed.y,
        );
        let img = if alpha {
            DynamicImage::ImageRgba8(rgba)
        } else {
            DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).into_rgb8())
        };
        let enc = if alpha {
            webp::Encoder::from_rgba(img.as_bytes(), w, h)
        } else {
            webp::Encoder::from_rgb(img.as_bytes(), w, h)
        };
        let encoded = match quality {
            Some(q) => enc.encode(q),
            None => enc.encode_lossless(),
        };
        let mut payload = vec![0u8; 6]; // x/2 = y/2 = 0: the whole canvas
        payload.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        payload.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        payload.extend_from_slice(&duration.to_le_bytes()[..3]);
        payload.push(0x02); // do not blend, do not dispose
        for c in chunks(&encoded)?
            .iter()
            .filter(|c| matches!(&c.fourcc, b"ALPH" | b"VP8 " | b"VP8L"))
        {
            write_chunk(&mut payload, &c.fourcc, c.data);
        }
        write_chunk(&mut body, b"ANMF", &payload);
        written += 1;
    }
    if written != durations.len() {
        return Err(Error::malformed(format!(
            "WebP declares {} frames but {written} decode",
            durations.len()
        )));
    }
    notes.push(match quality {
        Some(q) => format!(
            "animated WebP: the badge is on all {written} frames, re-encoded lossy at quality \
             {q:.0} with the source's durations and loop count"
        ),
        None => format!(
            "animated WebP: the badge is on all {written} frames, re-encoded losslessly with \
             the source's durations and loop count"
        ),
    });
    Ok((body, alpha))
}
