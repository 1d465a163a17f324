//! TIFF: header and first IFD read with the `tiff` crate, image re-written
//! (LZW) at the source's sample format with tag 700 (XMP), tag 34675 (ICC
//! profile) and tag 274 (orientation) carried over. Multi-page TIFF is
//! refused rather than silently cut to its first page. Other tags (EXIF
//! sub-IFD, GeoTIFF, resolution) are not copied; see the README.

use image::DynamicImage;
use image::metadata::Orientation;
use std::io::{Cursor, Read, Seek};
use tiff::encoder::{Compression, TiffEncoder, colortype};
use tiff::tags::Tag;

use crate::{Ctx, Info, badge};
use tanba_core::{Error, Result};

pub(crate) const TAG_XMP: u16 = 700;

pub(crate) fn tiff_err(e: tiff::TiffError) -> Error {
    match e {
        tiff::TiffError::IoError(io) => Error::malformed(format!("TIFF: {io}")),
        tiff::TiffError::UnsupportedError(u) => Error::unsupported(format!("TIFF: {u}")),
        other => Error::malformed(format!("TIFF: {other}")),
    }
}

pub(crate) struct TiffMeta {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) pages_after_first: bool,
    xmp: Option<Vec<u8>>,
    pub(crate) icc: Option<Vec<u8>>,
    pub(crate) orientation: Option<u16>,
}

fn read_meta(bytes: &[u8]) -> Result<TiffMeta> {
    let mut d = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_err)?;
    let mut meta = meta_of(&mut d)?;
    meta.pages_after_first = meta.pages_after_first && later_ifds_hold_pages(bytes);
    Ok(meta)
}

/// The first IFD's metadata; any later IFD counts as a page (`read_meta`
/// looks closer, for a C2PA trailer).
pub(crate) fn meta_of<R: Read + Seek>(d: &mut tiff::decoder::Decoder<R>) -> Result<TiffMeta> {
    let (width, height) = d.dimensions().map_err(tiff_err)?;
    let xmp = d.get_tag_u8_vec(Tag::Unknown(TAG_XMP)).ok();
    let icc = d.get_tag_u8_vec(Tag::IccProfile).ok();
    let orientation = d.find_tag_unsigned::<u16>(Tag::Orientation).ok().flatten();
    Ok(TiffMeta {
        width,
        height,
        pages_after_first: d.more_images(),
        xmp,
        icc,
        orientation,
    })
}

/// The C2PA manifest store's tag: C2PA puts it in an IFD of its own after
/// the image's, which is not a page.
const TAG_C2PA: u16 = 0xCD41;

/// Whether an IFD after the first holds anything but a C2PA manifest
/// (classic TIFF; BigTIFF and unreadable chains count as pages, the safe
/// answer for the multi-page check).
fn later_ifds_hold_pages(bytes: &[u8]) -> bool {
    let little = match bytes.get(0..4) {
        Some(b"II*\0") => true,
        Some(b"MM\0*") => false,
        _ => return true,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        let v = if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        };
        usize::try_from(v).ok()
    };
    let next_after = |ifd: usize| -> Option<(usize, Vec<u16>)> {
        let count = usize::from(u16_at(ifd)?);
        let tags = (0..count)
            .map(|i| u16_at(ifd + 2 + 12 * i))
            .collect::<Option<Vec<u16>>>()?;
        Some((u32_at(ifd + 2 + 12 * count)?, tags))
    };
    let Some(first) = u32_at(4) else {
        return true;
    };
    let Some((mut next, _)) = next_after(first) else {
        return true;
    };
    // A chain longer than this is not a C2PA trailer; a loop must end.
    for _ in 0..16 {
        if next == 0 {
            return false;
        }
        match next_after(next) {
            Some((after, tags)) if tags.iter().all(|&t| t == TAG_C2PA) => next = after,
            _ => return true,
        }
    }
    true
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Info> {
    info_of(&read_meta(bytes)?)
}

