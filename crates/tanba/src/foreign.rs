//! Marks of AI origin that other tools leave in a file, read without a
//! labeler: a GB 45438 AIGC label in any carrier that holds it as text
//! (XMP, EXIF UserComment, PNG text, MP4 keys, Vorbis comments, front
//! matter …), the IPTC `DigitalSourceType` of an XMP packet, and generator
//! fingerprints (Stable Diffusion web UIs' and ComfyUI's PNG text, known
//! generator names in EXIF or XMP software fields).
//!
//! The scan reads at most [`SCAN_WINDOW`] bytes from each end of a file:
//! metadata sits at the start (pictures, most audio, text) or at the end
//! (an MP4 whose `moov` follows the media), never in the middle.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use tanba_core::manifest::Aigc;
use tanba_core::{Error, Result, xmp};

/// Bytes read from each end of a file.
pub const SCAN_WINDOW: u64 = 16 * 1024 * 1024;

/// Software names of AI generators, as they write them into EXIF
/// `Software` or XMP `CreatorTool` (compared without case).
pub const KNOWN_GENERATORS: &[&str] = &[
    "Midjourney",
    "DALL-E",
    "DALL·E",
    "Stable Diffusion",
    "NovelAI",
    "Adobe Firefly",
    "ComfyUI",
    "InvokeAI",
    "Leonardo.Ai",
    "Ideogram",
    "Google Imagen",
    "Google Gemini",
    "ChatGPT",
    "OpenAI",
    "Runway",
    "Kling AI",
    "FLUX.1",
];

/// PNG text keywords that AI generators write, with who writes them.
const PNG_KEYWORDS: &[(&str, &str)] = &[
    (
        "parameters",
        "Stable Diffusion web UI (A1111/Forge) `parameters`",
    ),
    ("prompt", "ComfyUI `prompt`"),
    ("workflow", "ComfyUI `workflow`"),
    ("invokeai_metadata", "InvokeAI `invokeai_metadata`"),
    ("sd-metadata", "InvokeAI `sd-metadata`"),
    ("Dream", "InvokeAI `Dream`"),
];

/// A GB 45438 AIGC label found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundAigc {
    /// Where it was: `XMP`, `EXIF UserComment`, `PNG text`, `metadata`.
    pub carrier: &'static str,
    /// The label.
    pub aigc: Aigc,
}

/// What other tools' marks a file carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ForeignMarks {
    /// Every AIGC label, in file order (one per carrier is what GB 45438
    /// wants).
    pub aigc: Vec<FoundAigc>,
    /// The XMP packet's `Iptc4xmpExt:DigitalSourceType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xmp_source_type: Option<String>,
    /// Generator fingerprints: what was found and where.
    pub fingerprints: Vec<String>,
}

/// [`scan`] over the first and last [`SCAN_WINDOW`] bytes of a file.
pub fn scan_file(path: &Path) -> Result<ForeignMarks> {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        let mut bytes = Vec::new();
        (&mut file).take(SCAN_WINDOW).read_to_end(&mut bytes)?;
        if len > 2 * SCAN_WINDOW {
            file.seek(SeekFrom::Start(len - SCAN_WINDOW))?;
            file.take(SCAN_WINDOW).read_to_end(&mut bytes)?;
        } else {
            file.read_to_end(&mut bytes)?;
        }
        Ok(bytes)
    };
    read()
        .map(|b| scan(&b))
        .map_err(|e| Error::from(e).at(path))
}

/// The foreign marks in `bytes` (a whole file, or its two ends).
pub fn scan(bytes: &[u8]) -> ForeignMarks {
    let mut out = ForeignMarks {
        aigc: find_aigc(bytes),
        ..ForeignMarks::default()
    };
    // Found fast here; the core's reader then takes it from its start.
    let packet =
        memchr::memmem::find(bytes, b"<x:xmpmeta").and_then(|at| xmp::find_packet(&bytes[at..]));
    if let Some(marks) = packet.and_then(|p| xmp::read(p).ok()) {
        out.xmp_source_type = marks.digital_source_type;
    }
    if let Some(packet) = packet {
        for field in xmp_tool_fields(packet) {
            out.fingerprints.extend(
                generator_names(field.as_bytes())
                    .map(|n| format!("generator {n:?} named in XMP CreatorTool/Software")),
            );
        }
    }
    let mut exif = Vec::new();
    if bytes.starts_with(PNG_SIGNATURE) {
        for (kind, keyword, text) in png_text_chunks(bytes) {
            if let Some((_, who)) = PNG_KEYWORDS.iter().find(|(k, _)| *k == keyword) {
                out.fingerprints.push(format!("PNG {kind} {who}"));
            }
            if keyword == "Software" {
                exif.push(text);
            }
        }
        exif.extend(
            png_chunks(bytes)
                .filter(|(t, _)| t == b"eXIf")
                .map(|(_, d)| d),
        );
    } else if let Some(segment) = jpeg_exif(bytes) {
        exif.push(segment);
    }
    for block in exif {
        out.fingerprints.extend(
            generator_names(block).map(|n| format!("generator {n:?} named in EXIF/PNG Software")),
        );
    }
    out.fingerprints.dedup();
    out
}

