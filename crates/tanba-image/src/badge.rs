//! The visible badge: label text on a rounded, semi-opaque dark box.
//!
//! This module is public because the video crate burns the same badge into
//! frames. The pieces:
//! - [`render_badge`] lays out and rasterises the label for a picture of a
//!   given *displayed* size, into a straight-alpha RGBA [`BadgeImage`];
//! - [`badge_origin`] says where it goes for a [`Position`];
//! - [`blend_badge`] / [`blend_onto`] composite it over pixels;
//! - [`orient_badge`] and [`rotate_badge`] turn it for pictures stored
//!   rotated (EXIF orientation, phone video rotation), and
//!   [`place_badge`] does all of that for one picture.
//!
//! Sizes follow GB 45438-2025, the strictest concrete rule: the text size
//! (font size, the em square, in pixels) is at least 5% of the shorter side
//! of the picture *as displayed*, and never below 12 px. Long lines wrap at
//! word boundaries rather than shrink.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, Pixel, Primitive, Rgba, RgbaImage};
use std::sync::OnceLock;

use tanba_core::font::LABEL_FONT;
use tanba_core::{Error, Label, Position, Result};

/// How the badge looks. Every length is relative to the text size, so the
/// badge scales with the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct BadgeStyle {
    /// Smallest text size as a fraction of the displayed shorter side (0.05 = 5%).
    pub min_text_fraction: f32,
    /// Smallest text size in pixels, whatever the picture size.
    pub min_text_px: f32,
    /// Widest the badge may be, as a fraction of the displayed width; text wraps to fit.
    pub max_width_fraction: f32,
    /// Tallest the badge may be, as a fraction of the displayed height; a
    /// picture that would need more is refused as too small.
    pub max_height_fraction: f32,
    /// Box colour (sRGB).
    pub box_color: [u8; 3],
    /// Box opacity, 0..=1. With the default colour, 0.75 keeps white text at
    /// a contrast of at least 4.5:1 even over a white background.
    pub box_opacity: f32,
    /// Text colour (sRGB).
    pub text_color: [u8; 3],
    /// Horizontal padding inside the box, in ems.
    pub padding_x_em: f32,
    /// Vertical padding inside the box, in ems.
    pub padding_y_em: f32,
    /// Distance from the picture's edges, in ems.
    pub margin_em: f32,
    /// Corner radius of the box, in ems.
    pub radius_em: f32,
    /// Distance between baselines, in ems.
    pub line_pitch_em: f32,
}

impl Default for BadgeStyle {
    fn default() -> Self {
        BadgeStyle {
            min_text_fraction: 0.05,
            min_text_px: 12.0,
            max_width_fraction: 0.9,
            max_height_fraction: 0.5,
            box_color: [16, 16, 16],
            box_opacity: 0.75,
            text_color: [255, 255, 255],
            padding_x_em: 0.5,
            padding_y_em: 0.3,
            margin_em: 0.5,
            radius_em: 0.35,
            line_pitch_em: 1.25,
        }
    }
}

impl BadgeStyle {
    /// The text size for a picture displayed at `display_w` x `display_h`.
    pub fn text_px_for(&self, display_w: u32, display_h: u32) -> f32 {
        let shorter = display_w.min(display_h) as f32;
        (shorter * self.min_text_fraction)
            .ceil()
            .max(self.min_text_px)
    }

    /// Contrast ratio (WCAG 2) of the text over the box, with the box
    /// composited over the worst background (black or white).
    pub fn worst_contrast(&self) -> f64 {
        let a = f64::from(self.box_opacity.clamp(0.0, 1.0));
        let text = relative_luminance(self.text_color.map(f64::from));
        [0.0, 255.0]
            .into_iter()
            .map(|bg| {
                let box_over = self.box_color.map(|c| f64::from(c) * a + bg * (1.0 - a));
                contrast(text, relative_luminance(box_over))
            })
            .fold(f64::INFINITY, f64::min)
    }
}

