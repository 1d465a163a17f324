//! HEIF pictures: HEIC (HEVC-coded, every iPhone photo) and AVIF
//! (AV1-coded), read and written through libheif (see `ffi`).
//!
//! The boxes are walked here first, so every `ispe` (coded size) is checked
//! against the limits before libheif allocates anything, and image
//! sequences (a `moov` track: animated AVIF/HEIF) are refused, since
//! libheif writes still images only. The primary image is decoded as it
//! is displayed (its `irot`/`imir`/`clap` applied), labelled upright and
//! written without transforms; the EXIF Orientation is set to 1 to match.
//! Kept: EXIF (with the AIGC label added as UserComment), the ICC profile,
//! the bit depth (8, 10, 12) and alpha. XMP goes in a `mime` item of type
//! `application/rdf+xml`, where exiftool and libheif read it.
//!
//! Quality: HEVC and AV1 files carry no quality setting; the output's is
//! the one at which a centre crop of the source (up to 512×512) encodes to
//! the source's own bits per pixel, found by bisection over four trial
//! encodes, so the output neither loses detail nor balloons.

use image::{DynamicImage, ImageBuffer, Rgb, Rgba};

use crate::ffi::{self, Codec, EncodeJob, Pixels, Reader};
use crate::{AVIF, Ctx, Info, badge, exif};
use tanba_core::{Error, Format, Limits, Result};

/// The ISO BMFF boxes of `data`, `(type, body)`; a cut box is a
/// truncated HEIF.
fn boxes(data: &[u8]) -> impl Iterator<Item = Result<([u8; 4], &[u8])>> {
    tanba_core::isobmff::children(data).map(|b| {
        b.map_err(|e| match e {
            Error::Malformed { reason, .. } => {
                Error::malformed(format!("HEIF is truncated: {reason}"))
            }
            other => other,
        })
    })
}

fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>> {
    for b in boxes(body) {
        let (k, data) = b?;
        if &k == kind {
            return Ok(Some(data));
        }
    }
    Ok(None)
}

/// What the box walk found.
struct Structure {
    /// A transform property (rotation, mirror, crop) is present.
    transformed: bool,
}

/// Walks the top-level boxes and the item properties: refuses truncated
/// files and sequences, and checks every coded size against the limits.
fn walk(bytes: &[u8], limits: &Limits) -> Result<Structure> {
    let mut meta = None;
    for (i, b) in boxes(bytes).enumerate() {
        let (kind, body) = b?;
        match &kind {
            b"ftyp" => {}
            _ if i == 0 => return Err(Error::malformed("HEIF does not start with an ftyp box")),
            b"moov" => {
                return Err(Error::unsupported(
                    "an image sequence (animated AVIF/HEIF, a 'moov' track): only still HEIF pictures are labelled",
                ));
            }
            b"meta" => meta = Some(body.get(4..).unwrap_or_default()),
            _ => {}
        }
    }
    let meta = meta.ok_or_else(|| Error::malformed("HEIF has no 'meta' box (no picture)"))?;
    let ipco = match child(meta, b"iprp")? {
        Some(iprp) => child(iprp, b"ipco")?,
        None => None,
    }
    .ok_or_else(|| Error::malformed("HEIF has no item properties ('ipco')"))?;
    let mut transformed = false;
    let mut sizes = 0;
    for b in boxes(ipco) {
        let (kind, body) = b?;
        match &kind {
            b"ispe" => {
                let v = body
                    .get(4..12)
                    .ok_or_else(|| Error::malformed("HEIF 'ispe' box too short"))?;
                let w = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
                let h = u32::from_be_bytes([v[4], v[5], v[6], v[7]]);
                limits.check_dimensions(w, h)?;
                sizes += 1;
            }
            b"irot" | b"imir" | b"clap" => transformed = true,
            _ => {}
        }
    }
    if sizes == 0 {
        return Err(Error::malformed("HEIF has no image size ('ispe')"));
    }
    Ok(Structure { transformed })
}

/// The TIFF structure inside a HEIF `Exif` item (a 4-byte offset to the
/// TIFF header comes first).
fn tiff_of(item: &[u8]) -> Option<&[u8]> {
    let skip = u32::from_be_bytes(item.get(..4)?.try_into().ok()?) as usize;
    item.get(4usize.checked_add(skip)?..)
}

pub(crate) fn inspect(format: &'static Format, bytes: &[u8], limits: &Limits) -> Result<Info> {
    let structure = walk(bytes, limits)?;
    let reader = Reader::open(bytes)?;
    let (w, h) = reader.size();
    let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
        return Err(Error::malformed("HEIF primary image has no size"));
    };
    let mut info = Info::new(w, h, "HEIF XMP item");
    for block in reader.metadata(bytes.len() as u64)? {
        if block.item_type == "Exif" {
            info.exif_aigc = tiff_of(&block.data).and_then(exif::user_comment);
        } else if block.item_type == "mime" && block.content_type == "application/rdf+xml" {
            info.set_xmp(String::from_utf8_lossy(&block.data).into_owned());
        }
    }
    if structure.transformed {
        info.notes.push(format!(
            "{}: the stored rotation, mirroring or crop was applied to the pixels (the output is stored upright)",
            format.name.to_uppercase()
        ));
    }
    if reader.top_level_images() > 1 {
        info.notes.push(format!(
            "{} holds {} pictures: the primary one was labelled; the others are not carried over",
            format.name.to_uppercase(),
            reader.top_level_images()
        ));
    }
    Ok(info)
}

