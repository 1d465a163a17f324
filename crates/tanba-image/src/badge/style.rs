//! The badge's look: its style (sizes relative to the text, colours), the
//! legal floor of its text size and the contrast its colours must keep.
//!
//! Sizes follow GB 45438-2025, the strictest concrete rule (see
//! docs/compliance.md): the text size (font size, the em square, in pixels)
//! is at least 5% of the shorter side of the picture *as displayed*, and
//! never below 12 px.

use tanba_core::{Error, Result};

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
