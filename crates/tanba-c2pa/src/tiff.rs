//! C2PA in TIFF where libtiff still opens the file: the manifest store is
//! the value of tag 52545 (0xCD41) in the first image directory, as
//! c2pa-python (and c2patool before it) wrote it. The SDK of this build
//! puts the tag alone in an extra directory after the images, which
//! libtiff rejects ("missing required ImageLength"), so ImageMagick cannot
//! open the file.
//!
//! The file is written as the SDK's data-hash workflow expects from an
//! application that places the manifest itself: the labelled TIFF, kept
//! byte for byte, then a placeholder of the manifest's size, then a copy
//! of the first directory with the C2PA entry added, which the header now
//! points to (the old directory stays, unreferenced, so no offset into
//! the file moves). The data hash covers everything but the manifest
//! bytes, and the signed manifest replaces the placeholder.

use std::io::Cursor;

use c2pa::assertions::DataHash;
use c2pa::{Builder, HashRange};
use tanba_core::{Error, Result};

use crate::{Input, Output, sdk_error};

/// The C2PA tag.
const C2PA_TAG: u16 = 0xCD41;
/// TIFF field type UNDEFINED (bytes).
const UNDEFINED: u16 = 7;

/// A classic TIFF's byte order and first directory.
struct Layout {
    le: bool,
    ifd0: usize,
}

impl Layout {
    fn of(b: &[u8]) -> Option<Layout> {
        let le = match b.get(..4)? {
            [b'I', b'I', 42, 0] => true,
            [b'M', b'M', 0, 42] => false,
            _ => return None,
        };
        let mut l = Layout { le, ifd0: 0 };
        l.ifd0 = l.u32(b, 4)? as usize;
        Some(l)
    }

    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }

    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn put16(&self, v: u16) -> [u8; 2] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }

    fn put32(&self, v: u32) -> [u8; 4] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }

    /// The first directory's entries (raw, 12 bytes each) without any C2PA
    /// entry, and its next-directory offset.
    fn first_ifd(&self, b: &[u8]) -> Option<(Vec<[u8; 12]>, u32)> {
        let n = usize::from(self.u16(b, self.ifd0)?);
        let mut entries = Vec::with_capacity(n + 1);
        for i in 0..n {
            let at = self.ifd0 + 2 + 12 * i;
            let raw: [u8; 12] = b.get(at..at + 12)?.try_into().ok()?;
            if self.u16(&raw, 0)? != C2PA_TAG {
                entries.push(raw);
            }
        }
        let next = self.u32(b, self.ifd0 + 2 + 12 * n)?;
        Some((entries, next))
    }
}

/// Whether `bytes` is a classic (not Big) TIFF this writer can place the
/// manifest in.
pub(crate) fn is_classic_tiff(head: &[u8]) -> bool {
    Layout::of(head).is_some()
}

/// Signs the TIFF `input` with `builder` into `output`, the manifest in
/// the first directory (see the module docs).
pub(crate) fn embed(
    builder: &mut Builder,
    signer: &dyn c2pa::Signer,
    input: &mut dyn Input,
    output: &mut dyn Output,
) -> Result<()> {
    input.rewind()?;
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let malformed = || Error::malformed("TIFF: the first image directory cannot be read");
    let layout = Layout::of(&bytes).ok_or_else(malformed)?;
    let (mut entries, next) = layout.first_ifd(&bytes).ok_or_else(malformed)?;
    let placeholder = builder
        .data_hashed_placeholder(signer.reserve_size(), "image/tiff")
        .map_err(|e| sdk_error("reserving the manifest", e))?;
    let len = placeholder.len();
    // Word-aligned, as TIFF wants every offset.
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let at = bytes.len();
    bytes.extend_from_slice(&placeholder);
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let ifd = bytes.len();
    let too_big = || Error::malformed("TIFF: the file would pass 4 GiB");
    let mut entry = [0u8; 12];
    entry[..2].copy_from_slice(&layout.put16(C2PA_TAG));
    entry[2..4].copy_from_slice(&layout.put16(UNDEFINED));
    entry[4..8].copy_from_slice(&layout.put32(u32::try_from(len).map_err(|_| too_big())?));
    entry[8..].copy_from_slice(&layout.put32(u32::try_from(at).map_err(|_| too_big())?));
    entries.push(entry);
    entries.sort_by_key(|e| layout.u16(e, 0).unwrap_or(u16::MAX));
    let count = u16::try_from(entries.len()).map_err(|_| malformed())?;
    bytes.extend_from_slice(&layout.put16(count));
    for e in &entries {
        bytes.extend_from_slice(e);
    }
    bytes.extend_from_slice(&layout.put32(next));
    let ifd = layout.put32(u32::try_from(ifd).map_err(|_| too_big())?);
    bytes[4..8].copy_from_slice(&ifd);

    let mut hash = DataHash::new("jumbf manifest", "sha256");
    hash.add_exclusion(HashRange::new(at as u64, len as u64));
    hash.gen_hash_from_stream(&mut Cursor::new(&bytes))
        .map_err(|e| sdk_error("hashing", e))?;
    let signed = builder
        .sign_data_hashed_embeddable(signer, &hash, "image/tiff")
        .map_err(|e| sdk_error("signing", e))?;
    if signed.len() != len {
        return Err(Error::malformed(format!(
            "C2PA signing: the manifest is {} bytes, {len} were reserved",
            signed.len()
        )));
    }
    bytes[at..at + len].copy_from_slice(&signed);
    output.write_all(&bytes)?;
    Ok(())
}
