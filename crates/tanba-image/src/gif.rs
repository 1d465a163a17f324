//! GIF: block walk (frame count, loop count, XMP), every frame labelled,
//! and the XMP application extension (`XMP DataXMP` with its 258-byte
//! magic trailer) written after the screen descriptor.
//!
//! Frames are decoded composited (disposal applied), badged, re-quantised
//! to a local palette each and written as full frames, so the animation
//! plays the same with the badge on every frame. Delays and the loop count
//! are kept.

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, ImageDecoder};
use std::io::Cursor;

use crate::{Ctx, Info, badge, image_err, image_limits};
use tanba_core::{Error, Result, xmp};

const XMP_APP_ID: &[u8] = b"XMP DataXMP";

pub(crate) struct GifHeader {
    pub width: u32,
    pub height: u32,
    pub frames: u64,
    /// Pixels decoded over all frames: each is composited onto the whole
    /// canvas, so a frame counts as the larger of its own area and the
    /// canvas's.
    pub frame_pixels: u64,
    /// NETSCAPE2.0 loop count (0 = forever), if present.
    pub loops: Option<u16>,
    pub xmp: Option<String>,
}

fn byte(b: &[u8], at: usize) -> Result<u8> {
    b.get(at)
        .copied()
        .ok_or_else(|| Error::malformed("GIF is truncated"))
}

/// Skips data sub-blocks starting at `pos`; returns the position after the terminator.
fn skip_sub_blocks(b: &[u8], mut pos: usize) -> Result<usize> {
    loop {
        let len = usize::from(byte(b, pos)?);
        pos += 1;
        if len == 0 {
            return Ok(pos);
        }
        pos += len;
    }
}

pub(crate) fn parse(b: &[u8]) -> Result<GifHeader> {
    if b.len() < 13 || !(b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")) {
        return Err(Error::malformed("not a GIF (bad signature)"));
    }
    let width = u32::from(u16::from_le_bytes([b[6], b[7]]));
    let height = u32::from(u16::from_le_bytes([b[8], b[9]]));
    let flags = b[10];
    let mut pos = 13;
    if flags & 0x80 != 0 {
        pos += 3 << ((flags & 7) + 1);
    }
    let mut h = GifHeader {
        width,
        height,
        frames: 0,
        frame_pixels: 0,
        loops: None,
        xmp: None,
    };
    loop {
        match byte(b, pos)? {
            0x3B => return Ok(h),
            0x21 => {
                let label = byte(b, pos + 1)?;
                if label == 0xFF && byte(b, pos + 2)? == 11 {
                    let id = b
                        .get(pos + 3..pos + 14)
                        .ok_or_else(|| Error::malformed("GIF is truncated"))?;
                    let data_start = pos + 14;
                    if id == b"NETSCAPE2.0"
                        && byte(b, data_start)? >= 3
                        && byte(b, data_start + 1)? == 1
                    {
                        h.loops = Some(u16::from_le_bytes([
                            byte(b, data_start + 2)?,
                            byte(b, data_start + 3)?,
                        ]));
                    } else if id == XMP_APP_ID {
                        h.xmp = xmp::find_packet(&b[data_start..]).map(str::to_string);
                    }
                    pos = skip_sub_blocks(b, data_start)?;
                } else {
                    pos = skip_sub_blocks(b, pos + 2)?;
                }
            }
            0x2C => {
                let le = |at: usize| -> Result<u64> {
                    Ok(u64::from(u16::from_le_bytes([
                        byte(b, at)?,
                        byte(b, at + 1)?,
                    ])))
                };
                let area = le(pos + 5)? * le(pos + 7)?;
                let canvas = u64::from(width) * u64::from(height);
                h.frame_pixels = h.frame_pixels.saturating_add(area.max(canvas));
                let flags = byte(b, pos + 9)?;
                pos += 10;
                if flags & 0x80 != 0 {
                    pos += 3 << ((flags & 7) + 1);
                }
                pos = skip_sub_blocks(b, pos + 1)?;
                h.frames += 1;
            }
            other => {
                return Err(Error::malformed(format!(
                    "GIF has an unknown block 0x{other:02x}"
                )));
            }
        }
    }
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Info> {
    let h = parse(bytes)?;
    let mut info = Info::new(h.width, h.height, "GIF XMP application extension");
    if let Some(x) = h.xmp {
        info.set_xmp(x);
    }
    if h.frames == 0 {
        return Err(Error::malformed("GIF holds no image"));
    }
    info.animation = Some((h.frames, h.frame_pixels));
    Ok(info)
}

fn decoder<'a>(
    bytes: &'a [u8],
    info: &Info,
    limits: &tanba_core::Limits,
) -> Result<GifDecoder<Cursor<&'a [u8]>>> {
    let mut dec = GifDecoder::new(Cursor::new(bytes)).map_err(|e| image_err("GIF", e))?;
    dec.set_limits(image_limits(limits, info.width, info.height))
        .map_err(|e| image_err("GIF", e))?;
    Ok(dec)
}

