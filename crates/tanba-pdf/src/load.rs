//! Loading a PDF with every check the labeler needs before it changes
//! anything: header, truncation, claimed object count, encryption, repair.

use lopdf::xref::XrefRecovery;
use lopdf::{Document, EncryptionState, LoadOptions};
use tanba_core::{Error, Limits, Result};

/// A loaded document and what loading had to say.
#[derive(Debug)]
pub struct Loaded {
    /// The parsed document.
    pub doc: Document,
    /// Things the user should know (repairs).
    pub notes: Vec<String>,
    /// The cross-reference data was repaired, so an incremental update
    /// (which chains to it with `/Prev`) would not be safe.
    pub repaired: bool,
    /// The encryption the file opened with the empty user password (its
    /// algorithm, e.g. `AES-256`); lopdf has decrypted `doc` and keeps the
    /// state (file key, `/O`, `/U`, `/P`) to encrypt what is written.
    pub encryption: Option<String>,
}

/// The algorithm of `state` in words, as the report and the docs name it.
fn algorithm(state: &EncryptionState) -> String {
    let filter = state.get_stream_filter();
    match (state.version(), filter.method()) {
        (5.., _) => "AES-256".to_string(),
        (4, b"AESV2") => "AES-128".to_string(),
        (4, b"AESV3") => "AES-256".to_string(),
        (4, b"Identity") => "no stream encryption (identity crypt filter)".to_string(),
        (4, _) => "RC4 128-bit".to_string(),
        (_, _) => format!("RC4 {}-bit", state.key_length().unwrap_or(40)),
    }
}

/// What the report says about an encrypted input that was labelled.
pub fn encryption_note(algorithm: &str) -> String {
    format!("encrypted PDF: labelled and re-encrypted, {algorithm}, permissions kept")
}

