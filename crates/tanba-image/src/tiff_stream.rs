//! Big TIFFs strip by strip, in memory that grows with the width.
//!
//! Taken: a single-page, strip-organised (not tiled), chunky (not planar)
//! 8-bit grey (black is zero), RGB or RGBA TIFF of unsigned samples whose
//! shorter side is at least 2,048 px. Its tags are read from the reader,
//! then the two passes of `png_stream` run over its rows, decoded one
//! strip at a time: the luma for the informed mark, then the rows marked,
//! badged (a band at a time) and written as LZW strips of about 1 MB,
//! with the tags the whole path writes (XMP 700, ICC 34675, orientation
//! 274). The `tiff` crate's `write_strip` does not compress (0.10 sets its
//! compressor only inside `write_data`, which takes the whole picture), so
//! each strip is compressed here (weezl, the crate's own LZW coder, into a
//! vector) and written with its directory by hand. The read-back
//! (`verify`, `read_watermark`) is `png_stream`'s one pass over the rows,
//! fed by the same strip decoding.

use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use tanba_core::{
    Error, Job, Labelled, Limits, ReadSeek, Result, Source, Verification, WatermarkFound,
    WatermarkKey, WriteSeek,
};
use tanba_watermark::{LumaRows, RowMark, RowScratch, SSIM_SAMPLED_SIDE};
use tiff::ColorType;
use tiff::decoder::{ChunkType, Decoder, DecodingResult};
use tiff::encoder::{DirectoryEncoder, Rational, TiffEncoder, TiffKindStandard};
use tiff::tags::Tag;

use crate::png_stream::{BadgeRows, RowSource, blend_row, read_rows_watermark, verify_rows};
use crate::tiff::{TAG_XMP, TiffMeta, tiff_err};
use crate::{ImageLabeler, Prepared, TIFF, mark};

/// Raw bytes a written strip holds at most (the `tiff` encoder's own size).
const STRIP_BYTES: usize = 1_000_000;

/// Opens the TIFF in `reader` from its start.
fn open(reader: &mut dyn ReadSeek) -> Result<Decoder<BufReader<&mut dyn ReadSeek>>> {
    reader.seek(SeekFrom::Start(0))?;
    Decoder::new(BufReader::with_capacity(1 << 16, reader)).map_err(tiff_err)
}

/// Samples a pixel of a TIFF this path takes, `None` for any other.
fn channels_of<R: Read + Seek>(d: &mut Decoder<R>) -> Option<usize> {
    let tag = |d: &mut Decoder<R>, t| d.find_tag_unsigned::<u16>(t).ok().flatten();
    let planar = tag(d, Tag::PlanarConfiguration).unwrap_or(1);
    let format = tag(d, Tag::SampleFormat).unwrap_or(1);
    let photometric = tag(d, Tag::PhotometricInterpretation);
    if planar != 1 || format != 1 || d.get_chunk_type() != ChunkType::Strip {
        return None;
    }
    match (d.colortype().ok()?, photometric) {
        (ColorType::Gray(8), Some(1)) => Some(1),
        (ColorType::RGB(8), Some(2)) => Some(3),
        (ColorType::RGBA(8), Some(2)) => Some(4),
        _ => None,
    }
}

/// Decodes the rows of the TIFF in `reader` in order, a strip at a time,
/// handing each to `f`.
fn for_each_row(
    reader: &mut dyn ReadSeek,
    (w, h, channels): (u32, u32, usize),
    mut f: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut d = open(reader)?;
    let row_bytes = w as usize * channels;
    let mut y = 0usize;
    for strip in 0..d.strip_count().map_err(tiff_err)? {
        let DecodingResult::U8(data) = d.read_chunk(strip).map_err(tiff_err)? else {
            return Err(Error::malformed("TIFF strip of other than 8-bit samples"));
        };
        for row in data.chunks_exact(row_bytes) {
            if y < h as usize {
                f(y, row)?;
            }
            y += 1;
        }
    }
    if y < h as usize {
        return Err(Error::malformed(
            "TIFF is truncated: fewer rows than its height",
        ));
    }
    Ok(())
}

/// The rows of a TIFF this path takes, a strip decoded at a time.
struct TiffRows<'a> {
    reader: &'a mut dyn ReadSeek,
    layout: (u32, u32, usize),
}

impl RowSource for TiffRows<'_> {
    fn layout(&self) -> (u32, u32, usize) {
        self.layout
    }

    fn for_each_row(&mut self, f: &mut dyn FnMut(usize, &[u8]) -> Result<()>) -> Result<()> {
        for_each_row(self.reader, self.layout, f)
    }
}

