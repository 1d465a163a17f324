//! Subtitles: a notice cue over the first seconds; other cues untouched.
//!
//! WebVTT carries the marks in `NOTE` comment blocks. SubRip has no comment
//! syntax, so its marks go in a zero-length cue (start = end), which players
//! never show.

use crate::encoding::LineEnding;
use crate::marks::{self, AIGC_KEY, Found, MANIFEST_KEY};

fn timestamp(ms: u64, sep: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Labelled SubRip.
pub fn label_srt(
    text: &str,
    eol: LineEnding,
    lines: &[&str],
    seconds: f64,
    values: (&str, &str),
) -> String {
    let e = eol.as_str();
    let end = timestamp((seconds * 1000.0).round() as u64, ',');
    let zero = timestamp(0, ',');
    let mut out = String::with_capacity(text.len() + 4096);
    out.push_str(&format!(
        "0{e}{zero} --> {zero}{e}{AIGC_KEY}: {}{e}{MANIFEST_KEY}: {}{e}{e}",
        values.0, values.1
    ));
    out.push_str(&format!("0{e}{zero} --> {end}{e}"));
    for line in lines {
        out.push_str(line);
        out.push_str(e);
    }
    out.push_str(e);
    out.push_str(text);
    out
}

/// Labelled WebVTT: the notes and the cue go after the header block.
pub fn label_vtt(
    text: &str,
    eol: LineEnding,
    lines: &[&str],
    seconds: f64,
    values: (&str, &str),
) -> String {
    let e = eol.as_str();
    let header_end = after_first_blank_line(text);
    let mut out = String::with_capacity(text.len() + 4096);
    out.push_str(&text[..header_end]);
    if !out.ends_with('\n') {
        out.push_str(e);
    }
    if !out.ends_with(&format!("{e}{e}")) {
        out.push_str(e);
    }
    out.push_str(&format!(
        "NOTE {AIGC_KEY} {}{e}{e}NOTE {MANIFEST_KEY} {}{e}{e}",
        values.0, values.1
    ));
    out.push_str(&format!(
        "tanba-label{e}{} --> {}{e}",
        timestamp(0, '.'),
        timestamp((seconds * 1000.0).round() as u64, '.')
    ));
    for line in lines {
        out.push_str(line);
        out.push_str(e);
    }
    out.push_str(e);
    out.push_str(&text[header_end..]);
    out
}

/// The offset just past the first blank line (the end of the WebVTT
/// header block), or the end of the text.
fn after_first_blank_line(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end_matches(['\r', '\n']).is_empty() {
            return offset;
        }
    }
    text.len()
}

/// The marks (in the first blocks).
pub fn find_marks(text: &str) -> Found {
    marks::scan(leading_blocks(text, 6))
}

/// The first `n` blank-line separated blocks, where our cues are.
pub fn leading_blocks(text: &str, n: usize) -> &str {
    let mut count = 0;
    let mut offset = 0;
    let bytes = text.as_bytes();
    while offset < bytes.len() {
        let rest = &text[offset..];
        let Some(i) = rest.find('\n') else {
            return text;
        };
        offset += i + 1;
        let next_line_blank =
            text[offset..].starts_with('\n') || text[offset..].starts_with("\r\n");
        if next_line_blank {
            count += 1;
            if count >= n {
                return &text[..offset];
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: (&str, &str) = ("{\"AIGC\":{}}", "{\"m\":1}");

    #[test]
    fn srt_cue_first_rest_untouched() {
        let srt =
            "1\n00:00:01,000 --> 00:00:03,000\nСәлем\n\n2\n00:00:04,000 --> 00:00:05,000\nӘлем\n";
        let out = label_srt(srt, LineEnding::Lf, &["ЖИ көмегімен жасалған"], 4.0, VALUES);
        assert!(out.ends_with(srt));
        assert!(out.contains("0\n00:00:00,000 --> 00:00:04,000\nЖИ көмегімен жасалған\n\n1\n"));
        assert_eq!(find_marks(&out).aigc.as_deref(), Some(VALUES.0));
    }

    #[test]
    fn vtt_notes_after_header() {
        let vtt = "WEBVTT - title\nKind: captions\n\n00:01.000 --> 00:02.000\nСәлем\n";
        let out = label_vtt(vtt, LineEnding::Lf, &["ЖИ"], 2.5, VALUES);
        assert!(out.starts_with("WEBVTT - title\nKind: captions\n\nNOTE AIGC {"));
        assert!(out.contains("tanba-label\n00:00:00.000 --> 00:00:02.500\nЖИ\n\n00:01.000"));
        assert!(out.ends_with("00:01.000 --> 00:02.000\nСәлем\n"));
        assert_eq!(find_marks(&out).manifest.as_deref(), Some(VALUES.1));
        let bare = label_vtt("WEBVTT", LineEnding::Lf, &["ЖИ"], 2.0, VALUES);
        assert!(bare.starts_with("WEBVTT\n\nNOTE AIGC"), "{bare}");
    }
}
