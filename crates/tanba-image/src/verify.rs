//! Verification: the machine-readable marks, and a pixel check that the
//! badge the manifest describes is still where it says.
//!
//! The check re-renders the badge from the manifest (its lines, text size
//! and the picture's orientation), turns it as stored, and correlates the
//! luminance of the recorded region with the rendered text mask (Pearson
//! correlation over the box), with the style the labeler was given. Text is
//! white on a dark box by default (dark text is checked with the sign
//! turned), so a present badge scores near 1 even after heavy
//! re-compression; a region without it scores near 0. A region outside the picture (cropped off) fails.

use image::GrayImage;
use image::metadata::Orientation;

use crate::badge::{self, BadgeMasks, BadgeStyle, MaskRuns};
use crate::{ImageSettings, Info, jpeg_luma, mark};
use tanba_core::font::FontFile;
use tanba_core::{
    Error, Format, Label, Limits, Manifest, Mark, MarkKind, PerceptibleCheck, Result, Verification,
    WatermarkKey,
};

/// Scores at or above this count as "badge present".
pub const PRESENCE_THRESHOLD: f64 = 0.5;

/// The marks and the badge of a picture; with `watermark`, the mark made
/// with that key is read too, where it was embedded (a labeler's own
/// output), from the one decode the badge check then crops.
pub(crate) fn verify(
    format: &'static Format,
    bytes: &[u8],
    info: &Info,
    (limits, settings): (&Limits, &ImageSettings),
    watermark: Option<WatermarkKey>,
) -> Result<Verification> {
    let (marks, manifest) = match marks_of(format, info)? {
        Ok(found) => found,
        Err(unmarked) => return Ok(unmarked),
    };
    let size = (info.width, info.height);
    let look = (&settings.font, &settings.style);
    let animated = info.animation.is_some() && matches!(format.name, "png" | "webp" | "gif");
    let mut found = None;
    let perceptible = if animated {
        if let Some(key) = watermark {
            let first = crate::decode(format, bytes, info, limits)?;
            found = mark::read_known(&first, key);
        }
        check_every_frame(format, bytes, info, &manifest, look)?
    } else if let Some(key) = watermark {
        // One decode of the whole luma serves the mark and the badge.
        let luma = whole_luma(format, bytes, info, limits)?;
        found = mark::read_known_luma(&luma, key);
        check_badge(size, info.orientation, &manifest, look, |[x, y, w, h]| {
            Ok(image::imageops::crop_imm(&luma, x, y, w, h).to_image())
        })?
    } else {
        check_badge(size, info.orientation, &manifest, look, |region| {
            region_luma(format, bytes, info, limits, region)
        })?
    };
    let mut v = Verification::new(format, marks, Some(manifest), perceptible);
    v.watermark = found;
    Ok(v)
}

/// The marks the metadata carries and the manifest, or the verdict on a
/// picture without a manifest (no recorded badge to check).
pub(crate) fn marks_of(
    format: &'static Format,
    info: &Info,
) -> Result<std::result::Result<(Vec<Mark>, Manifest), Verification>> {
    let mut marks = Vec::new();
    let mut manifest = None;
    if let Some(m) = &info.marks {
        if m.digital_source_type.is_some() {
            marks.push(Mark::new(MarkKind::Xmp, info.xmp_carrier));
        }
        if m.aigc.is_some() {
            marks.push(Mark::new(MarkKind::Aigc, "XMP TC260:AIGC"));
        }
        if let Some(parsed) = m.parsed_manifest() {
            manifest = Some(parsed?);
            marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest"));
        }
    }
    if info.png_aigc.is_some() {
        marks.push(Mark::new(MarkKind::Aigc, "PNG tEXt AIGC"));
    }
    if let Some(exif) = &info.exif_aigc {
        let xmp = info.marks.as_ref().and_then(|m| m.aigc.as_deref());
        if let Some(xmp) = xmp
            && !same_aigc(exif, xmp)
        {
            return Err(Error::unverified(
                "the AIGC label in EXIF UserComment differs from the one in XMP",
            ));
        }
        marks.push(Mark::new(MarkKind::Aigc, "EXIF UserComment"));
    }
    let Some(manifest) = manifest else {
        let mut v = Verification::unmarked(
            format,
            if format.name == "bmp" {
                "BMP carries no metadata, so no manifest says where a badge would be; machine-readable mark missing"
            } else {
                "no Tanba manifest, so no recorded badge to check"
            },
        );
        v.marks = marks;
        return Ok(Err(v));
    };
    Ok(Ok((marks, manifest)))
}

