//! # tanba-image
//!
//! Labels pictures for Kazakhstan's AI law (No. 230-VIII, Art. 21):
//! a visible badge (label text on a rounded dark box) **and** a
//! machine-readable mark (the Tanba XMP packet with the IPTC digital source
//! type, the TC260 AIGC label and the manifest; PNG also gets `tEXt AIGC`,
//! JPEG and HEIF the AIGC label in EXIF UserComment too).
//!
//! Formats: JPEG (baseline, progressive), PNG (1–16 bit, palette, grey,
//! alpha), WebP (lossy, lossless), GIF, APNG and animated WebP (every frame
//! of an animation), TIFF, BMP, SVG (the label as real text in a group on
//! top, the XMP in `<metadata>`, every other byte kept), and with the `heif`
//! feature HEIC and AVIF (through libheif). The output keeps the input's
//! format (BMP, which has no metadata carrier, is written as PNG), size, bit
//! depth and alpha; a lossy input is
//! re-encoded with its own quantisation (JPEG) or estimated quality (WebP)
//! so it neither loses quality nor balloons.
//!
//! The badge renderer ([`badge`]) is public: the video crate uses it.

mod apng;
pub mod badge;
mod bmp;
mod bmp_stream;
mod exif;
#[cfg(feature = "heif")]
mod ffi;
pub mod find;
// Entry points for the fuzz targets (fuzz/); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod gif;
#[cfg(feature = "heif")]
mod heif;
mod heif_brand;
mod jpeg;
mod jpeg_dct;
mod jpeg_input;
mod jpeg_luma;
mod jpeg_stream;
mod mark;
mod png;
mod png_stream;
mod svg;
mod tiff;
mod tiff_stream;
mod verify;
mod webp;
mod webp_anim;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder};
use std::io::Cursor;
use std::path::Path;

use tanba_core::font::FontFile;
use tanba_core::{
    Error, Format, Job, Labeler, Labelled, Limits, Placement, Result, Source, Verification,
    VisibleFound, WriteSeek, read_all, xmp,
};

pub use badge::{BadgeImage, BadgeStyle, MIN_CONTRAST, MIN_TEXT_FRACTION, PlacedBadge};
pub use verify::correlation;

/// JPEG.
pub static JPEG: Format = Format {
    name: "jpeg",
    mime: "image/jpeg",
    extensions: &["jpg", "jpeg", "jpe", "jfif"],
};
/// PNG.
pub static PNG: Format = Format {
    name: "png",
    mime: "image/png",
    extensions: &["png"],
};
/// WebP.
pub static WEBP: Format = Format {
    name: "webp",
    mime: "image/webp",
    extensions: &["webp"],
};
/// GIF.
pub static GIF: Format = Format {
    name: "gif",
    mime: "image/gif",
    extensions: &["gif"],
};
/// TIFF.
pub static TIFF: Format = Format {
    name: "tiff",
    mime: "image/tiff",
    extensions: &["tif", "tiff"],
};
/// BMP.
pub static BMP: Format = Format {
    name: "bmp",
    mime: "image/bmp",
    extensions: &["bmp", "dib"],
};

/// SVG: labelled with real text and XMP in `<metadata>`, see `svg`.
pub static SVG: Format = Format {
    name: "svg",
    mime: "image/svg+xml",
    extensions: &["svg"],
};
/// HEIC/HEIF: HEVC-coded HEIF (iPhone photos).
pub static HEIC: Format = Format {
    name: "heic",
    mime: "image/heic",
    extensions: &["heic", "heif", "hif"],
};
/// AVIF: AV1-coded HEIF.
pub static AVIF: Format = Format {
    name: "avif",
    mime: "image/avif",
    extensions: &["avif"],
};

#[cfg(not(feature = "heif"))]
static FORMATS: [&Format; 7] = [&JPEG, &PNG, &WEBP, &GIF, &TIFF, &BMP, &SVG];
#[cfg(feature = "heif")]
static FORMATS: [&Format; 9] = [&JPEG, &PNG, &WEBP, &GIF, &TIFF, &BMP, &SVG, &HEIC, &AVIF];

