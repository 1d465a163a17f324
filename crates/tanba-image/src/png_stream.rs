//! Big PNGs row by row, in memory that does not grow with the picture.
//!
//! Taken: a still, non-interlaced, 8-bit grey, grey+alpha, RGB or RGBA PNG
//! without `tRNS`, whose shorter side is at least 2,048 px. Every chunk but
//! the image data is read first (the metadata `inspect` needs), then:
//!
//! 1. with the watermark on, a first pass decodes the rows and
//!    area-averages their luma onto the detector's grid
//!    ([`tanba_watermark::LumaRows`]), from which the informed mark is made;
//! 2. a second pass decodes the rows again, adds the mark to each, blends
//!    the badge into the rows it covers and writes them through `png`'s
//!    `StreamWriter` (fdeflate, the whole path's fast level), after the
//!    chunks the whole path keeps and our marks.
//!
//! The badge is painted a band of rows at a time as the rows pass
//! ([`badge::Bands`]), never whole (a picture stored turned by its EXIF
//! gets it painted whole and turned). The read-back ([`verify`]) is one
//! pass too: the luma of each row goes to the mark reader's shrink, and
//! the rows under the badge are scored against its masks, kept as run
//! lengths, as they pass. Everything else (palette, 16-bit, Adam7, APNG, `tRNS`,
//! pictures under 2,048 px, whose SSIM floor needs the whole picture) takes
//! the whole-picture path in `png`. The two labelling passes take rows from
//! any [`RowSource`]: `bmp_stream` feeds them a big BMP's.

use std::io::{BufReader, BufWriter, SeekFrom, Write};

use image::{DynamicImage, ImageBuffer};
use tanba_core::{
    Error, Job, Labelled, Limits, ReadSeek, Result, Source, Verification, WatermarkFound,
    WatermarkKey, WriteSeek,
};
use tanba_watermark::{KnownReader, LumaRows, RowMark, RowScratch, SSIM_SAMPLED_SIDE};

use crate::png::{PngHeader, SIGNATURE};
use crate::{ImageLabeler, Info, PNG, Prepared, badge, mark, verify};

/// Most bytes of chunks other than image data read into memory; a PNG with
/// more metadata than this takes the whole path (and its limits).
const MAX_META: u64 = 64 << 20;
/// The IDAT size written.
const IDAT_LEN: usize = 1 << 20;

/// A PNG's chunks without its image data, and its row layout.
pub(crate) struct Skeleton {
    /// Signature, every chunk but IDAT, IEND.
    bytes: Vec<u8>,
    header: PngHeader,
    /// Samples a pixel.
    channels: usize,
}

/// Reads every chunk but IDAT from the start of `reader`: `None` when the
/// PNG is not one this path takes (see the module's note) or is damaged
/// (the whole path then says how).
pub(crate) fn skeleton(reader: &mut dyn ReadSeek) -> Result<Option<Skeleton>> {
    reader.seek(SeekFrom::Start(0))?;
    let mut bytes = vec![0u8; SIGNATURE.len()];
    if reader.read_exact(&mut bytes).is_err() || bytes != SIGNATURE {
        return Ok(None);
    }
    loop {
        let mut head = [0u8; 8];
        if reader.read_exact(&mut head).is_err() {
            return Ok(None);
        }
        let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind = [head[4], head[5], head[6], head[7]];
        if matches!(&kind, b"acTL" | b"fcTL" | b"tRNS") {
            return Ok(None);
        }
        if &kind == b"IDAT" {
            reader.seek(SeekFrom::Current(len as i64 + 4))?;
            continue;
        }
        if bytes.len() as u64 + len > MAX_META {
            return Ok(None);
        }
        bytes.extend_from_slice(&head);
        let at = bytes.len();
        bytes.resize(at + len as usize + 4, 0);
        if reader.read_exact(&mut bytes[at..]).is_err() {
            return Ok(None);
        }
        if &kind == b"IEND" {
            break;
        }
    }
    let chunks = crate::png::chunks(&bytes)?;
    let header = crate::png::header(&chunks)?;
    let interlaced = chunks[0].data.get(12).is_some_and(|&i| i != 0);
    let channels = match header.colour_type {
        0 => 1,
        4 => 2,
        2 => 3,
        6 => 4,
        _ => return Ok(None),
    };
    let side = header.width.min(header.height) as usize;
    if interlaced || header.bit_depth != 8 || side < SSIM_SAMPLED_SIDE {
        return Ok(None);
    }
    Ok(Some(Skeleton {
        bytes,
        header,
        channels,
    }))
}

