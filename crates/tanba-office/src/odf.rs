//! OpenDocument: the marks as `meta:user-defined` fields of `meta.xml`,
//! the encryption check, and ODT's notice paragraph, first in
//! `<office:text>` after the declarations that must come first.

use quick_xml::Reader;
use quick_xml::events::Event;
use tanba_core::{Error, Label, Manifest, Result};

use crate::container::{Edits, Package};
use crate::marks::{self, Found};
use crate::xml::{self, Span};

const META: &str = "meta.xml";
pub const CONTENT: &str = "content.xml";
pub const STYLES: &str = "styles.xml";
const MANIFEST: &str = "META-INF/manifest.xml";
/// The notice's paragraph style, as ODF encodes "Tanba AI notice".
pub const STYLE_NAME: &str = "Tanba_20_AI_20_notice";
/// Elements `<office:text>` holds before its first paragraph.
const PRELUDE: [&[u8]; 10] = [
    b"office:forms",
    b"text:tracked-changes",
    b"text:variable-decls",
    b"text:sequence-decls",
    b"text:user-field-decls",
    b"text:dde-connection-decls",
    b"text:alphabetical-index-auto-mark-file",
    b"table:calculation-settings",
    b"table:content-validations",
    b"table:label-ranges",
];

/// Refuses a package whose manifest records encrypted parts.
pub fn refuse_encrypted(package: &mut Package<'_>) -> Result<()> {
    if let Some(manifest) = package.read_xml(MANIFEST)?
        && String::from_utf8_lossy(&manifest).contains("encryption-data")
    {
        return Err(Error::encrypted(
            "an OpenDocument file saved with a password (its manifest lists \
             encryption-data): remove the password first",
        ));
    }
    Ok(())
}

/// Our fields in `meta.xml`.
pub fn read_marks(package: &mut Package<'_>) -> Result<Found> {
    let mut found = Found::default();
    let Some(meta) = package.read_xml(META)? else {
        return Ok(found);
    };
    let mut reader = Reader::from_reader(meta.as_slice());
    let mut current: Option<String> = None;
    let mut value = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == b"meta:user-defined" => {
                current = xml::attr(&e, "meta:name");
                value.clear();
            }
            Ok(Event::Text(t)) if current.is_some() => {
                value.push_str(&t.unescape().map_err(|e| {
                    Error::malformed(format!("{META}: a user-defined field does not parse: {e}"))
                })?);
            }
            Ok(Event::End(e)) if e.name().as_ref() == b"meta:user-defined" => {
                if let Some(name) = current.take() {
                    found.take(&name, std::mem::take(&mut value));
                }
            }
            Ok(Event::Eof) => return Ok(found),
            Err(e) => return Err(Error::malformed(format!("{META}: {e}"))),
            _ => {}
        }
    }
}

fn fields(manifest: &Manifest) -> String {
    marks::values(manifest)
        .iter()
        .map(|(key, json)| {
            format!(
                "<meta:user-defined meta:name=\"{key}\" meta:value-type=\"string\">{}</meta:user-defined>",
                xml::escape(json)
            )
        })
        .collect()
}

