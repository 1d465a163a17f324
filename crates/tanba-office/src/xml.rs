//! XML parts, edited by splicing: quick-xml finds byte offsets, and every
//! byte outside the inserted or removed element stays as it was.
//!
//! quick-xml never expands entities (it reports `&name;` as text and does
//! not read a DTD), so a billion-laughs file cannot grow in memory here;
//! we still refuse a DTD with an internal subset, which none of these
//! formats uses, so that no other reader of our output expands one either.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use tanba_core::{Error, Result};

fn parse_error(part: &str, e: impl std::fmt::Display) -> Error {
    Error::malformed(format!("{part}: XML does not parse: {e}"))
}

/// Refuses `bytes` (the part `part`) when it nests deeper than `max_depth`,
/// declares entities, or does not parse.
pub fn check(bytes: &[u8], part: &str, max_depth: usize) -> Result<()> {
    let mut reader = Reader::from_reader(bytes);
    let mut depth = 0usize;
    loop {
        match reader.read_event().map_err(|e| parse_error(part, e))? {
            Event::Start(_) => {
                depth += 1;
                if depth > max_depth {
                    return Err(Error::malformed(format!(
                        "{part}: XML nested deeper than {max_depth} elements"
                    )));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::DocType(t) => {
                let t = String::from_utf8_lossy(&t);
                if t.contains('[') || t.contains("ENTITY") {
                    return Err(Error::malformed(format!(
                        "{part}: a DTD with entity declarations (a billion-laughs bomb \
                         for readers that expand them) is refused"
                    )));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// A reader over a slice that may start or end mid-document: end tags
/// are matched by our own depth count, not by the reader.
fn partial(bytes: &[u8]) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = false;
    reader.config_mut().allow_unmatched_ends = true;
    reader
}

/// `s` escaped for element text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Where an element is: its `<`, the end of its start tag, and the end
/// of its end tag (the same as the start tag's for an empty element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The `<` of the start tag.
    pub start: usize,
    /// Just past the start tag's `>`.
    pub inner: usize,
    /// Just before the end tag's `<` (`inner` for an empty element).
    pub close: usize,
    /// Just past the end tag.
    pub end: usize,
}

/// The first element named `qname` (with its prefix, as written) that
/// `accept` takes, from byte `from` on.
pub fn find(
    xml: &[u8],
    from: usize,
    qname: &str,
    accept: impl Fn(&BytesStart<'_>) -> bool,
) -> Result<Option<Span>> {
    let mut reader = partial(&xml[from..]);
    loop {
        let before = from + reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| parse_error(qname, e))?;
        let after = from + reader.buffer_position() as usize;
        match event {
            Event::Start(e) if e.name().as_ref() == qname.as_bytes() && accept(&e) => {
                let (close, end) = close_of(xml, after, qname)?;
                return Ok(Some(Span {
                    start: before,
                    inner: after,
                    close,
                    end,
                }));
            }
            Event::Empty(e) if e.name().as_ref() == qname.as_bytes() && accept(&e) => {
                return Ok(Some(Span {
                    start: before,
                    inner: after,
                    close: after,
                    end: after,
                }));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// The end tag that closes an element whose content starts at `inner`:
/// where it starts and ends.
fn close_of(xml: &[u8], inner: usize, qname: &str) -> Result<(usize, usize)> {
    let mut reader = partial(&xml[inner..]);
    let mut depth = 0usize;
    loop {
        let before = inner + reader.buffer_position() as usize;
        match reader.read_event().map_err(|e| parse_error(qname, e))? {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => {
                return Ok((before, inner + reader.buffer_position() as usize));
            }
            Event::End(_) => depth -= 1,
            Event::Eof => {
                return Err(Error::malformed(format!("<{qname}> is never closed")));
            }
            _ => {}
        }
    }
}

/// The first child element of the element whose content is
/// `span.inner..span.close` that `skip` does not pass over: where it
/// starts, and its name. `None` when every child is skipped.
pub fn first_child(
    xml: &[u8],
    span: Span,
    skip: impl Fn(&[u8]) -> bool,
) -> Result<(usize, Option<Vec<u8>>)> {
    let body = &xml[..span.close];
    let mut at = span.inner;
    loop {
        let mut reader = partial(&body[at..]);
        let before = at + reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| parse_error("child", e))?;
        let after = at + reader.buffer_position() as usize;
        let name = match &event {
            Event::Start(e) | Event::Empty(e) => e.name().as_ref().to_vec(),
            Event::Eof => return Ok((span.close, None)),
            _ => {
                at = after;
                continue;
            }
        };
        if !skip(&name) {
            return Ok((before, Some(name)));
        }
        at = match event {
            Event::Start(_) => close_of(xml, after, &String::from_utf8_lossy(&name))?.1,
            _ => after,
        };
    }
}

/// The value of attribute `key` (as written, with its prefix), unescaped.
pub fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// The text of an XML fragment: its text nodes unescaped, and a line feed
/// for each element named in `breaks` (line breaks, paragraph ends).
pub fn text_of(fragment: &[u8], breaks: &[&str]) -> String {
    let mut reader = partial(fragment);
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Text(t)) => match t.unescape() {
                Ok(s) => text.push_str(&s),
                Err(_) => text.push_str(&String::from_utf8_lossy(&t)),
            },
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::Empty(e)) if is_break(e.name().as_ref(), breaks) => text.push('\n'),
            Ok(Event::End(e)) if is_break(e.name().as_ref(), breaks) => text.push('\n'),
            Ok(Event::Eof) | Err(_) => return text,
            _ => {}
        }
    }
}

fn is_break(name: &[u8], breaks: &[&str]) -> bool {
    breaks.iter().any(|b| b.as_bytes() == name)
}

/// `xml` with `insert` at byte `at`.
pub fn splice(xml: &[u8], at: usize, insert: &str) -> Vec<u8> {
    replace(xml, at..at, insert)
}

/// `xml` with the bytes of `range` replaced by `with`.
pub fn replace(xml: &[u8], range: std::ops::Range<usize>, with: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(xml.len() + with.len());
    out.extend_from_slice(&xml[..range.start]);
    out.extend_from_slice(with.as_bytes());
    out.extend_from_slice(&xml[range.end..]);
    out
}

/// Puts `children` at the end of the element at `span`, turning an empty
/// element (`<a/>`) into a full one.
pub fn append_children(xml: &[u8], span: Span, qname: &str, children: &str) -> Vec<u8> {
    if span.close == span.inner && span.end == span.inner {
        let tag = String::from_utf8_lossy(&xml[span.start..span.inner]);
        let open = tag.trim_end_matches('>').trim_end().trim_end_matches('/');
        let full = format!("{open}>{children}</{qname}>");
        return replace(xml, span.start..span.end, &full);
    }
    splice(xml, span.close, children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_xml_and_entity_declarations_are_refused() {
        let deep = format!("{}{}", "<a>".repeat(300), "</a>".repeat(300));
        let e = check(deep.as_bytes(), "x.xml", 256).unwrap_err();
        assert_eq!(e.kind_name(), "malformed");
        assert!(check(deep.as_bytes(), "x.xml", 400).is_ok());
        let lol = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;\">]><l>&b;</l>";
        assert_eq!(
            check(lol.as_bytes(), "x.xml", 9).unwrap_err().kind_name(),
            "malformed"
        );
        assert!(check(b"<!DOCTYPE html><html/>", "x", 9).is_ok());
    }

    #[test]
    fn finds_spans_and_appends_children() {
        let xml = b"<r><a x=\"1\"/><b><a x=\"2\">t</a></b></r>";
        let span = find(xml, 0, "a", |e| attr(e, "x").as_deref() == Some("2"))
            .unwrap()
            .unwrap();
        assert_eq!(&xml[span.start..span.end], b"<a x=\"2\">t</a>");
        assert_eq!(&xml[span.inner..span.close], b"t");
        let empty = find(xml, 0, "a", |_| true).unwrap().unwrap();
        let out = append_children(xml, empty, "a", "<c/>");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .starts_with("<r><a x=\"1\"><c/></a><b>")
        );
        let r = find(xml, 0, "r", |_| true).unwrap().unwrap();
        let (at, name) = first_child(xml, r, |n| n == b"a").unwrap();
        assert_eq!(name.as_deref(), Some(&b"b"[..]));
        assert_eq!(&xml[at..at + 3], b"<b>");
    }
}
