//! Reading a PDF's marks back and checking that every page the manifest
//! lists shows the label as text.

use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::{Document, Encoding, Object, ObjectId};
use tanba_core::{
    Label, Limits, Mark, MarkKind, PerceptibleCheck, Result, Source, Verification, read_all,
};

use crate::{MAX_PAGE_TEXT_BYTES, PDF, catalog_xmp, font, info_dict, label_texts, load};

/// The marks, the manifest and its signature, and the banner text on the
/// pages the manifest lists.
pub fn verify(mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
    let bytes = read_all(&mut source, limits)?;
    let loaded = load::load(&bytes, limits)?;
    let doc = &loaded.doc;
    let mut marks = Vec::new();
    if let Some(aigc) = info_dict(doc).and_then(|i| i.get(b"AIGC").ok()) {
        let valid = aigc
            .as_str()
            .ok()
            .map(|s| tanba_core::manifest::Aigc::from_json(&String::from_utf8_lossy(s)).is_ok())
            .unwrap_or(false);
        if valid {
            marks.push(Mark::new(MarkKind::Aigc, "PDF Info /AIGC"));
        }
    }
    let mut manifest = None;
    let mut problems = Vec::new();
    if let Some((_, text)) = catalog_xmp(doc)
        && let Some(packet) = tanba_core::xmp::find_packet(text.as_bytes())
    {
        match tanba_core::xmp::read(packet) {
            Ok(found) => {
                if found.digital_source_type.is_some() {
                    marks.push(Mark::new(MarkKind::Xmp, "PDF catalog /Metadata XMP"));
                }
                if found.aigc.is_some() {
                    marks.push(Mark::new(MarkKind::Aigc, "XMP TC260:AIGC"));
                }
                match found.parsed_manifest() {
                    Some(Ok(m)) => {
                        marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest"));
                        manifest = Some(m);
                    }
                    Some(Err(e)) => problems.push(format!("manifest unreadable: {e}")),
                    None => {}
                }
            }
            Err(e) => problems.push(format!("XMP unreadable: {e}")),
        }
    }
    if marks.is_empty() {
        let mut v = Verification::unmarked(
            &PDF,
            "no Tanba mark in the Info dictionary or the XMP packet",
        );
        v.perceptible.detail.push_str(
            &problems
                .iter()
                .map(|p| format!("; {p}"))
                .collect::<String>(),
        );
        return Ok(v);
    }
    let perceptible = check_pages(doc, manifest.as_ref());
    Ok(Verification::new(&PDF, marks, manifest, perceptible))
}

fn normalise_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that every page the manifest lists shows every label line as text.
fn check_pages(doc: &Document, manifest: Option<&tanba_core::Manifest>) -> PerceptibleCheck {
    let count = u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX);
    let (lines, pages) = match manifest {
        Some(m) => (
            m.label
                .lines
                .iter()
                .map(|l| l.text.clone())
                .collect::<Vec<_>>(),
            m.label
                .placement
                .pages
                .clone()
                .unwrap_or_else(|| (1..=count).collect()),
        ),
        None => (label_texts(&Label::default()), (1..=count).collect()),
    };
    let wanted: Vec<String> = lines
        .iter()
        .map(|l| normalise_space(&font::drawable(l)))
        .collect();
    let page_ids = doc.get_pages();
    let mut missing = Vec::new();
    for &page in &pages {
        let text = page_ids
            .get(&page)
            .map(|&id| page_text(doc, id))
            .unwrap_or_default();
        let text = normalise_space(&text);
        if !wanted.iter().all(|w| text.contains(w.as_str())) {
            missing.push(page);
        }
    }
    let found = missing.is_empty() && !pages.is_empty();
    let detail = if found {
        match pages.len() {
            1 => "label text extracted from the labelled page".to_string(),
            n => format!("label text extracted from all {n} labelled pages"),
        }
    } else {
        let list = |p: &[u32]| p.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        let noun = |n: usize| if n == 1 { "page" } else { "pages" };
        format!(
            "label text missing from {} {} of labelled {} {}",
            noun(missing.len()),
            list(&missing),
            noun(pages.len()),
            list(&pages)
        )
    };
    PerceptibleCheck::new(found, detail)
}

/// The text a page shows, read stream by stream as readers draw it: a
/// stream that does not decode or parse, or a font whose encoding cannot be
/// read, costs its own text and not that of the rest of the page.
fn page_text(doc: &Document, page: ObjectId) -> String {
    let encodings: BTreeMap<Vec<u8>, Encoding<'_>> = doc
        .get_page_fonts(page)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, font)| {
            let encoding = font.get_font_encoding_with_limit(doc, MAX_PAGE_TEXT_BYTES);
            Some((name, encoding.ok()?))
        })
        .collect();
    let mut text = String::new();
    let mut budget = MAX_PAGE_TEXT_BYTES;
    for id in doc.get_page_contents(page) {
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        let Ok(bytes) = stream.get_plain_content_with_limit(budget) else {
            continue;
        };
        budget = budget.saturating_sub(bytes.len());
        let Ok(content) = Content::decode(&bytes) else {
            continue;
        };
        let mut encoding = None;
        for operation in &content.operations {
            match operation.operator.as_str() {
                "Tf" => {
                    encoding = operation
                        .operands
                        .first()
                        .and_then(|name| name.as_name().ok())
                        .and_then(|name| encodings.get(name));
                }
                "Tj" | "TJ" | "'" | "\"" => {
                    if let Some(encoding) = encoding {
                        shown_text(&mut text, encoding, &operation.operands);
                    }
                }
                "ET" => text.push('\n'),
                _ => {}
            }
        }
    }
    text
}

/// Appends the strings among `operands` (or inside an array of them).
fn shown_text(text: &mut String, encoding: &Encoding<'_>, operands: &[Object]) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                if let Ok(decoded) = Document::decode_text(encoding, bytes) {
                    text.push_str(&decoded);
                }
            }
            Object::Array(items) => shown_text(text, encoding, items),
            _ => {}
        }
    }
}
