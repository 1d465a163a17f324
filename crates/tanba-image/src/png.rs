//! PNG: chunk parsing, re-encode at the source's bit depth and colour type,
//! and metadata chunks carried over.
//!
//! Kept: iCCP, sRGB, gAMA, cHRM, cICP, pHYs, eXIf, tIME and text chunks
//! (tEXt/zTXt/iTXt) other than the XMP packet and `AIGC`, which are
//! rewritten. Written: iTXt `XML:com.adobe.xmp` (the merged packet) and
//! tEXt `AIGC` (the Annex E JSON), before the image data. An animated PNG
//! is badged frame by frame in `apng`.

use image::DynamicImage;
use image::metadata::Orientation;

use crate::{Ctx, Info, Marks, badge};
use tanba_core::{Error, Result};

pub(crate) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";

/// One chunk: type and data.
#[derive(Debug, Clone)]
pub(crate) struct Chunk<'a> {
    pub kind: [u8; 4],
    pub data: &'a [u8],
}

/// Splits a PNG into chunks; refuses truncated files (no IEND).
pub(crate) fn chunks(bytes: &[u8]) -> Result<Vec<Chunk<'_>>> {
    if !bytes.starts_with(SIGNATURE) {
        return Err(Error::malformed("not a PNG (bad signature)"));
    }
    let mut pos = SIGNATURE.len();
    let mut out = Vec::new();
    loop {
        let head = bytes
            .get(pos..pos + 8)
            .ok_or_else(|| Error::malformed("PNG is truncated: no IEND chunk"))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        let data = bytes
            .get(pos + 8..pos + 8 + len)
            .ok_or_else(|| Error::malformed("PNG is truncated inside a chunk"))?;
        if bytes.len() < pos + 12 + len {
            return Err(Error::malformed("PNG is truncated inside a chunk CRC"));
        }
        out.push(Chunk { kind, data });
        pos += 12 + len;
        if &kind == b"IEND" {
            return Ok(out);
        }
    }
}

pub(crate) struct PngHeader {
    pub width: u32,
    pub height: u32,
    pub bit_depth: u8,
    pub colour_type: u8,
}

pub(crate) fn header(chunks: &[Chunk<'_>]) -> Result<PngHeader> {
    let ihdr = chunks
        .first()
        .filter(|c| &c.kind == b"IHDR" && c.data.len() >= 13)
        .ok_or_else(|| Error::malformed("PNG does not start with an IHDR chunk"))?;
    let d = ihdr.data;
    Ok(PngHeader {
        width: u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
        height: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
        bit_depth: d[8],
        colour_type: d[9],
    })
}

/// The text of an uncompressed iTXt chunk with `keyword`, if it is one.
fn itxt_text<'a>(data: &'a [u8], keyword: &[u8]) -> Option<std::result::Result<&'a str, ()>> {
    let rest = data.strip_prefix(keyword)?.strip_prefix(b"\0")?;
    let (&compressed, rest) = rest.split_first()?;
    let rest = rest.get(1..)?; // compression method
    let lang_end = rest.iter().position(|&b| b == 0)?;
    let rest = &rest[lang_end + 1..];
    let tk_end = rest.iter().position(|&b| b == 0)?;
    let text = &rest[tk_end + 1..];
    if compressed != 0 {
        return Some(Err(()));
    }
    Some(std::str::from_utf8(text).map_err(|_| ()))
}

fn is_aigc_text(c: &Chunk<'_>) -> bool {
    &c.kind == b"tEXt" && c.data.starts_with(b"AIGC\0")
}