/// The metadata and samples a pixel of a TIFF this path takes (see the
/// module's note), `None` for any other or a damaged one (the whole path
/// then says how).
fn taken(reader: &mut dyn ReadSeek) -> Option<(TiffMeta, usize)> {
    let mut d = open(reader).ok()?;
    let (Ok(meta), Some(channels)) = (crate::tiff::meta_of(&mut d), channels_of(&mut d)) else {
        return None;
    };
    let small = (meta.width.min(meta.height) as usize) < SSIM_SAMPLED_SIDE;
    (!small && !meta.pages_after_first).then_some((meta, channels))
}

/// Verifies a big TIFF in one pass over its rows, a strip at a time
/// (`png_stream`'s read-back); `None` when it is not one this path takes.
pub(crate) fn verify(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    limits: &Limits,
    watermark: Option<WatermarkKey>,
) -> Result<Option<Verification>> {
    limits.check_bytes(source.len)?;
    let Some((meta, channels)) = taken(source.reader) else {
        return Ok(None);
    };
    let (w, h) = (meta.width, meta.height);
    limits.check_dimensions(w, h)?;
    let info = crate::tiff::info_of(&meta)?;
    let mut rows_of = TiffRows {
        reader: &mut *source.reader,
        layout: (w, h, channels),
    };
    let v = verify_rows(labeler, &TIFF, &info, watermark, &mut rows_of)?;
    Ok(Some(v))
}

/// Reads the watermark made with `key` from a big TIFF a strip at a time,
/// holding only the detector's shrink; `None` when it is not one this
/// path takes.
pub(crate) fn read_watermark(
    source: &mut Source<'_>,
    key: WatermarkKey,
    limits: &Limits,
) -> Result<Option<Option<WatermarkFound>>> {
    limits.check_bytes(source.len)?;
    let Some((meta, channels)) = taken(source.reader) else {
        return Ok(None);
    };
    let (w, h) = (meta.width, meta.height);
    limits.check_dimensions(w, h)?;
    let mut rows_of = TiffRows {
        reader: &mut *source.reader,
        layout: (w, h, channels),
    };
    read_rows_watermark(&mut rows_of, key)
}

/// Labels a big TIFF strip by strip (see the module's note); `None` when
/// it is not one this path takes.
pub(crate) fn label(
    labeler: &ImageLabeler,
    source: &mut Source<'_>,
    output: &mut dyn WriteSeek,
    job: &Job,
) -> Result<Option<Labelled>> {
    labeler.settings.style.validate()?;
    labeler.settings.font.check_label(&job.label)?;
    job.limits.check_bytes(source.len)?;
    let Some((meta, channels)) = taken(source.reader) else {
        return Ok(None);
    };
    let (w, h) = (meta.width, meta.height);
    job.limits.check_dimensions(w, h)?;
    let layout = (w, h, channels);
    let info = crate::tiff::info_of(&meta)?;
    let notes = crate::name_notes(&TIFF, source.path);
    let reader = &mut *source.reader;
    let prepared = labeler.prepare_info(&TIFF, info, notes, job, || {
        tanba_core::manifest::sha256_of(reader)
    })?;
    let mut notes = prepared.notes.clone();
    let row_mark = match &prepared.watermark {
        Some(wm) => {
            let mut rows = LumaRows::new(w, h)
                .ok_or_else(|| Error::cannot_label("picture too small to stream"))?;
            for_each_row(source.reader, layout, |_, row| {
                rows.push_row(row, channels);
                Ok(())
            })?;
            let m = RowMark::informed(&rows, wm.payload, mark::key_of(wm.key))?;
            if m.strength().is_weak() {
                notes.push(crate::WEAK_NOTE.to_string());
            }
            Some(m)
        }
        None => None,
    };
    write(
        source.reader,
        output,
        layout,
        &meta,
        &prepared,
        row_mark.as_ref(),
    )?;
    notes.push("TIFF streamed strip by strip".to_string());
    Ok(Some(
        Labelled::new(prepared.out_format, prepared.manifest).with_notes(notes),
    ))
}

