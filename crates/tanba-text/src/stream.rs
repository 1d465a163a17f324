//! Big text files in flat memory: the head is read to find where the
//! notice and the marks go, the checks the whole-file path makes (UTF-8,
//! NUL and control characters, subtitle cues) run over the file in chunks,
//! and the rest is copied through as it is (SubRip's cue numbers moved up a
//! line at a time). The output is the same bytes the whole-file path
//! writes; whatever this path cannot settle from the head (a forced
//! relabel, UTF-16, a legacy encoding, a front matter longer than the head,
//! an HTML `<meta>` after it, see `stream_formats`) goes the whole-file
//! way, which `max_text_bytes` bounds.

use std::io::{BufRead, BufReader, Read, SeekFrom, Write};

use tanba_core::{Error, Limits, ReadSeek, Result, Source};

use crate::encoding::LineEnding;
use crate::plain;

/// Files from this size on take the streamed path (smaller ones are read
/// whole: they are small).
pub const STREAM_FROM: u64 = 4 * 1024 * 1024;
/// How much of the start is read to place the notice.
const HEAD: usize = 256 * 1024;
/// The copy and check buffer.
pub const CHUNK: usize = 256 * 1024;
/// The longest line the line-by-line passes (subtitles) take; a longer
/// one sends the file the whole-file way.
const MAX_LINE: usize = 64 * 1024;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The start of a streamed text file.
#[derive(Debug)]
pub struct Head {
    /// The UTF-8 BOM when the file has one.
    pub bom: &'static [u8],
    /// The head's text after the BOM, cut after its last line break (HTML:
    /// after its last `>`).
    pub text: String,
    /// The file's line ending (its first line break is in the head).
    pub eol: LineEnding,
    /// The last bytes of the text, for plain text's footer
    /// ([`plain::FOOTER_SCAN`]), starting on a character boundary.
    pub tail: String,
    /// Whether the text's last byte is a line break.
    pub ends_with_newline: bool,
}

/// Whether `format` is streamed for a file of `len` bytes.
pub fn applies(format: &str, len: u64, force: bool) -> bool {
    !force && len >= STREAM_FROM && matches!(format, "markdown" | "text" | "html" | "srt" | "vtt")
}

/// Reads the head and the tail, and checks the whole file as the
/// whole-file decoder would; `None` when the file must go the whole-file
/// way (see the module's note).
pub fn open(source: &mut Source<'_>, limits: &Limits, legacy: bool) -> Result<Option<Head>> {
    let cut_after = if source.format.name == "html" {
        b'>'
    } else {
        b'\n'
    };
    limits.check_text_bytes(source.len)?;
    limits.check_bytes(source.len)?;
    source.reader.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(HEAD);
    (&mut *source.reader)
        .take(HEAD as u64)
        .read_to_end(&mut head)?;
    let bom: &'static [u8] = if head.starts_with(BOM) { BOM } else { b"" };
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Ok(None);
    }
    let Some(cut) = head.iter().rposition(|&b| b == cut_after) else {
        return Ok(None);
    };
    head.truncate(cut + 1);
    let Ok(text) = String::from_utf8(head.split_off(bom.len())) else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    if !check(source, bom.len() as u64, legacy)? {
        return Ok(None);
    }
    let (tail, ends_with_newline) = read_tail(source, bom.len() as u64)?;
    let eol = LineEnding::detect(&text);
    Ok(Some(Head {
        bom,
        text,
        eol,
        tail,
        ends_with_newline,
    }))
}

/// The last [`plain::FOOTER_SCAN`] bytes of the text from the first
/// character that starts in them, and whether the last byte is `\n`.
fn read_tail(source: &mut Source<'_>, start: u64) -> Result<(String, bool)> {
    let from = source
        .len
        .saturating_sub(plain::FOOTER_SCAN as u64)
        .max(start);
    source.reader.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::with_capacity(plain::FOOTER_SCAN);
    source.reader.read_to_end(&mut tail)?;
    let ends = tail.last() == Some(&b'\n');
    let first = tail
        .iter()
        .position(|&b| !(0x80..0xC0).contains(&b))
        .unwrap_or(tail.len());
    let tail = String::from_utf8(tail.split_off(first))
        .map_err(|e| Error::malformed(format!("invalid UTF-8 near the end: {e}")))?;
    Ok((tail, ends))
}

/// What the chunked check found.
#[derive(Default)]
struct Findings {
    nul: bool,
    bad_utf8: Option<u64>,
    control: Option<u64>,
}

