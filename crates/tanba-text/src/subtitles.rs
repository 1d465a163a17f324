//! Subtitles: a notice cue over the first seconds; other cues untouched.
//!
//! WebVTT carries the marks in `NOTE` comment blocks. SubRip has no hidden
//! place at all: no comment syntax, and players and converters show or keep
//! every cue, a zero-length one too (`ffmpeg -i x.srt x.vtt` keeps it). So
//! SubRip gets only the notice cue, numbered 1 (the author's cues move up
//! by one), and its marks go in a sidecar (`crate::sidecar`).

use tanba_core::{Error, Limits, Result};

use crate::encoding::LineEnding;
use crate::marks::{self, AIGC_KEY, Found, KnownTexts, Values};

/// How many leading blocks hold our cues and notes: the header, two notes
/// (or the marks cue of earlier versions), the notice cue, with room to spare.
pub const OUR_BLOCKS: usize = 6;

fn timestamp(ms: u64, sep: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Labelled SubRip: the notice cue numbered 1, then the author's cues,
/// each number one higher. No mark: SubRip has no place a player hides.
pub fn label_srt(text: &str, eol: LineEnding, lines: &[&str], seconds: f64) -> String {
    let e = eol.as_str();
    let end = timestamp((seconds * 1000.0).round() as u64, ',');
    let zero = timestamp(0, ',');
    let mut out = String::with_capacity(text.len() + 256);
    out.push_str(&format!("1{e}{zero} --> {end}{e}"));
    for line in lines {
        out.push_str(line);
        out.push_str(e);
    }
    out.push_str(e);
    out.push_str(&renumber(text, 1));
    out
}

/// SubRip with every cue number (a line of digits followed by a timing
/// line, at the start of a block) moved by `delta`; all else as it was.
fn renumber(text: &str, delta: i64) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut block_start = true;
    for (i, line) in lines.iter().enumerate() {
        renumber_line(
            line,
            lines.get(i + 1).copied(),
            &mut block_start,
            delta,
            &mut out,
        );
    }
    out
}

/// One line of [`renumber`] (with its line break) onto `out`, given the
/// line after it and whether it starts a block (updated for the next).
pub fn renumber_line(
    line: &str,
    next: Option<&str>,
    block_start: &mut bool,
    delta: i64,
    out: &mut String,
) {
    let bare = line.trim_end_matches(['\r', '\n']);
    let timing_next = next.is_some_and(|next| is_timing(next.trim_end(), false));
    let number =
        bare.trim().parse::<i64>().ok().filter(|_| {
            *block_start && timing_next && bare.trim().bytes().all(|b| b.is_ascii_digit())
        });
    match number {
        Some(n) => {
            out.push_str(&(n + delta).max(0).to_string());
            out.push_str(&line[bare.len()..]);
        }
        None => out.push_str(line),
    }
    *block_start = bare.trim().is_empty();
}

