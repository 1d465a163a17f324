//! HTML: a banner as the first thing in `<body>`; `<meta>` tags and the
//! manifest in `<head>`. lol_html rewrites only those spots; every other
//! byte of the document passes through unchanged.

use std::cell::Cell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, TextType};
use lol_html::{EndTagHandler, RewriteStrSettings, doc_text, element, rewrite_str};
use tanba_core::{Error, LabelLine, Result};

use crate::marks::Found;
use crate::stream::RestNeedles;

const MANIFEST_OPEN: &str = "<script type=\"application/json\" id=\"tanba-manifest\">";
const AIGC_OPEN: &str = "<meta name=\"AIGC\" content=\"";
/// The flag `<meta>`, which [`crate::TextLabeler::verify`] reports.
pub const FLAG: &str = "<meta name=\"ai-generated\" content=\"true\">";
const BANNER_OPEN: &str = "<div data-tanba-label";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The banner: one line per language, white on near-black (contrast > 15:1).
pub fn banner(lines: &[LabelLine]) -> String {
    let spans = lines
        .iter()
        .map(|l| {
            format!(
                "<span lang=\"{}\">{}</span>",
                escape(&l.lang),
                escape(&l.text)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>");
    format!(
        "<div data-tanba-label role=\"note\" style=\"margin:0;padding:.6em 1em;background:#111;\
         color:#fff;font:bold 1rem/1.4 system-ui,sans-serif;text-align:center\">{spans}</div>"
    )
}

/// The head elements: the flag, the Annex E label and the manifest.
pub fn head_elements(aigc: &str, manifest: &str) -> String {
    // `aigc` and `manifest` are already free of `<`, `>`, `&` and `'`.
    format!(
        "{FLAG}{AIGC_OPEN}{}\">{MANIFEST_OPEN}{manifest}</script>",
        aigc.replace('"', "&quot;")
    )
}

/// Elements that belong in `<head>`: anything else after `<head>` opens
/// the body, as an HTML parser sees it, when `<body>` is omitted.
const HEAD_ELEMENTS: [&str; 10] = [
    "html", "head", "base", "link", "meta", "noscript", "script", "style", "template", "title",
];

/// Which of the tags that decide placement the document has.
#[derive(Debug, Clone, Copy)]
struct Tags {
    head: bool,
    body: bool,
    html: bool,
}

/// The labelled document. The banner goes first in `<body>`; without a
/// `<body>` tag, where a browser starts the body: after `</head>`, or
/// before the first element or text that cannot be in `<head>`. A document
/// with none of these (cut short in its head) is refused: a banner there
/// would not be seen.
pub fn label(text: &str, lines: &[LabelLine], values: (&str, &str)) -> Result<String> {
    let banner = banner(lines);
    let head = head_elements(values.0, values.1);
    let tags = Tags::of(text);
    let charset_metas = count_charset_metas(text)?;
    let mut out = rewrite(text, tags, charset_metas, &head, &banner)?;
    if out.is_none() && tags.body {
        // A `<body` the parser never sees as a tag (the file ends inside
        // it, or it is in a comment): place the banner as without one.
        let tags = Tags {
            body: false,
            ..tags
        };
        out = rewrite(text, tags, charset_metas, &head, &banner)?;
    }
    let out = out.ok_or_else(|| {
        Error::malformed(
            "HTML cut short: no <body>, and <head> is neither closed nor followed by \
             page content, so a banner would not be seen",
        )
    })?;
    if !out.contains(MANIFEST_OPEN) {
        return Err(Error::cannot_label(
            "no place for the marks: the document's <head> is not an element lol_html sees",
        ));
    }
    Ok(out)
}

/// [`label`] of the head of a longer document, for the streamed path:
/// `None` where the head alone does not settle it (no place found on the
/// first try, or none for the marks), and the whole document is labelled
/// instead. The caller has checked that the rest holds no `<head>`,
/// `<body>`, `<html>` or `<meta>` tag, so the tags and the `<meta>`
/// elements seen here are the whole document's.
pub fn label_head(head: &str, lines: &[LabelLine], values: (&str, &str)) -> Option<String> {
    let banner = banner(lines);
    let elements = head_elements(values.0, values.1);
    let charset_metas = count_charset_metas(head).ok()?;
    let out = rewrite(head, Tags::of(head), charset_metas, &elements, &banner).ok()??;
    out.contains(MANIFEST_OPEN).then_some(out)
}

/// Whether a head holds every mark [`crate::TextLabeler::verify`] looks
/// for, each first where it is in the whole document: the head then
/// gives the whole document's verdict.
pub fn head_has_marks(head: &str) -> bool {
    let found = find_marks(head);
    found.aigc.is_some()
        && found.manifest.is_some()
        && banner_text(head).is_some()
        && head.contains(FLAG)
}

/// The tags, and the strings, that would change [`label_head`]'s result
/// or the marks found if they came after the head (see
/// [`crate::stream::rest_holds`]).
pub const AFTER_HEAD: RestNeedles = RestNeedles {
    tags: &[b"<head", b"<body", b"<html", b"<meta"],
    strings: &[b"tanba-manifest"],
};

/// Whether a `<meta>` declares the encoding (`charset`, or `http-equiv`
/// `content-type`), which browsers look for in the first 1,024 bytes.
fn declares_charset(el: &lol_html::html_content::Element<'_, '_>) -> bool {
    el.has_attribute("charset")
        || el
            .get_attribute("http-equiv")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("content-type"))
}

/// How many `<meta>` elements declare the encoding.
fn count_charset_metas(text: &str) -> Result<usize> {
    let count = Rc::new(Cell::new(0usize));
    let seen = count.clone();
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("meta", move |el| {
            if declares_charset(el) {
                seen.set(seen.get() + 1);
            }
            Ok(())
        }));
    rewrite_str(text, settings)
        .map_err(|e| Error::malformed(format!("HTML cannot be rewritten: {e}")))?;
    Ok(count.get())
}

/// The document with the head elements and the banner put in, or `None`
/// when the banner found no place. The head elements go first in `<head>`,
/// or right after the last of the `charset_metas` when there are some, so
/// that the encoding stays declared first (and within 1,024 bytes).
fn rewrite(
    text: &str,
    tags: Tags,
    charset_metas: usize,
    head: &str,
    banner: &str,
) -> Result<Option<String>> {
    let after_charset = charset_metas > 0;
    let leading = match (tags.head || after_charset, tags.body || tags.head) {
        (true, true) => String::new(),
        (true, false) => banner.to_string(),
        (false, true) => head.to_string(),
        (false, false) => format!("{head}{banner}"),
    };
    let placed = Rc::new(Cell::new(!leading.is_empty() && !tags.body));
    let in_head = Rc::new(Cell::new(false));
    let mut settings = RewriteStrSettings::new();
    if tags.head && !after_charset {
        settings = settings.append_element_content_handler(element!("head", |el| {
            el.prepend(head, ContentType::Html);
            Ok(())
        }));
    }
    if after_charset {
        let seen = Rc::new(Cell::new(0usize));
        settings = settings.append_element_content_handler(element!("meta", move |el| {
            if declares_charset(el) {
                seen.set(seen.get() + 1);
                if seen.get() == charset_metas {
                    el.after(head, ContentType::Html);
                }
            }
            Ok(())
        }));
    }
    if tags.body {
        let placed = placed.clone();
        settings = settings.append_element_content_handler(element!("body", move |el| {
            if !placed.replace(true) {
                el.prepend(banner, ContentType::Html);
            }
            Ok(())
        }));
    } else if tags.head {
        settings = body_start_handlers(settings, banner, &placed, &in_head);
    }
    if !leading.is_empty() && tags.html {
        settings = settings.append_element_content_handler(element!("html", |el| {
            el.prepend(&leading, ContentType::Html);
            Ok(())
        }));
    }
    let out = rewrite_str(text, settings)
        .map_err(|e| Error::malformed(format!("HTML cannot be rewritten: {e}")))?;
    let out = if !leading.is_empty() && !tags.html {
        // After a doctype, which must stay first (or the page is in quirks mode).
        let at = doctype_end(&out);
        format!("{}{leading}{}", &out[..at], &out[at..])
    } else {
        out
    };
    Ok((placed.get() && out.contains(BANNER_OPEN)).then_some(out))
}

impl Tags {
    fn of(text: &str) -> Tags {
        let lower = text.to_ascii_lowercase();
        Tags {
            head: has_tag(&lower, "head"),
            body: has_tag(&lower, "body"),
            html: has_tag(&lower, "html"),
        }
    }
}

/// Whether `lower` has a `<name>` tag (`<head>` or `<head …>`, not `<header>`).
fn has_tag(lower: &str, name: &str) -> bool {
    lower.match_indices('<').any(|(i, _)| {
        lower[i + 1..].strip_prefix(name).is_some_and(|rest| {
            rest.starts_with(|c: char| c == '>' || c == '/' || c.is_ascii_whitespace())
        })
    })
}

/// The offset just past a leading `<!doctype …>`, or 0.
fn doctype_end(text: &str) -> usize {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    match rest.get(..9) {
        Some(open) if open.eq_ignore_ascii_case("<!doctype") => {
            rest.find('>').map_or(0, |i| start + i + 1)
        }
        _ => 0,
    }
}

/// Handlers that put the banner where the body starts when `<body>` is
/// omitted: after `</head>`, or before the first element or non-blank
/// text that cannot be in `<head>`, whichever comes first.
fn body_start_handlers<'h, 's>(
    settings: RewriteStrSettings<'h, 's>,
    banner: &str,
    placed: &Rc<Cell<bool>>,
    in_head: &Rc<Cell<bool>>,
) -> RewriteStrSettings<'h, 's> {
    let (b1, b2, b3) = (banner.to_string(), banner.to_string(), banner.to_string());
    let (p1, p2, p3) = (placed.clone(), placed.clone(), placed.clone());
    let (h1, h2, h3) = (in_head.clone(), in_head.clone(), in_head.clone());
    settings
        .append_element_content_handler(element!("head", move |el| {
            h1.set(true);
            let (placed, banner) = (p1.clone(), b1.clone());
            let at_end: EndTagHandler<'static> = Box::new(move |end| {
                if !placed.replace(true) {
                    end.after(&banner, ContentType::Html);
                }
                Ok(())
            });
            // An element without an end tag takes no handler: the
            // first-content handlers below then place the banner.
            let _ = el.on_end_tag(at_end);
            Ok(())
        }))
        .append_element_content_handler(element!("*", move |el| {
            let tag = el.tag_name();
            if h2.get() && !HEAD_ELEMENTS.contains(&tag.as_str()) && !p2.replace(true) {
                el.before(&b2, ContentType::Html);
            }
            Ok(())
        }))
        .append_document_content_handler(doc_text!(move |t| {
            let visible = t.text_type() == TextType::Data && !t.as_str().trim().is_empty();
            if h3.get() && visible && !p3.replace(true) {
                t.before(&b3, ContentType::Html);
            }
            Ok(())
        }))
}