/// Checks the text from `start` (after any BOM) in chunks, with the
/// whole-file decoder's errors in its order: `Ok(false)` when it is not
/// UTF-8 but a legacy encoding is named (the whole-file way decodes it).
fn check(source: &mut Source<'_>, start: u64, legacy: bool) -> Result<bool> {
    source.reader.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0u8; CHUNK + 4];
    let mut carry = 0usize;
    let mut offset = 0u64; // text offset of buf[0]
    let mut found = Findings::default();
    loop {
        let n = source.reader.read(&mut buf[carry..carry + CHUNK])?;
        let end = carry + n;
        let chunk = &buf[..end];
        // NUL is a control character too: a chunk without one has neither.
        if let Some(i) = first_control(chunk) {
            found.nul |= memchr::memchr(0, &chunk[i..]).is_some();
            found.control.get_or_insert(offset + i as u64);
        }
        let valid = match std::str::from_utf8(chunk) {
            Ok(_) => end,
            // An incomplete character at the end of a chunk is carried over.
            Err(e) if e.error_len().is_none() && n > 0 => e.valid_up_to(),
            Err(e) => {
                found
                    .bad_utf8
                    .get_or_insert(offset + e.valid_up_to() as u64);
                end
            }
        };
        if n == 0 {
            break;
        }
        if found.bad_utf8.is_some() && (start > 0 || legacy) {
            break;
        }
        buf.copy_within(valid..end, 0);
        carry = end - valid;
        offset += valid as u64;
    }
    verdict(&found, start > 0, legacy)
}

/// Whether `b` is a control character text may not hold (all below
/// space but tab, line feed, carriage return and form feed).
fn is_control(b: u8) -> bool {
    (b < b' ') & (b != b'\t') & (b != b'\n') & (b != b'\r') & (b != 0x0C)
}

/// The offset of the first control character ([`is_control`]) in
/// `bytes`. Each 64-byte block is tested without branches first, which
/// the compiler turns into vector code: text is mostly line breaks apart
/// from letters, and a plain search stops at each.
fn first_control(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for block in bytes.chunks(64) {
        if block.iter().fold(false, |any, &b| any | is_control(b)) {
            return block.iter().position(|&b| is_control(b)).map(|i| at + i);
        }
        at += block.len();
    }
    None
}

/// The whole-file decoder's first error for what [`check`] found.
fn verdict(found: &Findings, bom: bool, legacy: bool) -> Result<bool> {
    if !bom && found.nul {
        return Err(Error::unsupported("binary data (NUL bytes), not text"));
    }
    if let Some(at) = found.bad_utf8 {
        if bom {
            return Err(Error::malformed(format!(
                "invalid UTF-8 at offset {}",
                at + 3
            )));
        }
        if legacy {
            return Ok(false);
        }
        return Err(Error::unsupported(format!(
            "text is not UTF-8 (invalid byte at offset {at}); it looks like a legacy \
             encoding such as Windows-1251: convert it to UTF-8 \
             (iconv -f WINDOWS-1251 -t UTF-8) or name it with --text-encoding"
        )));
    }
    if found.nul {
        return Err(Error::unsupported("binary data (NUL characters), not text"));
    }
    if let Some(at) = found.control {
        return Err(Error::unsupported(format!(
            "binary data (control character at byte {at}), not text"
        )));
    }
    Ok(true)
}

/// Strings looked for after the head ([`rest_holds`]): tag openings (as
/// `<name` followed by `>`, `/` or white space, in any case) and strings.
#[derive(Debug)]
pub struct RestNeedles {
    /// Tag openings, lower case.
    pub tags: &'static [&'static [u8]],
    /// Strings, lower case (matched in any case).
    pub strings: &'static [&'static [u8]],
}

/// Whether the source from byte `from` to its end holds one of `needles`,
/// read in chunks.
pub fn rest_holds(source: &mut Source<'_>, from: u64, needles: &RestNeedles) -> Result<bool> {
    const KEEP: usize = 32;
    source.reader.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; CHUNK + KEEP];
    let mut carry = 0usize;
    loop {
        let n = source.reader.read(&mut buf[carry..])?;
        let end = carry + n;
        buf[carry..end].make_ascii_lowercase();
        let chunk = &buf[..end];
        if needles
            .strings
            .iter()
            .any(|s| memchr::memmem::find(chunk, s).is_some())
        {
            return Ok(true);
        }
        for tag in needles.tags {
            for at in memchr::memmem::find_iter(chunk, tag) {
                match chunk.get(at + tag.len()) {
                    Some(&c) if c == b'>' || c == b'/' || c.is_ascii_whitespace() => {
                        return Ok(true);
                    }
                    // Cut by the chunk's end: seen whole in the next one.
                    _ => {}
                }
            }
        }
        if n == 0 {
            return Ok(false);
        }
        carry = KEEP.min(end);
        buf.copy_within(end - carry..end, 0);
    }
}

