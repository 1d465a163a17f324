//! Rendering: the label laid out and rasterised into a straight-alpha RGBA
//! badge (rounded dark box, white text) with the text's own coverage mask.
//!
//! Sizes follow GB 45438-2025, the strictest concrete rule (see
//! docs/compliance.md): the text size (font size, the em square, in pixels)
//! is at least 5% of the shorter side of the picture *as displayed*, and
//! never below 12 px. Long lines wrap at word boundaries rather than shrink.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::{GrayImage, RgbaImage};
use std::sync::OnceLock;

use tanba_core::font::LABEL_FONT;
use tanba_core::{Error, Label, Result};

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
    /// Distance from the picture's edges in pixels; when set, it replaces
    /// `margin_em` (a fixed margin whatever the text size).
    pub margin_px: Option<u32>,
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
            margin_px: None,
            radius_em: 0.35,
            line_pitch_em: 1.25,
        }
    }
}

/// The legal floor of the text size: 5% of the displayed shorter side
/// (GB 45438-2025, see docs/compliance.md).
pub const MIN_TEXT_FRACTION: f32 = 0.05;

/// The least contrast (WCAG 2, text over box over any background) a style
/// may have: WCAG's AA level for body text.
pub const MIN_CONTRAST: f64 = 4.5;

impl BadgeStyle {
    /// Refuses a style that would draw an illegal or unreadable badge: text
    /// under the 5% floor, a contrast under [`MIN_CONTRAST`], or lengths
    /// and fractions out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::config(what));
        if !(MIN_TEXT_FRACTION..=0.5).contains(&self.min_text_fraction) {
            return bad(format!(
                "badge text size {}% is outside {}%..=50% (the law's floor is {}% of the \
                 shorter side)",
                self.min_text_fraction * 100.0,
                MIN_TEXT_FRACTION * 100.0,
                MIN_TEXT_FRACTION * 100.0
            ));
        }
        if !(0.01..=1.0).contains(&self.max_width_fraction) {
            return bad(format!(
                "badge maximum width {}% is outside 1%..=100%",
                self.max_width_fraction * 100.0
            ));
        }
        if !(0.0..=1.0).contains(&self.box_opacity) {
            return bad(format!(
                "badge opacity {} is outside 0..=1",
                self.box_opacity
            ));
        }
        let ems = [
            self.margin_em,
            self.radius_em,
            self.padding_x_em,
            self.padding_y_em,
        ];
        if !ems.iter().all(|v| (0.0..=10.0).contains(v)) {
            return bad("badge margin, radius and padding must be 0..=10 ems".to_string());
        }
        let worst = self.worst_contrast();
        if worst < MIN_CONTRAST {
            return bad(format!(
                "badge text over its box has a contrast of {worst:.2}:1 over some background, \
                 under the {MIN_CONTRAST}:1 needed to read it; use a more opaque box or \
                 colours further apart"
            ));
        }
        Ok(())
    }

    /// The text size for a picture displayed at `display_w` x `display_h`.
    pub fn text_px_for(&self, display_w: u32, display_h: u32) -> f32 {
        let shorter = display_w.min(display_h) as f32;
        (shorter * self.min_text_fraction)
            .ceil()
            .max(self.min_text_px)
    }

    /// Contrast ratio (WCAG 2) of the text over the box, with the box
    /// composited over the worst background. The box's luminance grows
    /// with the background's, from over black to over white; when the
    /// text's lies in between, some background matches it (ratio 1).
    pub fn worst_contrast(&self) -> f64 {
        let text = relative_luminance(self.text_color.map(f64::from));
        let [over_black, over_white] = self.box_luminance_range();
        if (over_black..=over_white).contains(&text) {
            return 1.0;
        }
        contrast(text, over_black).min(contrast(text, over_white))
    }

    /// Whether the text is lighter than the box over any background (white
    /// text on a dark box); verification correlates with the text's
    /// coverage, negated when the text is the darker.
    pub fn text_is_lighter(&self) -> bool {
        relative_luminance(self.text_color.map(f64::from)) > self.box_luminance_range()[0]
    }

    /// Relative luminance of the box composited over black and over white.
    fn box_luminance_range(&self) -> [f64; 2] {
        let a = f64::from(self.box_opacity.clamp(0.0, 1.0));
        [0.0, 255.0]
            .map(|bg| relative_luminance(self.box_color.map(|c| f64::from(c) * a + bg * (1.0 - a))))
    }

    /// The margin in pixels at a text size of `text_px`.
    pub fn margin_for(&self, text_px: f32) -> f32 {
        match self.margin_px {
            Some(px) => px as f32,
            None => (self.margin_em * text_px).round(),
        }
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
    let laid = lay_out(label, text_px, display_w, display_h, style)?;
    let (rgba, text_mask) = paint(&laid.coverage, laid.width, laid.height, laid.radius, style);
    Ok(BadgeImage {
        rgba,
        text_mask,
        text_px,
        margin: laid.margin,
        lines: laid.lines,
    })
}

