//! The label font (the embedded Noto Sans Bold or the user's) subset to
//! the glyphs the label's shaped text uses, embedded as a Type0 /
//! CIDFontType2 font with Identity-H encoding and a ToUnicode CMap, so the
//! stamp is real, extractable text.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};
use tanba_core::font::{FontFile, Shaped};
use tanba_core::{Error, Result};

/// One glyph of the subset: its id in the subset font (also its CID, as the
/// subsetter keeps GID = CID), its advance in 1/1000 em (the /W entry) and
/// the text it stands for (the ToUnicode entry).
#[derive(Debug, Clone)]
struct Glyph {
    cid: u16,
    advance: f32,
    text: String,
}

/// The subset font, ready to draw the label's text.
#[derive(Debug)]
pub struct LabelFont {
    /// By original glyph id.
    glyphs: BTreeMap<u16, Glyph>,
    /// Each text as shaped.
    runs: HashMap<String, Shaped>,
    /// Ascender and descender (positive), in em.
    pub ascent: f32,
    /// Depth below the baseline, in em (positive).
    pub descent: f32,
    /// The subset TrueType program.
    program: Vec<u8>,
    name: String,
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

/// The text each glyph of a shaped run stands for, glyphs in their
/// logical order (see [`logical_order`]). A cluster of as many characters as
/// glyphs or more (a letter and its marks) gives one character to each of
/// its glyphs and the rest to its last; a ligature's one glyph gets all its
/// letters; glyphs beyond a cluster's characters (a letter drawn in
/// pieces) get none.
fn cluster_texts<'a>(text: &'a str, shaped: &Shaped) -> Vec<(u16, &'a str)> {
    let order = logical_order(shaped);
    let mut starts: Vec<usize> = shaped.glyphs.iter().map(|g| g.cluster).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut out = Vec::with_capacity(order.len());
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        let part = text.get(start..end).unwrap_or("");
        let glyphs: Vec<u16> = order
            .iter()
            .map(|&i| shaped.glyphs[i])
            .filter(|g| g.cluster == start)
            .map(|g| g.id)
            .collect();
        let mut rest = part;
        for (m, &id) in glyphs.iter().enumerate() {
            let piece = if m + 1 == glyphs.len() {
                std::mem::take(&mut rest)
            } else {
                let cut = rest.chars().next().map_or(0, char::len_utf8);
                let (head, tail) = rest.split_at(cut);
                rest = tail;
                head
            };
            out.push((id, piece));
        }
    }
    out
}

/// The glyphs' indexes in logical (reading) order: by cluster, keeping
/// shaping's order inside a cluster. Right-to-left runs come out of shaping
/// in visual order; drawn in logical order, each glyph still placed where
/// shaping put it, extraction reads the text as written.
fn logical_order(shaped: &Shaped) -> Vec<usize> {
    let mut order: Vec<usize> = (0..shaped.glyphs.len()).collect();
    order.sort_by_key(|&i| shaped.glyphs[i].cluster);
    order
}

