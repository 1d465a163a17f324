//! The label font: Noto Sans Bold subset to the glyphs the label uses,
//! embedded as a Type0 / CIDFontType2 font with Identity-H encoding and a
//! ToUnicode CMap, so the stamp is real, extractable text.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};
use tanba_core::font::{LABEL_FONT, LABEL_FONT_NAME};
use tanba_core::{Error, Result};

/// One glyph of the subset: its id in the subset font (also its CID, as the
/// subsetter keeps GID = CID) and its advance in 1/1000 em.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    cid: u16,
    advance: f32,
}

/// The subset font, ready to encode the label's text.
#[derive(Debug)]
pub struct LabelFont {
    glyphs: BTreeMap<char, Glyph>,
    /// Ascender and descender (positive), in em.
    pub ascent: f32,
    /// Depth below the baseline, in em (positive).
    pub descent: f32,
    /// The subset TrueType program.
    program: Vec<u8>,
    bbox: [i16; 4],
    cap_height: i16,
    units_per_em: f32,
}

/// Label text after control characters are made spaces: what is drawn.
pub fn drawable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl LabelFont {
    /// Subsets the label font to the characters of `texts`.
    pub fn for_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let face = ttf_parser::Face::parse(LABEL_FONT, 0).map_err(|e| {
            Error::cannot_label(format!("the embedded label font does not parse: {e}"))
        })?;
        let units_per_em = f32::from(face.units_per_em().max(1));
        let mut chars: Vec<char> = texts
            .into_iter()
            .flat_map(|t| drawable(t).chars().collect::<Vec<_>>())
            .collect();
        chars.sort_unstable();
        chars.dedup();
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut glyphs = BTreeMap::new();
        for c in chars {
            let old = face.glyph_index(c).ok_or_else(|| {
                Error::cannot_label(format!(
                    "the label font has no glyph for {c:?} (U+{:04X})",
                    u32::from(c)
                ))
            })?;
            let advance =
                f32::from(face.glyph_hor_advance(old).unwrap_or(0)) * 1000.0 / units_per_em;
            let cid = remapper.remap(old.0);
            glyphs.insert(c, Glyph { cid, advance });
        }
        let program = subsetter::subset(LABEL_FONT, 0, &remapper)
            .map_err(|e| Error::cannot_label(format!("cannot subset the label font: {e}")))?;
        let b = face.global_bounding_box();
        Ok(LabelFont {
            glyphs,
            ascent: f32::from(face.ascender()) / units_per_em,
            descent: -f32::from(face.descender()) / units_per_em,
            program,
            bbox: [b.x_min, b.y_min, b.x_max, b.y_max],
            cap_height: face.capital_height().unwrap_or(714),
            units_per_em,
        })
    }

    /// The Identity-H codes of `text` (two bytes per glyph) and its width in 1/1000 em.
    pub fn encode(&self, text: &str) -> Result<(Vec<u8>, f32)> {
        let mut codes = Vec::with_capacity(text.len() * 2);
        let mut width = 0.0;
        for c in drawable(text).chars() {
            let glyph = self.glyphs.get(&c).ok_or_else(|| {
                Error::cannot_label(format!("character {c:?} was not put in the font subset"))
            })?;
            codes.extend_from_slice(&glyph.cid.to_be_bytes());
            width += glyph.advance;
        }
        Ok((codes, width))
    }

    fn to_1000(&self, units: i16) -> i64 {
        (f32::from(units) * 1000.0 / self.units_per_em).round() as i64
    }

    /// Adds the font's objects to `doc` and returns the Type0 font's id.
    pub fn add_to(&self, doc: &mut Document) -> ObjectId {
        // A subset tag derived from the glyph set: the same subset gets the same name.
        let mut hash: u32 = 2_166_136_261;
        for glyph in self.glyphs.values() {
            for byte in glyph.cid.to_be_bytes() {
                hash = (hash ^ u32::from(byte)).wrapping_mul(16_777_619);
            }
        }
        let tag: String = (0..6)
            .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
            .collect();
        let base_font = format!("{tag}+{LABEL_FONT_NAME}");

        let mut file = Stream::new(
            dictionary! { "Length1" => self.program.len() as i64 },
            self.program.clone(),
        );
        // Compression of a small TrueType program still saves a third of it.
        let _ = file.compress();
        let file_id = doc.add_object(file);

        let descriptor_id = doc.add_object(dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => Object::Name(base_font.clone().into_bytes()),
            "Flags" => 4,
            "FontBBox" => self.bbox.iter().map(|&v| Object::Integer(self.to_1000(v))).collect::<Vec<_>>(),
            "ItalicAngle" => 0,
            "Ascent" => (self.ascent * 1000.0).round() as i64,
            "Descent" => -(self.descent * 1000.0).round() as i64,
            "CapHeight" => self.to_1000(self.cap_height),
            "StemV" => 140,
            "FontFile2" => file_id,
        });

        // /W as one run per glyph: `cid [width]`, in the subset's glyph ids.
        let mut widths = Vec::with_capacity(self.glyphs.len() * 2);
        let mut by_cid: Vec<Glyph> = self.glyphs.values().copied().collect();
        by_cid.sort_by_key(|g| g.cid);
        by_cid.dedup_by_key(|g| g.cid);
        for glyph in &by_cid {
            widths.push(Object::Integer(i64::from(glyph.cid)));
            widths.push(Object::Array(vec![Object::Integer(
                glyph.advance.round() as i64
            )]));
        }
        let cid_font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => Object::Name(base_font.clone().into_bytes()),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::String(b"Adobe".to_vec(), StringFormat::Literal),
                "Ordering" => Object::String(b"Identity".to_vec(), StringFormat::Literal),
                "Supplement" => 0,
            },
            "FontDescriptor" => descriptor_id,
            "DW" => 1000,
            "W" => widths,
            "CIDToGIDMap" => "Identity",
        });

        let mut to_unicode = Stream::new(Dictionary::new(), self.to_unicode_cmap().into_bytes());
        let _ = to_unicode.compress();
        let to_unicode_id = doc.add_object(to_unicode);

        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => Object::Name(base_font.into_bytes()),
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(cid_font_id)],
            "ToUnicode" => to_unicode_id,
        })
    }

    /// The ToUnicode CMap: each subset glyph id back to its character.
    fn to_unicode_cmap(&self) -> String {
        let mut entries: Vec<(u16, char)> = self.glyphs.iter().map(|(&c, g)| (g.cid, c)).collect();
        entries.sort_unstable();
        let mut out = String::from(concat!(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n",
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n",
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        ));
        // bfchar blocks hold at most 100 entries each.
        for chunk in entries.chunks(100) {
            out.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (cid, c) in chunk {
                let mut units = [0u16; 2];
                let hex: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                out.push_str(&format!("<{cid:04X}> <{hex}>\n"));
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_is_small_and_covers_kazakh() {
        let text = tanba_core::font::KAZAKH_LETTERS;
        let font = LabelFont::for_texts([text, "Жасанды интеллект"]).unwrap();
        assert!(
            font.program.len() < 40_000,
            "subset is {} bytes",
            font.program.len()
        );
        let (codes, width) = font.encode("Әә Қ").unwrap();
        assert_eq!(codes.len(), 8);
        assert!(width > 1000.0);
        assert!(
            font.to_unicode_cmap().contains("<04D8>"),
            "Ә maps back to U+04D8"
        );
        assert!(font.encode("Z").is_err());
    }

    #[test]
    fn missing_glyph_is_a_clear_error() {
        let e = LabelFont::for_texts(["\u{1F600}"]).unwrap_err();
        assert_eq!(e.kind_name(), "cannot-label");
    }
}