/// The first frame, composited, for verification.
pub(crate) fn first_frame(
    bytes: &[u8],
    info: &Info,
    limits: &tanba_core::Limits,
) -> Result<image::RgbaImage> {
    let dec = decoder(bytes, info, limits)?;
    let frame = dec
        .into_frames()
        .next()
        .ok_or_else(|| Error::malformed("GIF holds no image"))?
        .map_err(|e| image_err("GIF", e))?;
    Ok(frame.into_buffer())
}

/// The XMP application extension, with the magic trailer that makes the
/// raw packet bytes parse as sub-blocks.
fn xmp_extension(packet: &str) -> Vec<u8> {
    let mut out = vec![0x21, 0xFF, 11];
    out.extend_from_slice(XMP_APP_ID);
    out.extend_from_slice(packet.as_bytes());
    out.push(0x01);
    out.extend((0..=255u8).rev());
    out.push(0x00);
    out
}

pub(crate) fn label(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let h = parse(ctx.bytes)?;
    // Checked before any frame is decoded (also done by the caller).
    ctx.limits.check_animation(h.frames, h.frame_pixels)?;
    let (w16, h16) = (
        u16::try_from(h.width).map_err(|_| Error::malformed("GIF wider than 65535"))?,
        u16::try_from(h.height).map_err(|_| Error::malformed("GIF taller than 65535"))?,
    );
    let mut encoded = Vec::with_capacity(ctx.bytes.len() * 2);
    let enc_err = |e: gif::EncodingError| Error::malformed(format!("GIF encoder: {e}"));
    {
        let mut enc = gif::Encoder::new(&mut encoded, w16, h16, &[]).map_err(enc_err)?;
        if let Some(loops) = h.loops {
            let repeat = if loops == 0 {
                gif::Repeat::Infinite
            } else {
                gif::Repeat::Finite(loops)
            };
            enc.set_repeat(repeat).map_err(enc_err)?;
        }
        let dec = decoder(ctx.bytes, ctx.info, ctx.limits)?;
        let mut count = 0u64;
        for frame in dec.into_frames() {
            let frame = frame.map_err(|e| image_err("GIF frame", e))?;
            let (num, den) = frame.delay().numer_denom_ms();
            let delay_cs = (f64::from(num) / f64::from(den.max(1)) / 10.0).round() as u16;
            let mut buf = frame.into_buffer();
            crate::mark::apply_rgba(&mut buf, ctx.watermark.as_ref())?;
            badge::blend_badge(&mut buf, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y);
            let mut out = gif::Frame::from_rgba_speed(w16, h16, buf.as_mut(), 10);
            out.delay = delay_cs;
            out.dispose = gif::DisposalMethod::Background;
            enc.write_frame(&out).map_err(enc_err)?;
            count += 1;
        }
        if count > 1 {
            notes.push(format!("badge drawn on all {count} GIF frames"));
        }
    }
    // After the header, screen descriptor and any global colour table.
    let flags = encoded.get(10).copied().unwrap_or(0);
    let insert_at = 13
        + if flags & 0x80 != 0 {
            3usize << ((flags & 7) + 1)
        } else {
            0
        };
    let ext = xmp_extension(ctx.marks.xmp);
    let mut out = Vec::with_capacity(encoded.len() + ext.len());
    out.extend_from_slice(encoded.get(..insert_at).unwrap_or_default());
    out.extend_from_slice(&ext);
    out.extend_from_slice(encoded.get(insert_at..).unwrap_or_default());
    Ok(out)
}