/// True when `head` starts a HEIF picture (HEIC, AVIF, or a HEIF image
/// sequence) by its `ftyp` brands, whether or not this build can label it:
/// the video labeler leaves such files alone.
pub fn is_heif_picture(head: &[u8]) -> bool {
    heif_brand::sniff(head).is_some()
}

/// How JPEG output quality is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JpegQuality {
    /// Re-use the source's own quantisation tables (so the re-encode is at
    /// the source's quality, whatever tables its maker chose); the IJG
    /// quality those tables correspond to is estimated and reported.
    #[default]
    Source,
    /// A fixed IJG quality, 1..=100, with the standard tables.
    Fixed(u8),
}

/// Media-specific settings of the image labeler.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSettings {
    /// The badge's look and size rules.
    pub style: BadgeStyle,
    /// JPEG output quality.
    pub jpeg_quality: JpegQuality,
    /// Lossy WebP quality 0..=100; `None` estimates it from the source's
    /// quantiser (falling back to 80 when that cannot be read).
    pub webp_quality: Option<f32>,
    /// The badge's font (default: the embedded Noto Sans Bold). Every label
    /// text must be drawable in it; verification re-renders with it too.
    pub font: FontFile,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            style: BadgeStyle::default(),
            jpeg_quality: JpegQuality::Source,
            webp_quality: None,
            font: FontFile::default(),
        }
    }
}

/// The image labeler. Stateless apart from its settings: one value serves
/// many threads (it is `Send + Sync` and takes no locks).
///
/// ```no_run
/// use std::path::Path;
/// use tanba_core::{Job, Limits};
/// use tanba_image::ImageLabeler;
///
/// let labeler = ImageLabeler::default();
/// let input = std::fs::read("generated.png")?;
/// let (png, labelled) = labeler.label_bytes(&input, Some(Path::new("generated.png")), &Job::new())?;
/// assert_eq!(labelled.format.name, "png");
/// assert!(labeler.verify_bytes(&png, &Limits::default())?.is_compliant());
/// # Ok::<(), tanba_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ImageLabeler {
    /// Settings.
    pub settings: ImageSettings,
}

impl ImageLabeler {
    /// A labeler with the given settings.
    pub fn new(settings: ImageSettings) -> Self {
        ImageLabeler { settings }
    }

    /// Labels an image held in memory; returns the labelled bytes. `name`
    /// only decides whether a note says the extension does not match the
    /// content. The arguments come in the facade's order (input, name, job).
    pub fn label_bytes(
        &self,
        bytes: &[u8],
        name: Option<&Path>,
        job: &Job,
    ) -> Result<(Vec<u8>, Labelled)> {
        self.label_into(bytes, name, job, None)
    }

    /// [`ImageLabeler::label_bytes`], except that a JPEG labelled in the
    /// DCT domain is written to `direct` as it is made (the bytes returned
    /// are then empty): the file path holds no whole output.
    fn label_into(
        &self,
        bytes: &[u8],
        name: Option<&Path>,
        job: &Job,
        direct: Option<&mut dyn std::io::Write>,
    ) -> Result<(Vec<u8>, Labelled)> {
        self.settings.style.validate()?;
        let format = sniff_bytes(bytes)?;
        // A text the font cannot draw would come out as empty boxes.
        self.settings.font.check_label(&job.label)?;
        let notes = name_notes(format, name);
        if format.name == SVG.name {
            return svg::label(bytes, job, &self.settings, notes);
        }
        let Prepared {
            info,
            placed,
            manifest,
            watermark,
            packet,
            aigc,
            out_format,
            mut notes,
        } = self.prepare(format, bytes, notes, job, || {
            Ok(tanba_core::manifest::sha256_hex(bytes))
        })?;
        let marks = Marks { xmp: &packet, aigc };
        let placed = badge::PaintOnUse::new(placed);
        let ctx = Ctx {
            bytes,
            info: &info,
            placed: &placed,
            marks: &marks,
            settings: &self.settings,
            limits: &job.limits,
            watermark,
        };
        let out = match format.name {
            "jpeg" => jpeg::label(&ctx, &mut notes, direct)?,
            "png" => png::label(&ctx, &mut notes)?,
            "webp" => webp::label(&ctx, &mut notes)?,
            "gif" => gif::label(&ctx, &mut notes)?,
            "tiff" => tiff::label(&ctx, &mut notes)?,
            #[cfg(feature = "heif")]
            "heic" | "avif" => heif::label(format, &ctx, &mut notes)?,
            _ => bmp::label(&ctx, &mut notes)?,
        };
        if ctx.watermark.as_ref().is_some_and(|w| w.weak.get()) {
            notes.push(WEAK_NOTE.to_string());
        }
        Ok((out, Labelled::new(out_format, manifest).with_notes(notes)))
    }