/// Puts the manifest's fields into `meta.xml` (replacing ours), or a new
/// `meta.xml` listed in the package manifest when there was none.
pub fn write_marks(
    package: &mut Package<'_>,
    manifest: &Manifest,
    edits: &mut Edits,
) -> Result<()> {
    let Some(mut meta) = package.read_xml(META)? else {
        let new = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta \
             xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
             xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" \
             office:version=\"1.2\"><office:meta>{}</office:meta></office:document-meta>",
            fields(manifest)
        );
        edits.added.push((META.to_string(), new.into_bytes()));
        let list = package
            .read_xml(MANIFEST)?
            .ok_or_else(|| Error::malformed(format!("not an OpenDocument file: no {MANIFEST}")))?;
        let root = xml::find(&list, 0, "manifest:manifest", |_| true)?
            .ok_or_else(|| Error::malformed(format!("{MANIFEST}: no <manifest:manifest>")))?;
        let entry = "<manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/>";
        let list = xml::append_children(&list, root, "manifest:manifest", entry);
        edits.replaced.insert(MANIFEST.to_string(), list);
        return Ok(());
    };
    while let Some(old) = xml::find(&meta, 0, "meta:user-defined", |e| {
        xml::attr(e, "meta:name").is_some_and(|n| marks::is_ours(&n))
    })? {
        meta = xml::replace(&meta, old.start..old.end, "");
    }
    let root = xml::find(&meta, 0, "office:meta", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{META}: no <office:meta>")))?;
    let meta = xml::append_children(&meta, root, "office:meta", &fields(manifest));
    edits.replaced.insert(META.to_string(), meta);
    Ok(())
}

/// The text style of one label line, named `{prefix}_{lang}`.
pub fn lang_style_name(prefix: &str, lang: &str) -> String {
    let safe: String = lang
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{safe}")
}

/// An automatic text style for one label line: bold, in its language,
/// with `extra` text properties.
pub fn lang_style(prefix: &str, lang: &str, extra: &str) -> (String, String) {
    let mut parts = lang.split('-');
    let mut props = format!(
        "fo:font-weight=\"bold\" style:font-weight-asian=\"bold\" \
         style:font-weight-complex=\"bold\" fo:language=\"{}\"{extra}",
        xml::escape(parts.next().unwrap_or_default())
    );
    for part in parts {
        match part.len() {
            4 => props.push_str(&format!(" fo:script=\"{}\"", xml::escape(part))),
            2 => props.push_str(&format!(" fo:country=\"{}\"", xml::escape(part))),
            _ => {}
        }
    }
    let name = lang_style_name(prefix, lang);
    let style = format!(
        "<style:style style:name=\"{name}\" style:family=\"text\"><style:text-properties {props}/></style:style>"
    );
    (name, style)
}

/// The label's lines as spans of their language styles, split by line breaks.
pub fn spans(label: &Label, prefix: &str) -> String {
    let spans: Vec<String> = label
        .lines
        .iter()
        .map(|l| {
            format!(
                "<text:span text:style-name=\"{}\">{}</text:span>",
                lang_style_name(prefix, &l.lang),
                xml::escape(&l.text)
            )
        })
        .collect();
    spans.join("<text:line-break/>")
}

fn paragraph(label: &Label) -> String {
    format!(
        "<text:p text:style-name=\"{STYLE_NAME}\">{}</text:p>",
        spans(label, "TanbaNotice")
    )
}

fn named_style() -> String {
    format!(
        "<style:style style:name=\"{STYLE_NAME}\" style:display-name=\"Tanba AI notice\" \
         style:family=\"paragraph\" style:class=\"text\"><style:paragraph-properties \
         fo:margin-bottom=\"0.25cm\"/><style:text-properties fo:font-weight=\"bold\" \
         style:font-weight-asian=\"bold\" style:font-weight-complex=\"bold\"/></style:style>"
    )
}

/// `content.xml`, which every OpenDocument file has.
pub fn read_content(package: &mut Package<'_>) -> Result<Vec<u8>> {
    package
        .read_xml(CONTENT)?
        .ok_or_else(|| Error::malformed(format!("not an OpenDocument file: no {CONTENT}")))
}

