//! Checking the cross-reference data as written, the way strict readers
//! (exiftool) read it. lopdf reads a table whose entries are not 20 bytes
//! long, or whose subsection count does not match its entries, without
//! reporting a repair; an update chained to such a table with `/Prev` leaves
//! those readers unable to read the file at all ("Invalid xref table"), marks
//! included. A file that fails here is written in full instead.

use std::collections::HashSet;

use lopdf::Document;
use lopdf::xref::XrefEntry;

use crate::load::{find, integer_after, startxref};

/// Sections followed through `/Prev` at most: a longer chain is damage.
const MAX_SECTIONS: usize = 4096;
/// How far a trailer or a cross-reference stream's dictionary is looked into.
const DICT_WINDOW: usize = 64 * 1024;

/// Why the cross-reference data of `bytes` (parsed as `doc`) is not sound,
/// or `None` when every section reads as written and every entry lopdf used
/// points at its object.
pub fn damage(bytes: &[u8], doc: &Document) -> Option<String> {
    if let Err(reason) = chain(bytes) {
        return Some(reason);
    }
    doc.reference_table
        .entries
        .iter()
        .find_map(|(&id, entry)| match *entry {
            XrefEntry::Normal { offset, generation }
                if !object_at(bytes, offset as usize, id, generation) =>
            {
                Some(format!(
                    "the entry of object {id} {generation} points at byte {offset}, \
                     where that object does not start"
                ))
            }
            _ => None,
        })
}

/// Follows `startxref` and every `/Prev`, checking each section's syntax.
fn chain(bytes: &[u8]) -> Result<(), String> {
    let mut offset = startxref(bytes).ok_or("no readable startxref offset")?;
    let mut seen = HashSet::new();
    loop {
        if !seen.insert(offset) || seen.len() > MAX_SECTIONS {
            return Err("the /Prev chain of cross-reference sections loops".to_string());
        }
        // Readers allow whitespace before the section, as before an object.
        let start = skip_whitespace(bytes, offset);
        let section = bytes
            .get(start..)
            .filter(|_| start - offset < 8)
            .ok_or_else(|| format!("byte {offset} starts no cross-reference section"))?;
        let prev = if section.starts_with(b"xref") {
            table(bytes, start + 4)?
        } else if object_header(section).is_some() {
            stream_prev(section)?
        } else {
            return Err(format!(
                "byte {offset} holds neither a cross-reference table nor a stream"
            ));
        };
        match prev {
            Some(prev) => offset = prev,
            None => return Ok(()),
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
        at += 1;
    }
    at
}

/// The digits at `at` as a number, and where they end.
fn number(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let len = bytes
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let value = std::str::from_utf8(bytes.get(at..at + len)?)
        .ok()?
        .parse()
        .ok()?;
    Some((value, at + len))
}

/// A classic table whose `xref` keyword ends at `at`: every subsection's
/// entries are 20 bytes (ISO 32000-1, 7.5.4), as many as its header says.
/// Returns the trailer's `/Prev`.
fn table(bytes: &[u8], mut at: usize) -> Result<Option<usize>, String> {
    loop {
        at = skip_whitespace(bytes, at);
        if bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(b"trailer"))
        {
            break;
        }
        let bad_header =
            || format!("a cross-reference subsection header at byte {at} is not two numbers");
        let (start, after) = number(bytes, at).ok_or_else(bad_header)?;
        let spaced = skip_whitespace(bytes, after);
        let (count, after) = number(bytes, spaced)
            .filter(|_| spaced > after)
            .ok_or_else(bad_header)?;
        at = skip_whitespace(bytes, after);
        for k in 0..count {
            bytes
                .get(at..at + 20)
                .filter(|e| entry_is_well_formed(e))
                .ok_or_else(|| {
                    format!(
                        "entry {} of the subsection at object {start} (byte {at}) is not a \
                         20-byte entry; the header claims {count}",
                        k + 1
                    )
                })?;
            at += 20;
        }
    }
    let trailer = &bytes[at..bytes.len().min(at + DICT_WINDOW)];
    let end = find(trailer, b"startxref").unwrap_or(trailer.len());
    Ok(prev(&trailer[..end]))
}

/// `nnnnnnnnnn ggggg n` and a two-byte end of line.
fn entry_is_well_formed(e: &[u8]) -> bool {
    e[..10].iter().all(u8::is_ascii_digit)
        && e[10] == b' '
        && e[11..16].iter().all(u8::is_ascii_digit)
        && e[16] == b' '
        && matches!(e[17], b'n' | b'f')
        && matches!(&e[18..20], b" \n" | b" \r" | b"\r\n")
}

/// A cross-reference stream's `/Prev`; it must be one (`/Type /XRef`).
fn stream_prev(section: &[u8]) -> Result<Option<usize>, String> {
    let window = &section[..section.len().min(DICT_WINDOW)];
    let dict = &window[..find(window, b"stream").unwrap_or(window.len())];
    if find(dict, b"/XRef").is_none() {
        return Err("startxref points at an object that is not a cross-reference stream".into());
    }
    Ok(prev(dict))
}

fn prev(dict: &[u8]) -> Option<usize> {
    integer_after(dict, b"/Prev").and_then(|p| usize::try_from(p).ok())
}

/// `id gen obj` at the start of `section`: the two numbers.
fn object_header(section: &[u8]) -> Option<(u64, u64)> {
    let (id, after) = number(section, 0)?;
    let at = skip_whitespace(section, after);
    let (generation, after) = number(section, at).filter(|_| at > after)?;
    let at = skip_whitespace(section, after);
    section
        .get(at..)?
        .starts_with(b"obj")
        .then_some((id, generation))
}

/// Whether object `id gen` starts at `offset` (readers allow whitespace
/// before it).
fn object_at(bytes: &[u8], offset: usize, id: u32, generation: u16) -> bool {
    let at = skip_whitespace(bytes, offset);
    at - offset < 8
        && bytes
            .get(at..)
            .and_then(object_header)
            .is_some_and(|h| h == (u64::from(id), u64::from(generation)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n45\n%%EOF\n";

    #[test]
    fn a_sound_table_passes_and_damage_is_named() {
        assert_eq!(chain(PDF), Ok(()));
        let short = String::from_utf8_lossy(PDF).replace(" n \n", " n\n");
        assert!(chain(short.as_bytes()).unwrap_err().contains("20-byte"));
        let counted = String::from_utf8_lossy(PDF).replace("0 2\n", "0 3\n");
        assert!(chain(counted.as_bytes()).unwrap_err().contains("claims 3"));
        let prev = String::from_utf8_lossy(PDF).replace("/Size 2", "/Size 2 /Prev 45");
        assert!(chain(prev.as_bytes()).unwrap_err().contains("loops"));
    }

    #[test]
    fn object_headers() {
        assert!(object_at(PDF, 9, 1, 0));
        assert!(object_at(PDF, 8, 1, 0));
        assert!(!object_at(PDF, 10, 1, 0));
        assert!(!object_at(PDF, 9, 2, 0));
    }
}
