//! Where the corner badge and the opening notice go, for labelling and for
//! verification alike (verification re-renders them from the manifest).

use image::metadata::Orientation;
use image::{GrayImage, Luma, Rgba, RgbaImage};
use serde::{Deserialize, Serialize};

use tanba_core::font::FontFile;
use tanba_core::{Label, Position, Result};
use tanba_image::badge::{
    self, BadgeImage, BadgeStyle, inverse_orientation, map_rect, orient_badge, oriented_size,
};

/// A badge as stored in the frame: already turned, with its origin.
#[derive(Debug, Clone)]
pub(crate) struct StoredBadge {
    pub badge: BadgeImage,
    pub x: u32,
    pub y: u32,
}

/// The opening notice as recorded in the `TANBA_NOTICE` metadata key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NoticeRecord {
    /// `[x, y, w, h]` in stored pixels.
    pub region: [u32; 4],
    /// Text size in pixels.
    pub text_size: f32,
    /// `[start, duration]` in seconds.
    pub span: [f64; 2],
    /// Clockwise display rotation the notice was turned for.
    pub rotation: u32,
    /// `top` or `bottom` edge of the displayed picture.
    pub edge: String,
    /// `[start, duration]` in seconds where the same notice shows again at
    /// the end (the deepfake notice's last 2 s), in the same region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing: Option<[f64; 2]>,
}

/// The image-crate orientation of a clockwise display rotation.
pub(crate) fn orientation(rotation_cw: u32) -> Orientation {
    match rotation_cw % 360 {
        90 => Orientation::Rotate90,
        180 => Orientation::Rotate180,
        270 => Orientation::Rotate270,
        _ => Orientation::NoTransforms,
    }
}

/// The notice's style: the corner badge's colours, opacity and padding,
/// with larger text, nearly full width.
pub(crate) fn notice_style(corner: &BadgeStyle, text_fraction: f32) -> BadgeStyle {
    BadgeStyle {
        min_text_fraction: text_fraction,
        max_width_fraction: 0.96,
        max_height_fraction: 0.45,
        ..corner.clone()
    }
}

/// The corner badge for a frame stored at `w` x `h`, displayed rotated.
pub(crate) fn corner(
    font: &FontFile,
    label: &Label,
    w: u32,
    h: u32,
    rotation_cw: u32,
    position: Position,
    style: &BadgeStyle,
) -> Result<StoredBadge> {
    let placed = badge::place_badge(font, label, w, h, orientation(rotation_cw), position, style)?;
    Ok(StoredBadge {
        x: placed.x,
        y: placed.y,
        badge: placed.badge,
    })
}

/// The re-rendered corner badge at a recorded text size (verification).
pub(crate) fn corner_at(
    font: &FontFile,
    label: &Label,
    text_px: f32,
    w: u32,
    h: u32,
    rotation_cw: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    let o = orientation(rotation_cw);
    let (dw, dh) = oriented_size(o, w, h);
    let upright = badge::render_badge_at(font, label, text_px, dw, dh, style)?;
    Ok(orient_badge(&upright, inverse_orientation(o)))
}

/// The notice edge: opposite the corner badge, so the two never overlap.
pub(crate) fn notice_edge(position: Position) -> &'static str {
    if position.is_top() { "bottom" } else { "top" }
}

/// A full-width bar of the box colour with the label centred on it, for a
/// picture displayed at `dw` x `dh`, upright.
pub(crate) fn notice_bar(
    font: &FontFile,
    label: &Label,
    text_px: f32,
    dw: u32,
    dh: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    let text = badge::render_badge_at(font, label, text_px, dw, dh, style)?;
    let (bar_w, bar_h) = (dw, text.height());
    let offset_x = bar_w.saturating_sub(text.width()) / 2;
    let opacity = style.box_opacity.clamp(0.0, 1.0);
    let mut rgba = RgbaImage::new(bar_w, bar_h);
    let mut mask = GrayImage::new(bar_w, bar_h);
    for (x, y, px) in rgba.enumerate_pixels_mut() {
        let coverage = x
            .checked_sub(offset_x)
            .filter(|tx| *tx < text.width())
            .map(|tx| text.text_mask.get_pixel(tx, y).0[0])
            .unwrap_or(0);
        let t = f32::from(coverage) / 255.0;
        let out_a = t + opacity * (1.0 - t);
        let mut out = [0u8; 4];
        for ((slot, &fg), &bg) in out.iter_mut().zip(&style.text_color).zip(&style.box_color) {
            let v =
                (f32::from(fg) * t + f32::from(bg) * opacity * (1.0 - t)) / out_a.max(f32::EPSILON);
            *slot = v.round().clamp(0.0, 255.0) as u8;
        }
        out[3] = (out_a * 255.0).round().clamp(0.0, 255.0) as u8;
        *px = Rgba(out);
        mask.put_pixel(x, y, Luma([coverage]));
    }
    Ok(BadgeImage {
        rgba,
        text_mask: mask,
        text_px,
        margin: 0,
        lines: text.lines,
    })
}

/// The notice bar at the largest text size from `text_fraction` down to
/// the 5% minimum that fits: a small or portrait picture with a long,
/// bilingual label still gets a notice (at the legal minimum size) rather
/// than a refusal.
fn fitted_notice_bar(
    font: &FontFile,
    label: &Label,
    text_fraction: f32,
    dw: u32,
    dh: u32,
    corner: &BadgeStyle,
) -> Result<BadgeImage> {
    let minimum = BadgeStyle::default().min_text_fraction;
    let mut fraction = text_fraction.max(minimum);
    loop {
        let style = notice_style(corner, fraction);
        let result = notice_bar(font, label, style.text_px_for(dw, dh), dw, dh, &style);
        if result.is_ok() || fraction <= minimum {
            return result;
        }
        // One percent of the shorter side at a time: a few renders at most.
        fraction = (fraction - 0.01).max(minimum);
    }
}

/// The opening notice for a frame stored at `w` x `h` (`stored`): rendered
/// upright for the displayed picture, on the top or bottom edge, then
/// turned as stored.
pub(crate) fn notice(
    (font, label): (&FontFile, &Label),
    text_px: Option<f32>,
    text_fraction: f32,
    (w, h): (u32, u32),
    rotation_cw: u32,
    on_top: bool,
    corner: &BadgeStyle,
) -> Result<StoredBadge> {
    let o = orientation(rotation_cw);
    let (dw, dh) = oriented_size(o, w, h);
    let style = notice_style(corner, text_fraction);
    let upright = match text_px {
        Some(px) => notice_bar(font, label, px, dw, dh, &style)?,
        None => fitted_notice_bar(font, label, text_fraction, dw, dh, corner)?,
    };
    let y = if on_top {
        0
    } else {
        dh.saturating_sub(upright.height())
    };
    let display_rect = [0, y, upright.width(), upright.height()];
    let inverse = inverse_orientation(o);
    let [x, y, _, _] = map_rect(inverse, display_rect, dw, dh);
    Ok(StoredBadge {
        badge: orient_badge(&upright, inverse),
        x,
        y,
    })
}
