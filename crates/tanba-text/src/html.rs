//! HTML: a banner as the first thing in `<body>`; `<meta>` tags and the
//! manifest in `<head>`. lol_html rewrites only those spots; every other
//! byte of the document passes through unchanged.

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use tanba_core::{Error, LabelLine, Result};

use crate::marks::Found;

const MANIFEST_OPEN: &str = "<script type=\"application/json\" id=\"tanba-manifest\">";
const AIGC_OPEN: &str = "<meta name=\"AIGC\" content=\"";

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
        "<meta name=\"ai-generated\" content=\"true\">{AIGC_OPEN}{}\">{MANIFEST_OPEN}{manifest}</script>",
        aigc.replace('"', "&quot;")
    )
}

/// The labelled document.
pub fn label(text: &str, lines: &[LabelLine], values: (&str, &str)) -> Result<String> {
    let banner = banner(lines);
    let head = head_elements(values.0, values.1);
    let lower = text.to_ascii_lowercase();
    let has_head = lower.contains("<head");
    let has_body = lower.contains("<body");
    let has_html = lower.contains("<html");
    let leading = match (has_head, has_body || has_head) {
        (true, _) => String::new(),
        (false, true) => head.clone(),
        (false, false) => format!("{head}{banner}"),
    };
    let mut settings = RewriteStrSettings::new();
    if has_head {
        settings = settings.append_element_content_handler(element!("head", |el| {
            el.prepend(&head, ContentType::Html);
            Ok(())
        }));
    }
    if has_body {
        settings = settings.append_element_content_handler(element!("body", |el| {
            el.prepend(&banner, ContentType::Html);
            Ok(())
        }));
    } else if has_head {
        // `<body>` may be omitted in HTML; the banner then follows `</head>`.
        settings = settings.append_element_content_handler(element!("head", |el| {
            el.after(&banner, ContentType::Html);
            Ok(())
        }));
    }
    if !leading.is_empty() && has_html {
        settings = settings.append_element_content_handler(element!("html", |el| {
            el.prepend(&leading, ContentType::Html);
            Ok(())
        }));
    }
    let out = rewrite_str(text, settings)
        .map_err(|e| Error::malformed(format!("HTML cannot be rewritten: {e}")))?;
    if !leading.is_empty() && !has_html {
        return Ok(format!("{leading}{out}"));
    }
    Ok(out)
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
    }
}

/// The banner's text, if the banner is there.
pub fn banner_text(text: &str) -> Option<String> {
    let start = text.find("<div data-tanba-label")?;
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
    fn user_text_is_escaped() {
        let label = Label::custom([("en", "<script>alert(1)</script>")]).unwrap();
        let out = super::label("<body></body>", &label.lines, ("{}", "{}")).unwrap();
        assert!(!out.contains("<script>alert"));
        assert_eq!(banner_text(&out).unwrap(), "<script>alert(1)</script>");
    }
}