/// Samples of `bits` depth scaled to 16 bits, and back.
fn widen(v: u16, bits: u32) -> u16 {
    (v << (16 - bits)) | (v >> (2 * bits).saturating_sub(16).min(15))
}

fn to_image(w: u32, h: u32, alpha: bool, bits: u32, pixels: Pixels) -> Result<DynamicImage> {
    let short = || Error::malformed("HEIF decoded to fewer pixels than its size");
    Ok(match (pixels, alpha) {
        (Pixels::Eight(p), false) => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, p).ok_or_else(short)?)
        }
        (Pixels::Eight(p), true) => {
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, p).ok_or_else(short)?)
        }
        (Pixels::Deep(p), a) => {
            let p: Vec<u16> = p.into_iter().map(|v| widen(v, bits)).collect();
            if a {
                DynamicImage::ImageRgba16(
                    ImageBuffer::<Rgba<u16>, _>::from_raw(w, h, p).ok_or_else(short)?,
                )
            } else {
                DynamicImage::ImageRgb16(
                    ImageBuffer::<Rgb<u16>, _>::from_raw(w, h, p).ok_or_else(short)?,
                )
            }
        }
    })
}

fn to_pixels(img: &DynamicImage, bits: u32) -> Pixels {
    match img {
        DynamicImage::ImageRgb16(i) => {
            Pixels::Deep(i.as_raw().iter().map(|v| v >> (16 - bits)).collect())
        }
        DynamicImage::ImageRgba16(i) => {
            Pixels::Deep(i.as_raw().iter().map(|v| v >> (16 - bits)).collect())
        }
        other => Pixels::Eight(other.as_bytes().to_vec()),
    }
}

/// The primary image as displayed, at its coded depth (8, 10 or 12 bits,
/// the deeper ones widened to 16), with whether it has alpha and its depth.
fn decode_full(reader: &Reader, info: &Info) -> Result<(DynamicImage, u32)> {
    let alpha = reader.has_alpha();
    let bits = u32::try_from(reader.luma_bits()).unwrap_or(8).clamp(8, 16);
    let (w, h, pixels) = reader.decode(alpha, bits > 8)?;
    if (w, h) != (info.width, info.height) {
        return Err(Error::malformed(
            "HEIF decodes to a size other than its header's",
        ));
    }
    Ok((to_image(w, h, alpha, bits, pixels)?, bits))
}

/// Decodes the primary image (for verification).
pub(crate) fn decode(bytes: &[u8], info: &Info) -> Result<DynamicImage> {
    let reader = Reader::open(bytes)?;
    Ok(decode_full(&reader, info)?.0)
}

/// libheif 1.15's AV1 path asks libaom for an invalid profile at 10 and
/// 12 bits with 4:2:0 or 4:4:4 chroma, and libaom aborts the process; 4:2:2
/// is the deep chroma it encodes. 8-bit and HEVC keep libheif's default.
fn chroma_for(codec: Codec, bits: u32) -> Option<&'static std::ffi::CStr> {
    (codec == Codec::Av1 && bits > 8).then_some(c"422")
}

fn codec_of(format: &'static Format) -> Codec {
    if format.name == AVIF.name {
        Codec::Av1
    } else {
        Codec::Hevc
    }
}

/// The quality whose trial encode of a centre crop of `img` comes
/// closest to `target_bpp` bits per pixel; returns it and that rate.
fn choose_quality(
    img: &DynamicImage,
    codec: Codec,
    bits: u32,
    target_bpp: f64,
) -> Result<(u8, f64)> {
    let (cw, ch) = (img.width().min(512), img.height().min(512));
    let crop = img.crop_imm((img.width() - cw) / 2, (img.height() - ch) / 2, cw, ch);
    let pixels = to_pixels(&crop, bits);
    let mut best = (f64::MAX, 50u8, 0.0);
    let (mut lo, mut hi) = (10u8, 95u8);
    for _ in 0..4 {
        let q = lo + (hi - lo) / 2;
        let out = ffi::encode(&EncodeJob {
            codec,
            quality: q,
            width: cw,
            height: ch,
            alpha: crop.color().has_alpha(),
            depth: bits as u8,
            pixels: &pixels,
            icc: None,
            exif: None,
            xmp: None,
            chroma: chroma_for(codec, bits),
            orientation: 1,
        })?;
        let bpp = out.len() as f64 * 8.0 / (f64::from(cw) * f64::from(ch));
        if (bpp - target_bpp).abs() < best.0 {
            best = ((bpp - target_bpp).abs(), q, bpp);
        }
        if bpp < target_bpp {
            lo = q.saturating_add(1).min(hi);
        } else {
            hi = q.saturating_sub(1).max(lo);
        }
        if lo >= hi {
            break;
        }
    }
    Ok((best.1, best.2))
}