/// Decodes the rows of the PNG in `reader` in order, handing each to `f`.
fn for_each_row(
    reader: &mut dyn ReadSeek,
    sk: &Skeleton,
    limits: &Limits,
    f: &mut dyn FnMut(usize, &[u8]) -> Result<()>,
) -> Result<()> {
    let err = |e: png::DecodingError| Error::malformed(format!("PNG: {e}"));
    reader.seek(SeekFrom::Start(0))?;
    let mut decoder = png::Decoder::new(BufReader::with_capacity(1 << 16, reader));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let row_bytes = sk.header.width as usize * sk.channels;
    decoder.set_limits(png::Limits {
        bytes: (row_bytes * 4).max(64 << 20).min(limits.max_bytes as usize),
    });
    let mut rows = decoder.read_info().map_err(err)?;
    let mut y = 0usize;
    while let Some(row) = rows.next_row().map_err(err)? {
        if row.data().len() != row_bytes {
            return Err(Error::malformed(
                "PNG row of another length than its header's",
            ));
        }
        f(y, row.data())?;
        y += 1;
    }
    if y != sk.header.height as usize {
        return Err(Error::malformed(
            "PNG is truncated: fewer rows than its height",
        ));
    }
    Ok(())
}

/// Labels a big PNG row by row (see the module's note); `None` when it is
/// not one this path takes.
pub(crate) fn label(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    output: &mut dyn WriteSeek,
    job: &Job,
) -> Result<Option<Labelled>> {
    labeler.settings.style.validate()?;
    labeler.settings.font.check_label(&job.label)?;
    job.limits.check_bytes(source.len)?;
    let Some(sk) = skeleton(source.reader)? else {
        return Ok(None);
    };
    let notes = crate::name_notes(&PNG, source.path);
    let reader = &mut *source.reader;
    let prepared = labeler.prepare(&PNG, &sk.bytes, notes, job, || {
        tanba_core::manifest::sha256_of(reader)
    })?;
    let mut notes = prepared.notes.clone();
    let chunks = crate::png::chunks(&sk.bytes)?;
    let marks = crate::Marks {
        xmp: &prepared.packet,
        aigc: prepared.aigc.clone(),
    };
    let kept = crate::png::chunks_to_keep(&chunks, &marks);
    let mut rows = PngRows {
        reader: source.reader,
        sk: &sk,
        limits: &job.limits,
    };
    mark_and_write(&mut rows, output, &prepared, &kept, &mut notes)?;
    notes.push("PNG streamed row by row".to_string());
    Ok(Some(
        Labelled::new(prepared.out_format, prepared.manifest).with_notes(notes),
    ))
}

/// Where a streamed picture's rows come from: 8-bit rows of 1 to 4
/// samples a pixel, top to bottom, as many times as asked.
pub(crate) trait RowSource {
    /// Width, height, samples a pixel.
    fn layout(&self) -> (u32, u32, usize);
    /// Hands every row, top to bottom, to `f`.
    fn for_each_row(&mut self, f: &mut dyn FnMut(usize, &[u8]) -> Result<()>) -> Result<()>;
}

/// The rows of a PNG of [`skeleton`]'s kind.
struct PngRows<'a> {
    reader: &'a mut dyn ReadSeek,
    sk: &'a Skeleton,
    limits: &'a Limits,
}

impl RowSource for PngRows<'_> {
    fn layout(&self) -> (u32, u32, usize) {
        (
            self.sk.header.width,
            self.sk.header.height,
            self.sk.channels,
        )
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(usize, &[u8]) -> Result<()>) -> Result<()> {
        for_each_row(self.reader, self.sk, self.limits, f)
    }
}

/// Both passes over `src`'s rows: the informed mark made from their luma
/// (when `p` has a watermark), then the rows marked, badged and written
/// as a PNG with the `kept` chunks (the marks among them) after IHDR.
pub(crate) fn mark_and_write(
    src: &mut dyn RowSource,
    output: &mut dyn WriteSeek,
    p: &Prepared,
    kept: &[([u8; 4], Vec<u8>)],
    notes: &mut Vec<String>,
) -> Result<()> {
    let (width, height, channels) = src.layout();
    let row_mark = match &p.watermark {
        Some(w) => {
            let mut rows = LumaRows::new(width, height)
                .ok_or_else(|| Error::cannot_label("picture too small to stream"))?;
            src.for_each_row(&mut |_, row| {
                rows.push_row(row, channels);
                Ok(())
            })?;
            let m = RowMark::informed(&rows, w.payload, mark::key_of(w.key))?;
            if m.strength().is_weak() {
                notes.push(crate::WEAK_NOTE.to_string());
            }
            Some(m)
        }
        None => None,
    };
    write(src, output, p, kept, row_mark.as_ref())
}

