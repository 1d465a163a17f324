//! Verification: the machine-readable marks, and a pixel check that the
//! badge the manifest describes is still where it says.
//!
//! The check re-renders the badge from the manifest (its lines, text size
//! and the picture's orientation), turns it as stored, and correlates the
//! luminance of the recorded region with the rendered text mask (Pearson
//! correlation over the box). Text is white on a dark box, so a present
//! badge scores near 1 even after heavy re-compression; a region without
//! it scores near 0. A region outside the picture (cropped off) fails.

use image::DynamicImage;
use image::metadata::Orientation;

use crate::badge::{self, BadgeStyle};
use crate::{Info, bmp, gif, jpeg, png, tiff, webp};
use tanba_core::{
    Format, Label, Limits, Manifest, Mark, MarkKind, PerceptibleCheck, Result, Verification,
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
    let image = match format.name {
        "jpeg" => jpeg::decode(bytes, info, limits)?,
        "png" => png::decode(bytes, info, limits)?,
        "webp" => webp::decode(bytes, info, limits)?,
        "gif" => DynamicImage::ImageRgba8(gif::first_frame(bytes, info, limits)?),
        "tiff" => tiff::decode(bytes, info, limits)?,
        _ => bmp::decode(bytes, info, limits)?,
    };
    let perceptible = check_badge(&image, info.orientation, &manifest, style);
    Ok(Verification {
        credentials: None,
        format: format.name,
        marks,
        manifest: Some(manifest),
        signature,
        perceptible,
    })
}

fn not_found(detail: impl Into<String>, score: Option<f64>) -> PerceptibleCheck {
    PerceptibleCheck {
        found: false,
        detail: detail.into(),
        score,
    }
}

/// Scores the badge the manifest describes against the stored pixels.
pub fn check_badge(
    image: &DynamicImage,
    file_orientation: Orientation,
    manifest: &Manifest,
    style: &BadgeStyle,
) -> PerceptibleCheck {
    let placement = &manifest.label.placement;
    let (Some(region), Some(text_px)) = (placement.region, placement.text_size) else {
        return not_found("the manifest records no badge region", None);
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
    let (iw, ih) = (image.width(), image.height());
    if w == 0
        || h == 0
        || u64::from(x) + u64::from(w) > u64::from(iw)
        || u64::from(y) + u64::from(h) > u64::from(ih)
    {
        return not_found(
            format!(
                "the recorded badge region {region:?} lies outside the {iw}x{ih} image (cropped?)"
            ),
            Some(0.0),
        );
    }
    let label = Label {
        lines: manifest.label.lines.clone(),
    };
    let (dw, dh) = badge::oriented_size(orientation, iw, ih);
    let rendered = match badge::render_badge_at(&label, text_px, dw, dh, style) {
        Ok(b) => badge::orient_badge(&b, badge::inverse_orientation(orientation)),
        Err(e) => {
            return not_found(
                format!("the recorded badge cannot be re-rendered: {e}"),
                None,
            );
        }
    };
    if (rendered.width(), rendered.height()) != (w, h) {
        return not_found(
            format!(
                "the re-rendered badge is {}x{} px, the recorded region {w}x{h} px (image resized?)",
                rendered.width(),
                rendered.height()
            ),
            Some(0.0),
        );
    }
    let crop = image.crop_imm(x, y, w, h).to_luma8();
    let score = correlation(&crop, &rendered);
    let found = score >= PRESENCE_THRESHOLD;
    PerceptibleCheck {
        found,
        detail: format!(
            "badge at {} {region:?}: text correlation {score:.2} (threshold {PRESENCE_THRESHOLD})",
            placement.position
        ),
        score: Some(score),
    }
}

/// Pearson correlation of the region's luminance with the text mask, over
/// the pixels the box covers; negative correlations count as 0.
fn correlation(crop: &image::GrayImage, rendered: &badge::BadgeImage) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0f64, 0f64, 0f64, 0f64, 0f64, 0f64);
    for (px, py, l) in crop.enumerate_pixels() {
        if rendered.rgba.get_pixel(px, py).0[3] < 128 {
            continue;
        }
        let a = f64::from(l.0[0]);
        let b = f64::from(rendered.text_mask.get_pixel(px, py).0[0]) / 255.0;
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
    let var = (sxx - sx * sx / n) * (syy - sy * sy / n);
    if var <= 0.0 {
        0.0
    } else {
        (cov / var.sqrt()).max(0.0)
    }
}