/// WCAG 2 relative luminance of an sRGB colour given in 0..=255.
pub fn relative_luminance(rgb: [f64; 3]) -> f64 {
    let lin = |c: f64| {
        let c = c / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

/// WCAG 2 contrast ratio of two relative luminances.
pub fn contrast(l1: f64, l2: f64) -> f64 {
    let (hi, lo) = if l1 > l2 { (l1, l2) } else { (l2, l1) };
    (hi + 0.05) / (lo + 0.05)
}

/// A rendered badge, upright.
#[derive(Debug, Clone)]
pub struct BadgeImage {
    /// The badge, straight (not premultiplied) alpha.
    pub rgba: RgbaImage,
    /// Coverage of the text alone (255 = glyph ink), same size as `rgba`;
    /// what verification compares against.
    pub text_mask: GrayImage,
    /// The text size in pixels (em).
    pub text_px: f32,
    /// Distance the badge keeps from the picture's edges, in pixels.
    pub margin: u32,
    /// The lines as wrapped.
    pub lines: Vec<String>,
}

impl BadgeImage {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.rgba.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.rgba.height()
    }
}

fn font() -> Result<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(LABEL_FONT).ok())
        .as_ref()
        .ok_or_else(|| Error::cannot_label("the embedded label font does not parse"))
}

/// One laid-out glyph: id, pen x, line index.
struct Placed {
    id: GlyphId,
    x: f32,
    line: usize,
}

fn line_width(font: &impl ScaleFont<&'static FontRef<'static>>, text: &str) -> f32 {
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            width += font.kern(p, id);
        }
        width += font.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Greedy word wrap of each label line to `max_width`; a word wider than
