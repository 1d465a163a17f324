//! Verification: the machine-readable marks, and a pixel check that the
//! badge the manifest describes is still where it says.
//!
//! The check re-renders the badge from the manifest (its lines, text size
//! and the picture's orientation), turns it as stored, and correlates the
//! luminance of the recorded region with the rendered text mask (Pearson
//! correlation over the box). Text is white on a dark box, so a present
//! badge scores near 1 even after heavy re-compression; a region without
//! it scores near 0. A region outside the picture (cropped off) fails.

use image::GrayImage;
use image::metadata::Orientation;

use crate::badge::{self, BadgeMasks, BadgeStyle};
use crate::{Info, jpeg_luma};
use tanba_core::{
    Error, Format, Label, Limits, Manifest, Mark, MarkKind, PerceptibleCheck, Result, Verification,
};

/// Scores at or above this count as "badge present".
pub const PRESENCE_THRESHOLD: f64 = 0.5;

pub(crate) fn verify(
    format: &'static Format,
    bytes: &[u8],
    info: &Info,
    limits: &Limits,
    style: &BadgeStyle,
) -> Result<Verification> {
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
        return Ok(v);
    };
    let signature = manifest.signature_state();
    let size = (info.width, info.height);
    let perceptible = check_badge(size, info.orientation, &manifest, style, |region| {
        region_luma(format, bytes, info, limits, region)
    })?;
    Ok(Verification {
        credentials: None,
        format: format.name,
        marks,
        manifest: Some(manifest),
        signature,
        perceptible,
    })
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
        return Ok(image::imageops::crop_imm(&window.luma, wx, wy, w, h).to_image());
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

fn not_found(detail: impl Into<String>, score: Option<f64>) -> PerceptibleCheck {
    PerceptibleCheck {
        found: false,
        detail: detail.into(),
        score,
    }
}

/// Scores the badge the manifest describes against the stored pixels of
/// a `size` picture; `luma` gives the luminance of a region of them, and is
/// only asked once the region is known to lie inside the picture.
pub(crate) fn check_badge(
    size: (u32, u32),
    file_orientation: Orientation,
    manifest: &Manifest,
    style: &BadgeStyle,
    luma: impl FnOnce([u32; 4]) -> Result<GrayImage>,
) -> Result<PerceptibleCheck> {
    let placement = &manifest.label.placement;
    let (Some(region), Some(text_px)) = (placement.region, placement.text_size) else {
        return Ok(not_found("the manifest records no badge region", None));
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
        return Ok(not_found(
            format!(
                "the recorded badge region {region:?} lies outside the {iw}x{ih} image (cropped?)"
            ),
            Some(0.0),
        ));
    }
    let label = Label {
        lines: manifest.label.lines.clone(),
    };
    let (dw, dh) = badge::oriented_size(orientation, iw, ih);
    let masks = match badge::render_masks_at(&label, text_px, dw, dh, style) {
        Ok(m) if orientation == Orientation::NoTransforms => m,
        Ok(m) => {
            let back = badge::inverse_orientation(orientation);
            BadgeMasks {
                text_mask: badge::orient_gray(&m.text_mask, back),
                alpha: badge::orient_gray(&m.alpha, back),
            }
        }
        Err(e) => {
            return Ok(not_found(
                format!("the recorded badge cannot be re-rendered: {e}"),
                None,
            ));
        }
    };
    if masks.alpha.dimensions() != (w, h) {
        let (rw, rh) = masks.alpha.dimensions();
        return Ok(not_found(
            format!(
                "the re-rendered badge is {rw}x{rh} px, the recorded region {w}x{h} px (image resized?)"
            ),
            Some(0.0),
        ));
    }
    let crop = luma(region)?;
    // Over the pixels the box covers; a negative correlation counts as 0.
    let pairs = crop
        .iter()
        .zip(masks.alpha.iter())
        .zip(masks.text_mask.iter())
        .filter(|&((_, &a), _)| a >= 128)
        .map(|((&l, _), &m)| (f64::from(l), f64::from(m)));
    let score = correlation(pairs).max(0.0);
    let found = score >= PRESENCE_THRESHOLD;
    Ok(PerceptibleCheck {
        found,
        detail: format!(
            "badge at {} {region:?}: text correlation {score:.2} (threshold {PRESENCE_THRESHOLD})",
            placement.position
        ),
        score: Some(score),
    })
}

/// Pearson correlation of paired samples (here: the luminance of a badge
/// region and the text mask the manifest implies), in -1..=1; 0 when either
/// side does not vary or there are fewer than two pairs. Text is white on a
/// dark box, so a present label scores near 1 even after heavy
/// re-compression and a region without it near 0. The video crate scores
/// its frames with the same function.
pub fn correlation(pairs: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0f64, 0f64, 0f64, 0f64, 0f64, 0f64);
    for (a, b) in pairs {
        n += 1.0;
        sx += a;
        sy += b;
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
    }
    if n < 2.0 {
        return 0.0;
    }
    let cov = sxy - sx * sy / n;
    let (vx, vy) = (sxx - sx * sx / n, syy - sy * sy / n);
    if vx <= 0.0 || vy <= 0.0 {
        return 0.0;
    }
    cov / (vx * vy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_of_known_series() {
        let up = (0..10).map(|i| (f64::from(i), 2.0 * f64::from(i) + 1.0));
        assert!((correlation(up) - 1.0).abs() < 1e-12);
        let down = (0..10).map(|i| (f64::from(i), -f64::from(i)));
        assert!((correlation(down) + 1.0).abs() < 1e-12);
        let flat = (0..10).map(|i| (f64::from(i), 3.0));
        assert_eq!(correlation(flat), 0.0);
        assert_eq!(correlation([(1.0, 2.0)]), 0.0);
    }
}