/// What `inspect` says of a TIFF with metadata `m`.
pub(crate) fn info_of(m: &TiffMeta) -> Result<Info> {
    if m.pages_after_first {
        return Err(Error::unsupported(
            "multi-page TIFF: labelling only the first page would drop the others",
        ));
    }
    let mut info = Info::new(m.width, m.height, "TIFF tag 700 (XMP)");
    info.orientation = m
        .orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    if let Some(x) = &m.xmp {
        info.set_xmp(
            String::from_utf8_lossy(x)
                .trim_end_matches('\0')
                .to_string(),
        );
    }
    Ok(info)
}

macro_rules! write_tiff {
    ($enc:expr, $ct:ty, $w:expr, $h:expr, $data:expr, $meta:expr, $xmp:expr) => {{
        let mut image = $enc.new_image::<$ct>($w, $h).map_err(tiff_err)?;
        let dir = image.encoder();
        dir.write_tag(Tag::Unknown(TAG_XMP), $xmp)
            .map_err(tiff_err)?;
        if let Some(icc) = &$meta.icc {
            dir.write_tag(Tag::IccProfile, icc.as_slice())
                .map_err(tiff_err)?;
        }
        if let Some(o) = $meta.orientation {
            dir.write_tag(Tag::Orientation, o).map_err(tiff_err)?;
        }
        image.write_data($data).map_err(tiff_err)?;
    }};
}

pub(crate) fn label(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let meta = read_meta(ctx.bytes)?;
    let mut img = crate::decode(&crate::TIFF, ctx.bytes, ctx.info, ctx.limits)?;
    if matches!(img, DynamicImage::ImageLumaA8(_)) {
        img = DynamicImage::ImageRgba8(img.into_rgba8());
        notes.push("grey+alpha TIFF written as RGBA (the encoder has no grey+alpha)".to_string());
    } else if matches!(img, DynamicImage::ImageLumaA16(_)) {
        img = DynamicImage::ImageRgba16(img.into_rgba16());
        notes.push("grey+alpha TIFF written as RGBA (the encoder has no grey+alpha)".to_string());
    }
    crate::mark::apply(&mut img, ctx.watermark.as_ref())?;
    badge::blend_onto(&mut img, &ctx.placed.badge.rgba, ctx.placed.x, ctx.placed.y)?;
    let (w, h) = (img.width(), img.height());
    let xmp = ctx.marks.xmp.as_bytes();
    let mut cursor = Cursor::new(Vec::with_capacity(ctx.bytes.len()));
    {
        let mut enc = TiffEncoder::new(&mut cursor)
            .map_err(tiff_err)?
            .with_compression(Compression::Lzw);
        match &img {
            DynamicImage::ImageLuma8(i) => {
                write_tiff!(enc, colortype::Gray8, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageRgb8(i) => {
                write_tiff!(enc, colortype::RGB8, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageRgba8(i) => {
                write_tiff!(enc, colortype::RGBA8, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageLuma16(i) => {
                write_tiff!(enc, colortype::Gray16, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageRgb16(i) => {
                write_tiff!(enc, colortype::RGB16, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageRgba16(i) => {
                write_tiff!(enc, colortype::RGBA16, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageRgb32F(i) => {
                write_tiff!(enc, colortype::RGB32Float, w, h, i.as_raw(), meta, xmp)
            }
            DynamicImage::ImageRgba32F(i) => {
                write_tiff!(enc, colortype::RGBA32Float, w, h, i.as_raw(), meta, xmp)
            }
            other => {
                let rgba = other.to_rgba8();
                notes.push("TIFF sample format not writable; written as 8-bit RGBA".to_string());
                write_tiff!(enc, colortype::RGBA8, w, h, rgba.as_raw(), meta, xmp)
            }
        }
    }
    Ok(cursor.into_inner())
}
