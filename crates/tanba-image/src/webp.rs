//! WebP: RIFF chunk parsing, lossy/lossless re-encode with libwebp, and an
//! extended (VP8X) container carrying ICCP, EXIF and our `XMP ` chunk.
//!
//! A lossy source is re-encoded lossy at the quality its VP8 quantiser
//! corresponds to (the inverse of libwebp's quality-to-quantiser curve),
//! a lossless source losslessly. An animated WebP is badged frame by frame
//! in `webp_anim`.

use image::DynamicImage;
use image::metadata::Orientation;

use crate::{Ctx, Info, badge};
use tanba_core::{Error, Result};

pub(crate) struct RiffChunk<'a> {
    pub fourcc: [u8; 4],
    pub data: &'a [u8],
}

pub(crate) fn chunks(bytes: &[u8]) -> Result<Vec<RiffChunk<'_>>> {
    if bytes.len() < 12 || !bytes.starts_with(b"RIFF") || &bytes[8..12] != b"WEBP" {
        return Err(Error::malformed("not a WebP (bad RIFF header)"));
    }
    let riff_len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    if riff_len + 8 > bytes.len() {
        return Err(Error::malformed(
            "WebP is truncated (RIFF size larger than the file)",
        ));
    }
    // A RIFF size under 4 would end the body before the `WEBP` form type.
    let body = bytes
        .get(12..riff_len + 8)
        .ok_or_else(|| Error::malformed("WebP RIFF size is smaller than its header"))?;
    chunk_list(body)
}

/// The chunks of a RIFF body (or of an `ANMF` frame's data).
pub(crate) fn chunk_list(body: &[u8]) -> Result<Vec<RiffChunk<'_>>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos + 8 <= body.len() {
        let fourcc = [body[pos], body[pos + 1], body[pos + 2], body[pos + 3]];
        let len = u32::from_le_bytes([body[pos + 4], body[pos + 5], body[pos + 6], body[pos + 7]])
            as usize;
        let data = body
            .get(pos + 8..pos + 8 + len)
            .ok_or_else(|| Error::malformed("WebP is truncated inside a chunk"))?;
        out.push(RiffChunk { fourcc, data });
        pos += 8 + len + (len & 1);
    }
    Ok(out)
}

fn le24(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

/// Canvas size from VP8X, VP8 or VP8L headers.
fn dimensions(chunks: &[RiffChunk<'_>]) -> Result<(u32, u32)> {
    for c in chunks {
        match &c.fourcc {
            b"VP8X" if c.data.len() >= 10 => {
                return Ok((le24(&c.data[4..7]) + 1, le24(&c.data[7..10]) + 1));
            }
            b"VP8 " if c.data.len() >= 10 => {
                if c.data[3..6] != [0x9d, 0x01, 0x2a] {
                    return Err(Error::malformed(
                        "WebP VP8 frame without a key-frame start code",
                    ));
                }
                let w = u32::from(u16::from_le_bytes([c.data[6], c.data[7]]) & 0x3FFF);
                let h = u32::from(u16::from_le_bytes([c.data[8], c.data[9]]) & 0x3FFF);
                return Ok((w, h));
            }
            b"VP8L" if c.data.len() >= 5 => {
                if c.data[0] != 0x2f {
                    return Err(Error::malformed("WebP VP8L chunk without its signature"));
                }
                let bits = u32::from_le_bytes([c.data[1], c.data[2], c.data[3], c.data[4]]);
                return Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1));
            }
            _ => {}
        }
    }
    Err(Error::malformed("WebP without an image chunk"))
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Info> {
    let chunks = chunks(bytes)?;
    let (w, h) = dimensions(&chunks)?;
    let mut info = Info::new(w, h, "WebP XMP chunk");
    for c in &chunks {
        match &c.fourcc {
            b"ANIM" => info.animation = Some(crate::webp_anim::budget(&chunks, w, h)?),
            b"EXIF" => {
                // Some writers keep the JPEG-style "Exif\0\0" prefix.
                let exif = c.data.strip_prefix(b"Exif\0\0").unwrap_or(c.data);
                info.orientation =
                    Orientation::from_exif_chunk(exif).unwrap_or(Orientation::NoTransforms);
            }
            b"XMP " => info.set_xmp(String::from_utf8_lossy(c.data).into_owned()),
            _ => {}
        }
    }
    Ok(info)
}

/// RFC 6386 boolean decoder, just enough to read the frame header.
struct BoolDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    value: u32,
    range: u32,
    bit_count: u32,
}

impl<'a> BoolDecoder<'a> {
    fn new(data: &'a [u8]) -> Self {
        let b = |i: usize| u32::from(data.get(i).copied().unwrap_or(0));
        BoolDecoder {
            data,
            pos: 2,
            value: (b(0) << 8) | b(1),
            range: 255,
            bit_count: 0,
        }
    }

    fn bool(&mut self, prob: u32) -> bool {
        let split = 1 + (((self.range - 1) * prob) >> 8);
        let big_split = split << 8;
        let bit = if self.value >= big_split {
            self.range -= split;
            self.value -= big_split;
            true
        } else {
            self.range = split;
            false
        };
        while self.range < 128 {
            self.value <<= 1;
            self.range <<= 1;
            self.bit_count += 1;
            if self.bit_count == 8 {
                self.bit_count = 0;
                self.value |= u32::from(self.data.get(self.pos).copied().unwrap_or(0));
                self.pos += 1;
            }
        }
        bit
    }

