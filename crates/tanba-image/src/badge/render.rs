//! Rendering: the label laid out and rasterised into a straight-alpha RGBA
//! badge (rounded dark box, white text) with the text's own coverage mask.
//!
//! Sizes follow GB 45438-2025, the strictest concrete rule (see
//! docs/compliance.md): the text size (font size, the em square, in pixels)
//! is at least 5% of the shorter side of the picture *as displayed*, and
//! never below 12 px. Long lines wrap at word boundaries rather than shrink.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::{GrayImage, RgbaImage};

use tanba_core::font::{FontFile, Shaped};
use tanba_core::{Error, Label, Result};

use super::recall::{self, MaskKey};

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

fn parse(font: &FontFile) -> Result<FontRef<'_>> {
    FontRef::try_from_slice(font.bytes())
        .map_err(|_| Error::cannot_label(format!("the label font {} does not parse", font.name())))
}

/// One laid-out glyph: id, x, rise above the baseline, line index.
struct Placed {
    id: GlyphId,
    x: f32,
    rise: f32,
    line: usize,
}

/// One label line as shaped, with where each word may break.
struct Measured<'a> {
    text: &'a str,
    shaped: Shaped,
    /// Byte ranges of the words (runs between spaces).
    words: Vec<(usize, usize)>,
}

impl Measured<'_> {
    /// Advance of the glyphs whose clusters lie in `start..end`, in ems:
    /// the width of that stretch as shaped in its line (kerning included).
    fn width_em(&self, start: usize, end: usize) -> f32 {
        let units: i64 = self
            .shaped
            .glyphs
            .iter()
            .filter(|g| g.cluster >= start && g.cluster < end)
            .map(|g| i64::from(g.x_advance))
            .sum();
        units as f32 / self.shaped.units_per_em
    }
}

/// Shapes each label line once; wrapping then measures stretches of it.
fn measure<'a>(font: &FontFile, label: &'a Label) -> Result<Vec<Measured<'a>>> {
    label
        .texts()
        .map(|text| {
            let mut words = Vec::new();
            let mut start = None;
            for (i, c) in text.char_indices() {
                match (c.is_whitespace(), start) {
                    (true, Some(s)) => {
                        words.push((s, i));
                        start = None;
                    }
                    (false, None) => start = Some(i),
                    _ => {}
                }
            }
            if let Some(s) = start {
                words.push((s, text.len()));
            }
            Ok(Measured {
                text,
                shaped: font.shape(text)?,
                words,
            })
        })
        .collect()
}

