//! Rendering: the label laid out ([`BadgeLayout`]) and painted into a
//! straight-alpha RGBA badge (rounded dark box, white text) with the
//! text's own coverage mask, or only the masks a check compares against.
//!
//! Sizes follow GB 45438-2025 (see [`super::style`] and docs/compliance.md).

use tanba_core::font::FontFile;
use tanba_core::{Label, Result};

use super::layout::BadgeLayout;
use super::paint::BadgeImage;
use super::recall::{self, MaskKey};
use super::runs::{BadgeMasks, MaskRuns};
use super::style::BadgeStyle;

/// Renders the badge for a picture displayed at `display_w` x `display_h`.
///
/// Refuses with [`tanba_core::Error::CannotLabel`] when the picture is too
/// small for a legible badge: a word wider than the allowed width, or a
/// wrapped badge taller than `style.max_height_fraction` of the picture.
pub fn render_badge(
    font: &FontFile,
    label: &Label,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeImage> {
    Ok(BadgeLayout::new(font, label, display_w, display_h, style)?.paint())
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
    Ok(BadgeLayout::at(font, label, text_px, display_w, display_h, style)?.paint())
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
    mask_runs_at(font, label, text_px, display_w, display_h, style).map(|runs| runs.expand())
}

/// [`render_masks_at`] as run lengths, never whole: the masks this thread
/// painted last when they are of this badge, else drawn band by band.
pub fn mask_runs_at(
    font: &FontFile,
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<MaskRuns> {
    let key = MaskKey::new(font, label, text_px, display_w, display_h, style);
    if let Some(runs) = recall::recall(&key) {
        return Ok(runs);
    }
    let runs = BadgeLayout::at(font, label, text_px, display_w, display_h, style)?.mask_runs();
    recall::remember(key, runs.clone());
    Ok(runs)
}

/// [`render_masks_at`] without the recall.
#[cfg(test)]
fn draw_masks(
    font: &FontFile,
    label: &Label,
    text_px: f32,
    display_w: u32,
    display_h: u32,
    style: &BadgeStyle,
) -> Result<BadgeMasks> {
    let layout = BadgeLayout::at(font, label, text_px, display_w, display_h, style)?;
    Ok(layout.mask_runs().expand())
}

#[cfg(test)]
mod tests {
    use super::super::layout::parse;
    use super::*;
    use ab_glyph::{Font, GlyphId};
    use tanba_core::Error;

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