    /// What labelling a picture settles before any pixel is touched: its
    /// header and metadata (`bytes` need hold only the chunks or segments
    /// `inspect` reads), the badge's place, the manifest, the mark and the
    /// XMP packet. `source_sha256` hashes the input when the job has no hash.
    pub(crate) fn prepare(
        &self,
        format: &'static Format,
        bytes: &[u8],
        notes: Vec<String>,
        job: &Job,
        source_sha256: impl FnOnce() -> Result<String>,
    ) -> Result<Prepared> {
        let info = inspect(format, bytes, &job.limits)?;
        self.prepare_info(format, info, notes, job, source_sha256)
    }

    /// [`ImageLabeler::prepare`] from an `info` already read (a TIFF's
    /// tags are read from its reader, not from a prefix of bytes).
    pub(crate) fn prepare_info(
        &self,
        format: &'static Format,
        info: Info,
        mut notes: Vec<String>,
        job: &Job,
        source_sha256: impl FnOnce() -> Result<String>,
    ) -> Result<Prepared> {
        if let Some((frames, pixels)) = info.animation {
            job.limits.check_animation(frames, pixels)?;
        }
        notes.extend(info.notes.iter().cloned());
        if info.marks.as_ref().is_some_and(|m| m.manifest.is_some()) {
            if !job.force {
                return Err(Error::already_labelled());
            }
            // The marks are replaced (merge drops ours); pixels cannot be.
            notes.push(
                "relabelled: the marks were replaced; the earlier visible label stays".to_string(),
            );
        }
        let out_format = output_format(format);
        let placed = badge::place_layout(
            &self.settings.font,
            &job.label,
            info.width,
            info.height,
            info.orientation,
            job.position,
            &self.settings.style,
        )?;
        let mut placement = Placement::at(job.position.name());
        placement.region = Some(placed.region());
        placement.text_size = Some(placed.layout.text_px());
        placement.rotation = Some(placed.rotation);
        let job = if job.source_sha256.is_some() {
            job.clone()
        } else {
            let mut j = job.clone();
            j.source_sha256 = Some(source_sha256()?);
            j
        };
        let watermark_key = match (job.watermark, mark::too_small(info.width, info.height)) {
            (Some(key), None) => Some(key),
            (Some(_), Some(why)) => {
                notes.push(why);
                None
            }
            (None, _) => None,
        };
        let manifest = job.manifest_with_watermark(out_format.mime, placement, None, watermark_key);
        let watermark = watermark_key
            .zip(manifest.watermark_payload())
            .map(|(key, payload)| mark::Watermark::new(payload, key));
        if let Some(w) = &watermark {
            notes.push(format!(
                "watermark embedded: payload {:016x} ({} key)",
                w.payload,
                w.key.kind()
            ));
        }
        let packet = match &info.xmp {
            Some(existing) => xmp::merge(existing, &manifest)?,
            None => xmp::packet(&manifest),
        };
        let aigc = manifest.aigc.to_json();
        Ok(Prepared {
            info,
            placed,
            manifest,
            watermark,
            packet,
            aigc,
            out_format,
            notes,
        })
    }

    /// Reads the watermark made with `key` from an image held in memory
    /// (the first frame of an animation: every frame carries it). SVG
    /// carries none.
    pub fn read_watermark_bytes(
        &self,
        bytes: &[u8],
        key: tanba_core::WatermarkKey,
        limits: &Limits,
    ) -> Result<Option<tanba_core::WatermarkFound>> {
        let format = sniff_bytes(bytes)?;
        if format.name == SVG.name {
            return Ok(None);
        }
        let info = inspect(format, bytes, limits)?;
        let img = decode(format, bytes, &info, limits)?;
        Ok(mark::read(&img, key))
    }

