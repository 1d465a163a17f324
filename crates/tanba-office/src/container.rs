//! The zip container. Its limits are checked from the end-of-central-
//! directory record and the central directory before any entry is
//! inflated; the parts we edit are read whole under `max_text_bytes`; the
//! output copies every other entry raw (compressed bytes and CRC as they
//! came, never inflated).

use std::collections::BTreeMap;
use std::io::{Read, SeekFrom, Write};

use tanba_core::{Error, LimitKind, Limits, ReadSeek, Result, WriteSeek};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::xml;

/// Bounds on a zip container, beyond [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most entries in the central directory.
    pub max_entries: u64,
    /// Most bytes all entries claim once inflated, together.
    pub max_uncompressed: u64,
    /// Highest inflated-to-compressed ratio of an entry over 1 MiB: a zip
    /// bomb's is near 1000, real XML and pictures stay far below 100.
    pub max_ratio: u64,
    /// Deepest element nesting of an XML part we parse.
    pub max_xml_depth: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 20_000,
            max_uncompressed: 4 * 1024 * 1024 * 1024,
            max_ratio: 200,
            max_xml_depth: 256,
        }
    }
}

/// Entries at most this big are not held to [`ZipLimits::max_ratio`]:
/// small, repetitive XML compresses well and cannot hurt.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// The parts a labelling changes: entries given new bytes, and new entries.
#[derive(Debug, Default)]
pub struct Edits {
    /// Entries whose bytes are replaced, by name.
    pub replaced: BTreeMap<String, Vec<u8>>,
    /// Entries added at the end, in order.
    pub added: Vec<(String, Vec<u8>)>,
}

/// One entry as the central directory describes it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its inflated size, as claimed.
    pub size: u64,
}

/// An opened, checked container.
pub struct Package<'a> {
    archive: ZipArchive<&'a mut dyn ReadSeek>,
    entries: Vec<Entry>,
    /// XML parts already inflated and checked: label and verify ask for
    /// the same part several times.
    parsed: BTreeMap<String, Vec<u8>>,
    limits: Limits,
    zip: ZipLimits,
}

impl std::fmt::Debug for Package<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("entries", &self.entries.len())
            .finish()
    }
}

fn zip_error(e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => Error::from(io),
        zip::result::ZipError::UnsupportedArchive(why) if why.contains("ncrypt") => {
            Error::encrypted(format!("zip: {why}"))
        }
        other => Error::malformed(format!("zip container: {other}")),
    }
}

/// The entry count and central-directory size the end record claims,
/// read before the zip crate allocates for the directory.
fn end_record(reader: &mut dyn ReadSeek, len: u64) -> Result<(u64, u64)> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    let tail_len = len.min(22 + 65_535);
    reader.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(usize::try_from(tail_len).unwrap_or(0));
    reader.take(tail_len).read_to_end(&mut tail)?;
    reader.seek(SeekFrom::Start(0))?;
    let at = tail
        .windows(4)
        .rposition(|w| w == EOCD)
        .filter(|&at| at + 22 <= tail.len())
        .ok_or_else(|| Error::malformed("not a zip container: no end of central directory"))?;
    let entries = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
    let cd_size = u32::from_le_bytes([tail[at + 12], tail[at + 13], tail[at + 14], tail[at + 15]]);
    Ok((u64::from(entries), u64::from(cd_size)))
}

/// Refuses a name that would leave the document's folder if extracted,
/// as a hostile archive's would: absolute, `..`, backslashes, drives, NUL.
fn check_name(name: &str) -> Result<()> {
    let bad = name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name.split('/').any(|part| part == "..")
        || name.as_bytes().get(1) == Some(&b':');
    if bad {
        return Err(Error::malformed(format!(
            "zip entry {name:?} names a path outside the document (path traversal)"
        )));
    }
    Ok(())
}