impl LabelFont {
    /// Shapes `texts` with `font` and subsets it to the glyphs they use.
    pub fn for_texts<'a>(
        font: &FontFile,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self> {
        let face = ttf_parser::Face::parse(font.bytes(), 0).map_err(|e| {
            Error::cannot_label(format!(
                "the label font {} does not parse: {e}",
                font.name()
            ))
        })?;
        let units_per_em = f32::from(face.units_per_em().max(1));
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut glyphs: BTreeMap<u16, Glyph> = BTreeMap::new();
        let mut runs = HashMap::new();
        for text in texts {
            let text = drawable(text);
            if runs.contains_key(&text) {
                continue;
            }
            let label = tanba_core::Label {
                lines: vec![tanba_core::LabelLine {
                    lang: String::new(),
                    text: text.clone(),
                }],
            };
            font.check_label(&label)?;
            let shaped = font.shape(&text)?;
            for (id, part) in cluster_texts(&text, &shaped) {
                let entry = glyphs.entry(id).or_insert_with(|| Glyph {
                    cid: remapper.remap(id),
                    advance: f32::from(
                        face.glyph_hor_advance(ttf_parser::GlyphId(id)).unwrap_or(0),
                    ) * 1000.0
                        / units_per_em,
                    text: String::new(),
                });
                if entry.text.is_empty() {
                    entry.text = part.to_string();
                }
            }
            runs.insert(text, shaped);
        }
        let program = subsetter::subset(font.bytes(), 0, &remapper)
            .map_err(|e| Error::cannot_label(format!("cannot subset the label font: {e}")))?;
        let b = face.global_bounding_box();
        Ok(LabelFont {
            glyphs,
            runs,
            ascent: f32::from(face.ascender()) / units_per_em,
            descent: -f32::from(face.descender()) / units_per_em,
            program,
            name: font.name().to_string(),
            bbox: [b.x_min, b.y_min, b.x_max, b.y_max],
            cap_height: face.capital_height().unwrap_or(714),
            units_per_em,
        })
    }

    fn run(&self, text: &str) -> Result<&Shaped> {
        let text = drawable(text);
        self.runs.get(&text).ok_or_else(|| {
            Error::cannot_label(format!(
                "the text {text:?} was not shaped for the font subset"
            ))
        })
    }

    /// The width of `text` as shaped, in 1/1000 em.
    pub fn width(&self, text: &str) -> Result<f32> {
        let shaped = self.run(text)?;
        Ok(shaped.advance as f32 * 1000.0 / self.units_per_em)
    }