/// Where the first paragraph goes, and the first element there (if any).
fn text_start(content: &[u8]) -> Result<(usize, Option<Vec<u8>>)> {
    let text = xml::find(content, 0, "office:text", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{CONTENT}: no <office:text>")))?;
    xml::first_child(content, text, |name| PRELUDE.contains(&name))
}

/// Our notice paragraph, when the text starts with it.
fn our_paragraph(content: &[u8]) -> Result<Option<Span>> {
    let (at, name) = text_start(content)?;
    if name.as_deref() != Some(b"text:p") {
        return Ok(None);
    }
    let p = xml::find(content, at, "text:p", |_| true)?;
    let ours = |s: &Span| {
        let tag = String::from_utf8_lossy(&content[s.start..s.inner]);
        tag.contains(&format!("text:style-name=\"{STYLE_NAME}\""))
    };
    Ok(p.filter(ours))
}

/// The text of the first paragraph of the text.
pub fn first_text(package: &mut Package<'_>) -> Result<String> {
    let content = read_content(package)?;
    let (at, name) = text_start(&content)?;
    if name.as_deref() != Some(b"text:p") && name.as_deref() != Some(b"text:h") {
        return Ok(String::new());
    }
    let qname = String::from_utf8_lossy(name.as_deref().unwrap_or_default()).into_owned();
    Ok(match xml::find(&content, at, &qname, |_| true)? {
        Some(p) => xml::text_of(&content[p.start..p.end], &["text:line-break"]),
        None => String::new(),
    })
}

/// Whether the text starts with our notice.
pub fn has_notice(package: &mut Package<'_>) -> Result<bool> {
    Ok(our_paragraph(&read_content(package)?)?.is_some())
}

/// Puts the notice paragraph first in the text (replacing ours), its
/// language styles in `content.xml` and its named style in `styles.xml`.
pub fn label_text(package: &mut Package<'_>, label: &Label, edits: &mut Edits) -> Result<()> {
    let mut content = read_content(package)?;
    if let Some(old) = our_paragraph(&content)? {
        content = xml::replace(&content, old.start..old.end, "");
    }
    let (at, _) = text_start(&content)?;
    content = xml::splice(&content, at, &paragraph(label));
    let styles: Vec<(String, String)> = label
        .lines
        .iter()
        .map(|l| lang_style("TanbaNotice", &l.lang, ""))
        .collect();
    content = with_auto_styles(&content, &styles)?;
    edits.replaced.insert(CONTENT.to_string(), content);
    if let Some(styles) = package.read_xml(STYLES)? {
        let named = with_named_style(&styles)?;
        if named != styles {
            edits.replaced.insert(STYLES.to_string(), named);
        }
    }
    Ok(())
}

/// `styles` with the notice's named paragraph style, when it has
/// `<office:styles>` without it.
pub fn with_named_style(styles: &[u8]) -> Result<Vec<u8>> {
    let has = String::from_utf8_lossy(styles).contains(&format!("style:name=\"{STYLE_NAME}\""));
    Ok(
        match (has, xml::find(styles, 0, "office:styles", |_| true)?) {
            (false, Some(root)) => {
                xml::append_children(styles, root, "office:styles", &named_style())
            }
            _ => styles.to_vec(),
        },
    )
}

/// `content` with each automatic style of `styles` (name, XML) that it
/// does not have yet.
pub fn with_auto_styles(content: &[u8], styles: &[(String, String)]) -> Result<Vec<u8>> {
    let text = String::from_utf8_lossy(content);
    let mut missing = String::new();
    for (name, style) in styles {
        let named = format!("style:name=\"{name}\"");
        if !text.contains(&named) && !missing.contains(&named) {
            missing.push_str(style);
        }
    }
    if missing.is_empty() {
        return Ok(content.to_vec());
    }
    if let Some(auto) = xml::find(content, 0, "office:automatic-styles", |_| true)? {
        return Ok(xml::append_children(
            content,
            auto,
            "office:automatic-styles",
            &missing,
        ));
    }
    // In content.xml they come before the body, in styles.xml before
    // the master pages.
    let next = match xml::find(content, 0, "office:body", |_| true)? {
        Some(body) => Some(body),
        None => xml::find(content, 0, "office:master-styles", |_| true)?,
    }
    .ok_or_else(|| Error::malformed("no <office:body> or <office:master-styles>"))?;
    let block = format!("<office:automatic-styles>{missing}</office:automatic-styles>");
    Ok(xml::splice(content, next.start, &block))
}