impl<'a> Package<'a> {
    /// Opens `reader` (`len` bytes) and checks the container's limits, the
    /// entries' names and encryption, before anything is inflated.
    pub fn open(
        reader: &'a mut dyn ReadSeek,
        len: u64,
        limits: &Limits,
        zip: &ZipLimits,
    ) -> Result<Self> {
        limits.check_bytes(len)?;
        let (claimed, cd_size) = end_record(reader, len)?;
        if claimed > zip.max_entries {
            return Err(Error::limit(LimitKind::Objects, claimed, zip.max_entries));
        }
        // A zip64 directory claims 0xFFFF entries here: its size bounds it.
        let cd_max = zip.max_entries.saturating_mul(46 + 1024);
        if cd_size > cd_max {
            return Err(Error::limit(LimitKind::Bytes, cd_size, cd_max));
        }
        let archive = ZipArchive::new(reader).map_err(zip_error)?;
        // The zip crate keeps one entry per name: a repeated name (two
        // different parts behind one name) shows as fewer entries.
        if claimed != 0xFFFF && claimed != archive.len() as u64 {
            return Err(Error::malformed(format!(
                "the central directory lists {claimed} entries but {} distinct names: \
                 a name appears twice, and which part a reader takes is not defined",
                archive.len()
            )));
        }
        let mut package = Package {
            archive,
            entries: Vec::new(),
            parsed: BTreeMap::new(),
            limits: *limits,
            zip: *zip,
        };
        package.check_entries()?;
        Ok(package)
    }

    fn check_entries(&mut self) -> Result<()> {
        let count = self.archive.len() as u64;
        if count > self.zip.max_entries {
            return Err(Error::limit(
                LimitKind::Objects,
                count,
                self.zip.max_entries,
            ));
        }
        let mut total: u64 = 0;
        for i in 0..self.archive.len() {
            let file = self.archive.by_index_raw(i).map_err(zip_error)?;
            let name = file.name().to_string();
            check_name(&name)?;
            if file.encrypted() {
                return Err(Error::encrypted(format!(
                    "zip entry {name:?} is encrypted (password-protected): remove the password first"
                )));
            }
            let (size, packed) = (file.size(), file.compressed_size());
            if size > RATIO_FLOOR && size > packed.saturating_mul(self.zip.max_ratio) {
                let max = packed.saturating_mul(self.zip.max_ratio);
                return Err(Error::limit(LimitKind::Bytes, size, max));
            }
            total = total.saturating_add(size);
            if total > self.zip.max_uncompressed {
                return Err(Error::limit(
                    LimitKind::Bytes,
                    total,
                    self.zip.max_uncompressed,
                ));
            }
            self.entries.push(Entry { name, size });
        }
        Ok(())
    }

    /// The entries, in the order of the central directory.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The inflated bytes of `name`, if present, refused past
    /// `max_text_bytes` before inflating and stopped there while inflating
    /// (the central directory may lie about the size).
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.entries.iter().find(|e| e.name == name) else {
            return Ok(None);
        };
        self.limits.check_text_bytes(entry.size)?;
        let size = entry.size;
        let mut file = self.archive.by_name(name).map_err(zip_error)?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut file)
            .take(size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Error::malformed(format!("zip entry {name:?}: {e}")))?;
        if bytes.len() as u64 != size {
            return Err(Error::malformed(format!(
                "zip entry {name:?} inflates to another size than the central directory says"
            )));
        }
        Ok(Some(bytes))
    }

    /// [`Package::read`] for an XML part, checked for depth and entity
    /// declarations ([`xml::check`]) before it is used.
    pub fn read_xml(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        if let Some(bytes) = self.parsed.get(name) {
            return Ok(Some(bytes.clone()));
        }
        let Some(bytes) = self.read(name)? else {
            return Ok(None);
        };
        xml::check(&bytes, name, self.zip.max_xml_depth)?;
        self.parsed.insert(name.to_string(), bytes.clone());
        Ok(Some(bytes))
    }

    /// Writes the container to `output`: entries in `edits.replaced` deflated
    /// anew with their new bytes, every other entry copied raw, then the
    /// added entries.
    pub fn write(mut self, output: &mut dyn WriteSeek, edits: &Edits) -> Result<()> {
        let mut writer = ZipWriter::new(output);
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for i in 0..self.archive.len() {
            let file = self.archive.by_index_raw(i).map_err(zip_error)?;
            match edits.replaced.get(file.name()) {
                Some(bytes) => {
                    let name = file.name().to_string();
                    let options = match file.last_modified() {
                        Some(time) => deflated.last_modified_time(time),
                        None => deflated,
                    };
                    drop(file);
                    writer.start_file(name, options).map_err(zip_error)?;
                    writer.write_all(bytes)?;
                }
                None => writer.raw_copy_file(file).map_err(zip_error)?,
            }
        }
        for (name, bytes) in &edits.added {
            writer.start_file(name, deflated).map_err(zip_error)?;
            writer.write_all(bytes)?;
        }
        writer.finish().map_err(zip_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_names_are_refused() {
        for bad in ["../evil", "a/../../b", "/etc/passwd", "a\\b", "C:/x"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in ["word/document.xml", "[Content_Types].xml", "a..b/c"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
    }
}
