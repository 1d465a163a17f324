//! Markdown: the notice as a block quote after any front matter; the marks
//! as keys in the front matter, or in an HTML comment when there is none.

use pulldown_cmark::{Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};
use std::ops::Range;

use crate::encoding::LineEnding;
use crate::marks::{self, AIGC_KEY, Found, KnownTexts, MANIFEST_KEY};

/// Front matter found at the start of a document.
#[derive(Debug)]
struct FrontMatter {
    kind: MetadataBlockKind,
    /// Byte range of the whole block, delimiters included.
    range: Range<usize>,
}

fn options() -> Options {
    Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

fn front_matter(text: &str) -> Option<FrontMatter> {
    let mut events = Parser::new_ext(text, options()).into_offset_iter();
    match events.next() {
        Some((Event::Start(Tag::MetadataBlock(kind)), range)) => Some(FrontMatter { kind, range }),
        _ => None,
    }
}

/// The offset just past the line that contains `offset - 1`.
fn end_of_line(text: &str, offset: usize) -> usize {
    if offset > 0 && text.as_bytes().get(offset - 1) == Some(&b'\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// Escapes CommonMark's ASCII punctuation so user text stays literal.
fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The notice block: a bold block quote, visible in CommonMark and GitHub.
pub fn notice_block(lines: &[&str], eol: LineEnding) -> String {
    let text = lines
        .iter()
        .map(|l| escape_inline(l))
        .collect::<Vec<_>>()
        .join(" / ");
    format!("> **{text}**{e}{e}", e = eol.as_str())
}

/// The labelled document. The original bytes are kept as they are; only
/// the key lines, the comment and the notice are inserted.
pub fn label(text: &str, eol: LineEnding, notice: &[&str], values: (&str, &str)) -> String {
    let (mut out, split) = label_head(text, eol, notice, values);
    out.push_str(&text[split..]);
    out
}

/// The start of the labelled document: what comes before the byte `split`
/// of `text`, from which on `text` is copied as it is. It looks only at the
/// front matter, so a head of the document that holds the whole front
/// matter gives what the whole document gives (the streamed path).
pub fn label_head(
    text: &str,
    eol: LineEnding,
    notice: &[&str],
    values: (&str, &str),
) -> (String, usize) {
    let e = eol.as_str();
    let (aigc, manifest) = values;
    let notice = notice_block(notice, eol);
    let mut out = String::with_capacity(notice.len() + 4096);
    match front_matter(text) {
        Some(fm) => {
            // Keys go right after the opening delimiter: at the top level of
            // the YAML mapping or TOML table, whatever tables follow.
            let open_end = end_of_line(text, fm.range.start + 3);
            let after_block = end_of_line(text, fm.range.end);
            out.reserve(after_block);
            out.push_str(&text[..open_end]);
            let (sep, quote) = match fm.kind {
                MetadataBlockKind::PlusesStyle => (" = ", "'"),
                MetadataBlockKind::YamlStyle => (": ", "'"),
            };
            for (key, value) in [(AIGC_KEY, aigc), (MANIFEST_KEY, manifest)] {
                out.push_str(&format!("{key}{sep}{quote}{value}{quote}{e}"));
            }
            out.push_str(&text[open_end..after_block]);
            if !text[..after_block].ends_with('\n') {
                out.push_str(e);
            }
            out.push_str(&notice);
            (out, after_block)
        }
        None => {
            out.push_str(&format!(
                "<!--{e}{AIGC_KEY}: {aigc}{e}{MANIFEST_KEY}: {manifest}{e}-->{e}{e}"
            ));
            out.push_str(&notice);
            (out, 0)
        }
    }
}

/// Whether `head`, the start of a longer document cut after a line break,
/// holds all that [`label_head`] and [`find_marks`] look at: a front
/// matter or leading comment that starts in it also ends in it, before its
/// last line.
pub fn head_suffices(head: &str) -> bool {
    if head.trim_start().starts_with("<!--") {
        return head.contains("-->");
    }
    let opens = ["---", "+++"].iter().any(|d| head.starts_with(d));
    match front_matter(head) {
        Some(fm) => end_of_line(head, fm.range.end) < head.len(),
        None => !opens,
    }
}

/// The document without an earlier labelling: our key lines out of the
/// front matter, or our leading comment, and the notice block after them,
/// so that labelling the result gives what labelling the original gave.
pub fn strip(text: &str, known: &KnownTexts) -> String {
    let mut out = String::with_capacity(text.len());
    match front_matter(text) {
        Some(fm) => {
            let open_end = end_of_line(text, fm.range.start + 3);
            let after_block = end_of_line(text, fm.range.end);
            out.push_str(&text[..open_end]);
            text[open_end..after_block]
                .split_inclusive('\n')
                .filter(|line| !marks::is_key_line(line))
                .for_each(|line| out.push_str(line));
            out.push_str(strip_notice(&text[after_block..], known));
        }
        None => out.push_str(strip_notice(strip_comment(text), known)),
    }
    out
}

/// `text` without a leading comment that holds only our keys, and the
/// blank line after it.
fn strip_comment(text: &str) -> &str {
    let Some(end) = text.strip_prefix("<!--").and_then(|t| t.find("-->")) else {
        return text;
    };
    let inner = &text[4..4 + end];
    let ours = inner.lines().any(marks::is_key_line)
        && inner
            .lines()
            .all(|l| l.trim().is_empty() || marks::is_key_line(l));
    if !ours {
        return text;
    }
    let rest = &text[4 + end + 3..];
    let rest = strip_eol(rest).unwrap_or(rest);
    strip_eol(rest).unwrap_or(rest)
}

fn strip_eol(text: &str) -> Option<&str> {
    text.strip_prefix("\r\n")
        .or_else(|| text.strip_prefix('\n'))
}

/// `text` without a leading notice block of ours and its blank line.
fn strip_notice<'a>(text: &'a str, known: &KnownTexts) -> &'a str {
    let Some(i) = text.find('\n') else {
        return text;
    };
    let line = text[..i].strip_suffix('\r').unwrap_or(&text[..i]);
    let Some(inner) = line.strip_prefix("> **").and_then(|l| l.strip_suffix("**")) else {
        return text;
    };
    if !known.is_notice(&unescape_inline(inner)) {
        return text;
    }
    let rest = &text[i + 1..];
    strip_eol(rest).unwrap_or(rest)
}

/// Undoes [`escape_inline`].
fn unescape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The marks in the front matter or the leading comment.
pub fn find_marks(text: &str) -> Found {
    let head_end = match front_matter(text) {
        Some(fm) => fm.range.end,
        None if text.trim_start().starts_with("<!--") => {
            text.find("-->").map_or(text.len(), |i| i + 3)
        }
        None => 0,
    };
    marks::scan(&text[..head_end])
}

/// The plain text of the first visible block (after front matter and
/// leading HTML comments), where the notice belongs.
pub fn first_visible_block(text: &str) -> String {
    let mut depth = 0usize;
    let mut in_metadata = false;
    let mut comment_block = false;
    let mut collected = String::new();
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_metadata = false,
            _ if in_metadata => {}
            Event::Html(ref h)
                if depth == 1 && collected.is_empty() && h.trim_start().starts_with("<!--") =>
            {
                comment_block = true;
            }
            Event::End(TagEnd::HtmlBlock) if comment_block => {
                // A leading comment is invisible: look at the next block.
                comment_block = false;
                depth = 0;
            }
            _ if comment_block => {}
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            Event::Text(t) | Event::Code(t) => collected.push_str(&t),
            Event::SoftBreak | Event::HardBreak => collected.push(' '),
            _ if depth == 0 => break,
            _ => {}
        }
    }
    collected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Event<'_>> {
        Parser::new_ext(text, options()).collect()
    }

    const NOTICE: [&str; 2] = [
        "Жасанды интеллект көмегімен жасалған",
        "Создано с помощью ИИ",
    ];

    /// Labelling must leave every original block as it was: the events of
    /// the original are a suffix of the events of the output.
    fn assert_original_intact(original: &str, labelled: &str) {
        let before = events(original);
        let after = events(labelled);
        let fm_before = front_matter(original).is_some();
        let skip = if fm_before {
            before
                .iter()
                .position(|e| matches!(e, Event::End(TagEnd::MetadataBlock(_))))
                .map_or(0, |i| i + 1)
        } else {
            0
        };
        let tail = &before[skip..];
        assert!(after.len() >= tail.len());
        assert_eq!(&after[after.len() - tail.len()..], tail, "{labelled}");
    }

    #[test]
    fn every_kind_of_opening_stays_correct() {
        let openings = [
            "# Heading\n\nText.\n",
            "```rust\nfn main() {}\n```\n",
            "<div align=\"center\">\n<b>html</b>\n</div>\n\nafter\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
            "Setext\n======\n",
            "    indented code\n",
            "- item\n- item\n",
            "",
            "no newline at end",
        ];
        for original in openings {
            let out = label(
                original,
                LineEnding::Lf,
                &NOTICE,
                ("{\"AIGC\":{}}", "{\"m\":1}"),
            );
            assert_original_intact(original, &out);
            assert!(first_visible_block(&out).contains(NOTICE[0]), "{out}");
            assert!(find_marks(&out).any());
            assert!(out.ends_with(original));
        }
    }

    #[test]
    fn front_matter_gets_the_keys() {
        for (original, sep) in [
            ("---\ntitle: Т\ntags:\n  - a\n---\n# H\n", ": "),
            ("+++\ntitle = \"x\"\n[params]\na = 1\n+++\nBody\n", " = "),
        ] {
            let out = label(
                original,
                LineEnding::Lf,
                &NOTICE,
                ("{\"AIGC\":{}}", "{\"m\":1}"),
            );
            let fm = front_matter(&out).unwrap();
            let block = &out[fm.range.clone()];
            assert!(
                block.contains(&format!("AIGC{sep}'{{\"AIGC\":{{}}}}'")),
                "{out}"
            );
            assert!(!out.contains("<!--"));
            assert!(first_visible_block(&out).contains(NOTICE[1]), "{out}");
            assert_eq!(find_marks(&out).manifest.as_deref(), Some("{\"m\":1}"));
            assert_original_intact(original, &out);
        }
    }

    #[test]
    fn strip_undoes_label() {
        let known = KnownTexts::new(&tanba_core::Label::default(), None);
        let values = ("{\"AIGC\":{}}", "{\"m\":1}");
        for original in [
            "# H\n\nText.\n",
            "---\ntitle: x\n---\n# H\n",
            "+++\ntitle = \"x\"\n+++\nBody\n",
            "---\ntitle: x\n---",
            "> **quoted** by the author\n",
        ] {
            let once = label(original, LineEnding::Lf, &NOTICE, values);
            let stripped = strip(&once, &known);
            if original.ends_with('\n') {
                assert_eq!(stripped, original);
            }
            assert_eq!(label(&stripped, LineEnding::Lf, &NOTICE, values), once);
        }
        let crlf = "# H\r\n\r\nx\r\n";
        let once = label(crlf, LineEnding::CrLf, &NOTICE, values);
        assert_eq!(strip(&once, &known), crlf);
        assert_eq!(unescape_inline(&escape_inline("*a* / <b>")), "*a* / <b>");
    }

    #[test]
    fn crlf_is_kept() {
        let out = label("# H\r\n\r\nx\r\n", LineEnding::CrLf, &NOTICE, ("{}", "{}"));
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }

    #[test]
    fn user_text_is_literal() {
        let block = notice_block(&["*AI* <b>"], LineEnding::Lf);
        let text = first_visible_block(&block);
        assert_eq!(text, "*AI* <b>");
    }
}