/// What a check of a badge compares against: the text's coverage and the
/// badge's alpha, as in the [`BadgeImage`] of the same label and size.
#[derive(Debug, Clone)]
pub struct BadgeMasks {
    /// Coverage of the text alone (255 = glyph ink).
    pub text_mask: GrayImage,
    /// The badge's alpha (box and text).
    pub alpha: GrayImage,
}

/// The masks of the badge [`render_badge_at`] draws, without painting its
/// colours: what verification needs, at about half the cost.
pub fn render_masks_at(
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeMasks> {
    let laid = lay_out(label, text_px, display_w, display_h, style)?;
    let (w, h) = (laid.width, laid.height);
    let opacity = style.box_opacity.clamp(0.0, 1.0);
    let mut text_mask = GrayImage::new(w, h);
    let mut alpha = GrayImage::new(w, h);
    let width = w as usize;
    if width == 0 {
        return Ok(BadgeMasks { text_mask, alpha });
    }
    let plain = to_u8(opacity * 255.0);
    let rows = text_mask
        .chunks_exact_mut(width)
        .zip(alpha.chunks_exact_mut(width))
        .zip(laid.coverage.chunks_exact(width));
    for (y, ((mask_row, alpha_row), cov_row)) in rows.enumerate() {
        let y = y as u32;
        let corner_row = laid.in_corner(0, y);
        for (x, ((m, a), &text)) in mask_row.iter_mut().zip(alpha_row).zip(cov_row).enumerate() {
            let x = x as u32;
            let in_corner = corner_row && laid.in_corner(x, y);
            if text <= 0.0 && !in_corner {
                *a = plain;
                continue;
            }
            let edge = if in_corner {
                rounded_rect_coverage(x, y, w as f32, h as f32, laid.radius)
            } else {
                1.0
            };
            *m = to_u8(text * 255.0);
            *a = to_u8((text + opacity * edge * (1.0 - text)) * 255.0);
        }
    }
    Ok(BadgeMasks { text_mask, alpha })
}

/// A label laid out and its text rasterised into a box.
struct Laid {
    /// Text coverage (0..=1) of each pixel of the box, row by row.
    coverage: Vec<f32>,
    width: u32,
    height: u32,
    radius: f32,
    margin: u32,
    lines: Vec<String>,
}

impl Laid {
    /// Whether pixel (x, y) lies in a corner square, where the box is round.
    fn in_corner(&self, x: u32, y: u32) -> bool {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        let (w, h, r) = (self.width as f32, self.height as f32, self.radius);
        (px < r || px > w - r) && (py < r || py > h - r)
    }
}

/// Wraps the label for a picture displayed at `display_w` x `display_h`,
/// sizes the box and rasterises the text; refuses a picture too small for it.
fn lay_out(
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<Laid> {
    let font = font()?;
    // ab_glyph's scale is the ascent-to-descent height; convert from em.
    let upem = font.units_per_em().unwrap_or(1000.0);
    let scale = PxScale::from(text_px * font.height_unscaled() / upem);
    let scaled = font.as_scaled(scale);
    let pad_x = (style.padding_x_em * text_px).round();
    let pad_y = (style.padding_y_em * text_px).round();
    let margin = style.margin_for(text_px);
    let max_box_w = display_w as f32 * style.max_width_fraction;
    let lines = wrap(&scaled, label, max_box_w - 2.0 * pad_x)?;

    let pitch = style.line_pitch_em * text_px;
    let text_w = lines
        .iter()
        .map(|l| line_width(&scaled, l))
        .fold(0.0, f32::max);
    let box_w = (text_w + 2.0 * pad_x).ceil();
    let box_h = (2.0 * pad_y + (lines.len() as f32 - 1.0) * pitch + scaled.ascent()
        - scaled.descent())
    .ceil();
    let max_box_h = display_h as f32 * style.max_height_fraction;
    if box_h > max_box_h || box_w + 2.0 * margin > display_w as f32 {
        return Err(Error::cannot_label(format!(
            "image too small for a legible label: {display_w}x{display_h} px would need a \
             {box_w}x{box_h} px badge ({} lines at {text_px} px); use a shorter label",
            lines.len()
        )));
    }
    let (bw, bh) = (box_w as u32, box_h as u32);
    let text = TextLayout {
        lines: &lines,
        scale,
        pad_x,
        pad_y,
        pitch,
    };
    let coverage = rasterise(font, &text, bw, bh);
    let radius = (style.radius_em * text_px)
        .min(box_w / 2.0)
        .min(box_h / 2.0);
    Ok(Laid {
        coverage,
        width: bw,
        height: bh,
        radius,
        margin: margin as u32,
        lines,
    })
}

/// Where the wrapped lines go inside the box.
struct TextLayout<'a> {
    lines: &'a [String],
    scale: PxScale,
    pad_x: f32,
    pad_y: f32,
    pitch: f32,
}

/// Text coverage (0..=1) of each pixel of a `bw` x `bh` box, row by row.
fn rasterise(font: &'static FontRef<'static>, text: &TextLayout<'_>, bw: u32, bh: u32) -> Vec<f32> {
    let scaled = font.as_scaled(text.scale);
    let ascent = scaled.ascent();
    let mut placed = Vec::new();
    for (i, line) in text.lines.iter().enumerate() {
        let mut x = text.pad_x;
        let mut prev: Option<GlyphId> = None;
        for c in line.chars() {
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
        let baseline = text.pad_y + ascent + g.line as f32 * text.pitch;
        let glyph =
            g.id.with_scale_and_position(text.scale, ab_glyph::point(g.x, baseline));
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
    coverage
}

/// The box and the text over it (straight alpha), and the text mask.
/// Row by row over raw samples: most of a large badge is plain box, and
/// only the corner squares need the rounded edge.
fn paint(
    coverage: &[f32],
    bw: u32,
    bh: u32,
    radius: f32,
    style: &BadgeStyle,
) -> (RgbaImage, GrayImage) {
    let (box_w, box_h) = (bw as f32, bh as f32);
    let opacity = style.box_opacity.clamp(0.0, 1.0);
    let mut rgba = RgbaImage::new(bw, bh);
    let mut text_mask = GrayImage::new(bw, bh);
    // Most of the badge is plain box: one colour, computed once.
    let plain_box = if opacity > 0.0 {
        let [r, g, b] = style.box_color;
        [r, g, b, (opacity * 255.0).round().clamp(0.0, 255.0) as u8]
    } else {
        [0; 4]
    };
    let width = bw as usize;
    if width == 0 {
        return (rgba, text_mask);
    }
    let rows = rgba
        .chunks_exact_mut(width * 4)
        .zip(text_mask.chunks_exact_mut(width))
        .zip(coverage.chunks_exact(width));
    for (y, ((out_row, mask_row), cov_row)) in rows.enumerate() {
        let py = y as f32 + 0.5;
        let corner_row = py < radius || py > box_h - radius;
        for (x, ((px, m), &text)) in out_row
            .chunks_exact_mut(4)
            .zip(mask_row.iter_mut())
            .zip(cov_row)
            .enumerate()
        {
            let in_corner = corner_row && {
                let px = x as f32 + 0.5;
                px < radius || px > box_w - radius
            };
            if text <= 0.0 && !in_corner {
                px.copy_from_slice(&plain_box);
                continue;
            }
            // Inside the straight edges the rounded box covers the pixel fully.
            let edge = if in_corner {
                rounded_rect_coverage(x as u32, y as u32, box_w, box_h, radius)
            } else {
                1.0
            };
            px.copy_from_slice(&over_box(text, opacity * edge, style));
            *m = to_u8(text * 255.0);
        }
    }
    (rgba, text_mask)
}

/// One pixel: text of coverage `text` over box of coverage `box_a`.
fn over_box(text: f32, box_a: f32, style: &BadgeStyle) -> [u8; 4] {
    let out_a = text + box_a * (1.0 - text);
    let mut out = [0u8; 4];
    if out_a > 0.0 {
        for ((slot, &fg), &bg) in out.iter_mut().zip(&style.text_color).zip(&style.box_color) {
            let v = (f32::from(fg) * text + f32::from(bg) * box_a * (1.0 - text)) / out_a;
            *slot = to_u8(v);
        }
    }
    out[3] = to_u8(out_a * 255.0);
    out
}

/// Rounds a sample to 0..=255. `f32::round` is a library call on x86-64,
/// and most of painting a large badge when used per pixel; adding a half
/// and truncating (`as` saturates) rounds the same for these values.
fn to_u8(v: f32) -> u8 {
    (v + 0.5) as u8
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_style_has_enough_contrast() {
        assert!(BadgeStyle::default().worst_contrast() >= 4.5);
    }

    #[test]
    fn contrast_counts_the_background_that_matches_the_text() {
        // Mid-grey text on no box: a mid-grey picture hides it.
        let bare = BadgeStyle {
            box_opacity: 0.0,
            text_color: [118, 118, 118],
            ..BadgeStyle::default()
        };
        assert_eq!(bare.worst_contrast(), 1.0);
        // Black text on an opaque yellow box reads everywhere, and is the darker.
        let yellow = BadgeStyle {
            box_color: [255, 221, 0],
            box_opacity: 1.0,
            text_color: [0, 0, 0],
            ..BadgeStyle::default()
        };
        assert!(yellow.worst_contrast() > 10.0);
        assert!(!yellow.text_is_lighter());
        assert!(BadgeStyle::default().text_is_lighter());
    }

    #[test]
    fn a_pixel_margin_replaces_the_em_margin() {
        let s = BadgeStyle {
            margin_px: Some(3),
            ..BadgeStyle::default()
        };
        let b = render_badge(&Label::default(), 1200, 900, &s).unwrap();
        assert_eq!(b.margin, 3);
        let d = render_badge(&Label::default(), 1200, 900, &BadgeStyle::default()).unwrap();
        assert_eq!(d.margin, 23);
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
    fn masks_match_the_painted_badge() {
        let s = BadgeStyle::default();
        let label = Label::default();
        let b = render_badge_at(&label, 30.0, 1200, 900, &s).unwrap();
        let m = render_masks_at(&label, 30.0, 1200, 900, &s).unwrap();
        assert_eq!(m.text_mask, b.text_mask);
        let alpha: Vec<u8> = b.rgba.pixels().map(|p| p.0[3]).collect();
        assert_eq!(m.alpha.as_raw(), &alpha);
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
}