pub(crate) fn label(
    format: &'static Format,
    ctx: &Ctx<'_>,
    notes: &mut Vec<String>,
) -> Result<Vec<u8>> {
    let structure = walk(ctx.bytes, ctx.limits)?;
    let reader = Reader::open(ctx.bytes)?;
    let (mut img, bits) = decode_full(&reader, ctx.info)?;
    let metadata = reader.metadata(ctx.bytes.len() as u64)?;
    let icc = reader.icc()?;
    let extra: usize =
        metadata.iter().map(|m| m.data.len()).sum::<usize>() + icc.as_ref().map_or(0, Vec::len);
    let pixels = f64::from(img.width()) * f64::from(img.height());
    let source_bpp = ctx.bytes.len().saturating_sub(extra) as f64 * 8.0 / pixels;
    let codec = codec_of(format);
    let (quality, _) = choose_quality(&img, codec, bits, source_bpp)?;
    crate::mark::apply(&mut img, ctx.watermark.as_ref())?;
    badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;

    let source_exif = metadata
        .iter()
        .find(|m| m.item_type == "Exif")
        .and_then(|m| tiff_of(&m.data));
    notes.extend(exif::replaced_comment_note(source_exif));
    // Pixels turned upright by a stored transform: the EXIF Orientation
    // (which HEIF readers ignore) must not turn them again.
    let exif = match exif::with_user_comment(source_exif, &ctx.marks.aigc, structure.transformed) {
        Ok(e) => e,
        Err(_) => {
            notes.push(
                "the source's EXIF did not parse; a new EXIF block carries the AIGC label"
                    .to_string(),
            );
            exif::with_user_comment(None, &ctx.marks.aigc, false)?
        }
    };
    let (encoder, name) = match codec {
        Codec::Hevc => ("x265", "HEIC"),
        Codec::Av1 => ("AV1", "AVIF"),
    };
    notes.push(format!(
        "{name} re-encoded ({encoder}, {bits}-bit) at quality {quality}: the quality at which a centre crop encodes to the source's {source_bpp:.2} bits per pixel"
    ));
    if chroma_for(codec, bits).is_some() {
        notes.push(format!(
            "{bits}-bit AVIF written with 4:2:2 chroma (libheif 1.15's AV1 encoder aborts on deep 4:2:0)"
        ));
    }
    let (w, h) = (img.width(), img.height());
    let alpha = img.color().has_alpha();
    let pixels = to_pixels(&img, bits);
    ffi::encode(&EncodeJob {
        codec,
        quality,
        width: w,
        height: h,
        alpha,
        depth: bits as u8,
        pixels: &pixels,
        icc: icc.as_deref(),
        exif: Some(&exif),
        xmp: Some(ctx.marks.xmp.as_bytes()),
        chroma: chroma_for(codec, bits),
        orientation: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture stored 640x320 with a 90° rotation (irot) displays 320x640:
    /// it is labelled as displayed and written upright, without irot.
    #[test]
    fn a_stored_rotation_is_applied_and_the_output_is_upright() {
        let stored: Vec<u8> = (0..640 * 320 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let pixels = Pixels::Eight(stored);
        let input = ffi::encode(&EncodeJob {
            codec: Codec::Hevc,
            quality: 80,
            width: 640,
            height: 320,
            alpha: false,
            depth: 8,
            pixels: &pixels,
            icc: None,
            exif: None,
            xmp: None,
            chroma: None,
            orientation: 6,
        })
        .unwrap();
        let limits = Limits::default();
        assert!(walk(&input, &limits).unwrap().transformed);
        assert_eq!(Reader::open(&input).unwrap().size(), (320, 640));
        let labeler = crate::ImageLabeler::default();
        let job = tanba_core::Job::new();
        let (out, labelled) = labeler.label_bytes(&input, None, &job).unwrap();
        assert!(
            labelled
                .notes
                .iter()
                .any(|n| n.contains("rotation, mirroring or crop was applied")),
            "{:?}",
            labelled.notes
        );
        assert!(!walk(&out, &limits).unwrap().transformed);
        assert_eq!(Reader::open(&out).unwrap().size(), (320, 640));
        assert_eq!(labelled.manifest.label.placement.rotation, Some(0));
        let v = labeler.verify_bytes(&out, &limits).unwrap();
        assert!(v.is_compliant(), "{:?}", v.perceptible);
    }

    #[test]
    fn widening_round_trips() {
        for bits in [10u32, 12] {
            for v in [0u16, 1, 511, (1 << bits) - 1] {
                assert_eq!(widen(v, bits) >> (16 - bits), v);
            }
            assert_eq!(widen((1 << bits) - 1, bits), u16::MAX);
        }
    }
}