/// Greedy word wrap of each label line to `max_width` (pixels at
/// `text_px`); a word wider than that cannot be placed.
fn wrap(measured: &[Measured<'_>], text_px: f32, max_width: f32) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for line in measured {
        let mut current: Option<(usize, usize)> = None;
        for &(ws, we) in &line.words {
            if line.width_em(ws, we) * text_px > max_width {
                return Err(Error::cannot_label(format!(
                    "the word {:?} does not fit the image width at the minimum text size",
                    &line.text[ws..we]
                )));
            }
            current = match current {
                None => Some((ws, we)),
                Some((cs, _)) if line.width_em(cs, we) * text_px <= max_width => Some((cs, we)),
                Some((cs, ce)) => {
                    out.push(line.text[cs..ce].to_string());
                    Some((ws, we))
                }
            };
        }
        if let Some((cs, ce)) = current {
            out.push(line.text[cs..ce].to_string());
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
    font: &FontFile,
    label: &Label,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    let text_px = style.text_px_for(display_w, display_h);
    render_badge_at(font, label, text_px, display_w, display_h, style)
}

/// Renders the badge with a given text size (used by verification, which
/// reads the size from the manifest).
pub fn render_badge_at(
    font: &FontFile,
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    let laid = lay_out(font, label, text_px, display_w, display_h, style)?;
    let (rgba, text_mask) = paint(&laid.ink, laid.radius, style);
    let alphas = rgba.as_raw().chunks_exact(4).map(|px| px[3]).collect();
    let alpha = GrayImage::from_raw(rgba.width(), rgba.height(), alphas)
        .ok_or_else(|| Error::malformed("badge alpha of the wrong size"))?;
    let key = MaskKey::new(font, label, text_px, display_w, display_h, style);
    recall::remember(key, &text_mask, alpha);
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
    font: &FontFile,
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeMasks> {
    let key = MaskKey::new(font, label, text_px, display_w, display_h, style);
    if let Some(masks) = recall::recall(&key) {
        return Ok(masks);
    }
    let masks = draw_masks(font, label, text_px, display_w, display_h, style)?;
    recall::remember(key, &masks.text_mask, masks.alpha.clone());
    Ok(masks)
}

/// [`render_masks_at`] without the recall.
fn draw_masks(
    font: &FontFile,
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeMasks> {
    let laid = lay_out(font, label, text_px, display_w, display_h, style)?;
    let (w, h) = (laid.width, laid.height);
    let opacity = style.box_opacity.clamp(0.0, 1.0);
    let mut text_mask = GrayImage::new(w, h);
    let mut alpha = GrayImage::new(w, h);
    let width = w as usize;
    if width == 0 {
        return Ok(BadgeMasks { text_mask, alpha });
    }
    let plain = to_u8(opacity * 255.0);
    let mut coverage = Vec::new();
    let bands = text_mask
        .chunks_mut(width * BAND as usize)
        .zip(alpha.chunks_mut(width * BAND as usize))
        .zip(laid.ink.bands());
    for ((mask_band, alpha_band), (y0, rows)) in bands {
        laid.ink.band(y0, rows, &mut coverage);
        let rows = mask_band
            .chunks_exact_mut(width)
            .zip(alpha_band.chunks_exact_mut(width))
            .zip(coverage.chunks_exact(width));
        for (dy, ((mask_row, alpha_row), cov_row)) in rows.enumerate() {
            let y = y0 + dy as u32;
            let corner_row = laid.in_corner(0, y);
            for (x, ((m, a), &text)) in mask_row.iter_mut().zip(alpha_row).zip(cov_row).enumerate()
            {
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
    }
    Ok(BadgeMasks { text_mask, alpha })
}

/// A label laid out and its text outlined in a box.
struct Laid {
    /// The text, rasterised band by band.
    ink: Ink,
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
    font_file: &FontFile,
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<Laid> {
    // Never tofu: a text the font cannot draw is refused, not boxed.
    font_file.check_label(label)?;
    let font = parse(font_file)?;
    // ab_glyph's scale is the ascent-to-descent height; convert from em.
    let upem = font.units_per_em().unwrap_or(1000.0);
    let scale = PxScale::from(text_px * font.height_unscaled() / upem);
    let scaled = font.as_scaled(scale);
    let pad_x = (style.padding_x_em * text_px).round();
    let pad_y = (style.padding_y_em * text_px).round();
    let margin = style.margin_for(text_px);
    let max_box_w = display_w as f32 * style.max_width_fraction;
    let measured = measure(font_file, label)?;
    let lines = wrap(&measured, text_px, max_box_w - 2.0 * pad_x)?;
    // The wrapped lines shaped once more: a line's run may shape a little
    // differently from the same words inside the longer label line.
    let shaped = lines
        .iter()
        .map(|l| font_file.shape(l))
        .collect::<Result<Vec<_>>>()?;

    let pitch = style.line_pitch_em * text_px;
    let text_w = shaped
        .iter()
        .map(|l| l.width_em() * text_px)
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
        lines: &shaped,
        text_px,
        scale,
        pad_x,
        pad_y,
        pitch,
    };
    let ink = outline(&font, &text, bw, bh);
    let radius = (style.radius_em * text_px)
        .min(box_w / 2.0)
        .min(box_h / 2.0);
    Ok(Laid {
        ink,
        width: bw,
        height: bh,
        radius,
        margin: margin as u32,
        lines,
    })
}

/// Where the wrapped lines go inside the box.
struct TextLayout<'a> {
    lines: &'a [Shaped],
    text_px: f32,
    scale: PxScale,
    pad_x: f32,
    pad_y: f32,
    pitch: f32,
}

/// The text's glyphs outlined at their places in a `bw` x `bh` box.
fn outline(font: &FontRef<'_>, text: &TextLayout<'_>, bw: u32, bh: u32) -> Ink {
    let scaled = font.as_scaled(text.scale);
    let ascent = scaled.ascent();
    // Glyphs where shaping put them: pen advances, offsets for marks.
    let mut placed = Vec::new();
    for (i, line) in text.lines.iter().enumerate() {
        let px = text.text_px / line.units_per_em;
        let mut pen = 0i64;
        for g in &line.glyphs {
            placed.push(Placed {
                id: GlyphId(g.id),
                x: text.pad_x + (pen + i64::from(g.x_offset)) as f32 * px,
                rise: g.y_offset as f32 * px,
                line: i,
            });
            pen += i64::from(g.x_advance);
        }
    }
    let glyphs = placed
        .into_iter()
        .filter_map(|g| {
            let baseline = text.pad_y + ascent + g.line as f32 * text.pitch - g.rise;
            let glyph =
                g.id.with_scale_and_position(text.scale, ab_glyph::point(g.x, baseline));
            font.outline_glyph(glyph)
        })
        .collect();
    Ink {
        glyphs,
        width: bw,
        height: bh,
    }
}

/// Rows rasterised at once: the coverage buffer is this many rows of the
/// box, not the whole box (a 100-MP picture's badge is 25 million pixels,
/// 100 MB of `f32`); a glyph taller than a band is drawn once per band it
/// crosses.
const BAND: u32 = 128;

/// The outlined text of a badge, rasterised a band of rows at a time.
struct Ink {
    glyphs: Vec<ab_glyph::OutlinedGlyph>,
    width: u32,
    height: u32,
}

impl Ink {
    /// The bands' first rows and heights, top to bottom.
    fn bands(&self) -> impl Iterator<Item = (u32, u32)> {
        let h = self.height;
        (0..h)
            .step_by(BAND as usize)
            .map(move |y0| (y0, BAND.min(h - y0)))
    }

    /// Text coverage (0..=1) of rows `y0..y0 + rows`, row by row, into
    /// `out`. Glyphs are summed in the same order as over the whole box,
    /// so each pixel gets the same value whatever the band.
    fn band(&self, y0: u32, rows: u32, out: &mut Vec<f32>) {
        let bw = self.width as usize;
        out.clear();
        out.resize(bw * rows as usize, 0.0);
        let (top, bottom) = (i64::from(y0), i64::from(y0 + rows));
        for outlined in &self.glyphs {
            let bounds = outlined.px_bounds();
            if (bounds.max.y as i64) <= top || (bounds.min.y as i64) >= bottom {
                continue;
            }
            outlined.draw(|x, y, c| {
                let px = bounds.min.x as i64 + i64::from(x);
                let py = bounds.min.y as i64 + i64::from(y);
                if px >= 0 && py >= top && (px as usize) < bw && py < bottom {
                    let i = (py - top) as usize * bw + px as usize;
                    out[i] = (out[i] + c).min(1.0);
                }
            });
        }
    }
}

/// The box and the text over it (straight alpha), and the text mask.
/// Row by row over raw samples: most of a large badge is plain box, and
/// only the corner squares need the rounded edge.
fn paint(ink: &Ink, radius: f32, style: &BadgeStyle) -> (RgbaImage, GrayImage) {
    let (bw, bh) = (ink.width, ink.height);
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
    let mut coverage = Vec::new();
    let bands = rgba
        .chunks_mut(width * 4 * BAND as usize)
        .zip(text_mask.chunks_mut(width * BAND as usize))
        .zip(ink.bands());
    for ((rgba_band, mask_band), (y0, rows)) in bands {
        ink.band(y0, rows, &mut coverage);
        let rows = rgba_band
            .chunks_exact_mut(width * 4)
            .zip(mask_band.chunks_exact_mut(width))
            .zip(coverage.chunks_exact(width));
        for (dy, ((out_row, mask_row), cov_row)) in rows.enumerate() {
            let y = y0 as usize + dy;
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
    fn recalled_masks_are_the_drawn_ones() {
        let font = FontFile::bundled();
        let label = Label::default();
        let style = BadgeStyle {
            radius_em: 0.6,
            ..BadgeStyle::default()
        };
        let badge = render_badge_at(&font, &label, 40.0, 1200, 900, &style).unwrap();
        let recalled = render_masks_at(&font, &label, 40.0, 1200, 900, &style).unwrap();
        let drawn = draw_masks(&font, &label, 40.0, 1200, 900, &style).unwrap();
        assert_eq!(recalled.text_mask, drawn.text_mask);
        assert_eq!(recalled.alpha, drawn.alpha);
        assert_eq!(badge.text_mask, drawn.text_mask);
        // Another size is drawn, not recalled.
        let other = render_masks_at(&font, &label, 41.0, 1200, 900, &style).unwrap();
        assert_ne!(other.alpha.dimensions(), drawn.alpha.dimensions());
    }

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
        let font = FontFile::bundled();
        let b = render_badge(&font, &Label::default(), 1200, 900, &s).unwrap();
        assert_eq!(b.margin, 3);
        let d = render_badge(&font, &Label::default(), 1200, 900, &BadgeStyle::default()).unwrap();
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
        let b = render_badge(&FontFile::bundled(), &Label::default(), 600, 900, &s).unwrap();
        assert!(b.lines.len() > 2, "{:?}", b.lines);
        assert_eq!(b.text_px, 30.0);
        assert!(b.width() as f32 <= 600.0 * 0.9);
        let wide = render_badge(&FontFile::bundled(), &Label::default(), 3000, 900, &s).unwrap();
        assert_eq!(wide.lines.len(), 2);
    }

    #[test]
    fn masks_match_the_painted_badge() {
        let s = BadgeStyle::default();
        let label = Label::default();
        let b = render_badge_at(&FontFile::bundled(), &label, 30.0, 1200, 900, &s).unwrap();
        let m = render_masks_at(&FontFile::bundled(), &label, 30.0, 1200, 900, &s).unwrap();
        assert_eq!(m.text_mask, b.text_mask);
        let alpha: Vec<u8> = b.rgba.pixels().map(|p| p.0[3]).collect();
        assert_eq!(m.alpha.as_raw(), &alpha);
    }

    #[test]
    fn too_small_is_refused() {
        let e = render_badge(
            &FontFile::bundled(),
            &Label::default(),
            100,
            100,
            &BadgeStyle::default(),
        );
        assert!(matches!(e, Err(Error::CannotLabel { .. })));
    }

    #[test]
    fn kazakh_letters_render_with_real_glyphs() {
        let file = FontFile::bundled();
        let font = parse(&file).unwrap();
        for c in tanba_core::font::KAZAKH_LETTERS.chars() {
            let id = font.glyph_id(c);
            assert_ne!(id, GlyphId(0), "{c} maps to .notdef (a box)");
            assert!(font.outline(id).is_some(), "{c} has no outline");
            // Each letter puts ink on its own badge.
            let label = Label::custom([("kk", c.to_string())]).unwrap();
            let b = render_badge_at(
                &FontFile::bundled(),
                &label,
                40.0,
                2000,
                2000,
                &BadgeStyle::default(),
            )
            .unwrap();
            let ink = b.text_mask.pixels().filter(|p| p.0[0] > 128).count();
            assert!(ink > 40, "{c}: {ink} ink pixels");
        }
        // Letters with marks (Ә vs А, Ұ vs У, Қ vs К) differ in ink.
        let ink = |s: &str| {
            let label = Label::custom([("kk", s)]).unwrap();
            let b = render_badge_at(
                &FontFile::bundled(),
                &label,
                40.0,
                2000,
                2000,
                &BadgeStyle::default(),
            )
            .unwrap();
            b.text_mask.pixels().map(|p| u64::from(p.0[0])).sum::<u64>()
        };
        assert_ne!(ink("Ұ"), ink("У"));
        assert_ne!(ink("Қ"), ink("К"));
        assert_ne!(ink("ң"), ink("н"));
    }

    #[test]
    fn text_is_laid_out_as_shaped() {
        // "AV" kerns: shaped, V sits closer to A than its advance alone puts it.
        let file = FontFile::bundled();
        let shaped = file.shape("AVAVAV").unwrap();
        let font = parse(&file).unwrap();
        let plain: f32 = "AVAVAV"
            .chars()
            .map(|c| font.h_advance_unscaled(font.glyph_id(c)))
            .sum();
        assert!(
            (shaped.advance as f32) < plain,
            "{} vs {plain}",
            shaped.advance
        );
        let label = Label::custom([("en", "AVAVAV")]).unwrap();
        let b = render_badge_at(&file, &label, 40.0, 2000, 2000, &BadgeStyle::default()).unwrap();
        let pad = 2.0 * (0.5f32 * 40.0).round();
        let expected = (shaped.width_em() * 40.0 + pad).ceil() as u32;
        assert_eq!(b.width(), expected);
        assert!((b.width() as f32) < plain / shaped.units_per_em * 40.0 + pad);
    }

    #[test]
    fn arabic_is_joined_and_combining_marks_sit_on_their_letter() {
        // DejaVu Sans Bold (fonts-dejavu-core, see xtask setup) covers Arabic.
        let bytes = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf").unwrap();
        let file = FontFile::from_bytes(bytes, "DejaVuSans-Bold.ttf").unwrap();
        let font = parse(&file).unwrap();
        let text = "سلام";
        let shaped = file.shape(text).unwrap();
        // Unshaped, each letter would take its isolated form from the cmap;
        // shaped, they join (other glyphs) and lam-alef becomes one ligature.
        let isolated: Vec<u16> = text.chars().map(|c| font.glyph_id(c).0).collect();
        let joined: Vec<u16> = shaped.glyphs.iter().map(|g| g.id).collect();
        assert!(joined.len() < isolated.len(), "{joined:?} vs {isolated:?}");
        // Seen joined: initial seen, lam-alef; the meem after alef stays isolated.
        let forms = joined.iter().filter(|g| !isolated.contains(g)).count();
        assert_eq!(forms, 2, "{joined:?} vs {isolated:?}");
        // Right to left: the first letter's cluster is drawn last (rightmost).
        assert_eq!(shaped.glyphs.last().unwrap().cluster, 0);
        let label = Label::custom([("ar", text)]).unwrap();
        let b = render_badge_at(&file, &label, 40.0, 2000, 2000, &BadgeStyle::default()).unwrap();
        let pad = 2.0 * (0.5f32 * 40.0).round();
        assert_eq!(b.width(), (shaped.width_em() * 40.0 + pad).ceil() as u32);

        // A combining acute on a letter that has no precomposed form is
        // placed by the font's mark positioning (GPOS): no advance of its
        // own, moved onto the letter, so the badge is as wide as the bare
        // letter's and carries more ink.
        let bundled = FontFile::bundled();
        let marks = bundled.shape("q\u{301}").unwrap();
        assert_eq!(marks.glyphs.len(), 2, "{marks:?}");
        let mark = marks.glyphs[1];
        assert_eq!(mark.x_advance, 0, "{marks:?}");
        assert!(mark.x_offset != 0 || mark.y_offset != 0, "{marks:?}");
        let ink = |s: &str| {
            let label = Label::custom([("x", s)]).unwrap();
            let b = render_badge_at(&bundled, &label, 40.0, 2000, 2000, &BadgeStyle::default())
                .unwrap();
            (
                b.width(),
                b.text_mask.pixels().map(|p| u64::from(p.0[0])).sum::<u64>(),
            )
        };
        let (w_bare, ink_bare) = ink("q");
        let (w_mark, ink_mark) = ink("q\u{301}");
        assert_eq!(w_bare, w_mark);
        assert!(ink_mark > ink_bare, "{ink_mark} vs {ink_bare}");
    }
}