    /// Searches an image held in memory for the badge `job` would draw,
    /// anywhere and at any size a resize or crop since labelling implies
    /// (see [`find`]); for a picture whose manifest is gone. SVG, whose
    /// label is text a reader sees in the file, is not searched.
    pub fn find_badge_bytes(&self, bytes: &[u8], job: &Job) -> Result<Option<VisibleFound>> {
        let format = sniff_bytes(bytes)?;
        if format.name == SVG.name {
            return Ok(None);
        }
        let info = inspect(format, bytes, &job.limits)?;
        if let Some((frames, pixels)) = info.animation {
            job.limits.check_animation(frames, pixels)?;
        }
        let luma = self.display_luma(format, bytes, &info, &job.limits)?;
        let wanted = find::Wanted {
            label: &job.label,
            position: job.position,
            font: &self.settings.font,
            style: &self.settings.style,
        };
        find::find_badge(&luma, &wanted)
    }

    /// The luminance of the picture as displayed (a GIF's or an
    /// animation's first frame): a JPEG decodes luminance only.
    fn display_luma(
        &self,
        format: &'static Format,
        bytes: &[u8],
        info: &Info,
        limits: &Limits,
    ) -> Result<image::GrayImage> {
        let whole = [0, 0, info.width, info.height];
        let stored = match (format.name == "jpeg")
            .then(|| jpeg_luma::region_luma(bytes, whole, limits))
            .transpose()?
            .flatten()
        {
            // Decoded to whole MCUs: cut to the picture's own size.
            Some(window)
                if window.x == 0
                    && window.y == 0
                    && window.luma.width() >= info.width
                    && window.luma.height() >= info.height =>
            {
                image::imageops::crop_imm(&window.luma, 0, 0, info.width, info.height).to_image()
            }
            _ => decode(format, bytes, info, limits)?.to_luma8(),
        };
        Ok(if info.orientation == Orientation::NoTransforms {
            stored
        } else {
            badge::orient_gray(&stored, info.orientation)
        })
    }

    /// Verifies an image held in memory.
    pub fn verify_bytes(&self, bytes: &[u8], limits: &Limits) -> Result<Verification> {
        let format = sniff_bytes(bytes)?;
        if format.name == SVG.name {
            return svg::verify(bytes, limits, &self.settings);
        }
        let info = inspect(format, bytes, limits)?;
        if let Some((frames, pixels)) = info.animation {
            limits.check_animation(frames, pixels)?;
        }
        verify::verify(format, bytes, &info, (limits, &self.settings), None)
    }

    /// [`ImageLabeler::verify_bytes`] of a picture this labeler wrote, with
    /// the watermark made with `key` read where it was embedded, from the
    /// decode the badge check uses (see
    /// [`Labeler::verify_with_watermark`]).
    pub fn verify_bytes_with_watermark(
        &self,
        bytes: &[u8],
        key: tanba_core::WatermarkKey,
        limits: &Limits,
    ) -> Result<Verification> {
        let format = sniff_bytes(bytes)?;
        if format.name == SVG.name {
            return svg::verify(bytes, limits, &self.settings);
        }
        let info = inspect(format, bytes, limits)?;
        if let Some((frames, pixels)) = info.animation {
            limits.check_animation(frames, pixels)?;
        }
        verify::verify(format, bytes, &info, (limits, &self.settings), Some(key))
    }
}

/// The note for a picture whose watermark came out weak.
pub(crate) const WEAK_NOTE: &str = "the watermark is weak in this picture (its own fine detail \
     is as strong as the mark): it may not survive heavy compression or resizing";

/// The marks to write into one output.
pub(crate) struct Marks<'a> {
    /// The complete XMP packet (merged with the source's, if any).
    pub xmp: &'a str,
    /// The Annex E AIGC JSON (ASCII).
    pub aigc: String,
}

/// What [`ImageLabeler::prepare`] settles for one picture.
pub(crate) struct Prepared {
    pub info: Info,
    /// The badge placed, not painted: a format that streams rows paints
    /// it a band at a time.
    pub placed: badge::PlacedLayout,
    pub manifest: tanba_core::Manifest,
    pub watermark: Option<mark::Watermark>,
    /// The complete XMP packet.
    pub packet: String,
    /// The Annex E AIGC JSON.
    pub aigc: String,
    pub out_format: &'static Format,
    pub notes: Vec<String>,
}

