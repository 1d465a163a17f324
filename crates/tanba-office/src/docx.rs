//! DOCX: the notice as the body's first paragraph, in its own bold style
//! `TanbaAINotice`, one run per label line with its language.

use tanba_core::{Error, Label, Result};

use crate::container::{Edits, Package};
use crate::xml::{self, Span};

const DOCUMENT: &str = "word/document.xml";
const STYLES: &str = "word/styles.xml";
/// The id of the notice's paragraph style.
pub const STYLE_ID: &str = "TanbaAINotice";

fn style_ref() -> String {
    format!("<w:pStyle w:val=\"{STYLE_ID}\"/>")
}

/// The notice paragraph: bold runs, one per line, each with its language,
/// separated by line breaks.
fn paragraph(label: &Label) -> String {
    let mut p = format!(
        "<w:p><w:pPr>{}<w:rPr><w:b/><w:bCs/></w:rPr></w:pPr>",
        style_ref()
    );
    for (i, line) in label.lines.iter().enumerate() {
        let br = if i > 0 { "<w:br/>" } else { "" };
        p.push_str(&format!(
            "<w:r><w:rPr><w:b/><w:bCs/><w:lang w:val=\"{lang}\" w:eastAsia=\"{lang}\" \
             w:bidi=\"{lang}\"/></w:rPr>{br}<w:t xml:space=\"preserve\">{text}</w:t></w:r>",
            lang = xml::escape(&line.lang),
            text = xml::escape(&line.text),
        ));
    }
    p.push_str("</w:p>");
    p
}

fn style() -> String {
    format!(
        "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"{STYLE_ID}\">\
         <w:name w:val=\"Tanba AI notice\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:spacing w:after=\"240\"/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr></w:style>"
    )
}

fn body(document: &[u8]) -> Result<Span> {
    xml::find(document, 0, "w:body", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{DOCUMENT}: no <w:body>")))
}

/// The body's first paragraph, if the body starts with one.
fn first_paragraph(document: &[u8]) -> Result<Option<Span>> {
    let body = body(document)?;
    let (at, name) = xml::first_child(document, body, |_| false)?;
    if name.as_deref() != Some(b"w:p") {
        return Ok(None);
    }
    xml::find(document, at, "w:p", |_| true)
}

/// Whether the document starts with our notice paragraph.
fn starts_with_notice(document: &[u8]) -> Result<Option<Span>> {
    let Some(p) = first_paragraph(document)? else {
        return Ok(None);
    };
    let tag = style_ref();
    let inner = &document[p.inner..p.close];
    Ok(inner
        .windows(tag.len())
        .any(|w| w == tag.as_bytes())
        .then_some(p))
}

/// The text of the body's first paragraph (empty when there is none).
pub fn first_text(package: &mut Package<'_>) -> Result<String> {
    let document = read_document(package)?;
    Ok(match first_paragraph(&document)? {
        Some(p) => xml::text_of(&document[p.start..p.end], &["w:br"]),
        None => String::new(),
    })
}

/// Whether the document already starts with our notice.
pub fn has_notice(package: &mut Package<'_>) -> Result<bool> {
    let document = read_document(package)?;
    Ok(starts_with_notice(&document)?.is_some())
}

fn read_document(package: &mut Package<'_>) -> Result<Vec<u8>> {
    package
        .read_xml(DOCUMENT)?
        .ok_or_else(|| Error::malformed(format!("not a Word document: no {DOCUMENT}")))
}

/// Puts the notice paragraph first (replacing an earlier one of ours) and
/// its style into `styles.xml` when the package has one without it.
pub fn label(package: &mut Package<'_>, label: &Label, edits: &mut Edits) -> Result<()> {
    let mut document = read_document(package)?;
    if let Some(old) = starts_with_notice(&document)? {
        document = xml::replace(&document, old.start..old.end, "");
    }
    let at = body(&document)?.inner;
    edits.replaced.insert(
        DOCUMENT.to_string(),
        xml::splice(&document, at, &paragraph(label)),
    );
    if let Some(styles) = package.read_xml(STYLES)? {
        let has = String::from_utf8_lossy(&styles).contains(&format!("w:styleId=\"{STYLE_ID}\""));
        if !has {
            let root = xml::find(&styles, 0, "w:styles", |_| true)?
                .ok_or_else(|| Error::malformed(format!("{STYLES}: no <w:styles>")))?;
            edits.replaced.insert(
                STYLES.to_string(),
                xml::append_children(&styles, root, "w:styles", &style()),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paragraph_has_a_run_per_language() {
        let p = paragraph(&Label::default());
        assert_eq!(p.matches("<w:r>").count(), 2);
        assert!(p.contains("w:lang w:val=\"kk\""));
        assert!(p.contains("w:lang w:val=\"ru\""));
        let text = xml::text_of(p.as_bytes(), &["w:br"]);
        assert!(text.contains("Жасанды интеллект көмегімен жасалған\nСоздано"));
    }
}