/// The lines of a text, each with its line break, read through a buffer
/// from a byte on: flat memory for lines up to [`MAX_LINE`] bytes.
pub struct Lines<'r> {
    reader: BufReader<&'r mut dyn ReadSeek>,
    bytes: Vec<u8>,
    /// Whether reading stopped at a line longer than [`MAX_LINE`].
    pub too_long: bool,
}

impl<'r> Lines<'r> {
    /// The lines from byte `start` of `reader`.
    pub fn new(reader: &'r mut dyn ReadSeek, start: u64) -> Result<Self> {
        reader.seek(SeekFrom::Start(start))?;
        Ok(Lines {
            reader: BufReader::with_capacity(CHUNK, reader),
            bytes: Vec::with_capacity(1024),
            too_long: false,
        })
    }

    /// The next line into `line`; `false` at the end or at a line longer
    /// than [`MAX_LINE`] ([`Lines::too_long`]).
    pub fn next_into(&mut self, line: &mut String) -> Result<bool> {
        self.bytes.clear();
        line.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.bytes)?;
        if n > MAX_LINE {
            self.too_long = true;
            return Ok(false);
        }
        let text = std::str::from_utf8(&self.bytes)
            .map_err(|e| Error::malformed(format!("invalid UTF-8 in a line: {e}")))?;
        line.push_str(text);
        Ok(n > 0)
    }
}

/// `line` without its line break, as `str::lines` gives it.
pub fn without_break(line: &str) -> &str {
    match line.strip_suffix('\n') {
        Some(line) => line.strip_suffix('\r').unwrap_or(line),
        None => line,
    }
}