    fn literal(&mut self, bits: u32) -> u32 {
        (0..bits).fold(0, |v, _| (v << 1) | u32::from(self.bool(128)))
    }

    fn signed(&mut self, bits: u32) -> i32 {
        let v = self.literal(bits) as i32;
        if self.bool(128) { -v } else { v }
    }
}

/// The libwebp quality (0..=100) a VP8 key frame was most likely encoded
/// at, from its base (or mean segment) quantiser index.
pub(crate) fn estimate_quality(vp8: &[u8]) -> Option<f32> {
    let first_partition = vp8.get(10..)?;
    let mut d = BoolDecoder::new(first_partition);
    d.literal(2); // colour space, clamping
    let mut segment_q: Option<Vec<i32>> = None;
    let mut absolute = false;
    if d.bool(128) {
        let update_map = d.bool(128);
        if d.bool(128) {
            absolute = d.bool(128);
            let q: Vec<i32> = (0..4)
                .map(|_| if d.bool(128) { d.signed(7) } else { 0 })
                .collect();
            for _ in 0..4 {
                if d.bool(128) {
                    d.signed(6);
                }
            }
            segment_q = Some(q);
        }
        if update_map {
            for _ in 0..3 {
                if d.bool(128) {
                    d.literal(8);
                }
            }
        }
    }
    d.literal(1 + 6 + 3); // filter type, level, sharpness
    if d.bool(128) && d.bool(128) {
        for _ in 0..8 {
            if d.bool(128) {
                d.signed(6);
            }
        }
    }
    d.literal(2); // partitions
    let base = d.literal(7) as i32;
    let q = match segment_q {
        Some(seg) if absolute => seg.iter().sum::<i32>() as f32 / 4.0,
        Some(seg) => base as f32 + seg.iter().sum::<i32>() as f32 / 4.0,
        None => base as f32,
    };
    let c = (1.0 - q.clamp(0.0, 127.0) / 127.0).powi(3);
    let quality = if c < 0.5 { c * 1.5 } else { (c + 1.0) / 2.0 };
    Some((quality * 100.0).clamp(0.0, 100.0))
}

pub(crate) fn write_chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

pub(crate) fn label(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let source = chunks(ctx.bytes)?;
    if source.iter().any(|c| &c.fourcc == b"ANIM") {
        let (frames, alpha) = crate::webp_anim::frames(ctx, notes)?;
        return Ok(container(ctx, &source, &frames, alpha, true));
    }
    let lossy = source.iter().any(|c| &c.fourcc == b"VP8 ");
    let mut img = crate::decode(&crate::WEBP, ctx.bytes, ctx.info, ctx.limits)?;
    let has_alpha = img.color().has_alpha();
    img = if has_alpha {
        DynamicImage::ImageRgba8(img.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(img.into_rgb8())
    };
    crate::mark::apply(&mut img, ctx.watermark.as_ref())?;
    badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;
    let (w, h) = (img.width(), img.height());
    let encoder = if has_alpha {
        webp::Encoder::from_rgba(img.as_bytes(), w, h)
    } else {
        webp::Encoder::from_rgb(img.as_bytes(), w, h)
    };
    let encoded = if lossy {
        let estimated = source
            .iter()
            .find(|c| &c.fourcc == b"VP8 ")
            .and_then(|c| estimate_quality(c.data));
        let quality = ctx.settings.webp_quality.or(estimated).unwrap_or(80.0);
        notes.push(format!("lossy WebP re-encoded at quality {quality:.0}"));
        encoder.encode(quality.clamp(0.0, 100.0))
    } else {
        encoder.encode_lossless()
    };
    let encoded_chunks = chunks(&encoded)?;

    let mut image = Vec::with_capacity(encoded.len());
    for c in encoded_chunks
        .iter()
        .filter(|c| matches!(&c.fourcc, b"ALPH" | b"VP8 " | b"VP8L"))
    {
        write_chunk(&mut image, &c.fourcc, c.data);
    }
    Ok(container(ctx, &source, &image, has_alpha, false))
}

/// The extended (VP8X) file around `image` (the image or animation
/// chunks): the source's ICC profile and EXIF, and our XMP.
fn container(
    ctx: &Ctx<'_>,
    source: &[RiffChunk<'_>],
    image: &[u8],
    has_alpha: bool,
    animated: bool,
) -> Vec<u8> {
    let (w, h) = (ctx.info.width, ctx.info.height);
    let icc = source.iter().find(|c| &c.fourcc == b"ICCP");
    let exif = source.iter().find(|c| &c.fourcc == b"EXIF");
    let mut flags = 0x04u8; // XMP
    if icc.is_some() {
        flags |= 0x20;
    }
    if has_alpha {
        flags |= 0x10;
    }
    if exif.is_some() {
        flags |= 0x08;
    }
    if animated {
        flags |= 0x02;
    }
    let mut body = Vec::with_capacity(image.len() + ctx.marks.xmp.len() + 1024);
    body.extend_from_slice(b"WEBP");
    let mut vp8x = vec![flags, 0, 0, 0];
    vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    write_chunk(&mut body, b"VP8X", &vp8x);
    if let Some(c) = icc {
        write_chunk(&mut body, b"ICCP", c.data);
    }
    body.extend_from_slice(image);
    if let Some(c) = exif {
        write_chunk(&mut body, b"EXIF", c.data);
    }
    write_chunk(&mut body, b"XMP ", ctx.marks.xmp.as_bytes());
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}