/// Where `%PDF-` starts: within the first 1024 bytes, as readers allow.
pub fn header_offset(head: &[u8]) -> Option<usize> {
    let window = &head[..head.len().min(1024)];
    find(window, b"%PDF-")
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn tail(bytes: &[u8], len: usize) -> &[u8] {
    &bytes[bytes.len().saturating_sub(len)..]
}

/// The integer after `key` in `area`, if any.
pub(crate) fn integer_after(area: &[u8], key: &[u8]) -> Option<u64> {
    let at = find(area, key)? + key.len();
    let rest = &area[at..];
    let digits: Vec<u8> = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// The offset the last `startxref` gives, if it lies within the file.
pub(crate) fn startxref(bytes: &[u8]) -> Option<usize> {
    let end = tail(bytes, 2048);
    let at = rfind(end, b"startxref")?;
    let offset = integer_after(&end[at..], b"startxref")?;
    usize::try_from(offset).ok().filter(|&o| o < bytes.len())
}

/// The object count the newest cross-reference section claims (`/Size`),
/// read from the raw bytes before the parser allocates for it.
fn claimed_size(bytes: &[u8]) -> Option<u64> {
    let end = tail(bytes, 2048);
    let section = &bytes[startxref(bytes)?..];
    if section.starts_with(b"xref") {
        // A classic table: the trailer follows the table, near the end.
        let trailer = rfind(end, b"trailer")?;
        integer_after(&end[trailer..], b"/Size")
    } else {
        // A cross-reference stream: /Size is in its dictionary.
        integer_after(&section[..section.len().min(4096)], b"/Size")
    }
}

/// lopdf's reading of `bytes`, with the cross-reference data rebuilt by
/// scanning the file when it cannot be read or does not hold up to a strict
/// reading ([`crate::xref::damage`]); the reason when it was.
fn parse(bytes: &[u8], limits: &Limits) -> Result<(Document, Option<String>)> {
    let options = |force_reconstruct| LoadOptions {
        max_decompressed_size: Some(
            usize::try_from(limits.max_bytes)
                .unwrap_or(usize::MAX)
                .min(1 << 30),
        ),
        force_reconstruct,
        ..LoadOptions::default()
    };
    let rebuilt = || Document::load_mem_with_options(bytes, options(true));
    let encrypted_marker = rfind(tail(bytes, 64 * 1024), b"/Encrypt").is_some();
    match Document::load_mem_with_options(bytes, options(false)) {
        Ok(doc) if doc.xref_recovery.is_some() => Ok((doc, None)),
        Ok(doc) => match crate::xref::damage(bytes, &doc) {
            // lopdf read it without complaint, but a strict reader will not:
            // the scan's objects are the ones those readers would find.
            Some(reason) => Ok((rebuilt().unwrap_or(doc), Some(reason))),
            None => Ok((doc, None)),
        },
        Err(e) if password_error(&e, encrypted_marker) => Err(Error::encrypted(format!(
            "the PDF is encrypted and needs a password to open ({e})"
        ))),
        Err(e) => match rebuilt() {
            Ok(doc) => Ok((doc, Some(format!("it could not be read as written: {e}")))),
            Err(_) => Err(Error::malformed(format!("cannot parse the PDF: {e}"))),
        },
    }
}

fn password_error(e: &lopdf::Error, encrypted_marker: bool) -> bool {
    encrypted_marker
        || matches!(
            e,
            lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)
        )
}

/// Parses `bytes` as a PDF, refusing truncated or oversized input and input
/// that needs a password to open with a typed error, and reporting any
/// repair of the cross-reference data and the encryption of a PDF that
/// opens with the empty user password (decrypted by lopdf).
pub fn load(bytes: &[u8], limits: &Limits) -> Result<Loaded> {
    if header_offset(bytes).is_none() {
        return Err(Error::unsupported(
            "no %PDF- header in the first 1024 bytes",
        ));
    }
    // Every complete PDF ends with `startxref` and `%%EOF`; without them the
    // file was cut short, and whatever was cut (pages, fonts) cannot be repaired.
    if rfind(tail(bytes, 2048), b"startxref").is_none()
        && rfind(tail(bytes, 1024), b"%%EOF").is_none()
    {
        return Err(Error::malformed(format!(
            "truncated: no startxref or %%EOF at the end of the file ({} bytes)",
            bytes.len()
        )));
    }
    if let Some(size) = claimed_size(bytes) {
        limits.check_objects(size)?;
    }
    let (doc, rebuilt) = parse(bytes, limits)?;
    // lopdf decrypts with the empty user password and drops `/Encrypt` from
    // the trailer; a trailer that still has it did not open.
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_none() && doc.is_encrypted() {
        return Err(Error::encrypted(
            "the PDF is encrypted and needs a password to open",
        ));
    }
    let encryption = doc.encryption_state.as_ref().map(algorithm);
    let objects = doc
        .objects
        .len()
        .max(usize::try_from(doc.max_id).unwrap_or(usize::MAX));
    limits.check_objects(u64::try_from(objects).unwrap_or(u64::MAX))?;
    let mut notes = Vec::new();
    let repaired = match (rebuilt, doc.xref_recovery) {
        (Some(reason), _) => {
            notes.push(format!(
                "repaired: the cross-reference data was damaged ({reason}) and was rebuilt by \
                 scanning the file"
            ));
            true
        }
        (None, None) => false,
        (None, Some(XrefRecovery::OffsetCorrected)) => {
            notes
                .push("repaired: a cross-reference offset was wrong and was corrected".to_string());
            true
        }
        (None, Some(_)) => {
            notes.push(
                "repaired: the cross-reference table was damaged and was rebuilt by scanning the file"
                    .to_string(),
            );
            true
        }
    };
    Ok(Loaded {
        doc,
        notes,
        repaired,
        encryption,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_may_follow_junk() {
        assert_eq!(header_offset(b"%PDF-1.7\n"), Some(0));
        assert_eq!(header_offset(b"\xef\xbb\xbfjunk%PDF-1.4"), Some(7));
        assert_eq!(header_offset(b"PK\x03\x04"), None);
    }

    #[test]
    fn claimed_size_from_table_trailer() {
        let pdf = b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 123456789 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n";
        assert_eq!(claimed_size(pdf), Some(123_456_789));
        let tight = Limits {
            max_objects: 1000,
            ..Limits::default()
        };
        let e = load(pdf, &tight).unwrap_err();
        assert_eq!(e.kind_name(), "limit-exceeded");
    }
}
