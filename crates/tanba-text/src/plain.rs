//! Plain text: the notice as the first line; the marks as a footer.

use crate::encoding::LineEnding;
use crate::marks::{self, AIGC_KEY, Found, MANIFEST_KEY};

/// How many trailing bytes hold the footer; the rest is never scanned.
const FOOTER_SCAN: usize = 64 * 1024;

/// The labelled text. docs/compliance.md gives plain text no hidden carrier, so the
/// marks go in a two-line footer (`AIGC: …`, `Tanba-Manifest: …`) unless
/// the footer is turned off.
pub fn label(text: &str, eol: LineEnding, notice: &str, footer: Option<(&str, &str)>) -> String {
    let e = eol.as_str();
    let mut out = String::with_capacity(text.len() + notice.len() + 4096);
    out.push_str(notice);
    out.push_str(e);
    out.push_str(e);
    out.push_str(text);
    if let Some((aigc, manifest)) = footer {
        if !text.is_empty() && !text.ends_with('\n') {
            out.push_str(e);
        }
        out.push_str(e);
        for (key, value) in [(AIGC_KEY, aigc), (MANIFEST_KEY, manifest)] {
            out.push_str(key);
            out.push_str(": ");
            out.push_str(value);
            out.push_str(e);
        }
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

/// The first line, where the notice belongs.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