/// The luminance of the whole stored picture: a JPEG's decoded alone
/// (no chroma, no colour conversion), other formats decoded whole.
fn whole_luma(
    format: &'static Format,
    bytes: &[u8],
    info: &Info,
    limits: &Limits,
) -> Result<GrayImage> {
    let jpeg = if format.name == "jpeg" {
        jpeg_luma::whole_luma(bytes, limits)?
    } else {
        None
    };
    let luma = match jpeg {
        Some(luma) => luma,
        None => crate::decode(format, bytes, info, limits)?.to_luma8(),
    };
    if luma.dimensions() != (info.width, info.height) {
        return Err(Error::malformed(format!(
            "{} decodes to a size other than its header's",
            format.name
        )));
    }
    Ok(luma)
}

/// Whether two AIGC labels say the same: equal up to whitespace (a
/// reader may re-serialise the JSON with spaces).
fn same_aigc(a: &str, b: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squeeze(a) == squeeze(b)
}

/// The luminance of `region` of the stored picture. A JPEG decodes only
/// luminance, and only the restart intervals under the region when it has
/// them (see `jpeg_luma`); other formats decode whole.
fn region_luma(
    format: &'static Format,
    bytes: &[u8],
    info: &Info,
    limits: &Limits,
    region: [u32; 4],
) -> Result<GrayImage> {
    let [x, y, w, h] = region;
    if format.name == "jpeg"
        && let Some(window) = jpeg_luma::region_luma(bytes, region, limits)?
    {
        let (wx, wy) = (x - window.x, y - window.y);
        if wx + w > window.luma.width() || wy + h > window.luma.height() {
            return Err(Error::malformed(
                "JPEG decodes to a size other than its header's",
            ));
        }
        // Row by row: `crop_imm(..).to_image()` copies pixel by pixel.
        let stride = window.luma.width() as usize;
        let raw = window.luma.as_raw();
        let mut out = Vec::with_capacity(w as usize * h as usize);
        for row in 0..h as usize {
            let start = (wy as usize + row) * stride + wx as usize;
            out.extend_from_slice(raw.get(start..start + w as usize).unwrap_or_default());
        }
        return GrayImage::from_raw(w, h, out)
            .ok_or_else(|| Error::malformed("JPEG decodes to fewer pixels than its size"));
    }
    let image = crate::decode(format, bytes, info, limits)?;
    if (image.width(), image.height()) != (info.width, info.height) {
        return Err(Error::malformed(format!(
            "{} decodes to a size other than its header's",
            format.name
        )));
    }
    Ok(image.crop_imm(x, y, w, h).to_luma8())
}

/// The badge checked on every frame of a GIF, an animated PNG or WebP (each
/// composited on the canvas, as shown); the first frame that fails is
/// reported, else the lowest score over all frames. The animation limits
/// were checked by the caller before this decodes anything.
fn check_every_frame(
    format: &'static Format,
    bytes: &[u8],
    info: &Info,
    manifest: &Manifest,
    look: (&FontFile, &BadgeStyle),
) -> Result<PerceptibleCheck> {
    use image::AnimationDecoder;
    use std::io::Cursor;
    let what = format.name;
    let err = |e| crate::image_err(what, e);
    let frames = match format.name {
        "png" => image::codecs::png::PngDecoder::new(Cursor::new(bytes))
            .and_then(|d| d.apng())
            .map_err(err)?
            .into_frames(),
        "gif" => image::codecs::gif::GifDecoder::new(Cursor::new(bytes))
            .map_err(err)?
            .into_frames(),
        _ => image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
            .map_err(err)?
            .into_frames(),
    };
    let size = (info.width, info.height);
    let mut worst: Option<PerceptibleCheck> = None;
    let mut count = 0;
    for (i, frame) in frames.enumerate() {
        let rgba = frame.map_err(err)?.into_buffer();
        let check = check_badge(size, info.orientation, manifest, look, |[x, y, w, h]| {
            Ok(image::DynamicImage::ImageRgba8(rgba)
                .crop_imm(x, y, w, h)
                .to_luma8())
        })?;
        count = i + 1;
        if !check.found {
            let detail = format!("frame {} of the animation: {}", i + 1, check.detail);
            return Ok(PerceptibleCheck::missing(detail).with_score(check.score));
        }
        if worst.as_ref().is_none_or(|w| check.score < w.score) {
            worst = Some(check);
        }
    }
    let worst =
        worst.ok_or_else(|| Error::malformed(format!("{what} animation without frames")))?;
    let detail = format!("on all {count} frames; the weakest: {}", worst.detail);
    Ok(PerceptibleCheck::found(detail).with_score(worst.score))
}

