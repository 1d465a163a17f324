//! Plain text: the notice as the first line; the marks as a footer.

use crate::encoding::LineEnding;
use crate::marks::{self, AIGC_KEY, Found, KnownTexts, MANIFEST_KEY, REF_KEY, Values};

/// How many trailing bytes hold the footer; the rest is never scanned.
pub const FOOTER_SCAN: usize = 64 * 1024;

/// The labelled text. Plain text has no hidden carrier (docs/compliance.md),
/// so the marks go in a two-line footer (`AIGC: …`, `Tanba-Manifest-Ref: …`)
/// unless the footer is turned off.
pub fn label(text: &str, eol: LineEnding, notice: &str, footer: Option<&Values>) -> String {
    let mut out = String::with_capacity(text.len() + notice.len() + 512);
    out.push_str(&prefix(eol, notice));
    out.push_str(text);
    if let Some(values) = footer {
        let ends_open = !text.is_empty() && !text.ends_with('\n');
        out.push_str(&footer_text(eol, ends_open, values));
    }
    out
}

/// What goes before the text: the notice line and a blank line.
pub fn prefix(eol: LineEnding, notice: &str) -> String {
    let e = eol.as_str();
    format!("{notice}{e}{e}")
}

/// What goes after the text: a line break when the text's last line has
/// none (`ends_open`), a blank line and the two key lines.
pub fn footer_text(eol: LineEnding, ends_open: bool, values: &Values) -> String {
    let e = eol.as_str();
    let mut out = String::with_capacity(512);
    if ends_open {
        out.push_str(e);
    }
    out.push_str(e);
    for (key, value) in [(AIGC_KEY, &values.aigc), (values.key, &values.manifest)] {
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push_str(e);
    }
    out
}

/// The marks in the footer.
pub fn find_marks(text: &str) -> Found {
    let mut start = text.len().saturating_sub(FOOTER_SCAN);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    marks::scan(&text[start..])
}

/// The text without an earlier labelling: the footer and a first line that
/// is a notice of ours (with the blank line after it) taken out, so that
/// labelling the result gives what labelling the original gave.
pub fn strip<'a>(text: &'a str, known: &KnownTexts) -> &'a str {
    let mut text = strip_footer(text);
    if let Some(i) = text.find('\n') {
        let first = text[..i].strip_suffix('\r').unwrap_or(&text[..i]);
        let rest = &text[i + 1..];
        if known.is_notice(first)
            && let Some(after) = strip_eol(rest)
        {
            text = after;
        }
    }
    text
}

/// `text` without one line ending at its start.
fn strip_eol(text: &str) -> Option<&str> {
    text.strip_prefix("\r\n")
        .or_else(|| text.strip_prefix('\n'))
}

/// `text` without the footer `label` wrote: the two key lines (the
/// reference, or the whole manifest of earlier versions) and the blank
/// line before them. When the original had no final line break the result
/// keeps the one `label` added, which labels to the same bytes.
fn strip_footer(text: &str) -> &str {
    let Some(rest) = strip_last_line(text, REF_KEY)
        .or_else(|| strip_last_line(text, MANIFEST_KEY))
        .and_then(|rest| strip_last_line(rest, AIGC_KEY))
    else {
        return text;
    };
    rest.strip_suffix("\r\n")
        .or_else(|| rest.strip_suffix('\n'))
        .unwrap_or(rest)
}

/// `text` without its last line when that line is `KEY: {…}`.
fn strip_last_line<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let body = text.strip_suffix('\n')?;
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    let line = &body[start..];
    let value = line.strip_prefix(key)?.strip_prefix(": ")?;
    value.starts_with('{').then_some(&text[..start])
}

/// The first line, where the notice belongs.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanba_core::Label;

    #[test]
    fn strip_undoes_label() {
        let known = KnownTexts::new(&Label::default(), None);
        let notice = marks::notice(&Label::default());
        for (original, eol) in [
            ("one\ntwo\n", LineEnding::Lf),
            ("one\r\ntwo\r\n", LineEnding::CrLf),
            ("no final break", LineEnding::Lf),
        ] {
            let whole = Values::sample("{\"a\":1}", "{\"m\":1}");
            let reference = Values {
                key: REF_KEY,
                ..whole.clone()
            };
            for footer in [Some(&reference), Some(&whole), None] {
                let once = label(original, eol, &notice, footer);
                let stripped = strip(&once, &known);
                assert_eq!(label(stripped, eol, &notice, footer), once, "{original:?}");
            }
        }
        assert_eq!(strip("plain\nAIGC: x\n", &known), "plain\nAIGC: x\n");
    }
}
