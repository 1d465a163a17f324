//! JPEG: segment parsing, quality estimation, re-encode with the source's
//! quantisation, and metadata carried over at the segment level.
//!
//! Kept from the input: APP0 density, APP1 Exif, APP1 extended XMP, APP2
//! ICC (dropped for CMYK input, whose profile no longer applies), APP13
//! (Photoshop/IPTC), COM. The XMP APP1 is replaced by the merged packet.
//! Dropped: APP2 MPF and APP11 JUMBF/C2PA (their offsets and hashes describe
//! the old bytes), APP14 Adobe (describes the old colour transform) and
//! other application segments, with a note.

use image::DynamicImage;
use image::metadata::Orientation;
use jpeg_encoder::{ColorType, Density, Encoder, QuantizationTableType, SamplingFactor};

use crate::{Ctx, Info, badge, jpeg_luma};
use tanba_core::{Error, Result};

const XMP_SIG: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT_SIG: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const EXIF_SIG: &[u8] = b"Exif\0\0";
const ICC_SIG: &[u8] = b"ICC_PROFILE\0";

/// Natural-order position of each zig-zag index.
pub(crate) const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// ITU-T T.81 Annex K luminance table, natural order (the IJG base).
const ANNEX_K_LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/// One application or comment segment: marker byte and payload.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub marker: u8,
    pub payload: Vec<u8>,
}

/// What the segment walk found.
#[derive(Debug, Clone, Default)]
pub(crate) struct JpegHeader {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub progressive: bool,
    /// (h, v) sampling of each component.
    pub sampling: Vec<(u8, u8)>,
    /// Quantisation table id of each component.
    pub component_tables: Vec<u8>,
    /// Tables by id, natural order; `None` when absent or 16-bit with values > 255.
    pub tables: [Option<[u16; 64]>; 4],
    pub(crate) segments: Vec<Segment>,
    pub xmp: Option<String>,
    pub exif: Option<Vec<u8>>,
    pub density: Option<Density>,
}

fn be16(b: &[u8], at: usize) -> Result<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or_else(|| Error::malformed("JPEG truncated inside a segment header"))
}

/// Walks the segments up to the first scan, then makes sure the file ends
/// with an end-of-image marker (a truncated file is refused, not padded
/// with grey as lenient decoders do).
pub(crate) fn parse(bytes: &[u8]) -> Result<JpegHeader> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(Error::malformed("not a JPEG (no start-of-image marker)"));
    }
    let mut h = JpegHeader::default();
    let mut pos = 2;
    let mut saw_frame = false;
    loop {
        // Skip fill bytes before a marker.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(Error::malformed(
                "JPEG truncated or corrupt before the first scan",
            ));
        };
        pos += 2;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue;
        }
        if marker == 0xD9 {
            return Err(Error::malformed("JPEG ends before its first scan"));
        }
        let len = usize::from(be16(bytes, pos)?);
        if len < 2 || pos + len > bytes.len() {
            return Err(Error::malformed("JPEG truncated inside a segment"));
        }
        let body = &bytes[pos + 2..pos + len];
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                parse_frame(&mut h, marker, body)?;
                saw_frame = true;
            }
            0xDB => parse_dqt(&mut h, body)?,
            0xDA => {
                if !saw_frame {
                    return Err(Error::malformed("JPEG scan before any frame header"));
                }
                let scan = &bytes[pos + len..];
                // From the end, where the marker is: a forward search read
                // the whole scan, about 2 % of labelling a 12-MP JPEG.
                if !scan.windows(2).rev().any(|w| w == [0xFF, 0xD9]) {
                    return Err(Error::malformed(
                        "JPEG is truncated: the image data has no end-of-image marker",
                    ));
                }
                return Ok(h);
            }
            0xE0 if body.starts_with(b"JFIF\0") && body.len() >= 12 => {
                let (x, y) = (be16(body, 8)?, be16(body, 10)?);
                h.density = match body[7] {
                    1 => Some(Density::Inch { x, y }),
                    2 => Some(Density::Centimeter { x, y }),
                    _ => None,
                };
            }
            0xE1 if body.starts_with(XMP_SIG) => {
                let packet = String::from_utf8_lossy(&body[XMP_SIG.len()..]).into_owned();
                h.xmp = Some(packet);
            }
            0xE1 if body.starts_with(EXIF_SIG) => {
                h.exif = Some(body[EXIF_SIG.len()..].to_vec());
                h.segments.push(Segment {
                    marker,
                    payload: body.to_vec(),
                });
            }
            0xE0..=0xEF | 0xFE => h.segments.push(Segment {
                marker,
                payload: body.to_vec(),
            }),
            _ => {}
        }
        pos += len;
    }
}