pub(crate) fn not_found(detail: impl Into<String>, score: Option<f64>) -> PerceptibleCheck {
    PerceptibleCheck::missing(detail).with_score(score)
}

/// Scores the badge the manifest describes against the stored pixels of
/// a `size` picture; `luma` gives the luminance of a region of them, and is
/// only asked once the region is known to lie inside the picture.
pub(crate) fn check_badge(
    size: (u32, u32),
    file_orientation: Orientation,
    manifest: &Manifest,
    look: (&FontFile, &BadgeStyle),
    luma: impl FnOnce([u32; 4]) -> Result<GrayImage>,
) -> Result<PerceptibleCheck> {
    let mut score = match plan_badge(size, file_orientation, manifest, look)? {
        Ok(score) => score,
        Err(verdict) => return Ok(verdict),
    };
    let crop = luma(score.region)?;
    let w = crop.width() as usize;
    if w > 0 {
        for (row, pixels) in crop.chunks_exact(w).enumerate() {
            score.push_row(row as u32, pixels);
        }
    }
    Ok(score.finish())
}

/// The badge the manifest describes, ready to score rows of the stored
/// picture against ([`BadgeScore::push_row`]), or the verdict already
/// reached without pixels: no badge recorded, a region outside the
/// picture, a badge that cannot be re-rendered or is of another size.
pub(crate) fn plan_badge(
    size: (u32, u32),
    file_orientation: Orientation,
    manifest: &Manifest,
    (font, style): (&FontFile, &BadgeStyle),
) -> Result<std::result::Result<BadgeScore, PerceptibleCheck>> {
    let placement = &manifest.label.placement;
    let (Some(region), Some(text_px)) = (placement.region, placement.text_size) else {
        return Ok(Err(not_found("the manifest records no badge region", None)));
    };
    // The orientation the badge was laid out for: the file's, or, when its
    // EXIF was stripped since, the rotation the manifest recorded.
    let orientation = if file_orientation == Orientation::NoTransforms {
        match placement.rotation.unwrap_or(0) {
            90 => Orientation::Rotate90,
            180 => Orientation::Rotate180,
            270 => Orientation::Rotate270,
            _ => Orientation::NoTransforms,
        }
    } else {
        file_orientation
    };
    let [x, y, w, h] = region;
    let (iw, ih) = size;
    if w == 0
        || h == 0
        || u64::from(x) + u64::from(w) > u64::from(iw)
        || u64::from(y) + u64::from(h) > u64::from(ih)
    {
        return Ok(Err(not_found(
            format!(
                "the recorded badge region ({w}x{h} at {x},{y}) lies outside the {iw}x{ih} image (cropped?)"
            ),
            Some(0.0),
        )));
    }
    let label = Label {
        lines: manifest.label.lines.clone(),
    };
    let (dw, dh) = badge::oriented_size(orientation, iw, ih);
    // Run lengths, never whole masks: a big badge's check stays small.
    // A badge stored turned is turned whole, then kept as runs.
    let runs = match badge::mask_runs_at(font, &label, text_px, dw, dh, style) {
        Ok(runs) if orientation == Orientation::NoTransforms => runs,
        Ok(runs) => {
            let m = runs.expand();
            let back = badge::inverse_orientation(orientation);
            MaskRuns::from_masks(&BadgeMasks {
                text_mask: badge::orient_gray(&m.text_mask, back),
                alpha: badge::orient_gray(&m.alpha, back),
            })
        }
        Err(e) => {
            // Never a match against empty boxes: a text the font cannot
            // draw is reported here, with the reason.
            let reason = match e {
                Error::CannotLabel { reason, .. } => reason,
                other => other.to_string(),
            };
            return Ok(Err(not_found(
                format!("the recorded badge cannot be re-rendered: {reason}"),
                None,
            )));
        }
    };
    if (runs.width(), runs.height()) != (w, h) {
        let (rw, rh) = (runs.width(), runs.height());
        return Ok(Err(not_found(
            format!(
                "the re-rendered badge is {rw}x{rh} px, the recorded region {w}x{h} px (image resized?)"
            ),
            Some(0.0),
        )));
    }
    // Over the pixels the box covers (a see-through box counts too); dark
    // text on a light box correlates negatively, so its sign is turned.
    let inside = (style.box_opacity.clamp(0.0, 1.0) * 255.0)
        .floor()
        .clamp(1.0, 128.0) as u8;
    Ok(Ok(BadgeScore {
        region,
        runs,
        inside,
        sign: if style.text_is_lighter() { 1.0 } else { -1.0 },
        sums: Sums::default(),
        position: placement.position.clone(),
    }))
}

