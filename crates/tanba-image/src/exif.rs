//! EXIF (a TIFF structure) read and edited for the second AIGC carrier:
//! the `UserComment` tag (0x9286) of the Exif IFD, which phone galleries
//! read the GB 45438 label from.
//!
//! The edit only appends: the source's bytes stay where they were (so
//! maker notes and every offset into them stay valid); a new Exif IFD with
//! the comment is written after them, and the pointer to it is patched in
//! place (or IFD0 is copied with the pointer added when it had none).

use tanba_core::{Error, Result};

const TAG_ORIENTATION: u16 = 0x0112;
const TAG_EXIF_IFD: u16 = 0x8769;
const TAG_USER_COMMENT: u16 = 0x9286;
/// The character-code prefix of an ASCII UserComment (EXIF 2.3, 4.6.5).
const ASCII_CODE: &[u8; 8] = b"ASCII\0\0\0";

/// IFD entries: each one's position in the file and its 12 raw bytes.
type Entries = Vec<(usize, [u8; 12])>;

struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

impl Tiff<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at + 2)?;
        Some(if self.le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    /// The entries (raw 12 bytes each, with their file position) and the
    /// next-IFD offset of the IFD at `at`.
    fn ifd(&self, at: usize) -> Option<(Entries, u32)> {
        let n = usize::from(self.u16(at)?);
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let pos = at + 2 + 12 * i;
            let raw: [u8; 12] = self.b.get(pos..pos + 12)?.try_into().ok()?;
            entries.push((pos, raw));
        }
        let next = self.u32(at + 2 + 12 * n)?;
        Some((entries, next))
    }

    fn tag(&self, raw: &[u8; 12]) -> u16 {
        self.u16_of(&raw[0..2])
    }

    fn u16_of(&self, s: &[u8]) -> u16 {
        if self.le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        }
    }

    fn u32_of(&self, s: &[u8]) -> u32 {
        let a = [s[0], s[1], s[2], s[3]];
        if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    }
}

fn open(tiff: &[u8]) -> Option<Tiff<'_>> {
    let le = match tiff.get(0..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    Some(Tiff { b: tiff, le })
}

/// The Exif IFD's entries and position, if IFD0 points to one.
fn exif_ifd(t: &Tiff<'_>) -> Option<(usize, Entries)> {
    let (ifd0, _) = t.ifd(t.u32(4)? as usize)?;
    let ptr = ifd0.iter().find(|(_, e)| t.tag(e) == TAG_EXIF_IFD)?;
    let at = t.u32_of(&ptr.1[8..12]) as usize;
    Some((at, t.ifd(at)?.0))
}

/// The ASCII (or undefined-code) UserComment text, trailing NULs and
/// spaces trimmed.
pub(crate) fn user_comment(tiff: &[u8]) -> Option<String> {
    let t = open(tiff)?;
    let (_, entries) = exif_ifd(&t)?;
    let (_, e) = entries.iter().find(|(_, e)| t.tag(e) == TAG_USER_COMMENT)?;
    let count = t.u32_of(&e[4..8]) as usize;
    let data = if count <= 4 {
        e.get(8..8 + count)?
    } else {
        let at = t.u32_of(&e[8..12]) as usize;
        tiff.get(at..at.checked_add(count)?)?
    };
    let text = data
        .strip_prefix(ASCII_CODE)
        .or_else(|| data.strip_prefix(&[0u8; 8]))?;
    let text = String::from_utf8_lossy(text);
    let text = text.trim_end_matches(['\0', ' ']);
    (!text.is_empty()).then(|| text.to_string())
}

/// A note when `source` has a UserComment of its own (not an AIGC label),
/// which the label replaces.
pub(crate) fn replaced_comment_note(source: Option<&[u8]>) -> Option<String> {
    let old = user_comment(source?)?;
    if old.trim_start().starts_with("{\"AIGC\"") {
        return None;
    }
    let short: String = old.chars().take(60).collect();
    Some(format!(
        "the source's EXIF UserComment (\"{short}\") was replaced by the AIGC label"
    ))
}

