//! How a page's own content leaves the graphics-state stack.
//!
//! The stamp wraps the page's content in `q … Q` so that what the content
//! leaves in the graphics state cannot move or hide the banner. That holds
//! only if the content's own `q` and `Q` balance. Producers get this wrong
//! both ways: a `q` left open keeps its CTM and clip past our `Q`, and an
//! extra `Q` pops our `q`. So the content streams are scanned (decoded,
//! then tokenised far enough to skip strings, comments and inline images)
//! and the wrapper opens and closes as many levels as needed.

use lopdf::{Document, Object};

/// The most bytes one content stream is decoded to for the scan (a
/// decompression bomb stops there); a page beyond it is assumed balanced,
/// and a note says so.
const MAX_SCANNED_BYTES: usize = 256 * 1024 * 1024;

/// The unmatched `Q` and `q` operators of a page's content, in drawing order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveBalance {
    /// `Q` with no `q` of the page's own before it: each pops a level the
    /// wrapper must have pushed.
    pub extra_restores: usize,
    /// `q` still open when the content ends: each must be closed before
    /// the banner is drawn.
    pub left_open: usize,
    /// A stream ends inside a string, hex string or inline image: readers
    /// would read the banner after it as part of that token, and not draw it.
    pub cut: bool,
}

impl SaveBalance {
    /// Follows the operators of one more stream (streams of a page are one
    /// content split at token boundaries).
    pub(crate) fn scan(&mut self, content: &[u8]) {
        let mut tokens = Tokens {
            bytes: content,
            at: 0,
            cut: false,
        };
        while let Some(token) = tokens.next_operator() {
            match token {
                b"q" => self.left_open += 1,
                b"Q" if self.left_open > 0 => self.left_open -= 1,
                b"Q" => self.extra_restores += 1,
                _ => {}
            }
        }
        self.cut |= tokens.cut;
    }
}

/// The balance of the page content made of `contents` (the page's
/// `/Contents` streams), or why it cannot be read.
pub fn balance(doc: &Document, contents: &[Object]) -> Result<SaveBalance, String> {
    let mut balance = SaveBalance::default();
    for item in contents {
        let Ok((_, Object::Stream(stream))) = doc.dereference(item) else {
            // A missing stream draws nothing.
            continue;
        };
        let bytes = stream
            .get_plain_content_with_limit(MAX_SCANNED_BYTES)
            .map_err(|e| format!("its content could not be decoded ({e})"))?;
        balance.scan(&bytes);
    }
    Ok(balance)
}

/// Splits content-stream bytes into operators and operands, far enough to
/// find operators: strings, hex strings, names, comments and inline image
/// data are skipped whole.
struct Tokens<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The bytes ended inside a string, hex string or inline image.
    cut: bool,
}

fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'a> Tokens<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// The next regular token that is not an operand (a number, a name, a
    /// string …): the operators, and `true`/`false`/`null`, which never
    /// equal `q` or `Q`.
    fn next_operator(&mut self) -> Option<&'a [u8]> {
        loop {
            let b = self.peek()?;
            if is_white(b) {
                self.at += 1;
                continue;
            }
            match b {
                b'%' => self.skip_line(),
                b'(' => self.skip_string(),
                b'<' if self.bytes.get(self.at + 1) == Some(&b'<') => self.at += 2,
                b'<' => self.skip_until(b'>'),
                b'/' => {
                    self.at += 1;
                    self.skip_regular();
                }
                b'>' | b'[' | b']' | b'{' | b'}' | b')' => self.at += 1,
                _ => {
                    let start = self.at;
                    self.skip_regular();
                    let token = &self.bytes[start..self.at];
                    if token == b"ID" {
                        self.skip_inline_image();
                    } else if !token
                        .first()
                        .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.'))
                    {
                        return Some(token);
                    }
                }
            }
        }
    }

    fn skip_regular(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) || is_delimiter(b) {
                break;
            }
            self.at += 1;
        }
    }

    fn skip_line(&mut self) {
        while let Some(b) = self.peek() {
            self.at += 1;
            if b == b'\n' || b == b'\r' {
                break;
            }
        }
    }

    fn skip_until(&mut self, end: u8) {
        while let Some(b) = self.peek() {
            self.at += 1;
            if b == end {
                return;
            }
        }
        self.cut = true;
    }

    /// A literal string: balanced parentheses, backslash escapes.
    fn skip_string(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
        self.cut = true;
    }

    /// Inline image data after `ID` runs to `EI` standing alone (white
    /// space before it, white space, a delimiter or the end after it).
    fn skip_inline_image(&mut self) {
        // One white-space byte separates `ID` from the data.
        self.at += 1;
        while self.at < self.bytes.len() {
            let here = &self.bytes[self.at..];
            if here.len() >= 3
                && is_white(here[0])
                && &here[1..3] == b"EI"
                && here.get(3).is_none_or(|&c| is_white(c) || is_delimiter(c))
            {
                self.at += 3;
                return;
            }
            self.at += 1;
        }
        self.cut = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(content: &str) -> SaveBalance {
        let mut balance = SaveBalance::default();
        balance.scan(content.as_bytes());
        balance
    }

    #[test]
    fn counts_only_operators() {
        assert_eq!(of("q 1 0 0 1 0 0 cm Q"), SaveBalance::default());
        assert_eq!(
            of("q q 2 0 0 2 0 0 cm /q gs"),
            SaveBalance {
                extra_restores: 0,
                left_open: 2,
                cut: false
            }
        );
        assert_eq!(
            of("Q Q q"),
            SaveBalance {
                extra_restores: 2,
                left_open: 1,
                cut: false
            }
        );
        // Strings, names, comments, dictionaries and inline images hide
        // q and Q that are not operators.
        let hidden = "BT (q \\) Q (q)) Tj <51> Tj ET % q Q\n/Q 1 Tf \
                      /Span <</ActualText (Q)>> BDC EMC \
                      BI /W 4 /H 1 /BPC 8 /CS /G ID q Q\nq EI Q";
        assert_eq!(
            of(hidden),
            SaveBalance {
                extra_restores: 1,
                left_open: 0,
                cut: false
            }
        );
        for cut in ["BT (never closed Tj ET", "<41 Tj", "BI /W 1 ID xyz"] {
            assert!(of(cut).cut, "{cut}");
        }
    }
}