/// The correlation of a region's luminance with the badge's text mask over
/// the pixels its box covers, summed row by row as the rows come: the
/// same value as [`masked_correlation`] over the whole region.
#[derive(Debug)]
pub(crate) struct BadgeScore {
    /// `[x, y, w, h]` in stored pixels.
    region: [u32; 4],
    runs: MaskRuns,
    /// Least alpha that counts as inside the box.
    inside: u8,
    /// 1, or -1 for dark text on a light box.
    sign: f64,
    sums: Sums,
    position: String,
}

impl BadgeScore {
    /// `[x, y, w, h]` of the badge in stored pixels.
    pub(crate) fn region(&self) -> [u32; 4] {
        self.region
    }

    /// Adds row `row` of the region (0 is its top): `luma` is the
    /// luminance of the region's pixels on that row, left to right.
    pub(crate) fn push_row(&mut self, row: u32, luma: &[u8]) {
        let mut x = 0usize;
        for run in self.runs.row(row) {
            let end = (x + run.len as usize).min(luma.len());
            let span = luma.get(x..end).unwrap_or_default();
            x = end;
            if run.alpha < self.inside {
                continue;
            }
            // A run is at most 65,535 pixels: 255² times that fits in u32.
            let (mut s, mut ss) = (0u32, 0u32);
            for &l in span {
                let l = u32::from(l);
                s += l;
                ss += l * l;
            }
            let (n, m) = (span.len() as u64, u64::from(run.text));
            let sums = &mut self.sums;
            sums.n += n;
            sums.sx += u64::from(s);
            sums.sxx += u64::from(ss);
            sums.sy += n * m;
            sums.syy += n * m * m;
            sums.sxy += m * u64::from(s);
        }
    }

    /// The verdict over the rows added.
    pub(crate) fn finish(self) -> PerceptibleCheck {
        let [x, y, w, h] = self.region;
        // A correlation the wrong way round counts as 0.
        let score = (self.sign * self.sums.correlation()).max(0.0);
        let found = score >= PRESENCE_THRESHOLD;
        PerceptibleCheck::new(
            found,
            format!(
                "badge at {} ({w}x{h} at {x},{y}): text correlation {score:.2} (threshold {PRESENCE_THRESHOLD})",
                self.position
            ),
        )
        .with_score(score)
    }
}

/// Pearson correlation of paired 8-bit samples (here: the luminance of a
/// badge region and the text mask the manifest implies), in -1..=1; 0 when
/// either side does not vary or there are fewer than two pairs. Text is
/// white on a dark box, so a present label scores near 1 even after heavy
/// re-compression and a region without it near 0. The video crate scores
/// its frames with the same function. The sums are exact integers: no
/// rounding, and a third of the time of floating-point sums.
pub fn correlation(pairs: impl IntoIterator<Item = (u8, u8)>) -> f64 {
    let mut sums = Sums::default();
    for (a, b) in pairs {
        let (a, b) = (u64::from(a), u64::from(b));
        sums.n += 1;
        sums.sx += a;
        sums.sy += b;
        sums.sxx += a * a;
        sums.syy += b * b;
        sums.sxy += a * b;
    }
    sums.correlation()
}

