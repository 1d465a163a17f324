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
//! | PPTX | a text box on every slide across the bottom edge, ≥ 5 % of the shorter side | as DOCX |
//! | ODP | a frame on every slide, placed and sized the same | as ODT |
//! | XLSX | bold, first in every worksheet's header and footer, and a text box atop the first sheet; no cell touched | as DOCX |
//! | ODS | a first paragraph in every master page's header and footer, and a frame atop the first table | as ODT |
//! | EPUB 2/3 | a notice page first in the spine and the navigation, and at the top of the first content document | `<meta name content>` in the package metadata |
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
//! encrypted, and so are EPUBs under DRM. Macro-enabled files (`.docm` …) are refused: a macro runs
//! when the file opens and could take the notice out again.

mod container;
mod docx;
mod epub;
mod marks;
mod odf;
mod ooxml;
mod sheetbox;
mod sheets;
mod slides;
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
pub use slides::SHAPE_NAME as SLIDE_SHAPE_NAME;

use container::{Edits, Package};
use marks::Found;

/// Word documents (Office Open XML).
pub static DOCX: Format = Format {
    name: "docx",
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    extensions: &["docx"],
};
/// PowerPoint presentations (Office Open XML).
pub static PPTX: Format = Format {
    name: "pptx",
    mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    extensions: &["pptx"],
};
/// OpenDocument text.
pub static ODT: Format = Format {
    name: "odt",
    mime: "application/vnd.oasis.opendocument.text",
    extensions: &["odt"],
};

static FORMATS: [&Format; 7] = [&DOCX, &PPTX, &XLSX, &ODT, &ODP, &ODS, &EPUB];

/// OpenDocument presentations.
pub static ODP: Format = Format {
    name: "odp",
    mime: "application/vnd.oasis.opendocument.presentation",
    extensions: &["odp"],
};

/// Excel workbooks (Office Open XML).
pub static XLSX: Format = Format {
    name: "xlsx",
    mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    extensions: &["xlsx"],
};
/// OpenDocument spreadsheets.
pub static ODS: Format = Format {
    name: "ods",
    mime: "application/vnd.oasis.opendocument.spreadsheet",
    extensions: &["ods"],
};

/// E-books (EPUB 2 and 3).
pub static EPUB: Format = Format {
    name: "epub",
    mime: "application/epub+zip",
    extensions: &["epub"],
};

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
    /// EPUB: `mimetype`, the package document's metadata.
    Epub,
}

impl Family {
    fn of(format: &Format) -> Family {
        if format
            .mime
            .starts_with("application/vnd.oasis.opendocument")
        {
            Family::Odf
        } else if format.name == EPUB.name {
            Family::Epub
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
            Family::Epub => epub::refuse_drm(&mut package)?,
        }
        Ok(package)
    }

    fn existing(format: &Format, package: &mut Package<'_>) -> Result<Existing> {
        let found = match Family::of(format) {
            Family::Ooxml => ooxml::read_marks(package)?,
            Family::Odf => odf::read_marks(package)?,
            Family::Epub => epub::read_marks(package)?,
        };
        let shipped = |line: &str| marks::is_label_text(line, None, None);
        let notice = match format.name {
            "docx" => docx::has_notice(package)?,
            "xlsx" => sheets::xlsx_has_notice(package, &shipped)?,
            "ods" => sheets::ods_has_notice(package)?,
            "epub" => epub::has_notice(package)?,
            "pptx" => slides::pptx_has_notice(package)?,
            "odp" => slides::odp_has_notice(package)?,
            _ => odf::has_notice(package)?,
        };
        Ok(Existing { found, notice })
    }

    /// Whether the notice is where the format puts it: every label line
    /// of the manifest (or, without one, a shipped label text).
    fn perceptible(
        format: &Format,
        package: &mut Package<'_>,
        manifest: Option<&Manifest>,
    ) -> Result<PerceptibleCheck> {
        let texts = match format.name {
            "docx" => vec![docx::first_text(package)?],
            "pptx" => slides::pptx_texts(package)?,
            "odp" => slides::odp_texts(package)?,
            "xlsx" => sheets::xlsx_texts(package)?,
            "ods" => sheets::ods_texts(package)?,
            "epub" => vec![epub::notice_text(package)?],
            _ => vec![odf::first_text(package)?],
        };
        if format.name == "epub" {
            return Ok(if marks::has_notice(&texts[0], manifest) {
                PerceptibleCheck::found("notice page found first in the spine")
            } else {
                PerceptibleCheck::missing("no notice page first in the spine")
            });
        }
        if matches!(format.name, "xlsx" | "ods") {
            return Self::sheets_check(format, package, &texts, manifest);
        }
        if matches!(format.name, "pptx" | "odp") {
            let missing = texts.iter().position(|t| !marks::has_notice(t, manifest));
            return Ok(match missing {
                Some(i) => PerceptibleCheck::missing(format!("slide {} has no notice", i + 1)),
                None => PerceptibleCheck::found(format!(
                    "notice found on every slide ({})",
                    texts.len()
                )),
            });
        }
        Ok(if marks::has_notice(&texts[0], manifest) {
            PerceptibleCheck::found("notice found in the first paragraph")
        } else {
            PerceptibleCheck::missing("no notice in the first paragraph")
        })
    }

