//! Which text files the labeler takes. Only prose gets a notice: Markdown,
//! HTML and subtitles by content or name, plain text by name. Structured
//! text (JSON, XML, CSV, YAML, source code, logs, `Makefile`, `.env` …) is
//! left alone, since a notice line or a footer would break it. SVG is
//! neither taken nor declined: it is a picture, and the image labeler
//! labels it.

use std::path::Path;

use tanba_core::Format;

use crate::{HTML, MARKDOWN, PLAIN, SRT, TextSettings, VTT, encoding};

/// The reason [`crate::TextLabeler`] gives for text it does not take.
pub const STRUCTURED_TEXT: &str = "structured text: a notice would break it";

/// What the name says about a text file.
enum Name {
    /// No name: bytes from a caller who vouches that they are prose.
    Unnamed,
    /// One of our extensions, or no extension.
    Ours,
    /// Another extension (`json`, `xml`, `py` …), or none at all.
    Other,
}

fn extension(name: &Path) -> Option<String> {
    name.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// The format of `head`, or `None` when it is not text this labeler takes.
pub fn sniff(head: &[u8], name: Option<&Path>, settings: &TextSettings) -> Option<&'static Format> {
    if !encoding::looks_like_text(head) {
        return None;
    }
    let ext = name.and_then(extension);
    let plain = ext.as_deref().is_some_and(|e| settings.claims_extension(e));
    let known = ext.as_deref().is_some_and(|e| {
        plain
            || [&MARKDOWN, &HTML, &SRT, &VTT]
                .iter()
                .any(|f| f.extensions.contains(&e))
    });
    let kind = match (name, &ext) {
        (None, _) => Name::Unnamed,
        (Some(_), Some(_)) if known => Name::Ours,
        (Some(_), None) => Name::Ours,
        (Some(_), Some(_)) => Name::Other,
    };
    let text = head_text(head);
    let trimmed = text.trim_start();
    if is_svg(trimmed) {
        return None;
    }
    if trimmed.starts_with("WEBVTT") {
        return Some(&VTT);
    }
    if is_srt(trimmed) {
        return Some(&SRT);
    }
    // HTML by content only where the name does not say otherwise: an
    // XHTML page saved as `.xml` or a `.php` template is not ours.
    if !matches!(kind, Name::Other) && is_html(trimmed) {
        return Some(&HTML);
    }
    match (kind, ext.as_deref()) {
        (Name::Unnamed, _) => Some(&PLAIN),
        (_, Some(e)) if MARKDOWN.extensions.contains(&e) => Some(&MARKDOWN),
        (_, Some(e)) if HTML.extensions.contains(&e) => Some(&HTML),
        _ if plain => Some(&PLAIN),
        _ => None,
    }
}

/// Why text that [`sniff`] does not take is left alone; `None` for content
/// that is not text at all (another labeler's, or nobody's).
pub fn declines(head: &[u8], name: Option<&Path>, settings: &TextSettings) -> Option<String> {
    (encoding::looks_like_text(head)
        && !is_svg(head_text(head).trim_start())
        && sniff(head, name, settings).is_none())
    .then(|| STRUCTURED_TEXT.to_string())
}

