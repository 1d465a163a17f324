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

use std::borrow::Cow;
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

/// [`scan`] over the first and last [`SCAN_WINDOW`] bytes of a file, in
/// flat memory. A first pass reads the two windows in chunks, looking for
/// the byte strings an AIGC object or an XMP packet starts with; only a
/// file that holds one has its windows read into memory for [`scan`] (a
/// labelled file, rarely a big one). Without them, all [`scan`] could still
/// find is in a PNG's or JPEG's structure at the start, which is walked by
/// seeking. The result is [`scan`]'s for the two windows joined.
pub fn scan_file(path: &Path) -> Result<ForeignMarks> {
    let run = || -> std::io::Result<ForeignMarks> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        let mut windows = Windows { file, len };
        if windows.any_needle()? {
            return Ok(scan(&windows.read(0, windows.size())?));
        }
        let mut fingerprints = structure_fingerprints(&mut windows)?;
        fingerprints.dedup();
        Ok(ForeignMarks {
            fingerprints,
            ..ForeignMarks::default()
        })
    };
    run().map_err(|e| Error::from(e).at(path))
}

/// What [`scan_file`]'s first pass reads at a time.
const SCAN_CHUNK: usize = 1024 * 1024;
const XMP_OPEN: &[u8] = b"<x:xmpmeta";

/// Bytes at offsets, for the walks over a PNG's chunks and a JPEG's
/// segments: a slice, or the windows of a file read on demand.
trait ByteSource {
    /// How many bytes there are.
    fn size(&self) -> u64;
    /// `n` bytes at `at`; the caller checks they are within [`size`](Self::size).
    fn read(&mut self, at: u64, n: u64) -> std::io::Result<Cow<'_, [u8]>>;
    /// `n` bytes at `at`, or `None` when they run past the end.
    fn get(&mut self, at: u64, n: u64) -> std::io::Result<Option<Cow<'_, [u8]>>> {
        if !self.holds(at, n) {
            return Ok(None);
        }
        self.read(at, n).map(Some)
    }
    /// Whether `n` bytes at `at` are within the bytes.
    fn holds(&self, at: u64, n: u64) -> bool {
        at.checked_add(n).is_some_and(|end| end <= self.size())
    }
}

impl ByteSource for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read(&mut self, at: u64, n: u64) -> std::io::Result<Cow<'_, [u8]>> {
        // Within the slice (checked by the caller), so within usize.
        let (at, n) = (at as usize, n as usize);
        Ok(Cow::Borrowed(&self[at..at + n]))
    }
}

/// The bytes [`scan`] sees of a file: the whole file when it is at most
/// two windows long, else the first [`SCAN_WINDOW`] bytes followed by the
/// last.
struct Windows {
    file: std::fs::File,
    len: u64,
}

impl Windows {
    /// Whether the windows leave out a middle.
    fn split(&self) -> bool {
        self.len > 2 * SCAN_WINDOW
    }

    /// Up to `buf.len()` bytes at `at`, stopping at the join of the
    /// windows; 0 at the end.
    fn read_some(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut end = self.size().min(at.saturating_add(buf.len() as u64));
        if self.split() && at < SCAN_WINDOW {
            end = end.min(SCAN_WINDOW);
        }
        if end <= at {
            return Ok(0);
        }
        let n = (end - at) as usize;
        let from = if self.split() && at >= SCAN_WINDOW {
            self.len - 2 * SCAN_WINDOW + at
        } else {
            at
        };
        self.file.seek(SeekFrom::Start(from))?;
        self.file.read_exact(&mut buf[..n])?;
        Ok(n)
    }

    /// Whether the windows hold an AIGC object's or an XMP packet's start,
    /// read in chunks; a string across a chunk's edge (or the windows'
    /// join, as [`scan`] sees them joined) counts.
    fn any_needle(&mut self) -> std::io::Result<bool> {
        let needles = [AIGC_RAW, AIGC_ESCAPED, XMP_OPEN];
        let keep = AIGC_ESCAPED.len() - 1;
        let mut buf = vec![0u8; SCAN_CHUNK + keep];
        let (mut at, mut carry) = (0u64, 0usize);
        loop {
            let n = self.read_some(at, &mut buf[carry..])?;
            if n == 0 {
                return Ok(false);
            }
            let filled = carry + n;
            let chunk = &buf[..filled];
            if needles
                .iter()
                .any(|needle| memchr::memmem::find(chunk, needle).is_some())
            {
                return Ok(true);
            }
            carry = keep.min(filled);
            buf.copy_within(filled - carry..filled, 0);
            at += n as u64;
        }
    }
}

impl ByteSource for Windows {
    fn size(&self) -> u64 {
        self.len.min(2 * SCAN_WINDOW)
    }

