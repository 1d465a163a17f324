//! One streaming pass over an SVG document (quick-xml's tokenizer, nothing
//! re-serialised): where the root element opens and closes, its size
//! attributes, and the byte ranges of the label group and marks this
//! labeler wrote before, so they can be replaced without touching a byte of
//! anything else. Refuses what is unsafe to pass on or to label: entity
//! declarations (a bomb, or an external entity a renderer would fetch),
//! scripts (which could remove the label when shown), nesting past
//! [`MAX_DEPTH`], and anything that is not one well-formed `<svg>` root.

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use tanba_core::{Error, Limits, Result};

/// Deepest element nesting accepted: far beyond what editors write, and a
/// bound on the stack of the renderers the output goes to.
pub(crate) const MAX_DEPTH: usize = 1024;

/// The `id` of the label group this labeler writes.
pub(crate) const GROUP_ID: &str = "tanba-label";
/// The `id` of the `<metadata>` element this labeler writes.
pub(crate) const MARKS_ID: &str = "tanba-marks";

/// An element's attributes, raw (name, value as written).
pub(crate) type Attrs = Vec<(String, String)>;

/// What one pass found.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    /// The root's attributes.
    pub root: Attrs,
    /// The root start tag, `<svg …>` or `<svg …/>`.
    pub root_tag: Range<usize>,
    /// The root is written `<svg …/>` (no children, no end tag).
    pub self_closing: bool,
    /// Where the root's end tag starts (for a self-closing root, where its
    /// `/>` starts).
    pub close_at: usize,
    /// Byte ranges of our earlier group and metadata (children of the root).
    pub ours: Vec<Range<usize>>,
    /// Our `<metadata>` element, whose XMP packet carries the marks.
    pub marks: Option<Range<usize>>,
    /// Our label group, as found.
    pub group: Option<Group>,
    /// Our group is the root's last child element, so drawn on top.
    pub group_on_top: bool,
    /// Why a `<style>` sheet could hide the label: it names our group, or
    /// forces (`!important`, which outranks our inline styles) a property
    /// that hides.
    pub sheet_threat: Option<String>,
}

/// The label group as found in a document.
#[derive(Debug, Default)]
pub(crate) struct Group {
    /// Attributes of the group and each element in it, in order.
    pub elements: Vec<(String, Attrs)>,
    /// The text of each `<text>` element.
    pub texts: Vec<String>,
}

fn malformed(e: impl std::fmt::Display) -> Error {
    Error::malformed(format!("SVG does not parse as XML: {e}"))
}

fn attrs(e: &BytesStart<'_>) -> Result<Attrs> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(malformed)?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = String::from_utf8_lossy(&a.value).into_owned();
            Ok((key, value))
        })
        .collect()
}

/// The value of attribute `name` in `attrs`.
pub(crate) fn attr<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b':').next().unwrap_or(name)
}

/// Refuses a DOCTYPE that declares entities.
fn check_doctype(doctype: &[u8]) -> Result<()> {
    if memchr::memmem::find(doctype, b"<!ENTITY").is_some() {
        return Err(Error::unsupported(
            "SVG whose DOCTYPE declares entities: they can expand without bound or name an \
             external file a renderer would fetch, so it is not labelled",
        ));
    }
    Ok(())
}

/// Where in the document the pass is.
#[derive(Default)]
struct State {
    depth: usize,
    elements: u64,
    root_done: bool,
    /// Start offset of one of our elements being passed over, and whether
    /// it is the group (else the metadata).
    inside: Option<(usize, bool)>,
    last_child_was_group: bool,
    in_style: bool,
}