fn is_xmp(c: &Chunk<'_>) -> bool {
    &c.kind == b"iTXt"
        && c.data.starts_with(XMP_KEYWORD)
        && c.data.get(XMP_KEYWORD.len()) == Some(&0)
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Info> {
    let chunks = chunks(bytes)?;
    let h = header(&chunks)?;
    let mut info = Info::new(h.width, h.height, "PNG iTXt XML:com.adobe.xmp");
    for c in &chunks {
        match &c.kind {
            b"acTL" => info.animation = Some(crate::apng::budget(&chunks, &h)?),
            b"eXIf" => {
                info.orientation =
                    Orientation::from_exif_chunk(c.data).unwrap_or(Orientation::NoTransforms);
            }
            _ if is_xmp(c) => match itxt_text(c.data, XMP_KEYWORD) {
                Some(Ok(text)) => info.set_xmp(text.to_string()),
                _ => info.notes.push(
                    "the existing XMP iTXt chunk is compressed or not UTF-8 and was replaced"
                        .to_string(),
                ),
            },
            _ if is_aigc_text(c) => {
                info.png_aigc = Some(String::from_utf8_lossy(&c.data[5..]).into_owned());
            }
            _ => {}
        }
    }
    Ok(info)
}

fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

pub(crate) fn label(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let source_chunks = chunks(ctx.bytes)?;
    let h = header(&source_chunks)?;
    let encoded = if source_chunks.iter().any(|c| &c.kind == b"acTL") {
        crate::apng::label(ctx, &source_chunks, &h, notes)?
    } else {
        let mut img = crate::decode(&crate::PNG, ctx.bytes, ctx.info, ctx.limits)?;
        crate::mark::apply(&mut img, ctx.watermark.as_ref())?;
        badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;
        encode(&img, &h, Some(ctx.bytes.len()), notes)?
    };
    let kept: Vec<&Chunk<'_>> = source_chunks.iter().filter(|c| carried_over(c)).collect();
    splice(&encoded, &kept, ctx.marks)
}

/// A picture of another format, already badged, written as an 8-bit PNG
/// with the marks (for BMP, which has nowhere to put them).
pub(crate) fn from_pixels(img: &DynamicImage, marks: &Marks<'_>) -> Result<Vec<u8>> {
    let h = PngHeader {
        width: img.width(),
        height: img.height(),
        bit_depth: 8,
        colour_type: if img.color().has_alpha() { 6 } else { 2 },
    };
    let encoded = encode(img, &h, None, &mut Vec::new())?;
    splice(&encoded, &[], marks)
}

/// Source chunks written again: colour, resolution, time and text, but not
/// our own marks (one XMP packet and one `AIGC` chunk, even when relabelled).
fn carried_over(c: &Chunk<'_>) -> bool {
    matches!(
        &c.kind,
        b"iCCP"
            | b"sRGB"
            | b"gAMA"
            | b"cHRM"
            | b"cICP"
            | b"pHYs"
            | b"eXIf"
            | b"tIME"
            | b"tEXt"
            | b"zTXt"
            | b"iTXt"
    ) && !is_xmp(c)
        && !is_aigc_text(c)
}

/// The chunks a streamed PNG writes after IHDR: the source's that are
/// carried over, then our marks (as [`splice`] places them in a still).
pub(crate) fn chunks_to_keep(source: &[Chunk<'_>], marks: &Marks<'_>) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out: Vec<([u8; 4], Vec<u8>)> = source
        .iter()
        .filter(|c| carried_over(c))
        .map(|c| (c.kind, c.data.to_vec()))
        .collect();
    out.push((*b"iTXt", xmp_itxt(marks)));
    out.push((*b"tEXt", aigc_text(marks)));
    out
}

/// The iTXt chunk's data for our XMP packet.
fn xmp_itxt(marks: &Marks<'_>) -> Vec<u8> {
    let mut itxt = XMP_KEYWORD.to_vec();
    itxt.extend_from_slice(&[0, 0, 0, 0, 0]); // keyword end, uncompressed, method, no lang, no translated keyword
    itxt.extend_from_slice(marks.xmp.as_bytes());
    itxt
}

/// The tEXt chunk's data for the AIGC label.
fn aigc_text(marks: &Marks<'_>) -> Vec<u8> {
    let mut aigc = b"AIGC\0".to_vec();
    aigc.extend_from_slice(marks.aigc.as_bytes());
    aigc
}

/// `encoded` with the `kept` chunks and our marks right after IHDR. In an
/// animation, acTL comes first and the marks go last, before IEND (where
/// text chunks may also stand): ffmpeg's APNG probe reads the chunks before
/// the first IDAT from its first 2 kB and takes the file for a still PNG
/// when a large chunk (the XMP packet) does not fit there.
fn splice(encoded: &[u8], kept: &[&Chunk<'_>], marks: &Marks<'_>) -> Result<Vec<u8>> {
    let new_chunks = chunks(encoded)?;
    let mut out = Vec::with_capacity(encoded.len() + marks.xmp.len() + 1024);
    out.extend_from_slice(SIGNATURE);
    let mut iter = new_chunks.iter().peekable();
    if let Some(ihdr) = iter.next() {
        write_chunk(&mut out, &ihdr.kind, ihdr.data);
    }
    let animated = iter.peek().is_some_and(|c| &c.kind == b"acTL");
    for c in kept {
        write_chunk(&mut out, &c.kind, c.data);
    }
    let mut mark_chunks = Vec::new();
    write_chunk(&mut mark_chunks, b"iTXt", &xmp_itxt(marks));
    write_chunk(&mut mark_chunks, b"tEXt", &aigc_text(marks));
    if !animated {
        out.extend_from_slice(&mark_chunks);
    }
    for c in iter {
        if animated && &c.kind == b"IEND" {
            out.extend_from_slice(&mark_chunks);
        }
        write_chunk(&mut out, &c.kind, c.data);
    }
    Ok(out)
}

/// Samples ready for the PNG encoder, at the source's colour type and depth.
struct Raster {
    colour: png::ColorType,
    depth: png::BitDepth,
    data: Vec<u8>,
    /// RGB palette and, when some entry is not opaque, its alpha (`tRNS`).
    palette: Option<(Vec<u8>, Option<Vec<u8>>)>,
}

/// Encodes at the source's colour type and depth: palette stays palette
/// (re-quantised to at most 256 colours), 16-bit stays 16-bit.
///
/// Compression is fdeflate's (`Compression::Fast`) first: ten to forty
/// times faster than zlib's default level, and on photographs and rendered
/// pictures no larger; it is also what makes the read-back check's inflate
/// fast. Flat pictures such as screenshots compress far better at zlib's
/// level, so when the fast stream is more than a tenth (plus 16 KiB for the
/// badge) larger than the source file, the picture is compressed again at
/// the default level and the smaller is kept: a labelled file never grows
/// much for speed's sake. Without a source size (a BMP's pixels) the fast
/// stream is kept.
fn encode(
    img: &DynamicImage,
    h: &PngHeader,
    source_len: Option<usize>,
    notes: &mut Vec<String>,
) -> Result<Vec<u8>> {
    let raster = raster(img, h, notes);
    let fast = compress(&raster, img.width(), img.height(), png::Compression::Fast)?;
    let budget = source_len.map_or(usize::MAX, |n| n + n / 10 + 16 * 1024);
    if fast.len() <= budget {
        return Ok(fast);
    }
    let balanced = compress(
        &raster,
        img.width(),
        img.height(),
        png::Compression::Balanced,
    )?;
    Ok(if balanced.len() < fast.len() {
        balanced
    } else {
        fast
    })
}

fn compress(raster: &Raster, w: u32, h: u32, level: png::Compression) -> Result<Vec<u8>> {
    let enc_err = |e: png::EncodingError| Error::malformed(format!("PNG encoder: {e}"));
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_compression(level);
    enc.set_color(raster.colour);
    enc.set_depth(raster.depth);
    if let Some((palette, trns)) = &raster.palette {
        enc.set_palette(palette.clone());
        if let Some(trns) = trns {
            enc.set_trns(trns.clone());
        }
    }
    let mut writer = enc.write_header().map_err(enc_err)?;
    writer.write_image_data(&raster.data).map_err(enc_err)?;
    writer.finish().map_err(enc_err)?;
    Ok(out)
}

fn raster(img: &DynamicImage, h: &PngHeader, notes: &mut Vec<String>) -> Raster {
    if h.colour_type == 3 {
        let rgba = img.to_rgba8();
        let quant = color_quant::NeuQuant::new(10, 256, rgba.as_raw());
        let palette_rgba = quant.color_map_rgba();
        let palette: Vec<u8> = palette_rgba
            .chunks(4)
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect();
        let trns: Vec<u8> = palette_rgba.chunks(4).map(|c| c[3]).collect();
        let indices: Vec<u8> = rgba.pixels().map(|p| quant.index_of(&p.0) as u8).collect();
        if h.bit_depth < 8 {
            notes.push(format!(
                "{}-bit palette PNG written as 8-bit palette",
                h.bit_depth
            ));
        }
        notes.push("palette PNG re-quantised to 256 colours to hold the badge".to_string());
        let trns = trns.iter().any(|&a| a < 255).then_some(trns);
        return Raster {
            colour: png::ColorType::Indexed,
            depth: png::BitDepth::Eight,
            data: indices,
            palette: Some((palette, trns)),
        };
    }
    if h.bit_depth < 8 && h.colour_type == 0 {
        notes.push(format!(
            "{}-bit grey PNG written as 8-bit grey",
            h.bit_depth
        ));
    }
    let (colour, depth, data): (png::ColorType, png::BitDepth, Vec<u8>) = match img {
        DynamicImage::ImageLuma8(i) => (
            png::ColorType::Grayscale,
            png::BitDepth::Eight,
            i.as_raw().clone(),
        ),
        DynamicImage::ImageLumaA8(i) => (
            png::ColorType::GrayscaleAlpha,
            png::BitDepth::Eight,
            i.as_raw().clone(),
        ),
        DynamicImage::ImageRgb8(i) => (
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            i.as_raw().clone(),
        ),
        DynamicImage::ImageRgba8(i) => (
            png::ColorType::Rgba,
            png::BitDepth::Eight,
            i.as_raw().clone(),
        ),
        DynamicImage::ImageLuma16(i) => (
            png::ColorType::Grayscale,
            png::BitDepth::Sixteen,
            be(i.as_raw()),
        ),
        DynamicImage::ImageLumaA16(i) => (
            png::ColorType::GrayscaleAlpha,
            png::BitDepth::Sixteen,
            be(i.as_raw()),
        ),
        DynamicImage::ImageRgb16(i) => {
            (png::ColorType::Rgb, png::BitDepth::Sixteen, be(i.as_raw()))
        }
        DynamicImage::ImageRgba16(i) => {
            (png::ColorType::Rgba, png::BitDepth::Sixteen, be(i.as_raw()))
        }
        other => (
            png::ColorType::Rgba,
            png::BitDepth::Eight,
            other.to_rgba8().into_raw(),
        ),
    };
    Raster {
        colour,
        depth,
        data,
        palette: None,
    }
}

/// 16-bit samples in PNG's big-endian order.
fn be(samples: &[u16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_be_bytes()).collect()
}
