//! Big Markdown and plain text files in flat memory: the head is read to
//! find where the notice and the marks go, the checks the whole-file path
//! makes (UTF-8, NUL and control characters) run over the file in chunks,
//! and the rest is copied through as it is. The output is the same bytes
//! the whole-file path writes; whatever this path cannot settle from the
//! head (a forced relabel, UTF-16, a legacy encoding, a front matter longer
//! than the head) goes the whole-file way, which `max_text_bytes` bounds.

use std::io::{Read, SeekFrom, Write};

use tanba_core::{Error, Limits, Result, Source};

use crate::encoding::LineEnding;
use crate::{markdown, plain};

/// Files from this size on take the streamed path (smaller ones are read
/// whole: they are small).
pub const STREAM_FROM: u64 = 4 * 1024 * 1024;
/// How much of the start is read to place the notice.
const HEAD: usize = 256 * 1024;
/// The copy and check buffer.
const CHUNK: usize = 256 * 1024;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The start of a streamed text file.
#[derive(Debug)]
pub struct Head {
    /// The UTF-8 BOM when the file has one.
    pub bom: &'static [u8],
    /// The head's text after the BOM, cut after its last line break.
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
    !force && len >= STREAM_FROM && matches!(format, "markdown" | "text")
}

/// Reads the head and the tail, and checks the whole file as the
/// whole-file decoder would; `None` when the file must go the whole-file
/// way (see the module's note).
pub fn open(source: &mut Source<'_>, limits: &Limits, legacy: bool) -> Result<Option<Head>> {
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
    let Some(cut) = head.iter().rposition(|&b| b == b'\n') else {
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
        if let Some(i) = chunk.iter().position(|&b| b < b' ') {
            let scan = &chunk[i..];
            found.nul |= scan.contains(&0);
            if found.control.is_none() {
                found.control = scan
                    .iter()
                    .position(|&b| b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
                    .map(|j| offset + (i + j) as u64);
            }
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

/// Whether the head holds what the format's labelling looks at.
pub fn head_suffices(format: &str, head: &Head) -> bool {
    format != "markdown" || markdown::head_suffices(&head.text)
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
    use crate::{MARKDOWN, PLAIN, TextLabeler, encoding};

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
        assert!(!head_suffices("markdown", &h));
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