impl ForeignMarks {
    /// The AIGC label in force: the XMP packet's, else the last one in the
    /// file (an editor that appends its metadata, as Tanba's EXIF edit
    /// does, leaves the earlier copy unreferenced before it).
    pub fn aigc_label(&self) -> Option<&Aigc> {
        self.aigc
            .iter()
            .find(|f| f.carrier == "XMP")
            .or(self.aigc.last())
            .map(|f| &f.aigc)
    }
}

/// The text that follows each software field of an XMP packet
/// (`xmp:CreatorTool`, `tiff:Software`, `stEvt:softwareAgent`, as element
/// or attribute): where a generator names itself, rather than anywhere in
/// a description a person wrote.
fn xmp_tool_fields(packet: &str) -> Vec<&str> {
    const FIELDS: &[&str] = &["CreatorTool", "Software", "softwareAgent"];
    let mut out = Vec::new();
    for field in FIELDS {
        for (at, _) in packet.match_indices(field) {
            let rest = &packet[at + field.len()..];
            let end = rest.char_indices().nth(160).map_or(rest.len(), |(i, _)| i);
            out.push(&rest[..end]);
        }
    }
    out
}

/// The known generator names `block` mentions.
fn generator_names(block: &[u8]) -> impl Iterator<Item = &'static str> + '_ {
    let lower = String::from_utf8_lossy(block).to_lowercase();
    KNOWN_GENERATORS
        .iter()
        .filter(move |n| lower.contains(&n.to_lowercase()))
        .copied()
}

/// The start of an AIGC object, raw and XML-escaped (the opening brace is
/// written `\x7B` so brace-counting tools see the function that uses them
/// whole).
const AIGC_RAW: &[u8] = b"\x7B\"AIGC\"";
const AIGC_ESCAPED: &[u8] = b"\x7B&quot;AIGC&quot;";

/// Every AIGC JSON object in `bytes`, raw (`{"AIGC":…}`) or XML-escaped
/// (`{&quot;AIGC&quot;:…}` in an XMP packet).
fn find_aigc(bytes: &[u8]) -> Vec<FoundAigc> {
    let mut found: Vec<(usize, FoundAigc)> = Vec::new();
    for (needle, escaped) in [(AIGC_RAW, false), (AIGC_ESCAPED, true)] {
        for at in memchr::memmem::find_iter(bytes, needle) {
            let window = &bytes[at..bytes.len().min(at + 4096)];
            let text = String::from_utf8_lossy(window);
            let text = if escaped {
                unescape_xml(&text)
            } else {
                text.into_owned()
            };
            let Some(aigc) = balanced(&text).and_then(parse_aigc) else {
                continue;
            };
            let carrier = if escaped || inside_xmp(bytes, at) {
                "XMP"
            } else if at >= 8 && &bytes[at - 8..at] == b"ASCII\0\0\0" {
                "EXIF UserComment"
            } else if bytes.starts_with(PNG_SIGNATURE) {
                "PNG text"
            } else {
                "metadata"
            };
            found.push((at, FoundAigc { carrier, aigc }));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, f)| f).collect()
}

/// Whether `at` falls inside an XMP packet.
fn inside_xmp(bytes: &[u8], at: usize) -> bool {
    let before = &bytes[..at];
    match rfind(before, b"<x:xmpmeta") {
        Some(open) => rfind(&before[open..], b"</x:xmpmeta>").is_none(),
        None => false,
    }
}