/// Everything a format writer needs.
pub(crate) struct Ctx<'a> {
    pub bytes: &'a [u8],
    pub info: &'a Info,
    /// The badge placed; read as a [`PlacedBadge`] it is painted whole
    /// (once), its `layout` paints it a band at a time.
    pub placed: &'a badge::PaintOnUse,
    pub marks: &'a Marks<'a>,
    pub settings: &'a ImageSettings,
    pub limits: &'a Limits,
    /// The imperceptible mark to add to every frame, if any.
    pub watermark: Option<mark::Watermark>,
}

/// What a container says before any pixel is decoded.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    /// Stored width, from the header.
    pub width: u32,
    /// Stored height, from the header.
    pub height: u32,
    /// EXIF (or TIFF) display orientation.
    pub orientation: Orientation,
    /// The existing XMP packet, if any.
    pub xmp: Option<String>,
    /// Our properties read from it.
    pub marks: Option<xmp::XmpMarks>,
    /// Where the XMP packet was found (`XMP APP1`, …).
    pub xmp_carrier: &'static str,
    /// PNG `tEXt AIGC`, if present.
    pub png_aigc: Option<String>,
    /// The AIGC label in EXIF UserComment (JPEG, HEIF), if present.
    pub exif_aigc: Option<String>,
    /// Remarks for the user.
    pub notes: Vec<String>,
    /// Frames, and pixels decoded over all of them, of an animation.
    pub animation: Option<(u64, u64)>,
}

impl Info {
    pub(crate) fn new(width: u32, height: u32, carrier: &'static str) -> Self {
        Info {
            width,
            height,
            orientation: Orientation::NoTransforms,
            xmp: None,
            marks: None,
            xmp_carrier: carrier,
            png_aigc: None,
            exif_aigc: None,
            notes: Vec::new(),
            animation: None,
        }
    }

    /// Records an XMP packet found in the container.
    pub(crate) fn set_xmp(&mut self, packet: String) {
        self.marks = xmp::read(&packet).ok();
        self.xmp = Some(packet);
    }
}

/// Parses the container headers: dimensions are checked against `limits`
/// here, before anything is decoded.
fn inspect(format: &'static Format, bytes: &[u8], limits: &Limits) -> Result<Info> {
    limits.check_bytes(bytes.len() as u64)?;
    let info = match format.name {
        "jpeg" => jpeg::inspect(bytes)?,
        "png" => png::inspect(bytes)?,
        "webp" => webp::inspect(bytes)?,
        "gif" => gif::inspect(bytes)?,
        "tiff" => tiff::inspect(bytes)?,
        #[cfg(feature = "heif")]
        "heic" | "avif" => heif::inspect(format, bytes, limits)?,
        _ => bmp::inspect(bytes)?,
    };
    if info.width == 0 || info.height == 0 {
        return Err(Error::malformed(format!(
            "{} header claims a zero-sized image",
            format.name
        )));
    }
    limits.check_dimensions(info.width, info.height)?;
    Ok(info)
}

/// Recognises an image format by its magic bytes.
pub fn sniff(head: &[u8]) -> Option<&'static Format> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(&JPEG)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(&PNG)
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(&WEBP)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(&GIF)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some(&TIFF)
    } else if head.len() >= 18 && head.starts_with(b"BM") && bmp::plausible_header(head) {
        Some(&BMP)
    } else if svg::sniff(head) {
        Some(&SVG)
    } else if cfg!(feature = "heif") && is_heif_picture(head) {
        heif_brand::sniff(head)
    } else {
        None
    }
}

