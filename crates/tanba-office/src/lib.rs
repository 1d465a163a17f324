//! # tanba-office
//!
//! Labels office documents as Art. 21 of Kazakhstan's AI law asks
//! (docs/compliance.md): a visible notice where a reader starts, and the
//! machine-readable marks (the TC260 AIGC JSON and the Tanba manifest) as
//! custom document properties.
//!
//! | format | visible notice | machine-readable mark |
//! |---|---|---|
//! | DOCX | first paragraph, bold style `TanbaAINotice`, a run per language | `docProps/custom.xml` properties `AIGC`, `Tanba-Manifest` |
//! | ODT | first paragraph, bold style `Tanba AI notice`, a span per language | `meta.xml` `meta:user-defined` `AIGC`, `Tanba-Manifest` |
//!
//! The container is a zip. Its limits ([`ZipLimits`]: entries, total
//! inflated size, compression ratio, XML depth) are checked from the
//! central directory before anything is inflated; names that would leave
//! the document's folder, encrypted entries and DTDs declaring entities
//! are refused. Only the parts edited are inflated; every other entry is
//! copied raw, compressed bytes and CRC as they came.
//!
//! Password-protected OOXML (a Compound File holding `EncryptedPackage`)
//! and encrypted ODF (`manifest:encryption-data`) are refused as
//! encrypted. Macro-enabled files (`.docm` …) are refused: a macro runs
//! when the file opens and could take the notice out again.

mod container;
mod docx;
mod marks;
mod odf;
mod ooxml;
mod sniff;
mod xml;

use std::path::Path;

use tanba_core::{
    Error, Format, Job, Labeler, Labelled, Limits, Manifest, Mark, PerceptibleCheck, Placement,
    Result, Source, Verification, WriteSeek, read_head,
};

pub use container::ZipLimits;
pub use docx::STYLE_ID as DOCX_STYLE_ID;
pub use marks::{AIGC_KEY, MANIFEST_KEY};
pub use odf::STYLE_NAME as ODF_STYLE_NAME;

use container::{Edits, Package};
use marks::Found;

/// Word documents (Office Open XML).
pub static DOCX: Format = Format {
    name: "docx",
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    extensions: &["docx"],
};
/// OpenDocument text.
pub static ODT: Format = Format {
    name: "odt",
    mime: "application/vnd.oasis.opendocument.text",
    extensions: &["odt"],
};

static FORMATS: [&Format; 2] = [&DOCX, &ODT];

/// Settings of the office labeler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeSettings {
    /// Bounds on the zip container.
    pub zip: ZipLimits,
}

/// The labeler for office documents.
#[derive(Debug, Clone, Default)]
pub struct OfficeLabeler {
    /// Its settings.
    pub settings: OfficeSettings,
}

/// The two container families, which keep marks and styles apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Office Open XML: `[Content_Types].xml`, `docProps/custom.xml`.
    Ooxml,
    /// OpenDocument: `mimetype`, `meta.xml`.
    Odf,
}

impl Family {
    fn of(format: &Format) -> Family {
        if format
            .mime
            .starts_with("application/vnd.oasis.opendocument")
        {
            Family::Odf
        } else {
            Family::Ooxml
        }
    }
}

/// What a document holds of ours.
struct Existing {
    found: Found,
    notice: bool,
}

impl OfficeLabeler {
    /// A labeler with these settings.
    pub fn new(settings: OfficeSettings) -> Self {
        OfficeLabeler { settings }
    }

    /// Opens the container, refusing what is not a plain zip package of
    /// `format` before anything is inflated.
    fn open<'a>(&self, source: &'a mut Source<'_>, limits: &Limits) -> Result<Package<'a>> {
        let head = read_head(source.reader)?;
        if head.starts_with(sniff::CFB) {
            return Err(Error::encrypted(
                "a password-protected Office document (an encrypted package inside a \
                 Compound File): remove the password first",
            ));
        }
        let len = source.len;
        let mut package = Package::open(&mut *source.reader, len, limits, &self.settings.zip)?;
        match Family::of(source.format) {
            Family::Ooxml => ooxml::refuse_macros(&mut package)?,
            Family::Odf => odf::refuse_encrypted(&mut package)?,
        }
        Ok(package)
    }

    fn existing(format: &Format, package: &mut Package<'_>) -> Result<Existing> {
        Ok(match Family::of(format) {
            Family::Ooxml => Existing {
                found: ooxml::read_marks(package)?,
                notice: docx::has_notice(package)?,
            },
            Family::Odf => Existing {
                found: odf::read_marks(package)?,
                notice: odf::has_notice(package)?,
            },
        })
    }

    fn notice_text(format: &Format, package: &mut Package<'_>) -> Result<(String, &'static str)> {
        let text = match Family::of(format) {
            Family::Ooxml => docx::first_text(package)?,
            Family::Odf => odf::first_text(package)?,
        };
        Ok((text, "the first paragraph"))
    }

    /// The edited parts of the labelled document.
    fn edit(
        format: &Format,
        package: &mut Package<'_>,
        job: &Job,
        manifest: &Manifest,
    ) -> Result<Edits> {
        let mut edits = Edits::default();
        match Family::of(format) {
            Family::Ooxml => {
                docx::label(package, &job.label, &mut edits)?;
                ooxml::write_marks(package, manifest, &mut edits)?;
            }
            Family::Odf => {
                odf::label_text(package, &job.label, &mut edits)?;
                odf::write_marks(package, manifest, &mut edits)?;
            }
        }
        Ok(edits)
    }
}

impl Labeler for OfficeLabeler {
    fn name(&self) -> &'static str {
        "office"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], name: Option<&Path>) -> Option<&'static Format> {
        sniff::sniff(head, name).filter(|f| FORMATS.contains(f))
    }

    fn declines(&self, head: &[u8], name: Option<&Path>) -> Option<String> {
        sniff::declines(head, name)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        let format = source.format;
        let job = job.with_source_hash(source.reader)?;
        let mut package = self.open(&mut source, &job.limits)?;
        let existing = Self::existing(format, &mut package)?;
        if (existing.found.any() || existing.notice) && !job.force {
            return Err(Error::already_labelled());
        }
        let manifest = job.manifest(format.mime, Placement::at("first-paragraph"));
        let edits = Self::edit(format, &mut package, &job, &manifest)?;
        package.write(output, &edits)?;
        Ok(Labelled::new(format, manifest))
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        let format = source.format;
        let mut package = self.open(&mut source, limits)?;
        let found = Self::existing(format, &mut package)?.found;
        let manifest = found.manifest().transpose()?;
        let marks: Vec<Mark> = found.marks(match Family::of(format) {
            Family::Odf => "meta.xml meta:user-defined",
            Family::Ooxml => "docProps/custom.xml",
        });
        let (text, where_) = Self::notice_text(format, &mut package)?;
        let perceptible = if marks::has_notice(&text, manifest.as_ref()) {
            PerceptibleCheck::found(format!("notice found in {where_}"))
        } else {
            PerceptibleCheck::missing(format!("no notice in {where_}"))
        };
        Ok(Verification::new(format, marks, manifest, perceptible))
    }
}