/// The second pass: rows decoded, marked, badged and encoded as they come.
fn write(
    src: &mut dyn RowSource,
    output: &mut dyn WriteSeek,
    p: &Prepared,
    kept: &[([u8; 4], Vec<u8>)],
    row_mark: Option<&RowMark>,
) -> Result<()> {
    let err = |e: png::EncodingError| Error::malformed(format!("PNG encoder: {e}"));
    let (w, h, channels) = src.layout();
    let mut out = BufWriter::with_capacity(1 << 16, output);
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_compression(png::Compression::Fast);
    enc.set_color(match channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    });
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(err)?;
    for (kind, data) in kept {
        writer
            .write_chunk(png::chunk::ChunkType(*kind), data)
            .map_err(err)?;
    }
    let mut stream = writer.stream_writer_with_size(IDAT_LEN).map_err(err)?;
    let (bx, by) = (p.placed.x, p.placed.y);
    let [_, _, bw, bh] = p.placed.region();
    let badge_rows = by as usize..(by + bh) as usize;
    let mut badge = BadgeRows::of(&p.placed);
    let mut scratch = RowScratch::default();
    let mut line = Vec::with_capacity(w as usize * channels);
    src.for_each_row(&mut |y, row| {
        line.clear();
        line.extend_from_slice(row);
        if let Some(m) = row_mark {
            m.mark_row(y, &mut line, channels, &mut scratch);
        }
        if badge_rows.contains(&y) {
            let strip = badge.row(y as u32 - by, bw)?;
            let taken = std::mem::take(&mut line);
            line = blend_row(taken, w, channels, strip, bx)?;
        }
        stream.write_all(&line)?;
        Ok(())
    })?;
    stream.finish().map_err(err)?;
    writer.finish().map_err(err)?;
    out.flush()?;
    Ok(())
}

/// The badge's rows as the picture's rows pass: painted a band at a time
/// when the picture is stored upright, else painted whole and turned.
pub(crate) enum BadgeRows<'a> {
    Bands(badge::Bands<'a>),
    Whole(badge::PlacedBadge),
}

impl<'a> BadgeRows<'a> {
    pub(crate) fn of(placed: &'a badge::PlacedLayout) -> Self {
        match placed.upright() {
            Some(layout) => BadgeRows::Bands(layout.bands()),
            None => BadgeRows::Whole(placed.paint()),
        }
    }

    /// Row `y` of the badge as stored, `w` pixels wide, as a one-row image.
    pub(crate) fn row(&mut self, y: u32, w: u32) -> Result<image::RgbaImage> {
        let bytes = match self {
            BadgeRows::Bands(bands) => bands.rgba_row(y),
            BadgeRows::Whole(placed) => {
                let stride = w as usize * 4;
                let at = y as usize * stride;
                placed.badge.rgba.get(at..at + stride).unwrap_or_default()
            }
        };
        image::RgbaImage::from_raw(w, 1, bytes.to_vec())
            .ok_or_else(|| Error::malformed("badge row of another width than its region"))
    }
}

/// `row` (one picture row) with `strip` (one row of the badge) blended in
/// at column `x`, by the whole path's own blend.
pub(crate) fn blend_row(
    row: Vec<u8>,
    w: u32,
    channels: usize,
    strip: image::RgbaImage,
    x: u32,
) -> Result<Vec<u8>> {
    let bad = || Error::malformed("PNG row of another length than its header's");
    let mut img = match channels {
        1 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
        2 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
        3 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
        _ => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
    };
    badge::blend_onto(&mut img, &strip, x, 0)?;
    Ok(match img {
        DynamicImage::ImageLuma8(i) => i.into_raw(),
        DynamicImage::ImageLumaA8(i) => i.into_raw(),
        DynamicImage::ImageRgb8(i) => i.into_raw(),
        other => other.into_rgba8().into_raw(),
    })
}

/// The 8-bit luma of one row, as `to_luma8` gives it for the whole picture.
fn luma_row(row: &[u8], w: u32, channels: usize) -> Result<Vec<u8>> {
    let bad = || Error::malformed("PNG row of another length than its header's");
    let row = row.to_vec();
    let img = match channels {
        1 => return Ok(row),
        2 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
        3 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
        _ => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, 1, row).ok_or_else(bad)?),
    };
    Ok(img.to_luma8().into_raw())
}