/// Labelled WebVTT: the notes and the cue go after the header block.
pub fn label_vtt(
    text: &str,
    eol: LineEnding,
    lines: &[&str],
    seconds: f64,
    values: &Values,
) -> String {
    let e = eol.as_str();
    let header_end = after_first_blank_line(text);
    let mut out = String::with_capacity(text.len() + 512);
    out.push_str(&text[..header_end]);
    if !out.ends_with('\n') {
        out.push_str(e);
    }
    if !out.ends_with(&format!("{e}{e}")) {
        out.push_str(e);
    }
    out.push_str(&format!(
        "NOTE {AIGC_KEY} {}{e}{e}NOTE {} {}{e}{e}",
        values.aigc, values.key, values.manifest
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
pub fn after_first_blank_line(text: &str) -> usize {
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
    marks::scan(leading_blocks(text, OUR_BLOCKS))
}

/// Whether `s` is a timestamp: `hh:mm:ss,mmm` (SubRip; players take a
/// `.` too) or `[hh:]mm:ss.mmm` (WebVTT).
fn is_timestamp(s: &str, vtt: bool) -> bool {
    let separator: &[char] = if vtt { &['.'] } else { &[',', '.'] };
    let Some((clock, millis)) = s.split_once(separator) else {
        return false;
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let sizes_ok = match fields.len() {
        3 => true,
        2 => vtt,
        _ => false,
    };
    let digits = |f: &str| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit());
    sizes_ok && fields.iter().all(|f| digits(f)) && millis.len() == 3 && digits(millis)
}

/// Whether `line` is a cue timing line: `start --> end`, then (WebVTT
/// cue settings, SubRip coordinates) anything.
fn is_timing(line: &str, vtt: bool) -> bool {
    let Some((start, rest)) = line.split_once("-->") else {
        return false;
    };
    let end = rest.split_whitespace().next().unwrap_or_default();
    is_timestamp(start.trim(), vtt) && is_timestamp(end, vtt)
}

/// Checks the cue timings and counts the cues against `max_objects`
/// before anything is built from them. A timing line is the line after a
/// cue number (SubRip) or the first or second line of a block (WebVTT);
/// one that does not parse is refused, since a player would drop the cue.
pub fn check_cues(text: &str, vtt: bool, limits: &Limits) -> Result<()> {
    let mut cues = Cues::new(vtt);
    for line in text.lines() {
        cues.line(line, limits)?;
    }
    cues.finish()
}

/// [`check_cues`] a line at a time, for the streamed path.
#[derive(Debug)]
pub struct Cues {
    vtt: bool,
    lines: usize,
    cues: u64,
    block_line: usize,
    /// Whether the line before, in this block, is all digits.
    previous_digits: bool,
}

impl Cues {
    /// A check for WebVTT (`vtt`) or SubRip.
    pub fn new(vtt: bool) -> Self {
        Cues {
            vtt,
            lines: 0,
            cues: 0,
            block_line: 0,
            previous_digits: false,
        }
    }

    /// Checks the next line, without its line break (as `str::lines`).
    pub fn line(&mut self, line: &str, limits: &Limits) -> Result<()> {
        self.lines += 1;
        if self.vtt && self.lines == 1 {
            check_vtt_header(line)?;
        }
        let line = line.trim_end();
        if line.is_empty() {
            self.block_line = 0;
            return Ok(());
        }
        self.block_line += 1;
        let timing_slot = if self.vtt {
            self.block_line <= 2 && line.contains("-->")
        } else {
            self.block_line == 2 && self.previous_digits
        };
        self.previous_digits = line.bytes().all(|b| b.is_ascii_digit());
        if !timing_slot {
            return Ok(());
        }
        if !is_timing(line, self.vtt) {
            return Err(Error::malformed(format!(
                "line {}: bad cue timing {line:?}",
                self.lines
            )));
        }
        self.cues += 1;
        limits.check_objects(self.cues)
    }

    /// The verdict once every line is checked.
    pub fn finish(self) -> Result<()> {
        if self.vtt && self.lines == 0 {
            check_vtt_header("")?;
        }
        // An empty WebVTT track is still WebVTT; SubRip without a cue is not.
        if self.cues == 0 && !self.vtt {
            return Err(Error::malformed("no cue with a valid timing line"));
        }
        Ok(())
    }
}

fn check_vtt_header(header: &str) -> Result<()> {
    let rest = header.strip_prefix("WEBVTT").unwrap_or("x");
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return Err(Error::malformed(
            "WebVTT must open with a line \"WEBVTT\" (optionally followed by a space and text)",
        ));
    }
    Ok(())
}

/// The subtitles without an earlier labelling: among the first blocks,
/// those holding our keys (the WebVTT notes, the SubRip marks cue of
/// earlier versions), the WebVTT cue `tanba-label` and a SubRip cue `1`
/// (`0` in earlier versions) from 0 s holding only label texts, each with
/// the blank line after it. Taking out a cue `1` moves the author's cue
/// numbers back down by one.
pub fn strip(text: &str, known: &KnownTexts) -> String {
    let mut out = String::with_capacity(text.len());
    let mut offset = 0;
    let mut renumbered = false;
    for _ in 0..OUR_BLOCKS {
        let rest = &text[offset..];
        let blank = rest.len() - rest.trim_start_matches(['\r', '\n']).len();
        out.push_str(&rest[..blank]);
        offset += blank;
        let rest = &text[offset..];
        if rest.is_empty() {
            break;
        }
        let block_len = rest
            .split_inclusive('\n')
            .take_while(|line| !line.trim_end_matches(['\r', '\n']).is_empty())
            .map(str::len)
            .sum::<usize>();
        let span_len = block_len + blank_line_len(&rest[block_len..]);
        let block = &rest[..block_len];
        if is_ours(block, known) {
            renumbered |= block.starts_with("1\r\n") || block.starts_with("1\n");
        } else {
            out.push_str(&rest[..span_len]);
        }
        offset += span_len;
    }
    out.push_str(&text[offset..]);
    if renumbered { renumber(&out, -1) } else { out }
}

/// The length of one blank line at the start of `text`.
fn blank_line_len(text: &str) -> usize {
    if text.starts_with("\r\n") {
        2
    } else {
        usize::from(text.starts_with('\n'))
    }
}

fn is_ours(block: &str, known: &KnownTexts) -> bool {
    let lines: Vec<&str> = block.lines().collect();
    match lines.as_slice() {
        [] => false,
        ["tanba-label", ..] => true,
        ["0" | "1", timing, texts @ ..] if timing.starts_with("00:00:00,000 --> ") => {
            !texts.is_empty()
                && texts
                    .iter()
                    .all(|t| known.is_text(t) || marks::is_key_line(t))
        }
        _ => lines.iter().any(|l| marks::is_key_line(l)),
    }
}

/// The text lines of the WebVTT cue `tanba-label` (our notice) among the
/// first blocks; empty when there is none.
pub fn vtt_notice_lines(text: &str) -> Vec<&str> {
    let mut lines = leading_blocks(text, OUR_BLOCKS).lines().map(str::trim_end);
    let mut previous_blank = true;
    while let Some(line) = lines.next() {
        if previous_blank && line == "tanba-label" {
            lines.next(); // the timing line
            return lines.take_while(|l| !l.is_empty()).collect();
        }
        previous_blank = line.is_empty();
    }
    Vec::new()
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

    fn values() -> Values {
        Values::sample("{\"AIGC\":{}}", "{\"m\":1}")
    }

    #[test]
    fn srt_notice_is_cue_one_and_the_rest_move_up() {
        let srt =
            "1\n00:00:01,000 --> 00:00:03,000\nСәлем\n\n2\n00:00:04,000 --> 00:00:05,000\nӘлем\n";
        let out = label_srt(srt, LineEnding::Lf, &["ЖИ көмегімен жасалған"], 4.0);
        assert_eq!(
            out,
            "1\n00:00:00,000 --> 00:00:04,000\nЖИ көмегімен жасалған\n\n\
             2\n00:00:01,000 --> 00:00:03,000\nСәлем\n\n3\n00:00:04,000 --> 00:00:05,000\nӘлем\n"
        );
        assert!(!find_marks(&out).any(), "no mark a player could show");
        // A digit line inside a cue's text is not a cue number.
        let text = "1\n00:00:01,000 --> 00:00:02,000\n42\n";
        assert_eq!(renumber(text, 1), "2\n00:00:01,000 --> 00:00:02,000\n42\n");
    }

    #[test]
    fn vtt_notes_after_header() {
        let vtt = "WEBVTT - title\nKind: captions\n\n00:01.000 --> 00:02.000\nСәлем\n";
        let out = label_vtt(vtt, LineEnding::Lf, &["ЖИ"], 2.5, &values());
        assert!(out.starts_with("WEBVTT - title\nKind: captions\n\nNOTE AIGC {"));
        assert!(out.contains("tanba-label\n00:00:00.000 --> 00:00:02.500\nЖИ\n\n00:01.000"));
        assert!(out.ends_with("00:01.000 --> 00:02.000\nСәлем\n"));
        assert_eq!(find_marks(&out).manifest.as_deref(), Some("{\"m\":1}"));
        let bare = label_vtt("WEBVTT", LineEnding::Lf, &["ЖИ"], 2.0, &values());
        assert!(bare.starts_with("WEBVTT\n\nNOTE AIGC"), "{bare}");
    }

    #[test]
    fn strip_undoes_label() {
        let known = KnownTexts::new(&tanba_core::Label::default(), None);
        let lines = ["ЖИ көмегімен жасалған", "Создано с помощью ИИ"];
        let srt = "1\r\n00:00:01,000 --> 00:00:03,000\r\nСәлем\r\n\r\n2\r\n00:00:04,000 --> 00:00:05,000\r\nӘлем\r\n";
        let once = label_srt(srt, LineEnding::CrLf, &lines, 4.0);
        assert_eq!(strip(&once, &known), srt);
        // Earlier versions: a zero-length marks cue and a notice cue, both `0`.
        let legacy = format!(
            "0\n00:00:00,000 --> 00:00:00,000\nAIGC: {{}}\nTanba-Manifest: {{}}\n\n\
             0\n00:00:00,000 --> 00:00:04,000\n{}\n\n{srt}",
            lines[0]
        );
        assert_eq!(strip(&legacy, &known), srt);
        for vtt in ["WEBVTT\n\n00:01.000 --> 00:02.000\nСәлем\n", "WEBVTT"] {
            let once = label_vtt(vtt, LineEnding::Lf, &lines, 4.0, &values());
            let stripped = strip(&once, &known);
            assert_eq!(
                label_vtt(&stripped, LineEnding::Lf, &lines, 4.0, &values()),
                once
            );
        }
        // A cue of the author that happens to start at 0 stays.
        let own = "1\n00:00:00,000 --> 00:00:01,000\nHello\n";
        assert_eq!(strip(own, &known), own);
    }

    #[test]
    fn timings_are_checked_and_cues_counted() {
        let limits = Limits::default();
        let srt = "1\n00:00:01,000 --> 00:00:02,000 X1:1\nA --> B\n";
        assert!(check_cues(srt, false, &limits).is_ok());
        assert!(check_cues("1\n00:00:01,000 --> \nA\n", false, &limits).is_err());
        assert!(check_cues("WEBVTT\n\n01.000 --> 02.000\nA\n", true, &limits).is_err());
        assert!(check_cues("WEBVTTX\n\n00:01.000 --> 00:02.000\n", true, &limits).is_err());
        let vtt = "WEBVTT\n\nid\n00:01.000 --> 00:02.000 align:start\nA\n";
        assert!(check_cues(vtt, true, &limits).is_ok());
        let few = Limits {
            max_objects: 1,
            ..Limits::default()
        };
        let two = "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n";
        let err = check_cues(two, false, &few).unwrap_err();
        assert_eq!(err.kind_name(), "limit-exceeded");
    }
}