/// Copies the source from byte `from` to its end into `output`.
pub fn copy_from(source: &mut Source<'_>, from: u64, output: &mut dyn Write) -> Result<()> {
    source.reader.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = source.reader.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        output.write_all(&buf[..n])?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::io::Cursor;

    use tanba_core::{Job, Labeler, Labelled};

    use super::*;
    use crate::{HTML, MARKDOWN, PLAIN, SRT, TextLabeler, VTT, encoding};

    /// `head` and then lines up to past [`STREAM_FROM`].
    fn big(head: &str, eol: &str, end: &str) -> Vec<u8> {
        let mut s = head.to_string();
        let mut i = 0;
        while (s.len() as u64) < STREAM_FROM + 1000 {
            s.push_str(&format!(
                "Paragraph {i} with Қазақ letters and *stars*.{eol}{eol}"
            ));
            i += 1;
        }
        s.push_str(end);
        s.into_bytes()
    }

    fn source<'a>(cursor: &'a mut Cursor<&[u8]>, format: &'static Format) -> Source<'a> {
        let len = cursor.get_ref().len() as u64;
        Source {
            reader: cursor,
            format,
            path: None,
            len,
        }
    }

    use tanba_core::Format;

    fn label(bytes: &[u8], format: &'static Format) -> Result<(Vec<u8>, Labelled)> {
        let mut out = Cursor::new(Vec::new());
        let mut input = Cursor::new(bytes);
        let l = TextLabeler::default().label(source(&mut input, format), &mut out, &Job::new())?;
        Ok((out.into_inner(), l))
    }

    /// What the whole-file path writes for `bytes` with `manifest`.
    fn whole(bytes: &[u8], format: &'static Format, l: &Labelled) -> Vec<u8> {
        let labeler = TextLabeler::default();
        let decoded = encoding::decode(bytes, None).unwrap();
        let text = labeler
            .labelled(format, &decoded, &decoded.text, &Job::new(), &l.manifest)
            .unwrap();
        encoding::encode(&text, decoded.encoding).unwrap()
    }

    #[test]
    fn streamed_output_is_the_whole_paths_bytes() {
        let heads = [
            (&MARKDOWN, "# Title\n\nText.\n\n", "\n", "last line\n"),
            (
                &MARKDOWN,
                "---\ntitle: x\n---\n# Title\n",
                "\n",
                "no final break",
            ),
            (&MARKDOWN, "+++\ntitle = 'x'\n+++\r\n\r\n", "\r\n", ""),
            (&MARKDOWN, "\u{FEFF}<!-- a comment -->\n\ntext\n", "\n", ""),
            (&PLAIN, "First line.\r\n", "\r\n", "ends open"),
            (&PLAIN, "\u{FEFF}Бірінші жол.\n", "\n", "end\n"),
        ];
        for (format, head, eol, end) in heads {
            let bytes = big(head, eol, end);
            let (out, l) = label(&bytes, format).unwrap();
            assert_eq!(out, whole(&bytes, format, &l), "{head:?}");
            // Streamed verification finds the notice and the marks.
            let mut cursor = Cursor::new(out.as_slice());
            let v = TextLabeler::default()
                .verify(source(&mut cursor, format), &Limits::default())
                .unwrap();
            assert!(v.is_compliant(), "{head:?}: {v:?}");
            // And a second labelling sees the first.
            let err = label(&out, format).unwrap_err();
            assert_eq!(err.kind_name(), "already-labelled", "{head:?}");
        }
    }

    /// `head`, then `unit(i)` for i = 0, 1 … up to past [`STREAM_FROM`],
    /// then `end`.
    fn big_of(head: &str, unit: impl Fn(usize) -> String, end: &str) -> Vec<u8> {
        let mut s = head.to_string();
        let mut i = 0;
        while (s.len() as u64) < STREAM_FROM + 1000 {
            s.push_str(&unit(i));
            i += 1;
        }
        s.push_str(end);
        s.into_bytes()
    }

    /// Labels `bytes` on the streamed path alone: `None` when it gives
    /// way to the whole-file path.
    fn streamed(bytes: &[u8], format: &'static Format) -> Option<(Vec<u8>, Labelled)> {
        let mut out = Cursor::new(Vec::new());
        let mut input = Cursor::new(bytes);
        let mut src = source(&mut input, format);
        let l = TextLabeler::default()
            .label_streamed(&mut src, &mut out, &Job::new())
            .unwrap()?;
        Some((out.into_inner(), l))
    }

    /// The streamed output (when `streams`, else the whole path's) is the
    /// whole path's bytes, verifies, and is seen as labelled.
    fn check_both_paths(bytes: &[u8], format: &'static Format, streams: bool, what: &str) {
        let got = streamed(bytes, format);
        assert_eq!(got.is_some(), streams, "{what}: streamed or not");
        let (out, l) = got.unwrap_or_else(|| label(bytes, format).unwrap());
        let expected = whole(bytes, format, &l);
        if out != expected {
            let at = out.iter().zip(&expected).position(|(a, b)| a != b);
            let at = at.unwrap_or(out.len().min(expected.len()));
            let show = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{what}: differs at {at}: {:?} vs {:?}",
                show(&out),
                show(&expected)
            );
        }
        let mut cursor = Cursor::new(out.as_slice());
        let v = TextLabeler::default()
            .verify(source(&mut cursor, format), &Limits::default())
            .unwrap();
        // SubRip's mark is its sidecar, which a file without a path lacks.
        if format.name == "srt" {
            assert!(v.perceptible.found, "{what}: {v:?}");
        } else {
            assert!(v.is_compliant(), "{what}: {v:?}");
        }
        let err = label(&out, format).unwrap_err();
        assert_eq!(err.kind_name(), "already-labelled", "{what}");
    }

    #[test]
    fn streamed_html_is_the_whole_paths_bytes() {
        let p = |i: usize| format!("<p>Paragraph {i} with Қазақ letters &amp; <b>tags</b>.</p>\n");
        let long = |unit: &str| unit.repeat(HEAD / unit.len() + 10);
        let cases: Vec<(String, String, bool)> = vec![
            (
                "<!DOCTYPE html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\"><title>T</title></head>\n<body class=\"x\">\n".into(),
                "</body></html>\n".into(),
                true,
            ),
            ("<html><head><title>x</title></head>\n".into(), "</html>".into(), true),
            ("\u{FEFF}<!doctype html>\r\n".into(), "".into(), true),
            ("<meta charset=utf-8>\n<title>x</title>\n".into(), "".into(), true),
            ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\"></head><body>".into(), "</body></html>".into(), true),
            // A <meta> past the head may declare the encoding: read whole.
            ("<html><head></head><body>\n".into(), "<meta itemprop=\"x\" content=\"y\"></body>".into(), false),
            // The head cut inside a comment, a script, an attribute.
            (format!("<html><head></head><body><!-- {} -->", long("a > b\n")), "".into(), true),
            (format!("<html><head></head><body><script>{}</script>", long("if (a > b) f();\n")), "".into(), true),
            // The head ends before </head>, where the banner goes: read whole.
            (format!("<html><head><script>{}</script></head>", long("if (a > b) f();\n")), "".into(), false),
            (format!("<html><head></head><body><div title=\"{}\">", long("a>b ")), "</div>".into(), true),
            // Cut inside the <body> tag: the head places nothing, read whole.
            (format!("<html><head></head>\n<body data-x=\"{}\">", long("a>b ")), "".into(), false),
        ];
        for (head, end, streams) in cases {
            let bytes = big_of(&head, p, &end);
            check_both_paths(&bytes, &HTML, streams, &head[..head.len().min(60)]);
        }
    }

    #[test]
    fn streamed_subtitles_are_the_whole_paths_bytes() {
        let srt = |eol: &'static str| {
            move |i: usize| {
                format!(
                    "{}{eol}00:00:01,000 --> 00:00:02,500{eol}Line {i} Қазақ{eol}{i}{eol}{eol}",
                    i + 1
                )
            }
        };
        let vtt = |eol: &'static str| {
            move |i: usize| {
                format!("c{i}{eol}00:01.000 --> 00:02.000 align:start{eol}Line {i}{eol}{eol}")
            }
        };
        let cases: Vec<(Vec<u8>, &'static Format)> = vec![
            (big_of("", srt("\n"), ""), &SRT),
            (
                big_of(
                    "\u{FEFF}",
                    srt("\r\n"),
                    "9\r\n00:00:09,000 --> 00:00:09,500\r\nend",
                ),
                &SRT,
            ),
            (big_of("WEBVTT\n\n", vtt("\n"), ""), &VTT),
            (
                big_of(
                    "WEBVTT - title\r\nKind: captions\r\n\r\n",
                    vtt("\r\n"),
                    "last",
                ),
                &VTT,
            ),
        ];
        for (bytes, format) in cases {
            let what = format!(
                "{} {:?}",
                format.name,
                String::from_utf8_lossy(&bytes[..30])
            );
            check_both_paths(&bytes, format, true, &what);
        }
        // A bad timing far past the head: the whole path's error.
        let mut bytes = big_of("", srt("\n"), "");
        bytes.extend_from_slice(b"7\n00:00:01,000 --> soon\nx\n");
        let err = label(&bytes, &SRT).unwrap_err();
        let whole = subtitles_error(&bytes);
        assert_eq!(err.to_string(), whole, "{err}");
        assert!(err.to_string().contains("bad cue timing"), "{err}");
    }

    /// The whole-file path's error for SubRip `bytes`.
    fn subtitles_error(bytes: &[u8]) -> String {
        let decoded = encoding::decode(bytes, None).unwrap();
        crate::subtitles::check_cues(&decoded.text, false, &Limits::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_front_matter_longer_than_the_head_goes_the_whole_way() {
        let mut head = "---\n".to_string();
        while head.len() < HEAD + 100 {
            head.push_str("key: value value value\n");
        }
        head.push_str("---\n");
        let bytes = big(&head, "\n", "");
        let mut cursor = Cursor::new(bytes.as_slice());
        let mut src = source(&mut cursor, &MARKDOWN);
        let h = open(&mut src, &Limits::default(), false).unwrap().unwrap();
        assert!(!crate::markdown::head_suffices(&h.text));
        let (out, l) = label(&bytes, &MARKDOWN).unwrap();
        assert_eq!(out, whole(&bytes, &MARKDOWN, &l));
    }

    #[test]
    fn bad_bytes_past_the_head_are_refused_as_the_whole_path_refuses_them() {
        let cases: [(&[u8], &str, &str); 4] = [
            (b"\0", "unsupported", "NUL bytes"),
            (b"\x01", "unsupported", "control character at byte"),
            (b"\xC3(", "unsupported", "not UTF-8"),
            (b"\xE2\x82", "unsupported", "not UTF-8"),
        ];
        for (bad, kind, says) in cases {
            let mut bytes = big("# T\n", "\n", "");
            bytes.extend_from_slice(bad);
            let err = label(&bytes, &MARKDOWN).unwrap_err();
            assert_eq!(err.kind_name(), kind, "{bad:?}");
            let whole = encoding::decode(&bytes, None).unwrap_err();
            assert_eq!(err.to_string(), whole.to_string(), "{bad:?}");
            assert!(err.to_string().contains(says), "{err}");
        }
        let mut bytes = big("\u{FEFF}# T\n", "\n", "");
        bytes.extend_from_slice(b"\xFF");
        let err = label(&bytes, &MARKDOWN).unwrap_err();
        assert_eq!(err.kind_name(), "malformed");
        assert_eq!(
            err.to_string(),
            encoding::decode(&bytes, None).unwrap_err().to_string()
        );
    }
}
