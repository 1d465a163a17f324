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
    let size = (info.width, info.height);
    let perceptible = check_badge(size, info.orientation, &manifest, style, |region| {
        region_luma(format, bytes, info, limits, region)
    })?;
    Ok(Verification::new(
        format,
        marks,
        Some(manifest),
        perceptible,
    ))
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

fn not_found(detail: impl Into<String>, score: Option<f64>) -> PerceptibleCheck {
    PerceptibleCheck::missing(detail).with_score(score)
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
    // Over the pixels the box covers (a see-through box counts too); dark
    // text on a light box correlates negatively, so its sign is turned.
    // A correlation the wrong way round counts as 0.
    let inside = (style.box_opacity.clamp(0.0, 1.0) * 255.0)
        .floor()
        .clamp(1.0, 128.0) as u8;
    let pairs = crop
        .iter()
        .zip(masks.alpha.iter())
        .zip(masks.text_mask.iter())
        .filter(|&((_, &a), _)| a >= inside)
        .map(|((&l, _), &m)| (l, m));
    let sign = if style.text_is_lighter() { 1.0 } else { -1.0 };
    let score = (sign * correlation(pairs)).max(0.0);
    let found = score >= PRESENCE_THRESHOLD;
    Ok(PerceptibleCheck::new(
        found,
        format!(
            "badge at {} {region:?}: text correlation {score:.2} (threshold {PRESENCE_THRESHOLD})",
            placement.position
        ),
    )
    .with_score(score))
}

/// Pearson correlation of paired 8-bit samples (here: the luminance of a
/// badge region and the text mask the manifest implies), in -1..=1; 0 when
/// either side does not vary or there are fewer than two pairs. Text is
/// white on a dark box, so a present label scores near 1 even after heavy
/// re-compression and a region without it near 0. The video crate scores
/// its frames with the same function. The sums are exact integers: no
/// rounding, and a third of the time of floating-point sums.
pub fn correlation(pairs: impl IntoIterator<Item = (u8, u8)>) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    for (a, b) in pairs {
        let (a, b) = (u64::from(a), u64::from(b));
        n += 1;
        sx += a;
        sy += b;
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
    }
    if n < 2 {
        return 0.0;
    }
    // n times the (co)variances, exact in i128.
    let (n, sx, sy) = (i128::from(n), i128::from(sx), i128::from(sy));
    let cov = n * i128::from(sxy) - sx * sy;
    let vx = n * i128::from(sxx) - sx * sx;
    let vy = n * i128::from(syy) - sy * sy;
    if vx <= 0 || vy <= 0 {
        return 0.0;
    }
    cov as f64 / ((vx as f64).sqrt() * (vy as f64).sqrt())
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
}