    fn read(&mut self, at: u64, n: u64) -> std::io::Result<Cow<'_, [u8]>> {
        // At most two windows: `n` fits in memory and in usize.
        let mut buf = vec![0u8; n as usize];
        let mut done = 0;
        while done < buf.len() {
            let k = self.read_some(at + done as u64, &mut buf[done..])?;
            if k == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += k;
        }
        Ok(Cow::Owned(buf))
    }
}

/// The foreign marks in `bytes` (a whole file, or its two ends).
pub fn scan(bytes: &[u8]) -> ForeignMarks {
    let mut out = ForeignMarks {
        aigc: find_aigc(bytes),
        ..ForeignMarks::default()
    };
    // Found fast here; the core's reader then takes it from its start.
    let packet =
        memchr::memmem::find(bytes, XMP_OPEN).and_then(|at| xmp::find_packet(&bytes[at..]));
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
    // A slice cannot fail to read.
    if let Ok(found) = structure_fingerprints(&mut &*bytes) {
        out.fingerprints.extend(found);
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

/// The generator fingerprints in a PNG's text chunks (in chunk order,
/// then the names in its `Software` texts and `eXIf` chunks) or in a
/// JPEG's EXIF. The chunks are walked until the bytes run out; only text
/// and EXIF data is read.
fn structure_fingerprints(src: &mut impl ByteSource) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut exif: Vec<Vec<u8>> = Vec::new();
    if src.get(0, PNG_SIGNATURE.len() as u64)?.as_deref() == Some(PNG_SIGNATURE) {
        let mut exif_chunks = Vec::new();
        let mut at = PNG_SIGNATURE.len() as u64;
        while let Some(header) = src.get(at, 8)?.map(Cow::into_owned) {
            let len = u64::from(u32::from_be_bytes([
                header[0], header[1], header[2], header[3],
            ]));
            let kind = [header[4], header[5], header[6], header[7]];
            if !src.holds(at + 8, len) {
                break;
            }
            if &kind == b"eXIf" {
                exif_chunks.push(src.read(at + 8, len)?.into_owned());
            } else if matches!(&kind, b"tEXt" | b"zTXt" | b"iTXt") {
                let data = src.read(at + 8, len)?;
                if let Some((name, keyword, text)) = text_chunk(&kind, &data) {
                    if let Some((_, who)) = PNG_KEYWORDS.iter().find(|(k, _)| *k == keyword) {
                        out.push(format!("PNG {name} {who}"));
                    }
                    if keyword == "Software" {
                        exif.push(text.to_vec());
                    }
                }
            }
            at += 12 + len;
        }
        exif.extend(exif_chunks);
    } else if let Some(segment) = jpeg_exif(src)? {
        exif.push(segment);
    }
    for block in exif {
        out.extend(
            generator_names(&block).map(|n| format!("generator {n:?} named in EXIF/PNG Software")),
        );
    }
    Ok(out)
}

/// A PNG text chunk's (chunk type, keyword, uncompressed text or empty
/// for zTXt and compressed iTXt, whose keyword is enough here).
fn text_chunk<'a>(kind: &[u8; 4], data: &'a [u8]) -> Option<(&'static str, String, &'a [u8])> {
    let nul = data.iter().position(|&b| b == 0)?;
    let keyword = String::from_utf8_lossy(&data[..nul]).into_owned();
    let rest = &data[nul + 1..];
    match kind {
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
}

/// The EXIF APP1 segment of a JPEG, if it has one before its image data;
/// only the APP1 segments are read, the others are skipped by length.
fn jpeg_exif(src: &mut impl ByteSource) -> std::io::Result<Option<Vec<u8>>> {
    if src.get(0, 2)?.as_deref() != Some(&[0xFF, 0xD8][..]) {
        return Ok(None);
    }
    let mut at = 2u64;
    while let Some(marker) = src.get(at, 2)?.map(Cow::into_owned) {
        if marker[0] != 0xFF {
            break;
        }
        if marker[1] == 0xDA || marker[1] == 0xD9 {
            return Ok(None);
        }
        let Some(bytes) = src.get(at + 2, 2)?.map(Cow::into_owned) else {
            return Ok(None);
        };
        let len = u64::from(u16::from_be_bytes([bytes[0], bytes[1]]));
        if len < 2 || !src.holds(at + 4, len - 2) {
            return Ok(None);
        }
        if marker[1] == 0xE1 {
            let body = src.read(at + 4, len - 2)?;
            if body.starts_with(b"Exif\0\0") {
                return Ok(Some(body.into_owned()));
            }
        }
        at += 2 + len;
    }
    Ok(None)
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
