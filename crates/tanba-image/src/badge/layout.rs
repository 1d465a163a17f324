//! Layout: the label wrapped to the picture, the box sized and the text's
//! glyphs outlined at their places: a [`BadgeLayout`], which holds no
//! pixels. Painting it (whole or a band of rows at a time) is `paint`'s.
//! Long lines wrap at word boundaries rather than shrink.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};

use tanba_core::font::{FontFile, Shaped};
use tanba_core::{Error, Label, Result};

use super::recall::MaskKey;
use super::style::BadgeStyle;

pub(super) fn parse(font: &FontFile) -> Result<FontRef<'_>> {
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

/// A badge laid out for one picture: its box, its wrapped lines and the
/// outlines of its glyphs, but no pixels. Its rows are painted on demand
/// ([`BadgeLayout::paint_rows`], [`BadgeLayout::mask_rows`], or
/// [`super::Bands`] top to bottom), so a big picture's badge never needs to
/// be whole in memory; [`BadgeLayout::paint`] paints every band into the
/// [`super::BadgeImage`] that `render_badge_at` gives.
#[derive(Clone)]
pub struct BadgeLayout {
    /// The text, rasterised band by band.
    pub(super) ink: Ink,
    pub(super) radius: f32,
    pub(super) margin: u32,
    pub(super) lines: Vec<String>,
    pub(super) text_px: f32,
    pub(super) style: BadgeStyle,
    /// What decides its masks, for the check that follows a label.
    pub(super) key: MaskKey,
}

impl std::fmt::Debug for BadgeLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BadgeLayout")
            .field("width", &self.width())
            .field("height", &self.height())
            .field("text_px", &self.text_px)
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

impl BadgeLayout {
    /// Lays out the badge for a picture displayed at `display_w` x
    /// `display_h`, at the style's text size for it.
    ///
    /// Refuses with [`Error::CannotLabel`] when the picture is too small for
    /// a legible badge: a word wider than the allowed width, or a wrapped
    /// badge taller than `style.max_height_fraction` of the picture.
    pub fn new(
        font: &FontFile,
        label: &Label,
        display_w: u32,
        display_h: u32,
        style: &BadgeStyle,
    ) -> Result<Self> {
        let text_px = style.text_px_for(display_w, display_h);
        Self::at(font, label, text_px, display_w, display_h, style)
    }

    /// [`BadgeLayout::new`] at a given text size (verification reads it
    /// from the manifest).
    pub fn at(
        font: &FontFile,
        label: &Label,
        text_px: f32,
        display_w: u32,
        display_h: u32,
        style: &BadgeStyle,
    ) -> Result<Self> {
        lay_out(font, label, text_px, display_w, display_h, style)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.ink.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.ink.height
    }

    /// The text size in pixels (em).
    pub fn text_px(&self) -> f32 {
        self.text_px
    }

    /// Distance the badge keeps from the picture's edges, in pixels.
    pub fn margin(&self) -> u32 {
        self.margin
    }

    /// The lines as wrapped.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Whether pixel (x, y) lies in a corner square, where the box is round.
    pub(super) fn in_corner(&self, x: u32, y: u32) -> bool {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        let (w, h, r) = (self.ink.width as f32, self.ink.height as f32, self.radius);
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
) -> Result<BadgeLayout> {
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
    Ok(BadgeLayout {
        ink,
        radius,
        margin: margin as u32,
        lines,
        text_px,
        style: style.clone(),
        key: MaskKey::new(font_file, label, text_px, display_w, display_h, style),
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
pub(super) const BAND: u32 = 128;

/// The outlined text of a badge, rasterised a band of rows at a time.
#[derive(Clone)]
pub(super) struct Ink {
    glyphs: Vec<ab_glyph::OutlinedGlyph>,
    pub(super) width: u32,
    pub(super) height: u32,
}

impl Ink {
    /// Text coverage (0..=1) of rows `y0..y0 + rows`, row by row, into
    /// `out`. Glyphs are summed in the same order as over the whole box,
    /// so each pixel gets the same value whatever the band.
    pub(super) fn band(&self, y0: u32, rows: u32, out: &mut Vec<f32>) {
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