/// The format a labelled `input` is written in: its own, except BMP,
/// which has no metadata carrier and is written as PNG.
pub fn output_format(input: &'static Format) -> &'static Format {
    if input.name == BMP.name { &PNG } else { input }
}

fn sniff_bytes(bytes: &[u8]) -> Result<&'static Format> {
    if bytes.is_empty() {
        return Err(Error::malformed("empty file (0 bytes)"));
    }
    if let Some(f) = sniff(bytes) {
        return Ok(f);
    }
    if is_heif_picture(bytes) {
        return Err(Error::unsupported(
            "a HEIC/AVIF picture: this build of Tanba was made without HEIF support (feature `heif`)",
        ));
    }
    Err(Error::unsupported(if cfg!(feature = "heif") {
        "not a JPEG, PNG, WebP, GIF, TIFF, BMP, SVG, HEIC or AVIF image"
    } else {
        "not a JPEG, PNG, WebP, GIF, TIFF, BMP or SVG image"
    }))
}

/// A note when the file's name says another format than its content.
pub(crate) fn name_notes(format: &Format, name: Option<&Path>) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(ext) = name.and_then(|n| n.extension()).and_then(|e| e.to_str()) {
        let ext = ext.to_ascii_lowercase();
        if !format.extensions.contains(&ext.as_str()) {
            notes.push(format!(
                "the content is {} although the name ends in .{ext}; it was labelled as {}",
                format.name.to_uppercase(),
                format.name.to_uppercase()
            ));
        }
    }
    notes
}

/// Converts an `image` crate error into Tanba's, as malformed input unless
/// it was a limit.
pub(crate) fn image_err(what: &str, e: image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(l) => {
            Error::malformed(format!("{what}: decoder limit reached: {l}"))
        }
        image::ImageError::Unsupported(u) => Error::unsupported(format!("{what}: {u}")),
        image::ImageError::IoError(io) => Error::malformed(format!("{what}: {io}")),
        other => Error::malformed(format!("{what}: {other}")),
    }
}

/// Decodes the whole picture (a GIF's first frame, composited) with the
/// `image` crate, whose limits are set from Tanba's as a second fence
/// behind the header check.
pub(crate) fn decode(
    format: &'static Format,
    bytes: &[u8],
    info: &Info,
    limits: &Limits,
) -> Result<DynamicImage> {
    use image::codecs::{bmp, jpeg, png, tiff, webp};
    let c = Cursor::new(bytes);
    match format.name {
        "jpeg" => decode_with("JPEG", jpeg::JpegDecoder::new(c), info, limits),
        "png" => decode_with("PNG", png::PngDecoder::new(c), info, limits),
        "webp" => decode_with("WebP", webp::WebPDecoder::new(c), info, limits),
        "tiff" => decode_with("TIFF", tiff::TiffDecoder::new(c), info, limits),
        "bmp" => decode_with("BMP", bmp::BmpDecoder::new(c), info, limits),
        "gif" => gif::first_frame(bytes, info, limits).map(DynamicImage::ImageRgba8),
        #[cfg(feature = "heif")]
        "heic" | "avif" => heif::decode(bytes, info),
        other => Err(Error::unsupported(format!("no decoder for {other}"))),
    }
}

fn decode_with<D: ImageDecoder>(
    what: &str,
    decoder: image::ImageResult<D>,
    info: &Info,
    limits: &Limits,
) -> Result<DynamicImage> {
    let mut dec = decoder.map_err(|e| image_err(what, e))?;
    dec.set_limits(image_limits(limits, info.width, info.height))
        .map_err(|e| image_err(what, e))?;
    DynamicImage::from_decoder(dec).map_err(|e| image_err(what, e))
}

/// Decoder limits for the `image` crate from Tanba's, as a second fence
/// behind the header check.
pub(crate) fn image_limits(limits: &Limits, width: u32, height: u32) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_dimension);
    l.max_image_height = Some(limits.max_dimension);
    // Room for the largest pixel type (RGBA f32) of the claimed size.
    let bytes = u64::from(width) * u64::from(height) * 16;
    l.max_alloc = Some(
        bytes
            .max(64 << 20)
            .min(limits.max_pixels.saturating_mul(16)),
    );
    l
}