    /// The text-showing operators that draw `text` as shaped at `size`:
    /// Identity-H codes in `TJ` arrays, whose numbers move each glyph from
    /// where its /W width leaves the pen to where shaping put it (kerning,
    /// marks), and `Ts` for glyphs raised or lowered (marks).
    pub fn encode(&self, text: &str, size: f32) -> Result<String> {
        let shaped = self.run(text)?;
        let k = 1000.0 / self.units_per_em;
        // Where shaping puts each glyph, in 1/1000 em from the line's start.
        let mut at = Vec::with_capacity(shaped.glyphs.len());
        let mut wanted = 0.0f32;
        for g in &shaped.glyphs {
            at.push(wanted + g.x_offset as f32 * k);
            wanted += g.x_advance as f32 * k;
        }
        let mut ops = String::from("[");
        let mut pen = 0.0f32;
        let mut rise = 0i32;
        for i in logical_order(shaped) {
            let g = &shaped.glyphs[i];
            let glyph = self.glyphs.get(&g.id).ok_or_else(|| {
                Error::cannot_label(format!("glyph {} was not put in the font subset", g.id))
            })?;
            if g.y_offset != rise {
                // Ts is in unscaled text space units (points), not 1/1000 em.
                let points = g.y_offset as f32 / self.units_per_em * size;
                let _ = write!(ops, "] TJ {} Ts [", trim(points));
                rise = g.y_offset;
            }
            let shift = ((at[i] - pen) * 100.0).round() / 100.0;
            if shift.abs() >= 0.01 {
                let _ = write!(ops, "{} ", trim(-shift));
            }
            let _ = write!(ops, "<{:04X}>", glyph.cid);
            pen = pen + shift + glyph.advance.round();
        }
        ops.push_str("] TJ");
        if rise != 0 {
            ops.push_str(" 0 Ts");
        }
        Ok(ops)
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
        let base_font = format!("{tag}+{}", self.name);

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
        let mut by_cid: Vec<&Glyph> = self.glyphs.values().collect();
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

    /// The ToUnicode CMap: each subset glyph id back to its text (several
    /// characters for a ligature).
    fn to_unicode_cmap(&self) -> String {
        let mut entries: Vec<(u16, &str)> = self
            .glyphs
            .values()
            .filter(|g| !g.text.is_empty())
            .map(|g| (g.cid, g.text.as_str()))
            .collect();
        entries.sort_unstable();
        let mut out = String::from(concat!(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n",
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n",
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        ));
        // bfchar blocks hold at most 100 entries each.
        for chunk in entries.chunks(100) {
            let _ = writeln!(out, "{} beginbfchar", chunk.len());
            for (cid, text) in chunk {
                let hex: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                let _ = writeln!(out, "<{cid:04X}> <{hex}>");
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out
    }
}

/// A number as PDF writes it: no exponent, no trailing zeros.
fn trim(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_is_small_and_covers_kazakh() {
        let text = tanba_core::font::KAZAKH_LETTERS;
        let font = LabelFont::for_texts(&FontFile::bundled(), [text, "Жасанды интеллект", "Әә Қ"])
            .unwrap();
        assert!(
            font.program.len() < 40_000,
            "subset is {} bytes",
            font.program.len()
        );
        let ops = font.encode("Әә Қ", 10.0).unwrap();
        assert_eq!(ops.matches('<').count(), 4, "{ops}");
        assert!(font.width("Әә Қ").unwrap() > 1000.0);
        assert!(
            font.to_unicode_cmap().contains("<04D8>"),
            "Ә maps back to U+04D8"
        );
        assert!(font.encode("Z", 10.0).is_err());
    }

    #[test]
    fn missing_glyph_is_a_clear_error() {
        let e = LabelFont::for_texts(&FontFile::bundled(), ["\u{1F600}"]).unwrap_err();
        assert_eq!(e.kind_name(), "cannot-label");
    }

    #[test]
    fn kerning_moves_glyphs_and_ligatures_extract_as_letters() {
        let font = LabelFont::for_texts(&FontFile::bundled(), ["AVAV", "office"]).unwrap();
        // Shaped: each V pulled toward its A by a negative-width TJ number.
        let ops = font.encode("AVAV", 12.0).unwrap();
        assert!(ops.starts_with('[') && ops.ends_with("] TJ"), "{ops}");
        let inside = ops.trim_end_matches("] TJ");
        assert_eq!(
            inside.matches(' ').count(),
            3,
            "three kerning shifts: {ops}"
        );
        assert!(!inside.contains('-'), "V moves left, toward A: {ops}");
        let sum_w: f32 = ["A", "V", "A", "V"]
            .iter()
            .map(|c| {
                let f = LabelFont::for_texts(&FontFile::bundled(), [*c]).unwrap();
                f.width(c).unwrap()
            })
            .sum();
        assert!(font.width("AVAV").unwrap() < sum_w);
        // Whatever glyphs shaping chose, ToUnicode gives every letter back.
        let cmap = font.to_unicode_cmap();
        let mapped: String = font.glyphs.values().map(|g| g.text.as_str()).collect();
        for c in "ofice".chars() {
            assert!(mapped.contains(c), "{c} missing from {cmap}");
        }
    }

    #[test]
    fn glyphs_are_drawn_in_reading_order_and_map_back_to_every_character() {
        let bytes = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf").unwrap();
        let dejavu = FontFile::from_bytes(bytes, "DejaVuSans-Bold.ttf").unwrap();
        // Arabic shapes right to left (visual order, lam-alef one glyph);
        // read back glyph by glyph in drawing order it is the text as written.
        for (font, text) in [
            (&dejavu, "بالذكاء الاصطناعي"),
            (&FontFile::bundled(), "q\u{301}ä"),
        ] {
            let shaped = font.shape(text).unwrap();
            let parts = cluster_texts(text, &shaped);
            let read: String = parts.iter().map(|(_, t)| *t).collect();
            assert_eq!(read, text);
            assert!(parts.iter().all(|(_, t)| !t.is_empty()), "{parts:?}");
        }
        let subset = LabelFont::for_texts(&dejavu, ["لا"]).unwrap();
        let ops = subset.encode("لا", 10.0).unwrap();
        assert_eq!(ops.matches('<').count(), 1, "one ligature glyph: {ops}");
        assert!(subset.to_unicode_cmap().contains("<06440627>"), "ل then ا");
    }
}