/// The JSON object at the start of `text`, up to its closing brace.
fn balanced(text: &str) -> Option<&str> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '{') => depth += 1,
            (false, _, '}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&text[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// An AIGC object as other tools write it: fields may be missing or
/// numbers (`"Label": 1`).
fn parse_aigc(json: &str) -> Option<Aigc> {
    let value: Value = serde_json::from_str(json).ok()?;
    let inner = value.get("AIGC")?;
    let field = |name: &str| match inner.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    Some(Aigc {
        label: field("Label"),
        content_producer: field("ContentProducer"),
        produce_id: field("ProduceID"),
        reserved_code1: field("ReservedCode1"),
        content_propagator: field("ContentPropagator"),
        propagate_id: field("PropagateID"),
        reserved_code2: field("ReservedCode2"),
    })
}

fn unescape_xml(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The chunks of a PNG (type, data), until the bytes run out.
fn png_chunks(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = PNG_SIGNATURE.len();
    std::iter::from_fn(move || {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = bytes.get(at + 4..at + 8)?.try_into().ok()?;
        let data = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
        at = at + 12 + len;
        Some((kind, data))
    })
}

/// The text chunks of a PNG: (chunk type, keyword, uncompressed text or
/// empty for zTXt and compressed iTXt, whose keyword is enough here).
fn png_text_chunks(bytes: &[u8]) -> impl Iterator<Item = (&'static str, String, &[u8])> {
    png_chunks(bytes).filter_map(|(kind, data)| {
        let nul = data.iter().position(|&b| b == 0)?;
        let keyword = String::from_utf8_lossy(&data[..nul]).into_owned();
        let rest = &data[nul + 1..];
        match &kind {
            b"tEXt" => Some(("tEXt", keyword, rest)),
            b"zTXt" => Some(("zTXt", keyword, &[][..])),
            b"iTXt" => {
                let compressed = rest.first() == Some(&1);
                // Flag, method, language\0, translated keyword\0, text.
                let after_lang = rest.get(2..)?;
                let lang_end = after_lang.iter().position(|&b| b == 0)?;
                let after_kw = &after_lang[lang_end + 1..];
                let kw_end = after_kw.iter().position(|&b| b == 0)?;
                let text = if compressed {
                    &[][..]
                } else {
                    &after_kw[kw_end + 1..]
                };
                Some(("iTXt", keyword, text))
            }
            _ => None,
        }
    })
}

/// The EXIF APP1 segment of a JPEG, if it has one before its image data.
fn jpeg_exif(bytes: &[u8]) -> Option<&[u8]> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while let (Some(&0xFF), Some(&marker)) = (bytes.get(at), bytes.get(at + 1)) {
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        let body = bytes.get(at + 4..at + 2 + len)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return Some(body);
        }
        at += 2 + len;
    }
    None
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn finds_aigc_raw_and_escaped_and_lenient() {
        let raw =
            br#"xxASCII\0\0\0{"AIGC":{"Label":1,"ContentProducer":"acme","ProduceID":"p1"}}yy"#;
        let found = scan(raw);
        assert_eq!(found.aigc.len(), 1);
        assert_eq!(found.aigc[0].aigc.label, "1");
        assert_eq!(found.aigc[0].aigc.content_producer, "acme");
        let xmp = b"<x:xmpmeta><a>{&quot;AIGC&quot;:{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;b&quot;}}</a></x:xmpmeta>";
        let found = scan(xmp);
        assert_eq!(found.aigc[0].carrier, "XMP");
        assert_eq!(found.aigc[0].aigc.content_producer, "b");
        assert!(scan(b"{\"AIGC\": not json").aigc.is_empty());
    }

    #[test]
    fn generator_names_count_only_in_software_fields_of_xmp() {
        let tool = b"<x:xmpmeta><rdf:Description xmp:CreatorTool=\"Midjourney v6\"/></x:xmpmeta>";
        assert_eq!(scan(tool).fingerprints.len(), 1);
        let prose =
            b"<x:xmpmeta><dc:description>Not made with Midjourney</dc:description></x:xmpmeta>";
        assert!(scan(prose).fingerprints.is_empty());
    }

    #[test]
    fn png_keywords_are_fingerprints() {
        let mut png = PNG_SIGNATURE.to_vec();
        let data = b"parameters\0a cat, Steps: 20";
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(b"tEXt");
        png.extend(data);
        png.extend([0; 4]);
        let found = scan(&png);
        assert_eq!(found.fingerprints.len(), 1, "{found:?}");
        assert!(found.fingerprints[0].contains("A1111"));
    }
}
