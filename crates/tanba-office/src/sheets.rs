//! Spreadsheets: no cell is touched; the notice goes into every sheet's
//! header and footer, printed and shown in page view. XLSX: each
//! worksheet's `<headerFooter>` strings get the notice, bold, first in
//! their centre section, the sheet's own text kept after it. ODS: every
//! master page's `<style:header>` and `<style:footer>` get a first
//! paragraph in the notice style.

use quick_xml::escape::unescape;
use tanba_core::{Error, Label, Result};

use crate::container::{Edits, Package};
use crate::odf;
use crate::xml::{self, Span};

const BOLD_ON: &str = "&\"-,Bold\"";
const BOLD_OFF: &str = "&\"-,Regular\"";
/// The header and footer strings of a worksheet, in schema order.
const HF: [&str; 6] = [
    "oddHeader",
    "oddFooter",
    "evenHeader",
    "evenFooter",
    "firstHeader",
    "firstFooter",
];
/// Worksheet elements that come after `<headerFooter>`.
const AFTER_HF: [&[u8]; 15] = [
    b"rowBreaks",
    b"colBreaks",
    b"customProperties",
    b"cellWatches",
    b"ignoredErrors",
    b"smartTags",
    b"drawing",
    b"legacyDrawing",
    b"legacyDrawingHF",
    b"picture",
    b"oleObjects",
    b"controls",
    b"webPublishItems",
    b"tableParts",
    b"extLst",
];

/// A header or footer string split into its left, centre and right
/// sections (`&L`, `&C`, `&R`); text before any code is centred.
fn sections(code: &str) -> [String; 3] {
    let mut parts = [String::new(), String::new(), String::new()];
    let mut at = 1;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '&' {
            match chars.peek() {
                Some('L') => at = 0,
                Some('C') => at = 1,
                Some('R') => at = 2,
                Some(&next) => {
                    parts[at].push('&');
                    parts[at].push(next);
                }
                None => parts[at].push('&'),
            }
            chars.next();
            continue;
        }
        parts[at].push(c);
    }
    parts
}

fn join(parts: &[String; 3]) -> String {
    let mut out = String::new();
    for (code, part) in ["&L", "&C", "&R"].iter().zip(parts) {
        if !part.is_empty() {
            out.push_str(code);
            out.push_str(part);
        }
    }
    out
}

/// `centre` without a leading notice of ours (bold label lines, then a
/// line feed before the sheet's own text).
fn strip_notice(centre: &str, known: &dyn Fn(&str) -> bool) -> String {
    let Some(rest) = centre.strip_prefix(BOLD_ON) else {
        return centre.to_string();
    };
    let Some(end) = rest.find(BOLD_OFF) else {
        return centre.to_string();
    };
    let notice = rest[..end].replace("&&", "&");
    if !notice.split('\n').all(known) {
        return centre.to_string();
    }
    let after = &rest[end + BOLD_OFF.len()..];
    after.strip_prefix('\n').unwrap_or(after).to_string()
}

/// The header or footer string `code` with the notice first in its centre.
pub fn with_notice(code: &str, label: &Label, known: &dyn Fn(&str) -> bool) -> String {
    let mut parts = sections(code);
    let own = strip_notice(&parts[1], known);
    let lines: Vec<String> = label.texts().map(|t| t.replace('&', "&&")).collect();
    parts[1] = format!("{BOLD_ON}{}{BOLD_OFF}", lines.join("\n"));
    if !own.is_empty() {
        parts[1].push('\n');
        parts[1].push_str(&own);
    }
    join(&parts)
}