fn parse_frame(h: &mut JpegHeader, marker: u8, body: &[u8]) -> Result<()> {
    if body.len() < 6 {
        return Err(Error::malformed("JPEG frame header too short"));
    }
    h.height = u32::from(be16(body, 1)?);
    h.width = u32::from(be16(body, 3)?);
    h.components = body[5];
    h.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
    if body.len() < 6 + 3 * usize::from(h.components) {
        return Err(Error::malformed(
            "JPEG frame header lists more components than it holds",
        ));
    }
    for c in 0..usize::from(h.components) {
        let sf = body[6 + 3 * c + 1];
        h.sampling.push((sf >> 4, sf & 0x0F));
        h.component_tables.push(body[6 + 3 * c + 2] & 3);
    }
    if h.height == 0 {
        return Err(Error::unsupported("JPEG with the height in a DNL marker"));
    }
    Ok(())
}

fn parse_dqt(h: &mut JpegHeader, body: &[u8]) -> Result<()> {
    for entry in dqt_entries(body) {
        let (id, natural) = entry?;
        let fits = natural.iter().all(|&v| (1..=255).contains(&v));
        h.tables[id] = fits.then_some(natural);
    }
    Ok(())
}

/// The tables of one DQT segment's body: (id 0..=3, natural-order steps),
/// 8- or 16-bit as each entry says; an error ends the walk at a
/// truncated entry. Shared by the re-encode and the coefficient path.
pub(crate) fn dqt_entries(
    mut body: &[u8],
) -> impl Iterator<Item = Result<(usize, [u16; 64])>> + '_ {
    std::iter::from_fn(move || {
        let &pq_tq = body.first()?;
        let sixteen = pq_tq >> 4 != 0;
        let size = if sixteen { 128 } else { 64 };
        let Some(data) = body.get(1..1 + size) else {
            body = &[];
            return Some(Err(Error::malformed("JPEG DQT truncated")));
        };
        let mut natural = [0u16; 64];
        for (k, &n) in ZIGZAG.iter().enumerate() {
            natural[n] = if sixteen {
                u16::from_be_bytes([data[2 * k], data[2 * k + 1]])
            } else {
                u16::from(data[k])
            };
        }
        body = &body[1 + size..];
        Some(Ok((usize::from(pq_tq & 3), natural)))
    })
}

