//! The one XMP packet every format carries, and the reader that finds it.
//!
//! The packet holds three properties: `Iptc4xmpExt:DigitalSourceType`,
//! `TC260:AIGC` (the Annex E JSON) and `tanba:Manifest` (the full manifest
//! JSON). Every value is XML-escaped: label texts and names are user input.
//! With a real person named (`--person`) it also holds IPTC
//! `Iptc4xmpExt:PersonInImage`, replacing the input's.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::Manifest;
use crate::{Error, Result};

/// IPTC Extension namespace.
pub const NS_IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
/// TC260 AIGC namespace.
pub const NS_TC260: &str = "http://www.tc260.org.cn/ns/AIGC/1.0/";
/// Tanba's own namespace.
pub const NS_TANBA: &str = "http://ns.tanba.kz/manifest/1.0/";
const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// The three properties Tanba writes, as (namespace, local name).
const OURS: [(&str, &str); 3] = [
    (NS_IPTC_EXT, "DigitalSourceType"),
    (NS_TC260, "AIGC"),
    (NS_TANBA, "Manifest"),
];

/// IPTC's "person shown", written when the manifest names a real person.
const PERSON: (&str, &str) = (NS_IPTC_EXT, "PersonInImage");

/// What an XMP packet says about AI provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmpMarks {
    /// `Iptc4xmpExt:DigitalSourceType`, if present.
    pub digital_source_type: Option<String>,
    /// `TC260:AIGC`, if present.
    pub aigc: Option<String>,
    /// `tanba:Manifest` JSON, if present.
    pub manifest: Option<String>,
}

impl XmpMarks {
    /// True when any of the three properties is present.
    pub fn any(&self) -> bool {
        self.digital_source_type.is_some() || self.aigc.is_some() || self.manifest.is_some()
    }

    /// The parsed Tanba manifest, if present.
    pub fn parsed_manifest(&self) -> Option<Result<Manifest>> {
        self.manifest.as_deref().map(Manifest::from_json)
    }
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Our `rdf:Description` element.
fn description(manifest: &Manifest) -> String {
    let person = manifest.person.as_deref().map_or(String::new(), |name| {
        format!(
            concat!(
                "   <Iptc4xmpExt:PersonInImage>\n",
                "    <rdf:Bag>\n",
                "     <rdf:li>{}</rdf:li>\n",
                "    </rdf:Bag>\n",
                "   </Iptc4xmpExt:PersonInImage>\n"
            ),
            escape(name)
        )
    });
    format!(
        concat!(
            "  <rdf:Description rdf:about=\"\"\n",
            "    xmlns:Iptc4xmpExt=\"{iptc}\"\n",
            "    xmlns:TC260=\"{tc}\"\n",
            "    xmlns:tanba=\"{tanba}\">\n",
            "   <Iptc4xmpExt:DigitalSourceType>{dst}</Iptc4xmpExt:DigitalSourceType>\n",
            "   <TC260:AIGC>{aigc}</TC260:AIGC>\n",
            "   <tanba:Manifest>{manifest}</tanba:Manifest>\n",
            "{person}",
            "  </rdf:Description>\n"
        ),
        iptc = NS_IPTC_EXT,
        tc = NS_TC260,
        tanba = NS_TANBA,
        dst = escape(&manifest.digital_source_type),
        aigc = escape(&manifest.aigc.to_json()),
        manifest = escape(&manifest.to_json()),
        person = person,
    )
}

/// A complete XMP packet (with `<?xpacket?>` wrapper) carrying the manifest.
pub fn packet(manifest: &Manifest) -> String {
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Tanba {version}\">\n",
            " <rdf:RDF xmlns:rdf=\"{rdf}\">\n",
            "{description}",
            " </rdf:RDF>\n",
            "</x:xmpmeta>\n",
            "<?xpacket end=\"w\"?>"
        ),
        version = env!("CARGO_PKG_VERSION"),
        rdf = NS_RDF,
        description = description(manifest),
    )
}