impl Labeler for ImageLabeler {
    fn name(&self) -> &'static str {
        "image"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], _name: Option<&Path>) -> Option<&'static Format> {
        sniff(head)
    }

    fn output_format(&self, input: &'static Format) -> &'static Format {
        output_format(input)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        // A big PNG is streamed row by row when its layout allows.
        if source.format.name == PNG.name
            && let Some(labelled) = png_stream::label(self, &mut source, output, job)?
        {
            return Ok(labelled);
        }
        // A big strip-organised TIFF too, strip by strip.
        if source.format.name == TIFF.name
            && let Some(labelled) = tiff_stream::label(self, &mut source, output, job)?
        {
            return Ok(labelled);
        }
        // A big uncompressed BMP is read row by row into a streamed PNG.
        if source.format.name == BMP.name
            && let Some(labelled) = bmp_stream::label(self, &mut source, output, job)?
        {
            return Ok(labelled);
        }
        // A sequential JPEG's scan is read through a window, not whole.
        if source.format.name == JPEG.name
            && let Some(labelled) = jpeg_input::label(self, &mut source, output, job)?
        {
            return Ok(labelled);
        }
        let bytes = read_all(&mut source, &job.limits)?;
        let (out, labelled) = self.label_into(&bytes, source.path, job, Some(&mut *output))?;
        output.write_all(&out)?;
        output.flush()?;
        Ok(labelled)
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        if source.format.name == PNG.name
            && let Some(v) = png_stream::verify(self, &mut source, limits, None)?
        {
            return Ok(v);
        }
        if source.format.name == TIFF.name
            && let Some(v) = tiff_stream::verify(self, &mut source, limits, None)?
        {
            return Ok(v);
        }
        if source.format.name == JPEG.name
            && let Some(v) = jpeg_stream::verify(self, &mut source, limits, None)?
        {
            return Ok(v);
        }
        let bytes = read_all(&mut source, limits)?;
        self.verify_bytes(&bytes, limits)
    }

    fn check_job(&self, job: &Job) -> Result<()> {
        self.settings.font.check_label(&job.label)
    }

    fn verify_with_watermark(
        &self,
        mut source: Source<'_>,
        key: tanba_core::WatermarkKey,
        limits: &Limits,
    ) -> Result<Verification> {
        if source.format.name == PNG.name
            && let Some(v) = png_stream::verify(self, &mut source, limits, Some(key))?
        {
            return Ok(v);
        }
        // A big strip TIFF is read back a strip at a time.
        if source.format.name == TIFF.name
            && let Some(v) = tiff_stream::verify(self, &mut source, limits, Some(key))?
        {
            return Ok(v);
        }
        // A marked JPEG is read back one band of rows at a time.
        if source.format.name == JPEG.name
            && let Some(v) = jpeg_stream::verify(self, &mut source, limits, Some(key))?
        {
            return Ok(v);
        }
        let bytes = read_all(&mut source, limits)?;
        self.verify_bytes_with_watermark(&bytes, key, limits)
    }

    fn read_watermark(
        &self,
        mut source: Source<'_>,
        key: tanba_core::WatermarkKey,
        limits: &Limits,
    ) -> Result<Option<tanba_core::WatermarkFound>> {
        // A big PNG, and a JPEG of ours, are read row by row, holding only
        // the detector's shrink.
        if source.format.name == PNG.name
            && let Some(found) = png_stream::read_watermark(&mut source, key, limits)?
        {
            return Ok(found);
        }
        if source.format.name == TIFF.name
            && let Some(found) = tiff_stream::read_watermark(&mut source, key, limits)?
        {
            return Ok(found);
        }
        if source.format.name == JPEG.name
            && let Some(found) = jpeg_stream::read_watermark(&mut source, key, limits)?
        {
            return Ok(found);
        }
        let bytes = read_all(&mut source, limits)?;
        self.read_watermark_bytes(&bytes, key, limits)
    }

    fn find_visible_label(
        &self,
        mut source: Source<'_>,
        job: &Job,
    ) -> Result<Option<VisibleFound>> {
        let bytes = read_all(&mut source, &job.limits)?;
        self.find_badge_bytes(&bytes, job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0").map(|f| f.name), Some("jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").map(|f| f.name), Some("png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").map(|f| f.name), Some("webp"));
        assert_eq!(sniff(b"GIF89a").map(|f| f.name), Some("gif"));
        assert_eq!(sniff(b"II*\0").map(|f| f.name), Some("tiff"));
        assert_eq!(sniff(b"hello"), None);
        assert!(matches!(sniff_bytes(b""), Err(Error::Malformed { .. })));
    }
}