/// The IJG quality (1..=100) whose scaled Annex K table is closest to
/// `table`: the inverse of libjpeg's `jpeg_quality_scaling`.
pub fn estimate_quality(table: &[u16; 64]) -> u8 {
    let mut best = (u64::MAX, 75u8);
    for q in 1..=100u32 {
        let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
        let err: u64 = ANNEX_K_LUMA
            .iter()
            .zip(table)
            .map(|(&base, &t)| {
                let v = ((u32::from(base) * scale + 50) / 100).clamp(1, 255);
                u64::from(v.abs_diff(u32::from(t)))
            })
            .sum();
        if err < best.0 {
            best = (err, q as u8);
        }
    }
    best.1
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Info> {
    let h = parse(bytes)?;
    let mut info = Info::new(h.width, h.height, "XMP APP1");
    if let Some(exif) = &h.exif {
        info.orientation = Orientation::from_exif_chunk(exif).unwrap_or(Orientation::NoTransforms);
        info.exif_aigc = crate::exif::user_comment(exif);
    }
    if let Some(x) = h.xmp {
        info.set_xmp(x);
    }
    if h.components == 4 {
        info.notes.push(
            "CMYK JPEG: converted to RGB (the badge is drawn in RGB); its CMYK ICC profile was dropped"
                .to_string(),
        );
    }
    Ok(info)
}

/// The labelled JPEG; when the DCT path takes it and `direct` is given,
/// written there as it is made (and the bytes returned are empty).
pub(crate) fn label(
    ctx: &Ctx<'_>,
    notes: &mut Vec<String>,
    direct: Option<&mut dyn std::io::Write>,
) -> Result<Vec<u8>> {
    let h = parse(ctx.bytes)?;
    // Coefficients copied outside the badge where the file allows it.
    let before = notes.len();
    if let Some(out) = crate::jpeg_dct::label(ctx, &h, notes, direct, None)? {
        return Ok(out);
    }
    reencode(ctx, &h, notes, before)
}

/// The full re-encode of the JPEG in `ctx.bytes` (whole), whose header is
/// `h`, after the DCT path declined it; `before` is how many notes there
/// were before that path ran (none added: it declined by the settings).
pub(crate) fn reencode(
    ctx: &Ctx<'_>,
    h: &JpegHeader,
    notes: &mut Vec<String>,
    before: usize,
) -> Result<Vec<u8>> {
    if notes.len() == before {
        // Declined before the file was read: by the settings.
        notes.push(crate::jpeg_dct::declined(
            if ctx.settings.jpeg_quality != crate::JpegQuality::Source {
                "a fixed JPEG quality asks for the whole picture at that quality"
            } else {
                "the imperceptible watermark is embedded in the pixels (a picture under \
                 2048 px on its shorter side: the mark's SSIM floor needs them)"
            },
        ));
    }
    let mut img = crate::decode(&crate::JPEG, ctx.bytes, ctx.info, ctx.limits)?;
    if (img.width(), img.height()) != (h.width, h.height) {
        return Err(Error::malformed(
            "JPEG decodes to a size other than its header's",
        ));
    }
    let grey = h.components == 1;
    img = if grey {
        DynamicImage::ImageLuma8(img.into_luma8())
    } else {
        DynamicImage::ImageRgb8(img.into_rgb8())
    };
    crate::mark::apply(&mut img, ctx.watermark.as_ref())?;
    badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;

    let (w, hgt) = (
        u16::try_from(h.width).map_err(|_| Error::malformed("JPEG wider than 65535"))?,
        u16::try_from(h.height).map_err(|_| Error::malformed("JPEG taller than 65535"))?,
    );
    let mut out = Vec::with_capacity(ctx.bytes.len() + ctx.marks.xmp.len() + 4096);
    let luma_table = h
        .component_tables
        .first()
        .and_then(|&t| h.tables[usize::from(t)]);
    let chroma_table = h
        .component_tables
        .get(1)
        .and_then(|&t| h.tables[usize::from(t)]);
    let quality = match ctx.settings.jpeg_quality {
        crate::JpegQuality::Fixed(q) => q.clamp(1, 100),
        crate::JpegQuality::Source => luma_table.as_ref().map(estimate_quality).unwrap_or(90),
    };
    let mut enc = Encoder::new(&mut out, quality);
    match (ctx.settings.jpeg_quality, luma_table) {
        (crate::JpegQuality::Source, Some(luma)) => {
            let chroma = chroma_table.unwrap_or(luma);
            enc.set_quantization_tables(
                QuantizationTableType::Custom(Box::new(luma)),
                QuantizationTableType::Custom(Box::new(chroma)),
            );
            notes.push(format!(
                "JPEG re-encoded with the source's own quantisation tables (about IJG quality {quality})"
            ));
        }
        (crate::JpegQuality::Source, None) => {
            notes
                .push("JPEG source tables unusable (16-bit); re-encoded at quality 90".to_string());
        }
        (crate::JpegQuality::Fixed(_), _) => {}
    }
    enc.set_progressive(h.progressive);
    let ratio = sampling_ratio(h);
    if !h.progressive && ratio.0 <= 2 && ratio.1 <= 2 {
        // Restart markers that tile the rows let verification decode only
        // the intervals under the badge (see jpeg_luma).
        let mcu_w = if grey { 8 } else { 8 * u32::from(ratio.0) };
        enc.set_restart_interval(jpeg_luma::restart_interval(h.width, mcu_w));
    }
    // Optimised Huffman tables would save a few percent, but the streams
    // jpeg-encoder 0.6 writes with them are misdecoded by zune-jpeg (the
    // image crate's decoder) at some sizes; standard tables decode everywhere.
    enc.set_optimized_huffman_tables(false);
    if let Some(d) = h.density {
        enc.set_density(d);
    }
    if !grey {
        enc.set_sampling_factor(sampling_of(h));
    }
    let enc_err = |e: jpeg_encoder::EncodingError| Error::malformed(format!("JPEG encoder: {e}"));
    add_segments(
        &mut |n, p| enc.add_app_segment(n, p).map_err(enc_err),
        h,
        ctx.marks,
        notes,
    )?;
    let pixels = img.as_bytes();
    let colour = if grey {
        ColorType::Luma
    } else {
        ColorType::Rgb
    };
    enc.encode(pixels, w, hgt, colour).map_err(enc_err)?;
    // Comments go in as COM segments right after the header segments.
    let comments: Vec<&Segment> = h.segments.iter().filter(|s| s.marker == 0xFE).collect();
    if !comments.is_empty() {
        out = insert_comments(&out, &comments);
    }
    Ok(out)
}

/// Adds the application segments kept from the source (the Exif one with
/// the AIGC UserComment), then the XMP packet, through `add` (APPn number,
/// payload).
pub(crate) fn add_segments(
    add: &mut dyn FnMut(u8, &[u8]) -> Result<()>,
    h: &JpegHeader,
    marks: &crate::Marks<'_>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let exif = exif_payload(h, &marks.aigc, notes);
    if h.exif.is_none() {
        add(1, &exif)?;
    }
    let mut dropped = 0usize;
    for seg in &h.segments {
        if seg.marker == 0xE1 && seg.payload.starts_with(EXIF_SIG) {
            add(1, &exif)?;
            continue;
        }
        let keep = match seg.marker {
            0xE1 => seg.payload.starts_with(EXIF_SIG) || seg.payload.starts_with(XMP_EXT_SIG),
            0xE2 => seg.payload.starts_with(ICC_SIG) && h.components != 4,
            0xED => true,
            _ => false,
        };
        if keep {
            add(seg.marker - 0xE0, &seg.payload)?;
        } else if !matches!(seg.marker, 0xE0 | 0xEE | 0xFE) {
            dropped += 1;
        }
    }
    let mut xmp_payload = XMP_SIG.to_vec();
    xmp_payload.extend_from_slice(marks.xmp.as_bytes());
    if xmp_payload.len() > 65533 {
        return Err(Error::cannot_label(
            "the XMP packet does not fit one JPEG APP1 segment (64 KiB)",
        ));
    }
    add(1, &xmp_payload)?;
    if dropped > 0 {
        let (segments, were) = if dropped == 1 {
            ("segment", "was")
        } else {
            ("segments", "were")
        };
        notes.push(format!(
            "{dropped} JPEG application {segments} (MPF, C2PA/JUMBF or vendor data describing the old bytes) {were} not carried over"
        ));
    }
    Ok(())
}

/// The APP1 Exif payload to write: the source's EXIF (or a minimal one)
/// with the AIGC label as its UserComment. When that would not fit one
/// segment, or the source's EXIF does not parse, the source's stays as it
/// was (XMP still carries the label), with a note.
fn exif_payload(h: &JpegHeader, aigc: &str, notes: &mut Vec<String>) -> Vec<u8> {
    let source = h.exif.as_deref();
    notes.extend(crate::exif::replaced_comment_note(source));
    let keep = |why: &str, notes: &mut Vec<String>| {
        notes.push(format!(
            "the AIGC label is not in EXIF UserComment: {why}; XMP carries it"
        ));
        let mut p = EXIF_SIG.to_vec();
        p.extend_from_slice(source.unwrap_or_default());
        p
    };
    match crate::exif::with_user_comment(source, aigc, false) {
        Ok(tiff) if tiff.len() + EXIF_SIG.len() <= 65533 => {
            let mut p = EXIF_SIG.to_vec();
            p.extend_from_slice(&tiff);
            p
        }
        Ok(_) => keep("the EXIF segment is too full", notes),
        Err(_) => keep("the source's EXIF does not parse", notes),
    }
}

/// Luma-to-chroma sampling ratio (horizontal, vertical) the output uses.
fn sampling_ratio(h: &JpegHeader) -> (u8, u8) {
    let luma = h.sampling.first().copied().unwrap_or((2, 2));
    let chroma = h.sampling.get(1).copied().unwrap_or((1, 1));
    let ratio = (
        (luma.0 / chroma.0.max(1)).max(1),
        (luma.1 / chroma.1.max(1)).max(1),
    );
    if SamplingFactor::from_factors(ratio.0, ratio.1).is_some() {
        ratio
    } else {
        (2, 2)
    }
}

fn sampling_of(h: &JpegHeader) -> SamplingFactor {
    let (x, y) = sampling_ratio(h);
    SamplingFactor::from_factors(x, y).unwrap_or(SamplingFactor::F_2_2)
}

/// Inserts COM segments after SOI and the encoder's APP segments.
fn insert_comments(jpeg: &[u8], comments: &[&Segment]) -> Vec<u8> {
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF && (0xE0..=0xEF).contains(&jpeg[pos + 1]) {
        pos += 2 + usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
    }
    let mut out = Vec::with_capacity(jpeg.len() + 1024);
    out.extend_from_slice(&jpeg[..pos.min(jpeg.len())]);
    for c in comments {
        if let Ok(len) = u16::try_from(c.payload.len() + 2) {
            out.extend_from_slice(&[0xFF, 0xFE]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&c.payload);
        }
    }
    out.extend_from_slice(&jpeg[pos.min(jpeg.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_ijg_quality() {
        for q in [30u8, 50, 75, 90, 95] {
            let mut out = Vec::new();
            let img =
                image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8 * 9, y as u8 * 9, 7]));
            Encoder::new(&mut out, q)
                .encode(img.as_raw(), 16, 16, ColorType::Rgb)
                .unwrap();
            let h = parse(&out).unwrap();
            assert_eq!(estimate_quality(&h.tables[0].unwrap()), q);
        }
    }

    #[test]
    fn truncated_is_refused() {
        let mut out = Vec::new();
        let img =
            image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 3, y as u8 * 3, 7]));
        Encoder::new(&mut out, 90)
            .encode(img.as_raw(), 64, 64, ColorType::Rgb)
            .unwrap();
        assert!(parse(&out).is_ok());
        let cut = &out[..out.len() * 2 / 3];
        assert!(matches!(parse(cut), Err(Error::Malformed { .. })));
        assert!(matches!(parse(&out[..40]), Err(Error::Malformed { .. })));
    }
}