/// Scans `text` (already checked as UTF-8 and within `limits`).
pub(crate) fn scan(text: &str, limits: &Limits) -> Result<Doc> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut doc = Doc::default();
    let mut st = State::default();
    loop {
        let before = pos(&reader);
        let event = reader.read_event().map_err(malformed)?;
        let after = pos(&reader);
        match event {
            Event::Eof => break,
            Event::DocType(d) => check_doctype(&d)?,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                st.elements += 1;
                limits.check_objects(st.elements)?;
                open(&mut doc, &mut st, e, empty, before..after)?;
                if !empty {
                    st.depth += 1;
                    if st.depth > MAX_DEPTH {
                        return Err(Error::malformed(format!(
                            "SVG elements nest deeper than {MAX_DEPTH} levels"
                        )));
                    }
                } else {
                    let depth = st.depth + 1;
                    close(&mut doc, &mut st, after, depth);
                }
            }
            Event::End(_) => {
                let depth = st.depth;
                st.depth -= 1;
                st.in_style = false;
                if depth == 1 {
                    doc.close_at = before;
                    st.root_done = true;
                }
                close(&mut doc, &mut st, after, depth);
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(&t).into_owned();
                if st.depth == 0 && !raw.trim().is_empty() {
                    return Err(Error::malformed("SVG has text outside its root element"));
                }
                content(&mut doc, &st, &raw);
            }
            Event::CData(t) => content(&mut doc, &st, &String::from_utf8_lossy(&t)),
            _ => {}
        }
    }
    if st.depth != 0 {
        return Err(Error::malformed("SVG ends inside an element (truncated?)"));
    }
    if !st.root_done {
        return Err(Error::unsupported("XML whose root element is not <svg>"));
    }
    doc.group_on_top = st.last_child_was_group;
    Ok(doc)
}

fn pos(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// A start (or empty) tag at depth `st.depth`.
fn open(
    doc: &mut Doc,
    st: &mut State,
    e: &BytesStart<'_>,
    empty: bool,
    span: Range<usize>,
) -> Result<()> {
    let name = e.name();
    let local = local(name.as_ref());
    if st.depth == 0 {
        if st.root_done {
            return Err(Error::malformed("SVG has a second root element"));
        }
        if local != b"svg" {
            return Err(Error::unsupported("XML whose root element is not <svg>"));
        }
        doc.root = attrs(e)?;
        doc.root_tag = span.clone();
        doc.self_closing = empty;
        if empty {
            doc.close_at = span.end - 2;
            st.root_done = true;
        }
        return Ok(());
    }
    if local == b"script" {
        return Err(Error::unsupported(
            "SVG with a <script>: a script could hide the label when the picture is shown",
        ));
    }
    st.in_style = local == b"style";
    let a = attrs(e)?;
    if st.depth == 1 {
        st.last_child_was_group = false;
        let id = attr(&a, "id");
        if id == Some(GROUP_ID) || id == Some(MARKS_ID) {
            st.inside = Some((span.start, id == Some(GROUP_ID)));
            if id == Some(GROUP_ID) {
                doc.group = Some(Group::default());
            }
        }
    }
    if let (Some((_, true)), Some(g)) = (st.inside, doc.group.as_mut()) {
        g.elements
            .push((String::from_utf8_lossy(local).into_owned(), a));
        if local == b"text" {
            g.texts.push(String::new());
        }
    }
    Ok(())
}

/// The end of an element that was open at `depth`, ending at `after`.
fn close(doc: &mut Doc, st: &mut State, after: usize, depth: usize) {
    if depth != 2 {
        return;
    }
    if let Some((start, is_group)) = st.inside.take() {
        doc.ours.push(start..after);
        if !is_group {
            doc.marks = Some(start..after);
        }
        st.last_child_was_group = is_group;
    }
}

/// Character data at the current depth.
fn content(doc: &mut Doc, st: &State, raw: &str) {
    if st.in_style && doc.sheet_threat.is_none() {
        doc.sheet_threat = sheet_threat(raw);
    }
    if let (Some((_, true)), Some(g)) = (st.inside, &mut doc.group)
        && let Some(t) = g.texts.last_mut()
    {
        t.push_str(&unescape(raw));
    }
}

/// Properties that can hide or shrink the label.
const HIDING: [&str; 8] = [
    "display",
    "visibility",
    "opacity",
    "fill",
    "fill-opacity",
    "font-size",
    "transform",
    "clip-path",
];

/// Why the style sheet `css` could hide the label, if it could.
fn sheet_threat(css: &str) -> Option<String> {
    if css.contains("tanba") {
        return Some("a style sheet names the label group".to_string());
    }
    css.split(['{', '}', ';'])
        .filter(|d| d.contains("!important"))
        .find_map(|d| {
            let (prop, _) = d.split_once(':')?;
            HIDING
                .contains(&prop.trim())
                .then(|| format!("a style sheet forces {:?}", d.trim()))
        })
}

/// The five predefined entities and character references; anything else
/// is kept as written.
pub(crate) fn unescape(raw: &str) -> String {
    quick_xml::escape::unescape(raw)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| raw.to_string())
}
