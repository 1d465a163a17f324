//! SVG: the label as real text on top of the picture, the marks as XMP in
//! `<metadata>`, every other byte of the document as it was.
//!
//! Rooms: `scan` (one tokenizer pass that finds the insertion points and
//! refuses unsafe documents), `canvas` (the user-space size), `draw` (the
//! label group and metadata as XML), `check` (verification). The metadata
//! is inserted as the root's first child and the label group just before
//! the root's end tag, so the group is the last thing drawn; a relabel
//! (`--force`, resume) removes the earlier ones first, so they never stack.

mod canvas;
mod check;
mod draw;
mod scan;

use tanba_core::{Error, Job, Labelled, Limits, Placement, Result, manifest::sha256_hex, xmp};

use crate::{ImageSettings, SVG};

pub(crate) use check::verify;

/// Whether `head` is an SVG document: after an optional BOM, XML
/// declaration, comments, processing instructions and DOCTYPE, the root
/// element is `<svg` (with or without a prefix).
pub(crate) fn sniff(head: &[u8]) -> bool {
    let mut t = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    loop {
        t = t.trim_ascii_start();
        let end: &[u8] = if t.starts_with(b"<?") {
            b"?>"
        } else if t.starts_with(b"<!--") {
            b"-->"
        } else if t.starts_with(b"<!DOCTYPE") {
            // An internal subset ends with `]>`, a plain DOCTYPE with `>`.
            if memchr::memchr(b'[', t).is_some_and(|b| memchr::memchr(b'>', t) > Some(b)) {
                b"]>"
            } else {
                b">"
            }
        } else {
            break;
        };
        match memchr::memmem::find(t, end) {
            Some(i) => t = &t[i + end.len()..],
            None => return false,
        }
    }
    let Some(rest) = t.strip_prefix(b"<") else {
        return false;
    };
    let name_len = rest
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    name_len < rest.len() && (name == b"svg" || name.ends_with(b":svg"))
}

/// The document as text, within the limits and in an encoding the label
/// can be written in.
fn text<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str> {
    limits.check_bytes(bytes.len() as u64)?;
    limits.check_text_bytes(bytes.len() as u64)?;
    let head = bytes.get(..200).unwrap_or(bytes);
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if let Some(decl) = head.strip_prefix(b"<?xml")
        && let Some(end) = memchr::memmem::find(decl, b"?>")
        && let Some(at) = memchr::memmem::find(&decl[..end], b"encoding")
    {
        let enc = String::from_utf8_lossy(&decl[at + 8..end]).to_ascii_lowercase();
        let enc = enc.trim_start_matches([' ', '=', '"', '\'']);
        if !(enc.starts_with("utf-8") || enc.starts_with("us-ascii")) {
            return Err(Error::unsupported(
                "SVG declared in an encoding other than UTF-8: the label's text could not be \
                 written in it",
            ));
        }
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::malformed(format!("SVG is not valid UTF-8: {e}")))?;
    Ok(text)
}

/// Labels an SVG document; `notes` already holds the caller's remarks.
pub(crate) fn label(
    bytes: &[u8],
    job: &Job,
    settings: &ImageSettings,
    mut notes: Vec<String>,
) -> Result<(Vec<u8>, Labelled)> {
    let text = text(bytes, &job.limits)?;
    let doc = scan::scan(text, &job.limits)?;
    let earlier = doc
        .marks
        .as_ref()
        .and_then(|r| xmp::find_packet(&bytes[r.clone()]))
        .map(xmp::read)
        .transpose()?;
    if earlier.as_ref().is_some_and(|m| m.manifest.is_some()) || doc.group.is_some() {
        if !job.force {
            return Err(Error::already_labelled());
        }
        notes.push("relabelled: the earlier label and marks were replaced".to_string());
    }
    if scan::attr(&doc.root, "transform").is_some() {
        // SVG 2 lets the root carry one; it would move or shrink the label.
        return Err(Error::unsupported(
            "SVG whose root <svg> has a transform: it would apply to the label too",
        ));
    }
    let canvas = canvas::canvas(&doc.root)?;
    let layout = draw::lay_out(
        canvas,
        &settings.font,
        &job.label,
        job.position,
        &settings.style,
    )?;
    let mut placement = Placement::at(job.position.name());
    // User units from the visible rectangle's top-left corner (a viewBox
    // may start at negative coordinates; the region cannot).
    let [x, y, w, h] = layout.rect;
    let region = [x - canvas.x, y - canvas.y, w, h];
    placement.region = Some(region.map(|v| v.max(0.0).round() as u32));
    placement.text_size = Some(layout.font_size as f32);
    let mut job = job.clone();
    if job.source_sha256.is_none() {
        job.source_sha256 = Some(sha256_hex(bytes));
    }
    let manifest = job.manifest(SVG.mime, placement);
    if job.watermark.is_some() {
        notes.push(
            "no watermark: SVG is vector markup with no pixels to carry one (its XMP marks and \
             label remain)"
                .to_string(),
        );
    }
    let metadata = draw::metadata_xml(&xmp::packet(&manifest));
    let group = draw::group_xml(&layout, &settings.style);
    let out = splice(text, &doc, &metadata, &group);
    Ok((
        out.into_bytes(),
        Labelled::new(&SVG, manifest).with_notes(notes),
    ))
}

/// The document with our earlier elements cut out, `metadata` placed as
/// the root's first child (where naive XMP scanners such as exiftool's
/// find it before any comment can confuse them) and `group` as its last
/// (drawn on top); every other byte as it was.
fn splice(text: &str, doc: &scan::Doc, metadata: &str, group: &str) -> String {
    let mut edits: Vec<(usize, usize, String)> = doc
        .ours
        .iter()
        .map(|r| (r.start, r.end, String::new()))
        .collect();
    if doc.self_closing {
        // `<svg …/>` becomes `<svg …>…</svg>`: the one change to its tag.
        let all = format!(">{metadata}{group}</svg>");
        edits.push((doc.close_at, doc.close_at + 2, all));
    } else {
        edits.push((doc.root_tag.end, doc.root_tag.end, metadata.to_string()));
        edits.push((doc.close_at, doc.close_at, group.to_string()));
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(text.len() + metadata.len() + group.len() + 8);
    let mut at = 0;
    for (start, end, with) in edits {
        out.push_str(&text[at..start]);
        out.push_str(&with);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_root_element() {
        assert!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
        assert!(sniff(
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- made -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\">\n<svg\n width=\"1\">"
        ));
        assert!(sniff(b"<!DOCTYPE svg [<!ENTITY a \"b\">]><svg>"));
        assert!(sniff(b"<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\">"));
        assert!(!sniff(b"<svgx>"));
        assert!(!sniff(b"<html><svg>"));
        assert!(!sniff(b"<!-- never ends <svg>"));
        assert!(!sniff(b"hello <svg>"));
    }
}