/// The second pass: rows decoded, marked, badged and gathered into LZW
/// strips written as they fill.
fn write(
    reader: &mut dyn ReadSeek,
    output: &mut dyn WriteSeek,
    (w, h, channels): (u32, u32, usize),
    meta: &TiffMeta,
    p: &Prepared,
    row_mark: Option<&RowMark>,
) -> Result<()> {
    let row_bytes = w as usize * channels;
    let rows_per_strip = STRIP_BYTES.div_ceil(row_bytes).max(1);
    let mut out = BufWriter::with_capacity(1 << 16, output);
    let mut enc = TiffEncoder::new(&mut out).map_err(tiff_err)?;
    let mut dir = enc.image_directory().map_err(tiff_err)?;
    let (bx, by) = (p.placed.x, p.placed.y);
    let [_, _, bw, bh] = p.placed.region();
    let badge_rows = by as usize..(by + bh) as usize;
    let mut badge = BadgeRows::of(&p.placed);
    let mut scratch = RowScratch::default();
    let mut strip = Vec::with_capacity(rows_per_strip * row_bytes);
    let mut packed = Vec::new();
    let (mut offsets, mut counts) = (Vec::<u32>::new(), Vec::<u32>::new());
    let too_big = |_| Error::cannot_label("TIFF output over 4 GiB (BigTIFF is not written)");
    for_each_row(reader, (w, h, channels), |y, row| {
        let mut line = row.to_vec();
        if let Some(m) = row_mark {
            m.mark_row(y, &mut line, channels, &mut scratch);
        }
        if badge_rows.contains(&y) {
            let band = badge.row(y as u32 - by, bw)?;
            line = blend_row(line, w, channels, band, bx)?;
        }
        strip.extend_from_slice(&line);
        if strip.len() == rows_per_strip * row_bytes || y + 1 == h as usize {
            packed.clear();
            // weezl's vector sink, not tiff's `Lzw` (a stream with a 16 MiB
            // buffer, most of this path's peak).
            weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .into_vec(&mut packed)
                .encode_all(&strip)
                .status
                .map_err(|e| Error::malformed(format!("TIFF LZW: {e}")))?;
            let at = dir.write_data(packed.as_slice()).map_err(tiff_err)?;
            offsets.push(u32::try_from(at).map_err(too_big)?);
            counts.push(u32::try_from(packed.len()).map_err(too_big)?);
            strip.clear();
        }
        Ok(())
    })?;
    write_tags(
        &mut dir,
        (w, h, channels, rows_per_strip),
        meta,
        p,
        (&offsets, &counts),
    )?;
    dir.finish().map_err(tiff_err)?;
    out.flush()?;
    Ok(())
}

/// The directory's tags: the layout written, and those the whole path
/// carries (XMP, ICC, orientation).
fn write_tags<W: Write + Seek>(
    dir: &mut DirectoryEncoder<'_, W, TiffKindStandard>,
    (w, h, channels, rows_per_strip): (u32, u32, usize, usize),
    meta: &TiffMeta,
    p: &Prepared,
    (offsets, counts): (&[u32], &[u32]),
) -> Result<()> {
    let samples = channels as u16;
    let tags: [(Tag, u32); 4] = [
        (Tag::ImageWidth, w),
        (Tag::ImageLength, h),
        (
            Tag::RowsPerStrip,
            u32::try_from(rows_per_strip).unwrap_or(u32::MAX),
        ),
        (Tag::Compression, 5),
    ];
    for (tag, v) in tags {
        dir.write_tag(tag, v).map_err(tiff_err)?;
    }
    let photometric: u16 = if channels == 1 { 1 } else { 2 };
    dir.write_tag(Tag::Predictor, 1u16).map_err(tiff_err)?;
    dir.write_tag(Tag::BitsPerSample, &vec![8u16; channels][..])
        .map_err(tiff_err)?;
    dir.write_tag(Tag::SampleFormat, &vec![1u16; channels][..])
        .map_err(tiff_err)?;
    dir.write_tag(Tag::PhotometricInterpretation, photometric)
        .map_err(tiff_err)?;
    dir.write_tag(Tag::SamplesPerPixel, samples)
        .map_err(tiff_err)?;
    dir.write_tag(Tag::XResolution, Rational { n: 1, d: 1 })
        .map_err(tiff_err)?;
    dir.write_tag(Tag::YResolution, Rational { n: 1, d: 1 })
        .map_err(tiff_err)?;
    dir.write_tag(Tag::ResolutionUnit, 1u16).map_err(tiff_err)?;
    dir.write_tag(Tag::Unknown(TAG_XMP), p.packet.as_bytes())
        .map_err(tiff_err)?;
    if let Some(icc) = &meta.icc {
        dir.write_tag(Tag::IccProfile, icc.as_slice())
            .map_err(tiff_err)?;
    }
    if let Some(o) = meta.orientation {
        dir.write_tag(Tag::Orientation, o).map_err(tiff_err)?;
    }
    dir.write_tag(Tag::StripOffsets, offsets)
        .map_err(tiff_err)?;
    dir.write_tag(Tag::StripByteCounts, counts)
        .map_err(tiff_err)?;
    Ok(())
}