/// The document without our head elements and banner, so that labelling
/// the result gives what labelling the original gave.
pub fn strip(text: &str) -> String {
    let mut out = text.to_string();
    for (open, close) in [
        (BANNER_OPEN, "</div>"),
        (FLAG, ""),
        (AIGC_OPEN, ">"),
        (MANIFEST_OPEN, "</script>"),
    ] {
        out = remove_all(&out, open, close);
    }
    out
}

/// `text` without every span from `open` to the next `close` (both
/// included; `open` alone when `close` is empty).
fn remove_all(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let after_open = start + open.len();
        let Some(end) = rest[after_open..].find(close) else {
            break;
        };
        out.push_str(&rest[..start]);
        rest = &rest[after_open + end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// The marks in the document.
pub fn find_marks(text: &str) -> Found {
    let between = |open: &str, close: &str| {
        let start = text.find(open)? + open.len();
        let end = start + text[start..].find(close)?;
        Some(text[start..end].trim().to_string())
    };
    Found {
        aigc: between(AIGC_OPEN, "\"").map(|v| v.replace("&quot;", "\"")),
        manifest: between(MANIFEST_OPEN, "</script>"),
        reference: None,
    }
}

/// The banner's text, if the banner is there.
pub fn banner_text(text: &str) -> Option<String> {
    let start = text.find(BANNER_OPEN)?;
    let end = start + text[start..].find("</div>")?;
    let inner = &text[start..end];
    let mut plain = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    Some(
        plain
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanba_core::Label;

    fn run(doc: &str) -> String {
        label(doc, &Label::default().lines, ("{\"AIGC\":{}}", "{\"m\":1}")).unwrap()
    }

    #[test]
    fn banner_first_in_body_meta_in_head() {
        let doc = "<!DOCTYPE html>\n<html lang=\"kk\"><head><title>Т</title></head>\n<body class=\"x\">\n<p>Мәтін</p></body></html>\n";
        let out = run(doc);
        let body = out.find("<body class=\"x\">").unwrap() + "<body class=\"x\">".len();
        assert!(out[body..].starts_with("<div data-tanba-label"), "{out}");
        let head = out.find("<head>").unwrap() + 6;
        assert!(out[head..].starts_with("<meta name=\"ai-generated\" content=\"true\">"));
        assert!(out.contains("<title>Т</title></head>\n<body class=\"x\">"));
        assert!(out.ends_with("\n<p>Мәтін</p></body></html>\n"));
        let marks = find_marks(&out);
        assert_eq!(marks.aigc.as_deref(), Some("{\"AIGC\":{}}"));
        assert_eq!(marks.manifest.as_deref(), Some("{\"m\":1}"));
        assert!(
            banner_text(&out)
                .unwrap()
                .contains("Жасанды интеллект көмегімен жасалған")
        );
    }

    #[test]
    fn fragments_get_both() {
        let out = run("<p>Сәлем</p>");
        assert!(out.starts_with("<meta name=\"ai-generated\""));
        assert!(out.ends_with("</div><p>Сәлем</p>"));
        let out = run("<html><head></head><p>x</p></html>");
        assert!(out.contains("</head><div data-tanba-label"), "{out}");
    }

    #[test]
    fn banner_where_the_body_starts_or_refused() {
        for (doc, tail) in [
            // `</head>` and `<body>` omitted: the body starts at `<p>`.
            (
                "<html><head><title>x</title><p>Мәтін</p></html>",
                "<p>Мәтін</p></html>",
            ),
            // Text after the head opens the body too.
            ("<html><head><title>x</title>\nМәтін", "\nМәтін"),
            // Text after `</head>`, no `<body>`.
            ("<html><head><title>x</title></head>Мәтін", "Мәтін"),
            ("<html><head><title>x</title></head>", ""),
            // Cut inside the `<body` tag, which the parser then drops.
            (
                "<html><head><title>x</title></head><body class=\"a",
                "<body class=\"a",
            ),
        ] {
            let out = run(doc);
            let banner = out.find(BANNER_OPEN).unwrap();
            let end = banner + out[banner..].find("</div>").unwrap() + 6;
            assert_eq!(&out[end..], tail, "{out}");
            assert_eq!(out.matches(BANNER_OPEN).count(), 1, "{out}");
            assert!(out[..banner].contains("<title>x</title>"), "{out}");
        }
        // Cut short in the head: no place where a banner would be seen.
        for doc in [
            "<html><head><title>x</title>",
            "<html><head><title>x",
            "<html><head><script>var a = '<p>",
            "<!-- <body> --><html><head><style>p{}",
            "<html><head><title>x</title><body class=\"a",
        ] {
            let err = label(doc, &Label::default().lines, ("{}", "{}")).unwrap_err();
            assert_eq!(err.kind_name(), "malformed", "{doc}");
        }
    }

    #[test]
    fn header_is_not_head_and_doctype_stays_first() {
        let out = run("<!DOCTYPE html>\n<header>Тақырып</header><p>x</p>");
        assert!(
            out.starts_with("<!DOCTYPE html><meta name=\"ai-generated\""),
            "{out}"
        );
        assert!(out.contains("</div>\n<header>"), "{out}");
        assert!(find_marks(&out).any());
    }

    #[test]
    fn strip_undoes_label() {
        for doc in [
            "<!DOCTYPE html>\n<html><head><title>T</title></head><body><p>x</p></body></html>",
            "<p>fragment</p>",
            "<html><head></head><p>x</p></html>",
            "<body>only body</body>",
        ] {
            let once = run(doc);
            assert_eq!(strip(&once), doc);
            assert_eq!(strip(&run(&run(doc))), doc, "stacked marks all go");
        }
    }

    #[test]
    fn charset_meta_stays_first() {
        let doc = "<!DOCTYPE html>\n<html><head>\n<meta charset=\"utf-8\">\n\
                   <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
                   <title>T</title></head><body><p>x</p></body></html>";
        let out = run(doc);
        let flag = out.find(FLAG).unwrap();
        assert!(out.find("<meta charset").unwrap() < flag);
        assert!(out.find("http-equiv").unwrap() < flag);
        assert!(out[flag..].starts_with(&format!("{FLAG}<meta name=\"AIGC\"")));
        assert_eq!(out.matches(FLAG).count(), 1);
        assert_eq!(strip(&out), doc);
        // Without a <head> tag too.
        let out = run("<meta charset=utf-8><body><p>x</p></body>");
        assert!(
            out.starts_with(&format!("<meta charset=utf-8>{FLAG}")),
            "{out}"
        );
    }

    #[test]
    fn user_text_is_escaped() {
        let label = Label::custom([("en", "<script>alert(1)</script>")]).unwrap();
        let out = super::label("<body></body>", &label.lines, ("{}", "{}")).unwrap();
        assert!(!out.contains("<script>alert"));
        assert_eq!(banner_text(&out).unwrap(), "<script>alert(1)</script>");
    }
}