/// A TIFF header and an empty IFD0, for a source without EXIF.
fn minimal() -> Vec<u8> {
    let mut v = b"II*\0".to_vec();
    v.extend_from_slice(&8u32.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v
}

/// `source` (a TIFF-structured EXIF block; `None` writes a minimal one)
/// with its UserComment set to `text` (ASCII), and, when
/// `reset_orientation`, its Orientation set to 1 (for pixels already turned
/// upright). Fails on EXIF that does not parse.
pub(crate) fn with_user_comment(
    source: Option<&[u8]>,
    text: &str,
    reset_orientation: bool,
) -> Result<Vec<u8>> {
    let bad = || Error::malformed("EXIF block does not parse as TIFF");
    let mut out = source.map_or_else(minimal, <[u8]>::to_vec);
    let t = open(&out).ok_or_else(bad)?;
    let le = t.le;
    let ifd0_at = t.u32(4).ok_or_else(bad)? as usize;
    let (ifd0, next0) = t.ifd(ifd0_at).ok_or_else(bad)?;
    let orientation_at = ifd0
        .iter()
        .find(|(_, e)| t.tag(e) == TAG_ORIENTATION)
        .map(|(p, _)| p + 8);
    let pointer_at = ifd0
        .iter()
        .find(|(_, e)| t.tag(e) == TAG_EXIF_IFD)
        .map(|(p, _)| p + 8);
    let mut exif: Vec<[u8; 12]> = match pointer_at {
        Some(_) => exif_ifd(&t).ok_or_else(bad)?.1,
        None => Vec::new(),
    }
    .into_iter()
    .map(|(_, e)| e)
    .filter(|e| t.tag(e) != TAG_USER_COMMENT)
    .collect();
    let ifd0: Vec<[u8; 12]> = ifd0.into_iter().map(|(_, e)| e).collect();
    let tag_of = |e: &[u8; 12]| {
        if le {
            u16::from_le_bytes([e[0], e[1]])
        } else {
            u16::from_be_bytes([e[0], e[1]])
        }
    };
    let w16 = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let w32 = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let offset =
        |len: usize| u32::try_from(len).map_err(|_| Error::cannot_label("EXIF over 4 GiB"));
    if let (true, Some(at)) = (reset_orientation, orientation_at) {
        out[at..at + 2].copy_from_slice(&w16(1));
    }

    if out.len() % 2 == 1 {
        out.push(0);
    }
    let comment_at = offset(out.len())?;
    out.extend_from_slice(ASCII_CODE);
    out.extend_from_slice(text.as_bytes());
    let count = offset(ASCII_CODE.len() + text.len())?;
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let mut entry = [0u8; 12];
    entry[0..2].copy_from_slice(&w16(TAG_USER_COMMENT));
    entry[2..4].copy_from_slice(&w16(7)); // UNDEFINED
    entry[4..8].copy_from_slice(&w32(count));
    entry[8..12].copy_from_slice(&w32(comment_at));
    exif.push(entry);
    exif.sort_by_key(tag_of);
    let exif_at = offset(out.len())?;
    write_ifd(&mut out, &exif, [0; 4], &w16)?;

    match pointer_at {
        Some(at) => out[at..at + 4].copy_from_slice(&w32(exif_at)),
        None => {
            let mut ifd0 = ifd0;
            let mut ptr = [0u8; 12];
            ptr[0..2].copy_from_slice(&w16(TAG_EXIF_IFD));
            ptr[2..4].copy_from_slice(&w16(4)); // LONG
            ptr[4..8].copy_from_slice(&w32(1));
            ptr[8..12].copy_from_slice(&w32(exif_at));
            ifd0.push(ptr);
            ifd0.sort_by_key(tag_of);
            let ifd0_new = offset(out.len())?;
            write_ifd(&mut out, &ifd0, w32(next0), &w16)?;
            out[4..8].copy_from_slice(&w32(ifd0_new));
        }
    }
    Ok(out)
}

fn write_ifd(
    out: &mut Vec<u8>,
    entries: &[[u8; 12]],
    next: [u8; 4],
    w16: &dyn Fn(u16) -> [u8; 2],
) -> Result<()> {
    let n = u16::try_from(entries.len()).map_err(|_| Error::malformed("EXIF IFD too long"))?;
    out.extend_from_slice(&w16(n));
    for e in entries {
        out.extend_from_slice(e);
    }
    out.extend_from_slice(&next);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_a_comment_in_a_minimal_block() {
        let tiff = with_user_comment(None, "{\"AIGC\":1}", false).unwrap();
        assert_eq!(user_comment(&tiff).as_deref(), Some("{\"AIGC\":1}"));
        // Replacing keeps one comment, the new one.
        let again = with_user_comment(Some(&tiff), "second", false).unwrap();
        assert_eq!(user_comment(&again).as_deref(), Some("second"));
        assert_eq!(replaced_comment_note(Some(&tiff)), None);
        assert!(
            replaced_comment_note(Some(&again))
                .unwrap()
                .contains("\"second\"")
        );
    }

    #[test]
    fn keeps_other_tags_and_resets_orientation() {
        // Big-endian IFD0 with Orientation 6 and a Make pointing past it.
        let mut t = b"MM\0*".to_vec();
        t.extend_from_slice(&8u32.to_be_bytes());
        t.extend_from_slice(&2u16.to_be_bytes());
        t.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 6]);
        t.extend_from_slice(&38u32.to_be_bytes());
        t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(b"Acme\0\0");
        let out = with_user_comment(Some(&t), "x", true).unwrap();
        assert_eq!(
            &out[..38],
            &{
                let mut e = t[..38].to_vec();
                e[30..32].copy_from_slice(&[0, 1]);
                e[4..8].copy_from_slice(&out[4..8]);
                e
            }[..]
        );
        let o = open(&out).unwrap();
        let (ifd0, _) = o.ifd(o.u32(4).unwrap() as usize).unwrap();
        let tags: Vec<u16> = ifd0.iter().map(|(_, e)| o.tag(e)).collect();
        assert_eq!(tags, [0x010F, 0x0112, 0x8769]);
        assert_eq!(&out[38..42], b"Acme");
        assert_eq!(user_comment(&out).as_deref(), Some("x"));
        assert!(with_user_comment(Some(b"nope"), "x", false).is_err());
    }
}