/// The worksheet parts, in name order.
fn sheet_parts(package: &Package<'_>) -> Vec<String> {
    let mut sheets: Vec<String> = package
        .entries()
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| {
            n.strip_prefix("xl/worksheets/sheet")
                .and_then(|rest| rest.strip_suffix(".xml"))
                .is_some_and(|num| !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    sheets.sort_by_key(|n| (n.len(), n.clone()));
    sheets
}

fn element(name: &str, code: &str) -> String {
    format!("<{name}>{}</{name}>", xml::escape(code))
}

/// A worksheet with the notice in each header and footer string.
fn xlsx_sheet(sheet: &[u8], label: &Label, known: &dyn Fn(&str) -> bool) -> Result<Vec<u8>> {
    let Some(whole) = xml::find(sheet, 0, "headerFooter", |_| true)? else {
        let root = xml::find(sheet, 0, "worksheet", |_| true)?
            .ok_or_else(|| Error::malformed("a worksheet without <worksheet>"))?;
        let (at, _) = xml::first_child(sheet, root, |n| !AFTER_HF.contains(&n))?;
        let new = format!(
            "<headerFooter>{}{}</headerFooter>",
            element("oddHeader", &with_notice("", label, known)),
            element("oddFooter", &with_notice("", label, known))
        );
        return Ok(xml::splice(sheet, at, &new));
    };
    // Edited on its own, so a big sheet is scanned once, not per string.
    let mut hf = sheet[whole.start..whole.end].to_vec();
    for name in HF {
        let Some(span) = find_in(&hf, hf_span(&hf)?, name)? else {
            continue;
        };
        let raw = String::from_utf8_lossy(&hf[span.inner..span.close]).into_owned();
        let code = unescape(&raw)
            .map_err(|e| Error::malformed(format!("a worksheet's {name} does not parse: {e}")))?;
        let new = element(name, &with_notice(&code, label, known));
        hf = xml::replace(&hf, span.start..span.end, &new);
    }
    let span = hf_span(&hf)?;
    if find_in(&hf, span, "oddHeader")?.is_none() {
        let new = element("oddHeader", &with_notice("", label, known));
        hf = if span.inner == span.end {
            xml::append_children(&hf, span, "headerFooter", &new)
        } else {
            xml::splice(&hf, span.inner, &new)
        };
    }
    let span = hf_span(&hf)?;
    if find_in(&hf, span, "oddFooter")?.is_none() {
        let header = find_in(&hf, span, "oddHeader")?.map_or(span.inner, |h| h.end);
        let new = element("oddFooter", &with_notice("", label, known));
        hf = xml::splice(&hf, header, &new);
    }
    let hf = String::from_utf8(hf)
        .map_err(|_| Error::malformed("a worksheet's <headerFooter> is not UTF-8"))?;
    Ok(xml::replace(sheet, whole.start..whole.end, &hf))
}

fn hf_span(hf: &[u8]) -> Result<Span> {
    xml::find(hf, 0, "headerFooter", |_| true)?
        .ok_or_else(|| Error::malformed("a worksheet lost its <headerFooter>"))
}

fn find_in(xml_bytes: &[u8], within: Span, name: &str) -> Result<Option<Span>> {
    xml::find(&xml_bytes[..within.close], within.inner, name, |_| true)
}

/// The notice on every worksheet, replacing ours.
pub fn xlsx_label(
    package: &mut Package<'_>,
    label: &Label,
    known: &dyn Fn(&str) -> bool,
    edits: &mut Edits,
) -> Result<()> {
    let parts = sheet_parts(package);
    if parts.is_empty() {
        return Err(Error::malformed(
            "a workbook without worksheets: nothing to label",
        ));
    }
    for part in parts {
        let sheet = package.read_xml(&part)?.unwrap_or_default();
        let sheet = xlsx_sheet(&sheet, label, known)?;
        edits.replaced.insert(part, sheet);
    }
    Ok(())
}

/// The header and footer strings of each worksheet, joined.
pub fn xlsx_texts(package: &mut Package<'_>) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for part in sheet_parts(package) {
        let sheet = package.read_xml(&part)?.unwrap_or_default();
        texts.push(match xml::find(&sheet, 0, "headerFooter", |_| true)? {
            Some(hf) => xml::text_of(&sheet[hf.start..hf.end], &[]),
            None => String::new(),
        });
    }
    Ok(texts)
}

/// Whether a worksheet's header or footer starts with a notice of ours.
pub fn xlsx_has_notice(package: &mut Package<'_>, known: &dyn Fn(&str) -> bool) -> Result<bool> {
    for text in xlsx_texts(package)? {
        let ours = text.match_indices(BOLD_ON).any(|(at, _)| {
            let rest = &text[at + BOLD_ON.len()..];
            rest.find(BOLD_OFF)
                .is_some_and(|end| rest[..end].split('\n').all(known))
        });
        if ours {
            return Ok(true);
        }
    }
    Ok(false)
}

fn ods_paragraph(label: &Label) -> String {
    format!(
        "<text:p text:style-name=\"{}\">{}</text:p>",
        odf::STYLE_NAME,
        odf::spans(label, "TanbaNotice")
    )
}

fn ours(e: &quick_xml::events::BytesStart<'_>) -> bool {
    xml::attr(e, "text:style-name").as_deref() == Some(odf::STYLE_NAME)
}

/// `styles` with the notice paragraph first in the header and footer of
/// every master page (made when missing), our earlier ones taken out.
fn ods_styles(styles: &[u8], label: &Label) -> Result<Vec<u8>> {
    let mut styles = styles.to_vec();
    while let Some(old) = xml::find(&styles, 0, "text:p", ours)? {
        styles = xml::replace(&styles, old.start..old.end, "");
    }
    let p = ods_paragraph(label);
    let mut from = 0;
    let mut pages = 0;
    while let Some(page) = xml::find(&styles, from, "style:master-page", |_| true)? {
        pages += 1;
        for (part, before) in [("style:header", 0), ("style:footer", 1)] {
            let page = xml::find(&styles, page.start, "style:master-page", |_| true)?
                .ok_or_else(|| Error::malformed("a master page went missing"))?;
            styles = match xml::find(&styles[..page.close], page.inner, part, |_| true)? {
                Some(hf) => in_header(&styles, hf, part, &p)?,
                None => {
                    let skip: &[&[u8]] = match before {
                        0 => &[],
                        _ => &[b"style:header", b"style:header-left", b"style:header-first"],
                    };
                    let (at, _) = xml::first_child(&styles, page, |n| skip.contains(&n))?;
                    let block = format!("<{part}>{p}</{part}>");
                    if page.inner == page.end {
                        xml::append_children(&styles, page, "style:master-page", &block)
                    } else {
                        xml::splice(&styles, at, &block)
                    }
                }
            };
        }
        let page = xml::find(&styles, from, "style:master-page", |_| true)?
            .ok_or_else(|| Error::malformed("a master page went missing"))?;
        from = page.end;
    }
    if pages == 0 {
        return Err(Error::malformed(format!("{}: no master page", odf::STYLES)));
    }
    Ok(styles)
}

/// A header or footer with our paragraph first: in its centre region when
/// it has regions, else before its first paragraph.
fn in_header(styles: &[u8], hf: Span, part: &str, p: &str) -> Result<Vec<u8>> {
    if hf.inner == hf.end {
        return Ok(xml::append_children(styles, hf, part, p));
    }
    let within = &styles[..hf.close];
    if let Some(centre) = xml::find(within, hf.inner, "style:region-center", |_| true)? {
        return Ok(if centre.inner == centre.end {
            xml::append_children(styles, centre, "style:region-center", p)
        } else {
            xml::splice(styles, centre.inner, p)
        });
    }
    if xml::find(within, hf.inner, "style:region-left", |_| true)?.is_some()
        || xml::find(within, hf.inner, "style:region-right", |_| true)?.is_some()
    {
        let left = xml::find(within, hf.inner, "style:region-left", |_| true)?;
        let at = left.map_or(hf.inner, |l| l.end);
        let block = format!("<style:region-center>{p}</style:region-center>");
        return Ok(xml::splice(styles, at, &block));
    }
    Ok(xml::splice(styles, hf.inner, p))
}

/// The notice in every master page's header and footer, its styles added.
pub fn ods_label(package: &mut Package<'_>, label: &Label, edits: &mut Edits) -> Result<()> {
    let styles = package
        .read_xml(odf::STYLES)?
        .ok_or_else(|| Error::malformed(format!("not a spreadsheet: no {}", odf::STYLES)))?;
    let mut styles = ods_styles(&styles, label)?;
    let lang: Vec<(String, String)> = label
        .lines
        .iter()
        .map(|l| odf::lang_style("TanbaNotice", &l.lang, ""))
        .collect();
    styles = odf::with_auto_styles(&styles, &lang)?;
    styles = odf::with_named_style(&styles)?;
    edits.replaced.insert(odf::STYLES.to_string(), styles);
    Ok(())
}

/// The text of the header and footer of each master page, joined.
pub fn ods_texts(package: &mut Package<'_>) -> Result<Vec<String>> {
    let styles = package.read_xml(odf::STYLES)?.unwrap_or_default();
    let mut texts = Vec::new();
    let mut from = 0;
    while let Some(page) = xml::find(&styles, from, "style:master-page", |_| true)? {
        let mut text = String::new();
        for part in ["style:header", "style:footer"] {
            if let Some(hf) = xml::find(&styles[..page.close], page.inner, part, |_| true)? {
                text.push_str(&xml::text_of(
                    &styles[hf.start..hf.end],
                    &["text:line-break"],
                ));
            }
        }
        texts.push(text);
        from = page.end;
    }
    Ok(texts)
}

/// Whether a master page carries our notice paragraph.
pub fn ods_has_notice(package: &mut Package<'_>) -> Result<bool> {
    let styles = package.read_xml(odf::STYLES)?.unwrap_or_default();
    Ok(xml::find(&styles, 0, "text:p", ours)?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(line: &str) -> bool {
        tanba_core::Lang::ALL
            .iter()
            .any(|l| l.long_text() == line || l.short_text() == line)
    }

    #[test]
    fn the_notice_goes_first_in_the_centre_and_keeps_the_rest() {
        let label = Label::default();
        let code = "&LCompany &&Co&C&\"DejaVu Serif,Book\"&12&A&RPage &P";
        let new = with_notice(code, &label, &known);
        let [left, centre, right] = sections(&new);
        assert_eq!(left, "Company &&Co");
        assert_eq!(right, "Page &P");
        assert!(centre.starts_with(BOLD_ON));
        assert!(
            centre.ends_with("\n&\"DejaVu Serif,Book\"&12&A"),
            "{centre}"
        );
        // Labelled again: the same string, never two notices.
        assert_eq!(with_notice(&new, &label, &known), new);
        assert_eq!(sections("plain")[1], "plain");
    }
}