    /// A spreadsheet's notice: in the header and footer of every sheet
    /// (page style, for ODS), and in the text box atop the first sheet.
    fn sheets_check(
        format: &Format,
        package: &mut Package<'_>,
        texts: &[String],
        manifest: Option<&Manifest>,
    ) -> Result<PerceptibleCheck> {
        let what = if format.name == "xlsx" {
            "sheet"
        } else {
            "page style"
        };
        if let Some(i) = texts.iter().position(|t| !marks::has_notice(t, manifest)) {
            return Ok(PerceptibleCheck::missing(format!(
                "{what} {} has no notice in its header or footer",
                i + 1
            )));
        }
        let boxed = match format.name {
            "xlsx" => sheetbox::xlsx_box_text(package)?,
            _ => sheetbox::ods_box_text(&odf::read_content(package)?)?,
        };
        if !marks::has_notice(&boxed, manifest) {
            return Ok(PerceptibleCheck::missing(
                "no text box with the notice atop the first sheet",
            ));
        }
        Ok(PerceptibleCheck::found(format!(
            "notice found in the header and footer of every {what} ({}) and in the text box \
             atop the first sheet",
            texts.len()
        )))
    }

    /// The edited parts of the labelled document.
    fn edit(
        format: &Format,
        package: &mut Package<'_>,
        job: &Job,
        manifest: &Manifest,
        earlier: Option<&Manifest>,
    ) -> Result<Edits> {
        let known = |line: &str| marks::is_label_text(line, Some(&job.label), earlier);
        let mut edits = Edits::default();
        match Family::of(format) {
            Family::Ooxml => ooxml::write_marks(package, manifest, &mut edits)?,
            Family::Odf => odf::write_marks(package, manifest, &mut edits)?,
            // The package document carries them; written with the notice.
            Family::Epub => {}
        }
        match format.name {
            "docx" => docx::label(package, &job.label, &mut edits)?,
            "pptx" => slides::pptx_label(package, &job.label, &mut edits)?,
            "odp" => slides::odp_label(package, &job.label, &mut edits)?,
            "xlsx" => {
                sheets::xlsx_label(package, &job.label, &known, &mut edits)?;
                sheetbox::xlsx_box(package, &job.label, &mut edits)?;
            }
            "ods" => {
                sheets::ods_label(package, &job.label, &mut edits)?;
                let content = odf::read_content(package)?;
                let content = sheetbox::ods_box(&content, &job.label)?;
                edits.replaced.insert(odf::CONTENT.to_string(), content);
            }
            "epub" => epub::label(package, &job.label, manifest, &mut edits)?,
            _ => odf::label_text(package, &job.label, &mut edits)?,
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
        let position = match format.name {
            "pptx" | "odp" => "bottom-edge",
            "xlsx" | "ods" => "header-footer",
            "epub" => "first-page",
            _ => "first-paragraph",
        };
        let manifest = job.manifest(format.mime, Placement::at(position));
        let earlier = existing.found.manifest().and_then(Result::ok);
        let edits = Self::edit(format, &mut package, &job, &manifest, earlier.as_ref())?;
        // A signed document's signature covers parts we edit: say so.
        let signed = package.entries().iter().any(|e| {
            e.name.starts_with("_xmlsignatures/")
                || e.name.starts_with("META-INF/documentsignatures")
                || e.name == "META-INF/signatures.xml"
        });
        package.write(output, &edits)?;
        let labelled = Labelled::new(format, manifest);
        Ok(if signed {
            labelled.with_note(
                "the document was digitally signed: its signature no longer matches the \
                 edited parts; sign it again after labelling",
            )
        } else {
            labelled
        })
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        let format = source.format;
        let mut package = self.open(&mut source, limits)?;
        let found = Self::existing(format, &mut package)?.found;
        let manifest = found.manifest().transpose()?;
        let marks: Vec<Mark> = found.marks(match Family::of(format) {
            Family::Odf => "meta.xml meta:user-defined",
            Family::Epub => "package metadata <meta>",
            Family::Ooxml => "docProps/custom.xml",
        });
        let perceptible = Self::perceptible(format, &mut package, manifest.as_ref())?;
        Ok(Verification::new(format, marks, manifest, perceptible))
    }
}