/// Verifies a big PNG in one pass over its rows (see the module's note);
/// `None` when it is not one this path takes.
pub(crate) fn verify(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    limits: &Limits,
    watermark: Option<WatermarkKey>,
) -> Result<Option<Verification>> {
    limits.check_bytes(source.len)?;
    let Some(sk) = skeleton(source.reader)? else {
        return Ok(None);
    };
    let info: Info = crate::inspect(&PNG, &sk.bytes, limits)?;
    let mut rows_of = PngRows {
        reader: &mut *source.reader,
        sk: &sk,
        limits,
    };
    let v = verify_rows(labeler, &PNG, &info, watermark, &mut rows_of)?;
    Ok(Some(v))
}

/// The read-back of a streamed picture of `format` once its metadata is
/// read (`info`): one pass over the rows of `rows_of`, feeding the mark
/// reader's shrink and the badge's score (see the module's note). Shared
/// by the PNG and TIFF streams.
pub(crate) fn verify_rows(
    labeler: &ImageLabeler,
    format: &'static tanba_core::Format,
    info: &Info,
    watermark: Option<WatermarkKey>,
    rows_of: &mut dyn RowSource,
) -> Result<Verification> {
    let (w, h, channels) = rows_of.layout();
    let (marks, manifest) = match verify::marks_of(format, info)? {
        Ok(found) => found,
        Err(unmarked) => return Ok(unmarked),
    };
    let look = (&labeler.settings.font, &labeler.settings.style);
    // The badge's masks as run lengths; each row under it is scored as it
    // passes, so no region of the picture is held.
    let mut check = verify::plan_badge((w, h), info.orientation, &manifest, look)?;
    let mut rows = watermark.and_then(|_| LumaRows::new(w, h));
    rows_of.for_each_row(&mut |y, row| {
        let y = y as u32;
        let score = check.as_mut().ok().filter(|s| {
            let [_, ry, _, rh] = s.region();
            (ry..ry + rh).contains(&y)
        });
        if rows.is_none() && score.is_none() {
            return Ok(());
        }
        let luma = luma_row(row, w, channels)?;
        if let Some(rows) = rows.as_mut() {
            rows.push_row(&luma, 1);
        }
        if let Some(score) = score {
            let [x, ry, rw, _] = score.region();
            score.push_row(y - ry, &luma[x as usize..(x + rw) as usize]);
        }
        Ok(())
    })?;
    let found = watermark.zip(rows).and_then(|(key, rows)| {
        let mut reader = KnownReader::new(mark::key_of(key));
        reader.push_rows(rows);
        mark::found(reader.read(), key)
    });
    let perceptible = match check {
        Ok(score) => score.finish(),
        Err(verdict) => verdict,
    };
    let mut v = Verification::new(format, marks, Some(manifest), perceptible);
    v.watermark = found;
    Ok(v)
}

/// Reads the watermark made with `key` from a big PNG in one pass over
/// its rows, holding only the detector's shrink (the blind read of
/// `verify` with no manifest to say where the mark is); `None` when it is
/// not one this path takes.
pub(crate) fn read_watermark(
    source: &mut Source<'_>,
    key: WatermarkKey,
    limits: &Limits,
) -> Result<Option<Option<WatermarkFound>>> {
    limits.check_bytes(source.len)?;
    let Some(sk) = skeleton(source.reader)? else {
        return Ok(None);
    };
    limits.check_dimensions(sk.header.width, sk.header.height)?;
    let mut rows_of = PngRows {
        reader: &mut *source.reader,
        sk: &sk,
        limits,
    };
    read_rows_watermark(&mut rows_of, key)
}

/// The blind read of the mark made with `key` from one pass over the rows
/// of `rows_of`, holding only the detector's shrink; `None` when the
/// picture is too small for [`LumaRows`] (read whole instead). Shared by
/// the PNG and TIFF streams.
pub(crate) fn read_rows_watermark(
    rows_of: &mut dyn RowSource,
    key: WatermarkKey,
) -> Result<Option<Option<WatermarkFound>>> {
    let (w, h, channels) = rows_of.layout();
    let Some(mut rows) = LumaRows::new(w, h) else {
        return Ok(None);
    };
    rows_of.for_each_row(&mut |_, row| {
        rows.push_row(row, channels);
        Ok(())
    })?;
    Ok(Some(mark::found(rows.detect(mark::key_of(key)), key)))
}