/// As much of `head` as decodes, for the content checks.
fn head_text(head: &[u8]) -> String {
    if let Some(rest) = head.strip_prefix(b"\xFF\xFE") {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned();
    }
    if let Some(rest) = head.strip_prefix(b"\xFE\xFF") {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned();
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    String::from_utf8_lossy(head).into_owned()
}

fn is_srt(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    let (Some(index), Some(times)) = (lines.next(), lines.next()) else {
        return false;
    };
    !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && times.contains("-->")
        && times.as_bytes().get(2) == Some(&b':')
}

/// Whether the document is SVG: `<svg` (or `<prefix:svg`) as the root
/// element after any XML declaration, comments and doctype.
fn is_svg(text: &str) -> bool {
    let mut t = text
        .get(..text.len().min(4096))
        .unwrap_or(text)
        .trim_start();
    loop {
        let skip = if t.starts_with("<?") {
            t.find("?>").map(|i| i + 2)
        } else if t.starts_with("<!--") {
            t.find("-->").map(|i| i + 3)
        } else if t.starts_with("<!DOCTYPE") {
            // An internal subset (`[…]`) ends with `]>`, a plain doctype with `>`.
            let end = match (t.find('['), t.find('>')) {
                (Some(b), Some(g)) if b < g => "]>",
                _ => ">",
            };
            t.find(end).map(|i| i + end.len())
        } else {
            break;
        };
        match skip {
            Some(i) => t = t.get(i..).unwrap_or_default().trim_start(),
            None => return false,
        }
    }
    let Some(tag) = t.strip_prefix('<') else {
        return false;
    };
    let name = tag
        .split(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or_default();
    name.len() < tag.len() && (name == "svg" || name.ends_with(":svg"))
}

/// Whether the document is HTML: an HTML doctype, or `<html>` as the root
/// element after any XML declaration and comments. An SVG or other XML
/// root is not, even with `<html>` inside (`<foreignObject>`).
fn is_html(text: &str) -> bool {
    let lower = text
        .get(..text.len().min(1024))
        .unwrap_or(text)
        .to_ascii_lowercase();
    let mut t = lower.trim_start();
    loop {
        let skip = if t.starts_with("<?") {
            t.find("?>").map(|i| i + 2)
        } else if t.starts_with("<!--") {
            t.find("-->").map(|i| i + 3)
        } else {
            break;
        };
        match skip {
            Some(i) => t = t[i..].trim_start(),
            None => return false,
        }
    }
    if t.starts_with("<!doctype") {
        return t.starts_with("<!doctype html");
    }
    if let Some(rest) = t.strip_prefix("<html") {
        return rest.starts_with(|c: char| c == '>' || c.is_ascii_whitespace());
    }
    // Text before the markup (a template, a stray line): look further.
    !t.starts_with('<') && t.contains("<html") && t.contains("<head")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniffed(content: &str, name: Option<&str>) -> Option<&'static str> {
        sniff(
            content.as_bytes(),
            name.map(Path::new),
            &TextSettings::default(),
        )
        .map(|f| f.name)
    }

    #[test]
    fn plain_text_only_by_name() {
        assert_eq!(sniffed("Сәлем\n", Some("a.txt")), Some("text"));
        assert_eq!(sniffed("Сәлем\n", Some("A.TEXT")), Some("text"));
        assert_eq!(sniffed("Сәлем\n", None), Some("text"));
        for name in [
            "data.json",
            "run.sh",
            "Makefile",
            "LICENSE",
            ".env",
            "x.log",
        ] {
            assert_eq!(sniffed("key=value\n", Some(name)), None, "{name}");
        }
        let mut settings = TextSettings::default();
        settings.plain_text_extensions.push(".LOG".into());
        let head = b"line\n".as_slice();
        assert_eq!(
            sniff(head, Some(Path::new("x.log")), &settings).map(|f| f.name),
            Some("text")
        );
    }

    #[test]
    fn xml_and_svg_are_not_html() {
        let svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject><html><head></head></html></foreignObject></svg>";
        assert!(!is_html(svg));
        // SVG is a picture, for the image labeler: neither taken nor declined.
        for name in [None, Some("logo.svg"), Some("logo.txt")] {
            assert_eq!(sniffed(svg, name), None, "{name:?}");
            let declined = declines(
                svg.as_bytes(),
                name.map(Path::new),
                &TextSettings::default(),
            );
            assert_eq!(declined, None, "{name:?}");
        }
        assert!(is_svg(
            "<!-- a -->\n<!DOCTYPE svg PUBLIC \"x\" \"y\">\n<svg:svg>"
        ));
        assert!(!is_svg("<svgx>"));
        let xml = "<?xml version=\"1.0\"?>\n<root/>";
        assert!(
            declines(
                xml.as_bytes(),
                Some(Path::new("x.xml")),
                &TextSettings::default()
            )
            .is_some()
        );
        let xhtml = "<?xml version=\"1.0\"?>\n<!DOCTYPE html>\n<html><head></head></html>";
        assert!(is_html(xhtml));
        assert_eq!(sniffed(xhtml, Some("page.xhtml")), Some("html"));
        assert_eq!(sniffed(xhtml, Some("page.xml")), None);
        assert_eq!(
            sniffed("<!-- c -->\n<html lang=\"kk\">", Some("index")),
            Some("html")
        );
        assert_eq!(sniffed("<htmlx>", None), Some("text"));
    }
}
