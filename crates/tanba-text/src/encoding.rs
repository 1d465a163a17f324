//! Decoding text to a `String` and back without changing a byte of what
//! was not ours: the BOM, the encoding and the line endings are kept.

use tanba_core::{Error, Result};

/// How the original bytes were encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a BOM.
    Utf8,
    /// UTF-8 with a BOM.
    Utf8Bom,
    /// UTF-16 little-endian with a BOM.
    Utf16LeBom,
    /// UTF-16 big-endian with a BOM.
    Utf16BeBom,
    /// A legacy single-byte encoding the caller named (Windows-1251, KOI8-R … as the WHATWG Encoding Standard names them; KZ-1048 is not among them).
    Legacy(&'static encoding_rs::Encoding),
}

/// The line ending the file uses, so inserted lines match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    CrLf,
}

impl LineEnding {
    /// The characters.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }

    /// The ending of the first line break in `text`; LF when there is none.
    pub fn detect(text: &str) -> Self {
        match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => LineEnding::CrLf,
            _ => LineEnding::Lf,
        }
    }
}

/// A decoded text file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text, without the BOM.
    pub text: String,
    /// How to encode it back.
    pub encoding: TextEncoding,
    /// Its line ending.
    pub eol: LineEnding,
}

/// Decodes UTF-8 (with or without BOM) or UTF-16 with a BOM. Anything else
/// is refused unless the caller names the legacy encoding: guessing
/// between Windows-1251, KZ-1048 and KOI8 would mangle Kazakh text.
pub fn decode(bytes: &[u8], legacy: Option<&'static encoding_rs::Encoding>) -> Result<Decoded> {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (utf8(rest)?, TextEncoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (utf16(rest, u16::from_le_bytes)?, TextEncoding::Utf16LeBom)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (utf16(rest, u16::from_be_bytes)?, TextEncoding::Utf16BeBom)
    } else if bytes.contains(&0) {
        return Err(Error::unsupported("binary data (NUL bytes), not text"));
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), TextEncoding::Utf8),
            Err(e) => match legacy {
                Some(enc) => {
                    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
                    if had_errors {
                        return Err(Error::malformed(format!("not valid {}", enc.name())));
                    }
                    (text.into_owned(), TextEncoding::Legacy(enc))
                }
                None => {
                    return Err(Error::unsupported(format!(
                        "text is not UTF-8 (invalid byte at offset {}); it looks like a legacy \
                         encoding such as Windows-1251: convert it to UTF-8 \
                         (iconv -f WINDOWS-1251 -t UTF-8) or name it with --text-encoding",
                        e.valid_up_to()
                    )));
                }
            },
        }
    };
    if text.contains('\0') {
        return Err(Error::unsupported("binary data (NUL characters), not text"));
    }
    // The same rule as `looks_like_text`, over the whole file: a control
    // character past the sniffed head is binary data too.
    if let Some(at) = text.find(|c: char| c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x0C')) {
        return Err(Error::unsupported(format!(
            "binary data (control character at byte {at}), not text"
        )));
    }
    let eol = LineEnding::detect(&text);
    Ok(Decoded {
        text,
        encoding,
        eol,
    })
}

fn utf8(bytes: &[u8]) -> Result<String> {
    std::str::from_utf8(bytes)
        .map(str::to_string)
        .map_err(|e| Error::malformed(format!("invalid UTF-8 at offset {}", e.valid_up_to() + 3)))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::malformed(
            "UTF-16 text with an odd number of bytes (truncated)",
        ));
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<std::result::Result<String, _>>()
        .map_err(|e| Error::malformed(format!("invalid UTF-16: {e}")))
}

/// Encodes `text` back the way it came. Refuses when a legacy encoding
/// cannot hold a character of the label (Windows-1251 has no Ә or Қ).
pub fn encode(text: &str, encoding: TextEncoding) -> Result<Vec<u8>> {
    Ok(match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf8Bom => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend_from_slice(text.as_bytes());
            out
        }
        TextEncoding::Utf16LeBom => {
            let mut out = vec![0xFF, 0xFE];
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        }
        TextEncoding::Utf16BeBom => {
            let mut out = vec![0xFE, 0xFF];
            out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            out
        }
        TextEncoding::Legacy(enc) => {
            let (bytes, _, had_errors) = enc.encode(text);
            if had_errors {
                return Err(Error::cannot_label(format!(
                    "{} cannot hold every letter of the label (Kazakh letters such as Ә, Қ, Ң); \
                     convert the file to UTF-8 or use a label it can hold",
                    enc.name()
                )));
            }
            bytes.into_owned()
        }
    })
}

/// Whether `head` looks like text: a BOM, or UTF-8 without NUL or other
/// control characters apart from tab, CR, LF and form feed.
pub fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return true;
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return head.len() >= 4;
    }
    if head.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut by the end of the head is fine.
        Err(e) => e.error_len().is_none(),
    };
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if controls > 0 {
        return false;
    }
    // Legacy 8-bit text (Windows-1251) is still text: it is sniffed, and
    // then decoded by name or refused with a clear reason.
    valid
        || head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let text = "Сәлем\r\nәлем\r\n";
        for enc in [
            TextEncoding::Utf8,
            TextEncoding::Utf8Bom,
            TextEncoding::Utf16LeBom,
            TextEncoding::Utf16BeBom,
        ] {
            let bytes = encode(text, enc).unwrap();
            let back = decode(&bytes, None).unwrap();
            assert_eq!(back.text, text);
            assert_eq!(back.encoding, enc);
            assert_eq!(back.eol, LineEnding::CrLf);
            assert_eq!(encode(&back.text, back.encoding).unwrap(), bytes);
        }
    }

    #[test]
    fn windows_1251_is_refused_unless_named() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Привет, мир\n");
        let err = decode(&bytes, None).unwrap_err();
        assert!(err.to_string().contains("Windows-1251"), "{err}");
        let d = decode(&bytes, Some(encoding_rs::WINDOWS_1251)).unwrap();
        assert_eq!(d.text, "Привет, мир\n");
        // Kazakh letters do not fit in Windows-1251: refused, not mangled.
        assert!(encode("Қазақ", d.encoding).is_err());
        assert_eq!(
            encode("Создано", d.encoding).unwrap(),
            encoding_rs::WINDOWS_1251.encode("Создано").0.into_owned()
        );
    }

    #[test]
    fn binary_is_not_text() {
        assert!(!looks_like_text(b"\x89PNG\r\n\x1a\n\0\0"));
        assert!(!looks_like_text(b""));
        assert!(looks_like_text("# Тақырып\n".as_bytes()));
        assert!(looks_like_text(&"ә".as_bytes()[..1]));
    }
}
