//! The badge painted a band of rows at a time is the badge painted whole,
//! pixel for pixel, and the whole badge is the one painted before the
//! banded API existed (its hashes below, taken at 236c746).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tanba_core::Label;
use tanba_core::font::FontFile;
use tanba_image::badge::{BadgeLayout, BadgeStyle, mask_runs_at, render_badge};

/// FNV-1a: enough to tell two paintings apart.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn kazakh() -> Label {
    Label::custom([("kk", "Қазақ тілі: ЖИ жасаған мазмұн ӘҒҚҢӨҰҮҺІ")]).unwrap()
}

fn arabic() -> (FontFile, Label) {
    // DejaVu Sans Bold (fonts-dejavu-core, see xtask setup) covers Arabic.
    let bytes = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf").unwrap();
    let font = FontFile::from_bytes(bytes, "DejaVuSans-Bold.ttf").unwrap();
    (
        font,
        Label::custom([("ar", "سلام عليكم هذا محتوى")]).unwrap(),
    )
}

fn rounder() -> BadgeStyle {
    BadgeStyle {
        radius_em: 0.6,
        ..BadgeStyle::default()
    }
}

#[test]
fn the_whole_badge_is_the_one_painted_before_bands() {
    // (display size, style, [rgba, text mask] hashes at 236c746)
    let cases: [(u32, u32, Label, BadgeStyle, [u64; 2]); 4] = [
        (
            1200,
            900,
            Label::default(),
            BadgeStyle::default(),
            [0xd0cface67048d83d, 0xe6454a6bd9f1d8d8],
        ),
        (
            1200,
            900,
            Label::default(),
            rounder(),
            [0x5654a8d0d8fedc0d, 0xe6454a6bd9f1d8d8],
        ),
        (
            4096,
            4096,
            Label::default(),
            BadgeStyle::default(),
            [0x8fb3303a0f3989f1, 0x1b14fa00fbc6077a],
        ),
        (
            3000,
            2000,
            kazakh(),
            rounder(),
            [0xbab836dbc9d10da3, 0x5d4ee623a524782e],
        ),
    ];
    for (w, h, label, style, [rgba, mask]) in cases {
        let b = render_badge(&FontFile::bundled(), &label, w, h, &style).unwrap();
        assert_eq!(fnv(b.rgba.as_raw()), rgba, "{w}x{h} {:?}", b.lines);
        assert_eq!(fnv(b.text_mask.as_raw()), mask, "{w}x{h} {:?}", b.lines);
    }
}

#[test]
fn bands_of_any_height_make_the_whole_badge() {
    let (dejavu, arabic) = arabic();
    let cases = [
        (
            FontFile::bundled(),
            Label::default(),
            4096,
            4096,
            BadgeStyle::default(),
        ),
        (FontFile::bundled(), Label::default(), 600, 900, rounder()),
        (FontFile::bundled(), kazakh(), 3000, 2000, rounder()),
        (dejavu, arabic, 2500, 1700, BadgeStyle::default()),
    ];
    for (font, label, dw, dh, style) in cases {
        let layout = BadgeLayout::new(&font, &label, dw, dh, &style).unwrap();
        let whole = layout.paint();
        let (w, h) = (layout.width() as usize, layout.height());
        assert_eq!((whole.width(), whole.height()), (layout.width(), h));
        let alpha: Vec<u8> = whole.rgba.pixels().map(|p| p.0[3]).collect();
        for band in [1u32, 7, 128, 300] {
            let (mut rgba, mut mask, mut alpha_rows) = (Vec::new(), Vec::new(), Vec::new());
            for y0 in (0..h).step_by(band as usize) {
                let n = band.min(h - y0) as usize;
                // Dirty buffers: every byte of a painted row is written.
                let mut b_rgba = vec![7u8; n * w * 4];
                let mut b_mask = vec![7u8; n * w];
                layout.paint_rows(y0, &mut b_rgba, &mut b_mask);
                rgba.extend_from_slice(&b_rgba);
                mask.extend_from_slice(&b_mask);
                let (mut m, mut a) = (vec![9u8; n * w], vec![9u8; n * w]);
                layout.mask_rows(y0, &mut m, &mut a);
                assert_eq!(m, b_mask, "masks alone, rows {y0}.., band {band}");
                alpha_rows.extend_from_slice(&a);
            }
            assert!(
                rgba == *whole.rgba.as_raw(),
                "{:?}, band {band}",
                whole.lines
            );
            assert!(
                mask == *whole.text_mask.as_raw(),
                "{:?}, band {band}",
                whole.lines
            );
            assert!(alpha_rows == alpha, "{:?}, band {band}", whole.lines);
        }
        // Top to bottom through Bands, one band in memory.
        let mut bands = layout.bands();
        for y in 0..h {
            let at = y as usize * w * 4;
            assert!(
                bands.rgba_row(y) == &whole.rgba.as_raw()[at..at + w * 4],
                "row {y}"
            );
        }
        assert!(bands.rgba_row(h).is_empty());
        // The runs are the masks, whichever way they were made.
        let runs = layout.mask_runs();
        let back = runs.expand();
        assert_eq!(back.text_mask, whole.text_mask);
        assert!(*back.alpha.as_raw() == alpha);
    }
}

#[test]
fn the_check_gets_the_masks_as_runs_not_whole() {
    let font = FontFile::bundled();
    let (label, style) = (Label::default(), BadgeStyle::default());
    let layout = BadgeLayout::new(&font, &label, 4096, 4096, &style).unwrap();
    let mut bands = layout.bands();
    for y in 0..layout.height() {
        bands.rgba_row(y);
    }
    let kept = mask_runs_at(&font, &label, layout.text_px(), 4096, 4096, &style).unwrap();
    assert_eq!(kept, layout.mask_runs());
    // A few hundred runs a row, not the 8 MB of two whole masks.
    let pixels = layout.width() as usize * layout.height() as usize;
    assert!(kept.heap_bytes() < pixels / 8, "{} B", kept.heap_bytes());
}
