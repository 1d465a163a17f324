//! Telling the formats apart by their first bytes and, for OOXML, which
//! names no content can tell, by the part names in the first local headers
//! or the file name.

use std::path::Path;

use tanba_core::Format;

use crate::{DOCX, EPUB, ODP, ODS, ODT, PPTX, XLSX};

const ZIP: &[u8] = b"PK\x03\x04";
/// A Compound File (OLE2): legacy `.doc`, and password-protected OOXML,
/// whose encrypted package lives in one.
pub const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn extension(name: Option<&Path>) -> String {
    name.and_then(|n| n.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// The `mimetype` entry ODF and EPUB store first, uncompressed.
pub fn odf_mimetype(head: &[u8]) -> Option<&[u8]> {
    if !head.starts_with(ZIP) || head.len() < 30 {
        return None;
    }
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([head[at], head[at + 1]]));
    let size = u32::from_le_bytes([head[18], head[19], head[20], head[21]]) as usize;
    let (name_len, extra_len) = (u16_at(26), u16_at(28));
    let name = head.get(30..30 + name_len)?;
    if name != b"mimetype" || head[8] != 0 {
        return None;
    }
    let start = 30 + name_len + extra_len;
    head.get(start..start + size)
}

/// The format of `head`, if it is one of ours.
pub fn sniff(head: &[u8], name: Option<&Path>) -> Option<&'static Format> {
    let ext = extension(name);
    if head.starts_with(CFB) {
        // Only a name says an OLE file is a protected DOCX; label refuses it.
        return match ext.as_str() {
            "docx" => Some(&DOCX),
            "pptx" => Some(&PPTX),
            "xlsx" => Some(&XLSX),
            _ => None,
        };
    }
    if !head.starts_with(ZIP) {
        return None;
    }
    if let Some(mime) = odf_mimetype(head) {
        return [&ODT, &ODP, &ODS, &EPUB]
            .into_iter()
            .find(|f| mime == f.mime.as_bytes());
    }
    let has = |part: &[u8]| head.windows(part.len()).any(|w| w == part);
    match ext.as_str() {
        "docx" => Some(&DOCX),
        "pptx" => Some(&PPTX),
        "xlsx" => Some(&XLSX),
        "" if has(b"word/") => Some(&DOCX),
        "" if has(b"xl/") => Some(&XLSX),
        "" if has(b"ppt/") => Some(&PPTX),
        _ => None,
    }
}

/// Why a file of our kind is left alone.
pub fn declines(head: &[u8], name: Option<&Path>) -> Option<String> {
    let ext = extension(name);
    match ext.as_str() {
        "docm" | "dotm" | "pptm" | "potm" | "xlsm" | "xltm" => Some(format!(
            "a macro-enabled Office file (.{ext}): its macros could remove the notice when \
             it opens; save it without macros to label it"
        )),
        "doc" | "xls" | "ppt" if head.starts_with(CFB) => Some(format!(
            "a legacy binary Office file (.{ext}): save it as the Open XML format to label it"
        )),
        _ => None,
    }
}