/// [`correlation`] of `luma` with `mask` over the pixels where `alpha` is at
/// least `inside` (the badge's box), the same value, over three
/// equal-length rows of samples. Without a branch per pixel and with 32-bit sums per block,
/// it runs in SIMD lanes: five times faster than the pairs on a 12-MP
/// picture's badge, where it was an eighth of the check. The check now sums
/// run by run ([`BadgeScore`]); this stays as the reference it must equal.
#[cfg(test)]
pub(crate) fn masked_correlation(luma: &[u8], alpha: &[u8], mask: &[u8], inside: u8) -> f64 {
    // 255² * BLOCK stays under u32::MAX.
    const BLOCK: usize = 32 * 1024;
    let mut sums = Sums::default();
    let blocks = luma
        .chunks(BLOCK)
        .zip(alpha.chunks(BLOCK))
        .zip(mask.chunks(BLOCK));
    for ((l, a), m) in blocks {
        let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) =
            (0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
        for ((&l, &a), &m) in l.iter().zip(a).zip(m) {
            let keep = u32::from(a >= inside);
            let (x, y) = (u32::from(l) * keep, u32::from(m) * keep);
            n += keep;
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        sums.n += u64::from(n);
        sums.sx += u64::from(sx);
        sums.sy += u64::from(sy);
        sums.sxx += u64::from(sxx);
        sums.syy += u64::from(syy);
        sums.sxy += u64::from(sxy);
    }
    sums.correlation()
}

/// Exact integer sums of paired samples.
#[derive(Debug, Default)]
struct Sums {
    n: u64,
    sx: u64,
    sy: u64,
    sxx: u64,
    syy: u64,
    sxy: u64,
}

impl Sums {
    fn correlation(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        // n times the (co)variances, exact in i128.
        let (n, sx, sy) = (i128::from(self.n), i128::from(self.sx), i128::from(self.sy));
        let cov = n * i128::from(self.sxy) - sx * sy;
        let vx = n * i128::from(self.sxx) - sx * sx;
        let vy = n * i128::from(self.syy) - sy * sy;
        if vx <= 0 || vy <= 0 {
            return 0.0;
        }
        cov as f64 / ((vx as f64).sqrt() * (vy as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_of_known_series() {
        let up = (0..10u8).map(|i| (i, 2 * i + 1));
        assert!((correlation(up) - 1.0).abs() < 1e-12);
        let down = (0..10u8).map(|i| (i, 200 - i));
        assert!((correlation(down) + 1.0).abs() < 1e-12);
        let flat = (0..10u8).map(|i| (i, 3));
        assert_eq!(correlation(flat), 0.0);
        assert_eq!(correlation([(1, 2)]), 0.0);
        // Against the textbook formula on a noisy series.
        let xs: Vec<u8> = (0..500u32).map(|i| (i * 37 % 251) as u8).collect();
        let ys: Vec<u8> = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| x / 2 + (i % 7) as u8 * 9)
            .collect();
        let mean = |v: &[u8]| v.iter().map(|&a| f64::from(a)).sum::<f64>() / v.len() as f64;
        let (mx, my) = (mean(&xs), mean(&ys));
        let (mut c, mut vx, mut vy) = (0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            let (dx, dy) = (f64::from(x) - mx, f64::from(y) - my);
            c += dx * dy;
            vx += dx * dx;
            vy += dy * dy;
        }
        let r = c / (vx * vy).sqrt();
        assert!((correlation(xs.iter().copied().zip(ys.iter().copied())) - r).abs() < 1e-9);
    }

    #[test]
    fn row_scores_equal_the_masked_correlation() {
        let (w, h) = (300u32, 40u32);
        let text = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([match ((x / 7 + y / 5) % 3, x % 13) {
                (0, _) => 255,
                (_, 0) => (x % 256) as u8,
                _ => 0,
            }])
        });
        let alpha = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([if x < 4 || y < 3 { (x * 40) as u8 } else { 191 }])
        });
        // Text under noise: a real, not perfect, correlation.
        let luma = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([text.get_pixel(x, y).0[0] / 2 + ((x * 37 + y * 11) % 101) as u8])
        });
        let masks = BadgeMasks {
            text_mask: text.clone(),
            alpha: alpha.clone(),
        };
        let mut score = BadgeScore {
            region: [0, 0, w, h],
            runs: MaskRuns::from_masks(&masks),
            inside: 128,
            sign: 1.0,
            sums: Sums::default(),
            position: "bottom-right".to_string(),
        };
        for (row, pixels) in luma.chunks_exact(w as usize).enumerate() {
            score.push_row(row as u32, pixels);
        }
        let expected = masked_correlation(&luma, &alpha, &text, 128);
        assert!(expected > 0.5 && expected < 0.99, "{expected}");
        assert_eq!(score.sums.correlation(), expected);
    }

    #[test]
    fn masked_correlation_equals_the_filtered_pairs() {
        // Longer than one block, so the 32-bit block sums are carried over.
        let n = 100_003usize;
        let luma: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
        let alpha: Vec<u8> = (0..n).map(|i| (i * 13 % 256) as u8).collect();
        let mask: Vec<u8> = (0..n).map(|i| 255 - (i * 7 % 253) as u8).collect();
        let pairs = luma
            .iter()
            .zip(&alpha)
            .zip(&mask)
            .filter(|&((_, &a), _)| a >= 128)
            .map(|((&l, _), &m)| (l, m));
        let expected = correlation(pairs);
        assert_ne!(expected, 0.0);
        assert_eq!(masked_correlation(&luma, &alpha, &mask, 128), expected);
        let white = vec![255u8; n];
        let expected = correlation(white.iter().copied().zip(mask.iter().copied()));
        assert_eq!(masked_correlation(&white, &alpha, &mask, 128), 0.0);
        assert_eq!(expected, 0.0);
    }
}
