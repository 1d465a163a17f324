//! A PDF writer in plain std: a book of text pages with a JPEG on each
//! (embedded as-is with /DCTDecode), and a one-page stamp for `qpdf --overlay`.

use std::fmt::Write as _;

/// A4 in points.
const PAGE_W: u32 = 595;
const PAGE_H: u32 = 842;

/// Width and height of a baseline or progressive JPEG, from its SOF marker.
pub fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(bytes[i + 2]) << 8 | usize::from(bytes[i + 3]);
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u32::from(bytes[i + 5]) << 8 | u32::from(bytes[i + 6]);
            let w = u32::from(bytes[i + 7]) << 8 | u32::from(bytes[i + 8]);
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}

/// Collects objects and writes them with a classic xref table.
struct Writer {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    fn new() -> Self {
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        out.reserve(1 << 20);
        Writer {
            out,
            offsets: Vec::new(),
        }
    }

    /// Reserves the next object number.
    fn next_id(&self) -> usize {
        self.offsets.len() + 1
    }

    fn object(&mut self, body: &str) -> usize {
        self.offsets.push(self.out.len());
        let id = self.offsets.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
        id
    }

    fn stream(&mut self, dict: &str, data: &[u8]) -> usize {
        self.offsets.push(self.out.len());
        let id = self.offsets.len();
        self.out.extend_from_slice(
            format!("{id} 0 obj\n<< {dict} /Length {} >>\nstream\n", data.len()).as_bytes(),
        );
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        id
    }

    /// Appends the xref table and trailer.
    fn finish(mut self, root: usize) -> Vec<u8> {
        let xref = self.out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for off in &self.offsets {
            let _ = writeln!(table, "{off:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            self.offsets.len() + 1
        );
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

/// Escapes a string for a PDF literal.
fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('(');
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

const WORDS: &[&str] = &[
    "artificial",
    "intelligence",
    "law",
    "Kazakhstan",
    "article",
    "label",
    "content",
    "generated",
    "system",
    "operator",
    "model",
    "report",
    "public",
    "notice",
    "synthetic",
    "media",
    "provenance",
    "the",
    "of",
    "and",
    "with",
    "for",
    "shall",
    "be",
];

/// A book of `pages` A4 pages: a heading, about forty lines of text and one
/// of `images` (JPEG bytes) on each page, every page with its own image object.
pub fn book(pages: usize, images: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let mut w = Writer::new();
    // 1: catalog, 2: pages tree, 3: font, then three objects per page.
    let catalog = w.object("<< /Type /Catalog /Pages 2 0 R >>");
    let pages_id = catalog + 1;
    let kids: Vec<String> = (0..pages)
        .map(|i| format!("{} 0 R", pages_id + 2 + i * 3 + 2))
        .collect();
    w.object(&format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    ));
    let font = w.object(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for p in 0..pages {
        let jpeg = &images[p % images.len().max(1)];
        let (iw, ih) = jpeg_size(jpeg).ok_or("a bench image is not a JPEG")?;
        let image = w.stream(
            &format!(
                "/Type /XObject /Subtype /Image /Width {iw} /Height {ih} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode"
            ),
            jpeg,
        );
        let mut content = String::new();
        let _ = writeln!(
            content,
            "BT /F1 18 Tf 56 780 Td {} Tj ET",
            literal(&format!("Chapter {} - page {}", p / 10 + 1, p + 1))
        );
        // The picture in the upper middle, 4:3.
        let (dw, dh) = (400u32, 400 * ih / iw.max(1));
        let _ = writeln!(
            content,
            "q {dw} 0 0 {dh} {} {} cm /Im1 Do Q",
            (PAGE_W - dw) / 2,
            760 - dh
        );
        content.push_str("BT /F1 10 Tf 13 TL 56 ");
        let _ = writeln!(content, "{} Td", 740 - dh);
        for _ in 0..(700 - dh) / 13 {
            let mut line = String::new();
            while line.len() < 90 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(WORDS[(seed % WORDS.len() as u64) as usize]);
            }
            let _ = writeln!(content, "{} Tj T*", literal(&line));
        }
        content.push_str("ET\n");
        let contents = w.stream("", content.as_bytes());
        let expected = w.next_id();
        let page = w.object(&format!(
            "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 {font} 0 R >> /XObject << /Im1 {image} 0 R >> >> /Contents {contents} 0 R >>"
        ));
        if page != expected || page != pages_id + 2 + p * 3 + 2 {
            return Err("pdfgen: object numbering went wrong".into());
        }
    }
    Ok(w.finish(catalog))
}

/// A one-page A4 stamp: a dark box with the label in the bottom-right
/// corner, ASCII only (Helvetica), for `qpdf --overlay`.
pub fn stamp() -> Vec<u8> {
    let mut w = Writer::new();
    let catalog = w.object("<< /Type /Catalog /Pages 2 0 R >>");
    w.object("<< /Type /Pages /Kids [5 0 R] /Count 1 >>");
    let font = w.object(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    let content = "q 0.1 0.1 0.1 rg 335 18 242 44 re f Q\nBT 1 1 1 rg /F1 11 Tf 345 46 Td (ZhI komegimen zhasalgan) Tj 0 -16 Td (Sozdano s pomoshchyu II) Tj ET\n";
    let contents = w.stream("", content.as_bytes());
    w.object(&format!(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 {font} 0 R >> >> /Contents {contents} 0 R >>"
    ));
    w.finish(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jpeg_size() {
        // SOI, APP0 (length 4), SOF0 with 3x2.
        let bytes = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00,
            0x02, 0x00, 0x03, 0x03, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(jpeg_size(&bytes), Some((3, 2)));
    }

    #[test]
    fn stamp_is_a_pdf() {
        let s = stamp();
        assert!(s.starts_with(b"%PDF-1.7") && s.ends_with(b"%%EOF\n"));
    }
}
