//! The embedded label font.

/// Noto Sans Bold (SIL Open Font License 1.1, see `fonts/OFL.txt`). Chosen
/// because it covers every Kazakh letter (Ә Ғ Қ Ң Ө Ұ Ү Һ І) and Cyrillic,
/// and bold text stays legible when small or re-compressed.
pub static LABEL_FONT: &[u8] = include_bytes!("../fonts/NotoSans-Bold.ttf");

/// The font's PostScript name, for formats that name fonts (PDF).
pub const LABEL_FONT_NAME: &str = "NotoSans-Bold";

/// The letters of the Kazakh alphabet beyond Russian's, which every text path
/// must render and extract.
pub const KAZAKH_LETTERS: &str = "ӘәҒғҚқҢңӨөҰұҮүҺһІі";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_covers_every_label_letter() {
        let face = ttf_parser::Face::parse(LABEL_FONT, 0).unwrap();
        let mut all = String::from(KAZAKH_LETTERS);
        for lang in crate::Lang::ALL {
            all.push_str(lang.long_text());
            all.push_str(lang.short_text());
            all.push_str(lang.spoken_text());
        }
        for c in all.chars().filter(|c| !c.is_whitespace()) {
            assert!(face.glyph_index(c).is_some(), "no glyph for {c:?}");
        }
    }
}
