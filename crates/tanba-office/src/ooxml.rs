//! What every OOXML package (DOCX, PPTX, XLSX) shares: the custom
//! properties part `docProps/custom.xml` that carries the marks, its
//! content type and package relationship, and the macro check.

use quick_xml::Reader;
use quick_xml::events::Event;
use tanba_core::{Error, Manifest, Result};

use crate::container::{Edits, Package};
use crate::marks::{self, Found};
use crate::xml;

/// The custom properties part.
pub const CUSTOM: &str = "docProps/custom.xml";
const CONTENT_TYPES: &str = "[Content_Types].xml";
const RELS: &str = "_rels/.rels";
const CUSTOM_TYPE: &str = "application/vnd.openxmlformats-officedocument.custom-properties+xml";
const CUSTOM_REL: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties";
/// The format id every user-defined property carries.
const FMTID: &str = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}";
const VT: &str = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes";

/// Refuses a macro-enabled package: a macro runs when the file opens and
/// can take the notice out again, so Tanba does not vouch for such a file
/// (docs in the crate README). A `.docm` renamed `.docx` is caught by its
/// content types or its `vbaProject.bin`.
pub fn refuse_macros(package: &mut Package<'_>) -> Result<()> {
    let vba = package
        .entries()
        .iter()
        .any(|e| e.name.to_ascii_lowercase().ends_with("vbaproject.bin"));
    let types = package.read_xml(CONTENT_TYPES)?.ok_or_else(|| {
        Error::malformed("not an Office Open XML package: no [Content_Types].xml")
    })?;
    if vba || String::from_utf8_lossy(&types).contains("macroEnabled") {
        return Err(Error::unsupported(
            "a macro-enabled document (.docm/.pptm/.xlsm): its macros could remove the \
             notice when the file opens; save it without macros first",
        ));
    }
    Ok(())
}

/// Our properties in `docProps/custom.xml`.
pub fn read_marks(package: &mut Package<'_>) -> Result<Found> {
    let mut found = Found::default();
    let Some(custom) = package.read_xml(CUSTOM)? else {
        return Ok(found);
    };
    let mut reader = Reader::from_reader(custom.as_slice());
    let mut current: Option<String> = None;
    let mut value = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"property" => {
                current = xml::attr(&e, "name");
                value.clear();
            }
            Ok(Event::Text(t)) if current.is_some() => {
                value.push_str(&t.unescape().map_err(|e| {
                    Error::malformed(format!("{CUSTOM}: a property value does not parse: {e}"))
                })?);
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == b"property" => {
                if let Some(name) = current.take() {
                    found.take(&name, std::mem::take(&mut value));
                }
            }
            Ok(Event::Eof) => return Ok(found),
            Err(e) => return Err(Error::malformed(format!("{CUSTOM}: {e}"))),
            _ => {}
        }
    }
}

/// `custom.xml` (or a new one) without our earlier properties and with the
/// manifest's.
fn custom_with_marks(existing: Option<&[u8]>, manifest: &Manifest) -> Result<Vec<u8>> {
    let Some(mut xml_bytes) = existing.map(<[u8]>::to_vec) else {
        let props = properties(manifest, 2);
        return Ok(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties \
             xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" \
             xmlns:vt=\"{VT}\">{props}</Properties>"
        )
        .into_bytes());
    };
    while let Some(span) = xml::find(&xml_bytes, 0, "property", |e| {
        xml::attr(e, "name").is_some_and(|n| marks::is_ours(&n))
    })? {
        xml_bytes = xml::replace(&xml_bytes, span.start..span.end, "");
    }
    let mut pid = 1u32;
    let mut from = 0;
    while let Some(span) = xml::find(&xml_bytes, from, "property", |_| true)? {
        let tag = &xml_bytes[span.start..span.inner];
        let mut reader = Reader::from_reader(tag);
        if let Ok(Event::Start(e) | Event::Empty(e)) = reader.read_event() {
            let n = xml::attr(&e, "pid").and_then(|p| p.parse::<u32>().ok());
            pid = pid.max(n.unwrap_or(1));
        }
        from = span.end;
    }
    let root = xml::find(&xml_bytes, 0, "Properties", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{CUSTOM}: no <Properties> root")))?;
    let props = properties(manifest, pid + 1);
    Ok(xml::append_children(&xml_bytes, root, "Properties", &props))
}

/// Our two properties, numbered from `pid`. The `vt` namespace is declared
/// on each value, so they read the same whatever prefix the file uses.
fn properties(manifest: &Manifest, pid: u32) -> String {
    let mut out = String::new();
    for (i, (key, json)) in marks::values(manifest).iter().enumerate() {
        out.push_str(&format!(
            "<property fmtid=\"{FMTID}\" pid=\"{}\" name=\"{key}\"><vt:lpwstr xmlns:vt=\"{VT}\">{}</vt:lpwstr></property>",
            pid + i as u32,
            xml::escape(json)
        ));
    }
    out
}

/// Adds to `edits` the custom properties part with the
/// manifest's marks, and, when the package had none, its content type and
/// relationship.
pub fn write_marks(
    package: &mut Package<'_>,
    manifest: &Manifest,
    edits: &mut Edits,
) -> Result<()> {
    let existing = package.read_xml(CUSTOM)?;
    let custom = custom_with_marks(existing.as_deref(), manifest)?;
    if existing.is_some() {
        edits.replaced.insert(CUSTOM.to_string(), custom);
        return Ok(());
    }
    edits.added.push((CUSTOM.to_string(), custom));
    let types = package
        .read_xml(CONTENT_TYPES)?
        .ok_or_else(|| Error::malformed("no [Content_Types].xml"))?;
    if !String::from_utf8_lossy(&types).contains("/docProps/custom.xml") {
        let root = xml::find(&types, 0, "Types", |_| true)?
            .ok_or_else(|| Error::malformed("[Content_Types].xml: no <Types> root"))?;
        let entry = format!("<Override PartName=\"/{CUSTOM}\" ContentType=\"{CUSTOM_TYPE}\"/>");
        edits.replaced.insert(
            CONTENT_TYPES.to_string(),
            xml::append_children(&types, root, "Types", &entry),
        );
    }
    let rels = package
        .read_xml(RELS)?
        .ok_or_else(|| Error::malformed("not an OOXML package: no _rels/.rels"))?;
    if !String::from_utf8_lossy(&rels).contains(CUSTOM_REL) {
        let root = xml::find(&rels, 0, "Relationships", |_| true)?
            .ok_or_else(|| Error::malformed("_rels/.rels: no <Relationships> root"))?;
        let entry = format!(
            "<Relationship Id=\"rIdTanbaCustom\" Type=\"{CUSTOM_REL}\" Target=\"{CUSTOM}\"/>"
        );
        edits.replaced.insert(
            RELS.to_string(),
            xml::append_children(&rels, root, "Relationships", &entry),
        );
    }
    Ok(())
}