/// that cannot be placed.
fn wrap(
    font: &impl ScaleFont<&'static FontRef<'static>>,
    label: &Label,
    max_width: f32,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for text in label.texts() {
        let mut current = String::new();
        for word in text.split_whitespace() {
            if line_width(font, word) > max_width {
                return Err(Error::cannot_label(format!(
                    "the word {word:?} does not fit the image width at the minimum text size"
                )));
            }
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if line_width(font, &candidate) <= max_width || current.is_empty() {
                current = candidate;
            } else {
                out.push(std::mem::replace(&mut current, word.to_string()));
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    if out.is_empty() {
        return Err(Error::cannot_label("the label has no text"));
    }
    Ok(out)
}

/// Renders the badge for a picture displayed at `display_w` x `display_h`.
///
/// Refuses with [`Error::CannotLabel`] when the picture is too small for a
/// legible badge: a word wider than the allowed width, or a wrapped badge
/// taller than `style.max_height_fraction` of the picture.
pub fn render_badge(
    label: &Label,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    let text_px = style.text_px_for(display_w, display_h);
    render_badge_at(label, text_px, display_w, display_h, style)
}

/// Renders the badge with a given text size (used by verification, which
/// reads the size from the manifest).
pub fn render_badge_at(
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    let font = font()?;
    // ab_glyph's scale is the ascent-to-descent height; convert from em.
    let upem = font.units_per_em().unwrap_or(1000.0);
    let scale = PxScale::from(text_px * font.height_unscaled() / upem);
    let scaled = font.as_scaled(scale);
    let pad_x = (style.padding_x_em * text_px).round();
    let pad_y = (style.padding_y_em * text_px).round();
    let margin = (style.margin_em * text_px).round();
    let max_box_w = display_w as f32 * style.max_width_fraction;
    let lines = wrap(&scaled, label, max_box_w - 2.0 * pad_x)?;

    let pitch = style.line_pitch_em * text_px;
    let ascent = scaled.ascent();
    let descent = scaled.descent(); // negative
    let text_w = lines
        .iter()
        .map(|l| line_width(&scaled, l))
        .fold(0.0, f32::max);
    let box_w = (text_w + 2.0 * pad_x).ceil();
    let box_h = (2.0 * pad_y + (lines.len() as f32 - 1.0) * pitch + ascent - descent).ceil();
    let max_box_h = display_h as f32 * style.max_height_fraction;
    if box_h > max_box_h || box_w + 2.0 * margin > display_w as f32 {
        return Err(Error::cannot_label(format!(
            "image too small for a legible label: {display_w}x{display_h} px would need a \
             {box_w}x{box_h} px badge ({} lines at {text_px} px); use a shorter label",
            lines.len()
        )));
    }
    let (bw, bh) = (box_w as u32, box_h as u32);

    let mut placed = Vec::new();
    for (i, text) in lines.iter().enumerate() {
        let mut x = pad_x;
        let mut prev: Option<GlyphId> = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            placed.push(Placed { id, x, line: i });
            x += scaled.h_advance(id);
            prev = Some(id);
        }
    }

    let mut coverage = vec![0f32; (bw as usize) * (bh as usize)];
    for g in placed {
        let baseline = pad_y + ascent + g.line as f32 * pitch;
        let glyph =
            g.id.with_scale_and_position(scale, ab_glyph::point(g.x, baseline));
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|x, y, c| {
                let px = bounds.min.x as i64 + i64::from(x);
                let py = bounds.min.y as i64 + i64::from(y);
                if px >= 0 && py >= 0 && (px as u32) < bw && (py as u32) < bh {
                    let i = py as usize * bw as usize + px as usize;
                    coverage[i] = (coverage[i] + c).min(1.0);
                }
            });
        }
    }

    let radius = (style.radius_em * text_px)
        .min(box_w / 2.0)
        .min(box_h / 2.0);
    let opacity = style.box_opacity.clamp(0.0, 1.0);
    let mut rgba = RgbaImage::new(bw, bh);
    let mut text_mask = GrayImage::new(bw, bh);
    // Most of the badge is plain box: one colour, computed once.
    let plain_box = if opacity > 0.0 {
        let [r, g, b] = style.box_color;
        Rgba([r, g, b, (opacity * 255.0).round().clamp(0.0, 255.0) as u8])
    } else {
        Rgba([0; 4])
    };
    let in_corner = |x: u32, y: u32| {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        (px < radius || px > box_w - radius) && (py < radius || py > box_h - radius)
    };
    for (x, y, px) in rgba.enumerate_pixels_mut() {
        let text = coverage[y as usize * bw as usize + x as usize];
        if text <= 0.0 && !in_corner(x, y) {
            *px = plain_box;
            continue;
        }
        let box_a = opacity * rounded_rect_coverage(x, y, box_w, box_h, radius);
        let out_a = text + box_a * (1.0 - text);
        let mut out = [0u8; 4];
        if out_a > 0.0 {
            for ((slot, &fg), &bg) in out.iter_mut().zip(&style.text_color).zip(&style.box_color) {
                let v = (f32::from(fg) * text + f32::from(bg) * box_a * (1.0 - text)) / out_a;
                *slot = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        out[3] = (out_a * 255.0).round().clamp(0.0, 255.0) as u8;
        *px = Rgba(out);
        text_mask.put_pixel(x, y, Luma([(text * 255.0).round() as u8]));
    }
    Ok(BadgeImage {
        rgba,
        text_mask,
        text_px,
        margin: margin as u32,
        lines,
    })
}

/// Anti-aliased coverage of pixel (x, y) by a rounded rectangle filling
/// `w` x `h` with corner radius `r`.
fn rounded_rect_coverage(x: u32, y: u32, w: f32, h: f32, r: f32) -> f32 {
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    // Distance from the nearest corner centre, for pixels in a corner square.
    let cx = if px < r {
        r
    } else if px > w - r {
        w - r
    } else {
        px
    };
    let cy = if py < r {
        r
    } else if py > h - r {
        h - r
    } else {
        py
    };
    let d = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt() - r;
    (0.5 - d).clamp(0.0, 1.0)
}

/// Top-left corner of a `badge_w` x `badge_h` badge at `position` on a
/// `canvas_w` x `canvas_h` picture, `margin` pixels from the edges (the
/// margin shrinks if the picture is too small for it).
pub fn badge_origin(
    position: Position,
    canvas_w: u32,
    canvas_h: u32,
    badge_w: u32,
    badge_h: u32,
    margin: u32,
) -> (u32, u32) {
    let free_x = canvas_w.saturating_sub(badge_w);
    let free_y = canvas_h.saturating_sub(badge_h);
    let mx = margin.min(free_x / 2);
    let my = margin.min(free_y / 2);
    let x = match position {
        Position::TopLeft | Position::BottomLeft => mx,
        Position::TopCenter | Position::BottomCenter => free_x / 2,
        Position::TopRight | Position::BottomRight => free_x - mx,
    };
    let y = if position.is_top() { my } else { free_y - my };
    (x, y)
}

/// Composites `badge` (straight alpha) over `target` with its top-left at
/// (`x`, `y`); parts outside the target are clipped.
pub fn blend_badge(target: &mut RgbaImage, badge: &RgbaImage, x: u32, y: u32) {
    blend_buffer(target, badge, x, y);
}

/// Composites `badge` over any 8/16-bit or float image, in its own pixel
/// type (grey images get the badge's luminance). Alpha is combined with
/// "over", so the badge also shows on transparent areas.
pub fn blend_onto(target: &mut DynamicImage, badge: &RgbaImage, x: u32, y: u32) -> Result<()> {
    match target {
        DynamicImage::ImageLuma8(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageLumaA8(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgb8(i) => blend_rgb8(i, badge, x, y),
        DynamicImage::ImageRgba8(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageLuma16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageLumaA16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgb16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgba16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgb32F(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgba32F(i) => blend_buffer(i, badge, x, y),
        _ => {
            return Err(Error::unsupported(
                "pixel layout the badge cannot be drawn on",
            ));
        }
    }
    Ok(())
}

/// The common case (JPEG, opaque PNG) in integer arithmetic: the generic
/// path's per-channel float work is most of the blend on a large badge.
/// Same result as [`blend_buffer`] up to rounding (at most 1 level).
fn blend_rgb8(target: &mut image::RgbImage, badge: &RgbaImage, x: u32, y: u32) {
    let w = badge.width().min(target.width().saturating_sub(x)) as usize;
    let h = badge.height().min(target.height().saturating_sub(y)) as usize;
    let target_w = target.width() as usize;
    let badge_w = badge.width() as usize;
    let src: &[u8] = badge.as_raw();
    let dst: &mut [u8] = target;
    for by in 0..h {
        let at = (y as usize + by) * target_w + x as usize;
        let (Some(d), Some(s)) = (
            dst.get_mut(at * 3..(at + w) * 3),
            src.get(by * badge_w * 4..(by * badge_w + w) * 4),
        ) else {
            return;
        };
        for (dp, sp) in d.chunks_exact_mut(3).zip(s.chunks_exact(4)) {
            let a = u32::from(sp[3]);
            if a == 0 {
                continue;
            }
            let keep = 255 - a;
            for (dc, &sc) in dp.iter_mut().zip(sp) {
                *dc = ((u32::from(sc) * a + u32::from(*dc) * keep + 127) / 255) as u8;
            }
        }
    }
}

fn blend_buffer<P>(target: &mut ImageBuffer<P, Vec<P::Subpixel>>, badge: &RgbaImage, x: u32, y: u32)
where
    P: Pixel,
    P::Subpixel: Primitive,
{
    use num_traits::ToPrimitive;
    let max = <P::Subpixel as Primitive>::DEFAULT_MAX_VALUE
        .to_f32()
        .unwrap_or(1.0);
    let channels = usize::from(P::CHANNEL_COUNT);
    let has_alpha = P::HAS_ALPHA;
    let colour_channels = if has_alpha { channels - 1 } else { channels };
    let w = badge.width().min(target.width().saturating_sub(x));
    let h = badge.height().min(target.height().saturating_sub(y));
    let cast = |v: f32| -> P::Subpixel {
        <P::Subpixel as num_traits::NumCast>::from(v.clamp(0.0, max))
            .unwrap_or(<P::Subpixel as Primitive>::DEFAULT_MIN_VALUE)
    };
    let is_float = max <= 1.0;
    for by in 0..h {
        for bx in 0..w {
            let b = badge.get_pixel(bx, by).0;
            let a = f32::from(b[3]) / 255.0;
            if a <= 0.0 {
                continue;
            }
            let src: [f32; 3] = [b[0], b[1], b[2]].map(|c| f32::from(c) / 255.0);
            let grey = 0.2126 * src[0] + 0.7152 * src[1] + 0.0722 * src[2];
            let px = target.get_pixel_mut(x + bx, y + by);
            let ch = px.channels_mut();
            let dst_a = if has_alpha {
                ch[channels - 1].to_f32().unwrap_or(max) / max
            } else {
                1.0
            };
            let out_a = a + dst_a * (1.0 - a);
            for (c, slot) in ch.iter_mut().take(colour_channels).enumerate() {
                let s = if colour_channels == 1 {
                    grey
                } else {
                    src[c.min(2)]
                };
                let d = slot.to_f32().unwrap_or(0.0) / max;
                let v = if out_a > 0.0 {
                    (s * a + d * dst_a * (1.0 - a)) / out_a
                } else {
                    0.0
                };
                *slot = cast(if is_float { v * max } else { (v * max).round() });
            }
            if has_alpha {
                ch[channels - 1] = cast(if is_float {
                    out_a * max
                } else {
                    (out_a * max).round()
                });
            }
        }
    }
}

/// The inverse of an EXIF orientation: what to apply to the displayed
/// picture to get the stored one.
pub fn inverse_orientation(o: Orientation) -> Orientation {
    match o {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    }
}

/// Where pixel (`x`, `y`) of a `w` x `h` picture lands after applying `o`.
pub fn map_pixel(o: Orientation, x: u32, y: u32, w: u32, h: u32) -> (u32, u32) {
    let (rx, ry) = (
        w.saturating_sub(1).saturating_sub(x),
        h.saturating_sub(1).saturating_sub(y),
    );
    match o {
        Orientation::NoTransforms => (x, y),
        Orientation::FlipHorizontal => (rx, y),
        Orientation::FlipVertical => (x, ry),
        Orientation::Rotate180 => (rx, ry),
        Orientation::Rotate90 => (ry, x),
        Orientation::Rotate270 => (y, rx),
        Orientation::Rotate90FlipH => (y, x),
        Orientation::Rotate270FlipH => (ry, rx),
    }
}

/// The size of a `w` x `h` picture after applying `o`.
pub fn oriented_size(o: Orientation, w: u32, h: u32) -> (u32, u32) {
    if swaps_axes(o) { (h, w) } else { (w, h) }
}

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Maps a rectangle `[x, y, w, h]` of a `pic_w` x `pic_h` picture through `o`.
pub fn map_rect(o: Orientation, rect: [u32; 4], pic_w: u32, pic_h: u32) -> [u32; 4] {
    let [x, y, w, h] = rect;
    let a = map_pixel(o, x, y, pic_w, pic_h);
    let b = map_pixel(
        o,
        x + w.saturating_sub(1),
        y + h.saturating_sub(1),
        pic_w,
        pic_h,
    );
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    [x0, y0, x1 - x0 + 1, y1 - y0 + 1]
}

/// Clockwise rotation in degrees contained in an orientation (flips aside).
pub fn orientation_degrees(o: Orientation) -> u32 {
    match o {
        Orientation::Rotate90 | Orientation::Rotate90FlipH => 90,
        Orientation::Rotate180 | Orientation::FlipVertical => 180,
        Orientation::Rotate270 | Orientation::Rotate270FlipH => 270,
        Orientation::NoTransforms | Orientation::FlipHorizontal => 0,
    }
}

fn orient_gray(img: &GrayImage, o: Orientation) -> GrayImage {
    let mut d = DynamicImage::ImageLuma8(img.clone());
    d.apply_orientation(o);
    d.into_luma8()
}

/// The badge transformed by `o`: pass the *inverse* of a picture's
/// display orientation to get the badge as it must be stored so that it
/// reads upright when displayed.
pub fn orient_badge(badge: &BadgeImage, o: Orientation) -> BadgeImage {
    let mut rgba = DynamicImage::ImageRgba8(badge.rgba.clone());
    rgba.apply_orientation(o);
    BadgeImage {
        rgba: rgba.into_rgba8(),
        text_mask: orient_gray(&badge.text_mask, o),
        text_px: badge.text_px,
        margin: badge.margin,
        lines: badge.lines.clone(),
    }
}

/// The badge rotated clockwise by 0, 90, 180 or 270 degrees (for video
/// stored rotated: rotate by the *opposite* of the display rotation).
pub fn rotate_badge(badge: &BadgeImage, degrees_cw: u32) -> Result<BadgeImage> {
    let o = match degrees_cw % 360 {
        0 => Orientation::NoTransforms,
        90 => Orientation::Rotate90,
        180 => Orientation::Rotate180,
        270 => Orientation::Rotate270,
        other => {
            return Err(Error::config(format!(
                "rotation {other} is not a multiple of 90 degrees"
            )));
        }
    };
    Ok(orient_badge(badge, o))
}

/// A badge ready to composite onto a stored picture.
#[derive(Debug, Clone)]
pub struct PlacedBadge {
    /// The badge as stored (already turned for the picture's orientation).
    pub badge: BadgeImage,
    /// Left edge in stored pixels.
    pub x: u32,
    /// Top edge in stored pixels.
    pub y: u32,
    /// Clockwise rotation applied so the badge is upright as displayed.
    pub rotation: u32,
}

impl PlacedBadge {
    /// `[x, y, w, h]` in stored pixels, as recorded in the manifest.
    pub fn region(&self) -> [u32; 4] {
        [self.x, self.y, self.badge.width(), self.badge.height()]
    }
}

/// Renders and places the badge for a picture stored at `stored_w` x
/// `stored_h` and displayed through `orientation`, so that it appears
/// upright at `position` of the displayed picture.
pub fn place_badge(
    label: &Label,
    stored_w: u32,
    stored_h: u32,
    orientation: Orientation,
    position: Position,
    style: &BadgeStyle,
) -> Result<PlacedBadge> {
    let (dw, dh) = oriented_size(orientation, stored_w, stored_h);
    let upright = render_badge(label, dw, dh, style)?;
    let (dx, dy) = badge_origin(
        position,
        dw,
        dh,
        upright.width(),
        upright.height(),
        upright.margin,
    );
    let display_rect = [dx, dy, upright.width(), upright.height()];
    let inverse = inverse_orientation(orientation);
    let [x, y, _, _] = map_rect(inverse, display_rect, dw, dh);
    let badge = orient_badge(&upright, inverse);
    // Rotation taken clockwise from stored to displayed, as the manifest records it.
    Ok(PlacedBadge {
        badge,
        x,
        y,
        rotation: orientation_degrees(orientation),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_rgb8_blend_matches_the_generic_blend() {
        let mut x: u32 = 12345;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xFF) as u8
        };
        let badge = RgbaImage::from_fn(37, 23, |_, _| Rgba([next(), next(), next(), next()]));
        let base = image::RgbImage::from_fn(50, 40, |_, _| image::Rgb([next(), next(), next()]));
        let (mut fast, mut generic) = (base.clone(), base);
        // Also past the right and bottom edges: both clip the same way.
        for (bx, by) in [(3, 5), (30, 30)] {
            blend_rgb8(&mut fast, &badge, bx, by);
            blend_buffer(&mut generic, &badge, bx, by);
        }
        for (a, b) in fast.as_raw().iter().zip(generic.as_raw()) {
            assert!(a.abs_diff(*b) <= 1, "{a} vs {b}");
        }
    }

    const ALL: [Orientation; 8] = [
        Orientation::NoTransforms,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Rotate90FlipH,
        Orientation::Rotate90,
        Orientation::Rotate270FlipH,
        Orientation::Rotate270,
    ];

    #[test]
    fn pixel_map_agrees_with_image_crate() {
        let (w, h) = (5u32, 3u32);
        let src = ImageBuffer::from_fn(w, h, |x, y| Luma([(y * w + x) as u8]));
        for o in ALL {
            let mut d = DynamicImage::ImageLuma8(src.clone());
            d.apply_orientation(o);
            let out = d.into_luma8();
            assert_eq!(out.dimensions(), oriented_size(o, w, h), "{o:?}");
            for y in 0..h {
                for x in 0..w {
                    let (mx, my) = map_pixel(o, x, y, w, h);
                    assert_eq!(out.get_pixel(mx, my).0[0], (y * w + x) as u8, "{o:?}");
                }
            }
            // Inverse really inverts.
            let (ow, oh) = oriented_size(o, w, h);
            let (bx, by) = map_pixel(o, 1, 2, w, h);
            assert_eq!(
                map_pixel(inverse_orientation(o), bx, by, ow, oh),
                (1, 2),
                "{o:?}"
            );
        }
    }

    #[test]
    fn default_style_has_enough_contrast() {
        assert!(BadgeStyle::default().worst_contrast() >= 4.5);
    }

    #[test]
    fn text_size_is_five_percent_and_at_least_12px() {
        let s = BadgeStyle::default();
        assert_eq!(s.text_px_for(4000, 3000), 150.0);
        assert_eq!(s.text_px_for(200, 300), 12.0);
    }

    #[test]
    fn wraps_instead_of_shrinking() {
        let s = BadgeStyle::default();
        let b = render_badge(&Label::default(), 600, 900, &s).unwrap();
        assert!(b.lines.len() > 2, "{:?}", b.lines);
        assert_eq!(b.text_px, 30.0);
        assert!(b.width() as f32 <= 600.0 * 0.9);
        let wide = render_badge(&Label::default(), 3000, 900, &s).unwrap();
        assert_eq!(wide.lines.len(), 2);
    }

    #[test]
    fn too_small_is_refused() {
        let e = render_badge(&Label::default(), 100, 100, &BadgeStyle::default());
        assert!(matches!(e, Err(Error::CannotLabel { .. })));
    }

    #[test]
    fn kazakh_letters_render_with_real_glyphs() {
        let font = font().unwrap();
        for c in tanba_core::font::KAZAKH_LETTERS.chars() {
            let id = font.glyph_id(c);
            assert_ne!(id, GlyphId(0), "{c} maps to .notdef (a box)");
            assert!(font.outline(id).is_some(), "{c} has no outline");
            // Each letter puts ink on its own badge.
            let label = Label::custom([("kk", c.to_string())]).unwrap();
            let b = render_badge_at(&label, 40.0, 2000, 2000, &BadgeStyle::default()).unwrap();
            let ink = b.text_mask.pixels().filter(|p| p.0[0] > 128).count();
            assert!(ink > 40, "{c}: {ink} ink pixels");
        }
        // Letters with marks (Ә vs А, Ұ vs У, Қ vs К) differ in ink.
        let ink = |s: &str| {
            let label = Label::custom([("kk", s)]).unwrap();
            let b = render_badge_at(&label, 40.0, 2000, 2000, &BadgeStyle::default()).unwrap();
            b.text_mask.pixels().map(|p| u64::from(p.0[0])).sum::<u64>()
        };
        assert_ne!(ink("Ұ"), ink("У"));
        assert_ne!(ink("Қ"), ink("К"));
        assert_ne!(ink("ң"), ink("н"));
    }

    #[test]
    fn origin_in_each_corner() {
        assert_eq!(badge_origin(Position::TopLeft, 100, 80, 20, 10, 5), (5, 5));
        assert_eq!(
            badge_origin(Position::BottomRight, 100, 80, 20, 10, 5),
            (75, 65)
        );
        assert_eq!(
            badge_origin(Position::TopCenter, 100, 80, 20, 10, 5),
            (40, 5)
        );
    }
}