/// Merges the manifest into an existing packet: every other property is
/// kept byte for byte, any earlier DigitalSourceType / AIGC / Tanba manifest
/// is replaced. A packet that does not parse is an error, not dropped.
pub fn merge(existing: &str, manifest: &Manifest) -> Result<String> {
    let mut reader = NsReader::from_str(existing);
    reader.config_mut().trim_text(false);
    // (start, end, replacement) byte ranges of the original to rewrite.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut rdf_close: Option<usize> = None;
    let mut skip_depth = 0usize;
    let mut skip_start = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| Error::malformed(format!("existing XMP packet does not parse: {e}")))?;
        // Owned, because the resolver borrows the reader.
        let ns: Option<Vec<u8>> = match ns {
            ResolveResult::Bound(n) => Some(n.as_ref().to_vec()),
            _ => None,
        };
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        // The input's PersonInImage goes only when ours replaces it.
        let person = manifest.person.is_some().then_some(PERSON);
        let is_ours = |local: &[u8]| {
            ns.as_deref().is_some_and(|n| {
                OURS.iter()
                    .chain(person.iter())
                    .any(|(u, l)| n == u.as_bytes() && local == l.as_bytes())
            })
        };
        match event {
            Event::Eof => break,
            Event::Start(_) if skip_depth > 0 => skip_depth += 1,
            Event::End(_) if skip_depth > 0 => {
                skip_depth -= 1;
                if skip_depth == 0 {
                    edits.push((skip_start, after, String::new()));
                }
            }
            _ if skip_depth > 0 => {}
            Event::Start(ref e) if is_ours(e.local_name().as_ref()) => {
                skip_depth = 1;
                skip_start = before;
            }
            Event::Empty(ref e) if is_ours(e.local_name().as_ref()) => {
                edits.push((before, after, String::new()));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if let Some(rebuilt) = without_our_attributes(&reader, e, empty)? {
                    edits.push((before, after, rebuilt));
                }
            }
            Event::End(ref e) => {
                let rdf = ns.as_deref() == Some(NS_RDF.as_bytes());
                if rdf && e.local_name().as_ref() == b"RDF" {
                    rdf_close = Some(before);
                }
            }
            _ => {}
        }
    }
    let Some(rdf_close) = rdf_close else {
        return Err(Error::malformed(
            "existing XMP packet has no rdf:RDF element",
        ));
    };
    edits.push((rdf_close, rdf_close, description(manifest)));
    edits.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = String::with_capacity(existing.len() + 4096);
    let mut cursor = 0;
    for (start, end, text) in edits {
        out.push_str(existing.get(cursor..start).unwrap_or_default());
        out.push_str(&text);
        cursor = end;
    }
    out.push_str(existing.get(cursor..).unwrap_or_default());
    Ok(out)
}

/// The start tag rebuilt without our properties in attribute form, or `None`
/// when it has none of them.
fn without_our_attributes(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    empty: bool,
) -> Result<Option<String>> {
    let mut kept = Vec::new();
    let mut dropped = false;
    for attr in e.attributes() {
        let attr = attr.map_err(|err| Error::malformed(format!("bad XMP attribute: {err}")))?;
        let (ns, local) = reader.resolve_attribute(attr.key);
        let ours = matches!(&ns, ResolveResult::Bound(n)
            if OURS.iter().any(|(u, l)| n.as_ref() == u.as_bytes() && local.as_ref() == l.as_bytes()));
        if ours {
            dropped = true;
        } else {
            kept.push(attr);
        }
    }
    if !dropped {
        return Ok(None);
    }
    let mut tag = format!("<{}", String::from_utf8_lossy(e.name().as_ref()));
    for attr in kept {
        let value = String::from_utf8_lossy(&attr.value);
        let quote = if value.contains('"') { '\'' } else { '"' };
        tag.push_str(&format!(
            " {}={quote}{value}{quote}",
            String::from_utf8_lossy(attr.key.as_ref())
        ));
    }
    tag.push_str(if empty { "/>" } else { ">" });
    Ok(Some(tag))
}

/// Reads our three properties from a packet, in element or attribute form,
/// whatever prefixes the writer chose.
pub fn read(packet: &str) -> Result<XmpMarks> {
    let mut reader = NsReader::from_str(packet);
    reader.config_mut().trim_text(false);
    let mut marks = XmpMarks::default();
    let mut capture: Option<(usize, String)> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| Error::malformed(format!("XMP packet does not parse: {e}")))?;
        let which = |local: &[u8]| match &ns {
            ResolveResult::Bound(n) => OURS
                .iter()
                .position(|(u, l)| n.as_ref() == u.as_bytes() && local == l.as_bytes()),
            _ => None,
        };
        match event {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                if let Some(i) = which(e.local_name().as_ref()) {
                    // rdf:resource="…" form.
                    for attr in e.attributes().flatten() {
                        if attr.key.local_name().as_ref() == b"resource" {
                            let v = attr.unescape_value().map_err(xml_err)?;
                            set(&mut marks, i, v.into_owned());
                        }
                    }
                    if matches!(event, Event::Start(_)) {
                        capture = Some((i, String::new()));
                    }
                }
                for attr in e.attributes().flatten() {
                    let (ans, local) = reader.resolve_attribute(attr.key);
                    if let ResolveResult::Bound(n) = ans
                        && let Some(i) = OURS.iter().position(|(u, l)| {
                            n.as_ref() == u.as_bytes() && local.as_ref() == l.as_bytes()
                        })
                    {
                        let v = attr.unescape_value().map_err(xml_err)?;
                        set(&mut marks, i, v.into_owned());
                    }
                }
            }
            Event::Text(ref t) => {
                if let Some((_, buf)) = capture.as_mut() {
                    buf.push_str(&t.unescape().map_err(xml_err)?);
                }
            }
            Event::CData(ref t) => {
                if let Some((_, buf)) = capture.as_mut() {
                    buf.push_str(&String::from_utf8_lossy(t));
                }
            }
            Event::End(_) => {
                if let Some((i, buf)) = capture.take() {
                    set(&mut marks, i, buf.trim().to_string());
                }
            }
            _ => {}
        }
    }
    Ok(marks)
}

