//! The label font: the embedded Noto Sans Bold or a font the user gives,
//! the check that it can draw every label text (glyph coverage), and text
//! shaping, shared by every visual labeler (pictures, video, PDF).

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::{Error, Label, Result};

/// Noto Sans Bold (SIL Open Font License 1.1, see `fonts/OFL.txt`). Chosen
/// because it covers every Kazakh letter (Ә Ғ Қ Ң Ө Ұ Ү Һ І) and Cyrillic,
/// and bold text stays legible when small or re-compressed.
pub static LABEL_FONT: &[u8] = include_bytes!("../fonts/NotoSans-Bold.ttf");

/// The font's PostScript name, for formats that name fonts (PDF).
pub const LABEL_FONT_NAME: &str = "NotoSans-Bold";

/// The letters of the Kazakh alphabet beyond Russian's, which every text path
/// must render and extract.
pub const KAZAKH_LETTERS: &str = "ӘәҒғҚқҢңӨөҰұҮүҺһІі";

/// The largest font file accepted, checked before reading it: the biggest
/// CJK fonts are about 20 MB.
pub const MAX_FONT_BYTES: u64 = 64 << 20;

/// How many missing characters an error names before it says "…".
const MAX_NAMED: usize = 12;

/// A label font: its bytes (shared, cheap to clone), their SHA-256 (what
/// settings fingerprints hash, not the path) and its PostScript name.
#[derive(Clone)]
pub struct FontFile {
    bytes: Arc<[u8]>,
    sha256: String,
    name: String,
    bundled: bool,
}

impl fmt::Debug for FontFile {
    // The bytes are the font; its digest stands for them in settings dumps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FontFile")
            .field("name", &self.name)
            .field("sha256", &self.sha256)
            .finish()
    }
}

impl PartialEq for FontFile {
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256
    }
}

impl Default for FontFile {
    fn default() -> Self {
        FontFile::bundled()
    }
}

impl FontFile {
    /// The embedded Noto Sans Bold.
    pub fn bundled() -> FontFile {
        static BUNDLED: OnceLock<FontFile> = OnceLock::new();
        BUNDLED
            .get_or_init(|| FontFile {
                bytes: Arc::from(LABEL_FONT),
                sha256: crate::manifest::sha256_hex(LABEL_FONT),
                name: LABEL_FONT_NAME.to_string(),
                bundled: true,
            })
            .clone()
    }

    /// A TrueType or OpenType font from memory; `origin` names it in errors.
    pub fn from_bytes(bytes: Vec<u8>, origin: &str) -> Result<FontFile> {
        let face = ttf_parser::Face::parse(&bytes, 0).map_err(|e| {
            Error::config(format!(
                "the font {origin} cannot be used: not a TrueType/OpenType font ({e})"
            ))
        })?;
        if face.number_of_glyphs() < 2 {
            return Err(Error::config(format!("the font {origin} has no glyphs")));
        }
        let name = postscript_name(&face).unwrap_or_else(|| "LabelFont".to_string());
        Ok(FontFile {
            sha256: crate::manifest::sha256_hex(&bytes),
            bytes: Arc::from(bytes),
            name,
            bundled: false,
        })
    }

    /// Reads a font file, refusing one over [`MAX_FONT_BYTES`] before reading it.
    pub fn load(path: &Path) -> Result<FontFile> {
        let len = std::fs::metadata(path)
            .map_err(|e| Error::config(format!("the font {}: {e}", path.display())))?
            .len();
        if len > MAX_FONT_BYTES {
            return Err(Error::config(format!(
                "the font {} is {len} bytes, more than the {MAX_FONT_BYTES} allowed",
                path.display()
            )));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| Error::config(format!("the font {}: {e}", path.display())))?;
        FontFile::from_bytes(bytes, &path.display().to_string())
    }

    /// The font program.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the font program, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The PostScript name (letters, digits and `-` only).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is the embedded Noto Sans Bold.
    pub fn is_bundled(&self) -> bool {
        self.bundled
    }

    fn face(&self) -> Result<rustybuzz::Face<'_>> {
        rustybuzz::Face::from_slice(&self.bytes, 0)
            .ok_or_else(|| Error::cannot_label(format!("the font {} does not parse", self.name)))
    }

    /// The distinct characters of `text` the font has no glyph for, in order
    /// of appearance. Spaces, controls and invisible format characters
    /// (joiners, variation selectors) need none.
    pub fn missing(&self, text: &str) -> Result<Vec<char>> {
        let face = self.face()?;
        let mut out: Vec<char> = Vec::new();
        for c in text.chars() {
            if c.is_whitespace() || c.is_control() || invisible(c) || out.contains(&c) {
                continue;
            }
            if face.glyph_index(c).is_none_or(|g| g.0 == 0) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Refuses a label the font cannot draw, naming the missing characters:
    /// without this a renderer draws empty boxes (tofu) and still says
    /// "labelled". Checked once per job, before any work.
    pub fn check_label(&self, label: &Label) -> Result<()> {
        for line in &label.lines {
            let missing = self.missing(&line.text)?;
            if missing.is_empty() {
                continue;
            }
            let mut named: Vec<String> = missing
                .iter()
                .take(MAX_NAMED)
                .map(|c| describe(*c))
                .collect();
            if missing.len() > MAX_NAMED {
                named.push(format!("… ({} in all)", missing.len()));
            }
            return Err(Error::cannot_label(format!(
                "label text {:?} ({}): the font {} has no glyph for {}; give a font that \
                 covers it (--font FILE)",
                line.text,
                line.lang,
                self.name,
                named.join(", ")
            )));
        }
        Ok(())
    }

    /// Shapes one line of text (kerning, ligatures, marks, joining forms).
    pub fn shape(&self, text: &str) -> Result<Shaped> {
        let face = self.face()?;
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let out = rustybuzz::shape(&face, &[], buffer);
        let glyphs: Vec<ShapedGlyph> = out
            .glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(info, pos)| ShapedGlyph {
                id: u16::try_from(info.glyph_id).unwrap_or(0),
                cluster: info.cluster as usize,
                x_advance: pos.x_advance,
                x_offset: pos.x_offset,
                y_offset: pos.y_offset,
            })
            .collect();
        Ok(Shaped {
            advance: glyphs.iter().map(|g| i64::from(g.x_advance)).sum(),
            glyphs,
            units_per_em: f32::from(face.units_per_em().max(1) as u16),
        })
    }
}

/// One shaped glyph, in font units, in visual (left-to-right) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapedGlyph {
    /// Glyph id in the font.
    pub id: u16,
    /// Byte offset in the text of the cluster this glyph draws.
    pub cluster: usize,
    /// How far the pen moves after it.
    pub x_advance: i32,
    /// Shift right from the pen before drawing (marks).
    pub x_offset: i32,
    /// Shift up from the baseline before drawing (marks).
    pub y_offset: i32,
}

/// A shaped line.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaped {
    /// The glyphs, left to right.
    pub glyphs: Vec<ShapedGlyph>,
    /// The line's advance width, in font units.
    pub advance: i64,
    /// Font units per em.
    pub units_per_em: f32,
}

impl Shaped {
    /// The line's width in ems.
    pub fn width_em(&self) -> f32 {
        self.advance as f32 / self.units_per_em
    }
}

/// Characters that draw nothing and so need no glyph.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

/// A character as an error shows it: itself, or its code point when it
/// is a mark that would not show alone.
fn describe(c: char) -> String {
    let combining =
        matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{20D0}'..='\u{20FF}');
    if combining {
        format!("U+{:04X}", u32::from(c))
    } else {
        c.to_string()
    }
}

/// The font's PostScript name, kept to the characters PDF names allow.
fn postscript_name(face: &ttf_parser::Face<'_>) -> Option<String> {
    let name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())?;
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(60)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

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
            all.push_str(lang.real_person_long_text());
            all.push_str(lang.real_person_short_text());
            all.push_str(lang.real_person_spoken_text());
        }
        for c in all.chars().filter(|c| !c.is_whitespace()) {
            assert!(face.glyph_index(c).is_some(), "no glyph for {c:?}");
        }
        for lang in crate::Lang::ALL {
            let label = Label::standard(&[lang], crate::Wording::Long);
            FontFile::bundled().check_label(&label).unwrap();
        }
    }

    #[test]
    fn missing_glyphs_are_named() {
        let label = Label::custom([("kk", "ЖИ"), ("zh", "人工智能生成")]).unwrap();
        let e = FontFile::bundled().check_label(&label).unwrap_err();
        assert_eq!(e.kind_name(), "cannot-label");
        let text = e.to_string();
        assert!(
            text.contains("\"人工智能生成\" (zh)") && text.contains("人, 工, 智, 能, 生, 成"),
            "{text}"
        );
    }

    #[test]
    fn bad_font_is_a_config_error() {
        let e = FontFile::from_bytes(b"not a font".to_vec(), "x.ttf").unwrap_err();
        assert_eq!(e.kind_name(), "config");
        assert!(e.to_string().contains("x.ttf"), "{e}");
    }

    #[test]
    fn shaping_kerns() {
        let font = FontFile::bundled();
        // "AV" kerns tighter than A and V apart.
        let pair = font.shape("AV").unwrap();
        let apart = font.shape("A").unwrap().advance + font.shape("V").unwrap().advance;
        assert_eq!(pair.glyphs.len(), 2);
        assert!(pair.advance < apart, "{} vs {apart}", pair.advance);
        assert_eq!(font.name(), LABEL_FONT_NAME);
        assert_eq!(font.sha256().len(), 64);
    }
}