fn set(marks: &mut XmpMarks, index: usize, value: String) {
    let slot = match index {
        0 => &mut marks.digital_source_type,
        1 => &mut marks.aigc,
        _ => &mut marks.manifest,
    };
    *slot = Some(value);
}

fn xml_err(e: quick_xml::Error) -> Error {
    Error::malformed(format!("XMP value does not unescape: {e}"))
}

/// Finds an XMP packet inside arbitrary bytes (`<x:xmpmeta … </x:xmpmeta>`),
/// for carriers that hold it raw.
pub fn find_packet(bytes: &[u8]) -> Option<&str> {
    let start = find(bytes, b"<x:xmpmeta")?;
    let end_tag = b"</x:xmpmeta>";
    let end = start + find(&bytes[start..], end_tag)? + end_tag.len();
    std::str::from_utf8(&bytes[start..end]).ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Placement;
    use crate::{Job, Label};

    fn manifest_with(text: &str) -> Manifest {
        let job = Job {
            label: Label::custom([("kk", text)]).unwrap(),
            source_sha256: Some(String::new()),
            ..Job::default()
        };
        job.manifest("image/jpeg", Placement::at("bottom-right"))
    }

    #[test]
    fn packet_round_trips_and_escapes() {
        let m = manifest_with("<ЖИ> & \"quotes\" </rdf:RDF>");
        let p = packet(&m);
        assert!(!p.contains("<ЖИ>"));
        let marks = read(&p).unwrap();
        assert_eq!(
            marks.digital_source_type.as_deref(),
            Some(crate::manifest::DST_TRAINED_ALGORITHMIC_MEDIA)
        );
        assert_eq!(marks.parsed_manifest().unwrap().unwrap(), m);
        assert!(marks.aigc.unwrap().starts_with("{\"AIGC\""));
    }

    #[test]
    fn merge_keeps_other_properties_and_replaces_ours() {
        let existing = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:ie="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" ie:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture">
<dc:creator><rdf:Seq><rdf:li>Айгүл</rdf:li></rdf:Seq></dc:creator>
</rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let first = merge(existing, &manifest_with("one")).unwrap();
        assert!(first.contains("<rdf:li>Айгүл</rdf:li>"));
        assert!(!first.contains("digitalCapture"));
        let second = merge(&first, &manifest_with("two")).unwrap();
        assert_eq!(second.matches("<tanba:Manifest>").count(), 1);
        let marks = read(&second).unwrap();
        assert_eq!(
            marks.parsed_manifest().unwrap().unwrap().label.lines[0].text,
            "two"
        );
    }

    #[test]
    fn a_named_person_is_iptc_person_in_image_and_replaces_the_inputs() {
        let existing = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:ie="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
<ie:PersonInImage><rdf:Bag><rdf:li>Someone Else</rdf:li></rdf:Bag></ie:PersonInImage>
</rdf:Description></rdf:RDF></x:xmpmeta>"#;
        // Without a person the input's stays.
        assert!(
            merge(existing, &manifest_with("x"))
                .unwrap()
                .contains("Someone Else")
        );
        let mut m = manifest_with("x");
        m.person = Some("Jane <Roe>".into());
        let merged = merge(existing, &m).unwrap();
        assert!(!merged.contains("Someone Else"), "{merged}");
        assert!(
            merged.contains("<rdf:li>Jane &lt;Roe&gt;</rdf:li>"),
            "{merged}"
        );
        assert!(packet(&m).contains("<Iptc4xmpExt:PersonInImage>"));
        assert!(!packet(&manifest_with("x")).contains("PersonInImage"));
    }

    #[test]
    fn broken_packet_is_an_error() {
        assert!(merge("<x:xmpmeta><rdf:RDF></x:xmpmeta>", &manifest_with("x")).is_err());
        assert!(merge("<a/>", &manifest_with("x")).is_err());
    }

    #[test]
    fn finds_packet_in_bytes() {
        let p = packet(&manifest_with("x"));
        let mut bytes = b"\x00\x01junk".to_vec();
        bytes.extend_from_slice(p.as_bytes());
        bytes.extend_from_slice(b"\xff\xfe");
        let found = find_packet(&bytes).unwrap();
        assert!(read(found).unwrap().manifest.is_some());
    }
}
