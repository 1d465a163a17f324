//! # tanba-pdf
//!
//! Puts the label Kazakhstan's AI law (No. 230-VIII, Art. 21) asks for on a
//! PDF: a visible banner of real, extractable text in an embedded subset of
//! Noto Sans Bold on the chosen pages, the Tanba XMP packet in the catalog's
//! `/Metadata` stream and the TC260 `/AIGC` key in the Info dictionary.
//!
//! By default the change is an incremental update appended to the original
//! bytes, so existing signatures stay valid and the original revision can be
//! recovered; [`PdfSettings::rewrite`] writes the whole file anew instead.
//! A file whose cross-reference data is damaged is always written anew, so
//! that strict readers find the marks. A PDF encrypted only to restrict
//! changes (it opens with the empty user password) is labelled and written
//! back encrypted with the same algorithm, key, permissions and owner
//! password, unless [`PdfSettings::refuse_encrypted`].

mod banner;
mod content;
mod font;
// Entry points for the fuzz targets (fuzz/); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod load;
mod pages;
mod relabel;
mod stamp;
mod structure;
mod update;
mod verify;
mod xref;

use std::collections::BTreeSet;
use std::io::Cursor;
use std::ops::RangeInclusive;
use std::path::Path;
use std::str::FromStr;

use lopdf::{Dictionary, Document, ObjectId};
use tanba_core::font::FontFile;
use tanba_core::{
    Error, Format, Job, Label, Labeler, Labelled, Limits, ProgressUnit, Result, Source,
    Verification, WriteSeek, read_all,
};

pub use stamp::{Align, Edge, MIN_TEXT_PT};

/// The one format this labeler handles.
pub static PDF: Format = Format {
    name: "pdf",
    mime: "application/pdf",
    extensions: &["pdf"],
};

static FORMATS: [&Format; 1] = [&PDF];

/// Which pages get the banner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageSelection {
    /// Every page (the default).
    #[default]
    All,
    /// The first page only.
    First,
    /// 1-based inclusive ranges, as parsed from `1-3,7,10-`.
    Ranges(Vec<RangeInclusive<u32>>),
}

impl PageSelection {
    /// The 1-based page numbers of a document with `count` pages that are selected.
    pub fn pages(&self, count: u32) -> Vec<u32> {
        match self {
            PageSelection::All => (1..=count).collect(),
            PageSelection::First => (1..=count.min(1)).collect(),
            PageSelection::Ranges(ranges) => (1..=count)
                .filter(|p| ranges.iter().any(|r| r.contains(p)))
                .collect(),
        }
    }
}

/// The form `--pdf-pages` takes: `all`, `first`, or `1-3,7,10-`.
impl std::fmt::Display for PageSelection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageSelection::All => f.write_str("all"),
            PageSelection::First => f.write_str("first"),
            PageSelection::Ranges(ranges) => {
                for (i, r) in ranges.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    match (*r.start(), *r.end()) {
                        (a, b) if a == b => write!(f, "{sep}{a}")?,
                        (a, u32::MAX) => write!(f, "{sep}{a}-")?,
                        (a, b) => write!(f, "{sep}{a}-{b}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl FromStr for PageSelection {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "all" | "" => return Ok(PageSelection::All),
            "first" => return Ok(PageSelection::First),
            _ => {}
        }
        let bad = || {
            Error::config(format!(
                "bad page range {s:?} (use all, first, or ranges like 1-3,7,10-)"
            ))
        };
        let number = |t: &str| {
            t.trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(bad)
        };
        let mut ranges = Vec::new();
        for part in s.split(',') {
            let range = match part.split_once('-') {
                Some((a, b)) if b.trim().is_empty() => number(a)?..=u32::MAX,
                Some((a, b)) => number(a)?..=number(b)?,
                None => {
                    let n = number(part)?;
                    n..=n
                }
            };
            if range.is_empty() {
                return Err(bad());
            }
            ranges.push(range);
        }
        Ok(PageSelection::Ranges(ranges))
    }
}

impl FromStr for Edge {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "top" => Ok(Edge::Top),
            "bottom" => Ok(Edge::Bottom),
            other => Err(Error::config(format!(
                "unknown edge {other:?} (use top or bottom)"
            ))),
        }
    }
}

/// PDF-specific options.
#[derive(Debug, Clone, Default)]
pub struct PdfSettings {
    /// Which pages get the banner.
    pub pages: PageSelection,
    /// The edge the banner sits on; `None` follows the job's position
    /// (`top-*` is the top edge, `bottom-*` the bottom edge).
    pub edge: Option<Edge>,
    /// Write the whole file anew (smaller) instead of appending an
    /// incremental update (which keeps signatures and the original revision).
    pub rewrite: bool,
    /// The banner's font (default: the embedded Noto Sans Bold), subset and
    /// embedded; every label text must be drawable in it.
    pub font: FontFile,
    /// The banner's colours and box opacity; `None` keeps dark grey text on
    /// a white box at 85% opacity.
    pub colors: Option<BannerColors>,
    /// Refuse a PDF encrypted only to restrict changes (it opens with the
    /// empty user password) instead of labelling it and writing it back
    /// encrypted with the same algorithm, key, owner password and `/P`.
    pub refuse_encrypted: bool,
    /// The banner's text size in points; `None` is 2.5% of the displayed
    /// page's shorter side, at least [`MIN_TEXT_PT`]. Under that minimum
    /// is refused. A page too narrow for it still shrinks the text.
    pub text_size_pt: Option<f32>,
}

/// The banner's colours (sRGB) and its box's opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BannerColors {
    /// The box's fill colour.
    pub box_color: [u8; 3],
    /// The text colour, also the box's outline.
    pub text_color: [u8; 3],
    /// The box's fill opacity, 0..=1.
    pub box_opacity: f32,
}

/// The PDF labeler.
///
/// ```no_run
/// use std::fs::File;
/// use tanba_core::{Job, Labeler, Position, Source};
/// use tanba_pdf::{PDF, PdfLabeler};
///
/// let mut input = File::open("report.pdf")?;
/// let len = input.metadata()?.len();
/// let source = Source { reader: &mut input, format: &PDF, path: None, len };
/// let mut output = File::create("report-labelled.pdf")?;
/// let job = Job::new().with_position(Position::TopRight);
/// PdfLabeler::default().label(source, &mut output, &job)?;
/// # Ok::<(), tanba_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PdfLabeler {
    /// Its options.
    pub settings: PdfSettings,
}

impl PdfLabeler {
    /// A labeler with the given settings.
    pub fn new(settings: PdfSettings) -> Self {
        PdfLabeler { settings }
    }

    /// The selected pages (number, object id), after the checks that
    /// refuse a document before any work: no pages, already labelled
    /// (unless `force`), a selection that matches no page.
    fn targets(&self, doc: &Document, force: bool) -> Result<Vec<(u32, ObjectId)>> {
        let page_ids = doc.get_pages();
        let count = u32::try_from(page_ids.len()).unwrap_or(u32::MAX);
        if count == 0 {
            return Err(Error::cannot_label(
                "the PDF has no pages to carry the label",
            ));
        }
        if !force && is_labelled(doc) {
            return Err(Error::already_labelled());
        }
        pages::check_tree(doc)?;
        let targets: Vec<(u32, ObjectId)> = self
            .settings
            .pages
            .pages(count)
            .into_iter()
            .filter_map(|number| Some((number, *page_ids.get(&number)?)))
            .collect();
        if targets.is_empty() {
            return Err(Error::config(format!(
                "page selection {} matches none of the {count} pages",
                self.settings.pages
            )));
        }
        Ok(targets)
    }
}

pub(crate) const FONT_PREFIX: &str = "TanbaLabelF";
pub(crate) const GS_PREFIX: &str = "TanbaLabelGS";
/// How much stream data verification decodes per page at most.
pub(crate) const MAX_PAGE_TEXT_BYTES: usize = 64 * 1024 * 1024;

pub(crate) fn label_texts(label: &Label) -> Vec<String> {
    label
        .lines
        .iter()
        .map(|l| font::drawable(&l.text))
        .collect()
}

/// The Info dictionary, if any.
pub(crate) fn info_dict(doc: &Document) -> Option<&Dictionary> {
    let info = doc.trailer.get(b"Info").ok()?;
    doc.dereference(info).ok()?.1.as_dict().ok()
}

/// The catalog's XMP packet, as text, if any.
pub(crate) fn catalog_xmp(doc: &Document) -> Option<(Option<ObjectId>, String)> {
    let meta = doc.catalog().ok()?.get(b"Metadata").ok()?;
    let (id, obj) = doc.dereference(meta).ok()?;
    let stream = obj.as_stream().ok()?;
    let bytes = if stream.filters().map(|f| f.is_empty()).unwrap_or(true) {
        stream.content.clone()
    } else {
        stream
            .decompressed_content_with_limit(MAX_PAGE_TEXT_BYTES)
            .ok()?
    };
    Some((id, String::from_utf8_lossy(&bytes).into_owned()))
}

fn is_labelled(doc: &Document) -> bool {
    if info_dict(doc).is_some_and(|info| info.has(b"AIGC")) {
        return true;
    }
    catalog_xmp(doc)
        .and_then(|(_, text)| {
            tanba_core::xmp::find_packet(text.as_bytes())
                .and_then(|p| tanba_core::xmp::read(p).ok())
        })
        .is_some_and(|marks| marks.manifest.is_some() || marks.aigc.is_some())
}

pub(crate) fn lopdf_err(what: &str) -> impl Fn(lopdf::Error) -> Error + '_ {
    move |e| Error::malformed(format!("{what}: {e}"))
}

impl Labeler for PdfLabeler {
    fn name(&self) -> &'static str {
        "pdf"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], _name: Option<&Path>) -> Option<&'static Format> {
        load::header_offset(head).map(|_| &PDF)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        // Before reading the input: a text the font cannot draw is refused.
        self.settings.font.check_label(&job.label)?;
        let bytes = read_all(&mut source, &job.limits)?;
        let loaded = load::load(&bytes, &job.limits)?;
        let mut notes = loaded.notes;
        if let Some(algorithm) = &loaded.encryption {
            if self.settings.refuse_encrypted {
                return Err(Error::encrypted(format!(
                    "the PDF is encrypted ({algorithm}; it opens without a password but \
                     restricts changes) and encrypted PDFs are refused (--refuse-encrypted)"
                )));
            }
            notes.push(load::encryption_note(algorithm));
        }
        let mut doc = loaded.doc;
        let targets = self.targets(&doc, job.force)?;
        // A forced relabel takes the earlier banners out, so that the new
        // one replaces them (the metadata merge replaces the earlier marks).
        let cleaned = if job.force {
            relabel::strip(&mut doc, &mut notes)?
        } else {
            BTreeSet::new()
        };
        let job = job.with_source_hash(&mut Cursor::new(&bytes))?;
        let mut progress = job.progress(ProgressUnit::Pages, Some(targets.len() as u64), None);
        let banners = banner::plan(
            &doc,
            (&job, &self.settings),
            &targets,
            &mut progress,
            &mut notes,
        )?;
        let manifest = job.manifest(PDF.mime, banners.placement.clone());
        let existing_xmp = catalog_xmp(&doc);

        let mut inc = update::start(bytes, doc, &cleaned)?;
        update::stamp_pages(&mut inc, banners)?;
        update::metadata(&mut inc, &manifest, existing_xmp, &mut notes)?;
        update::info(&mut inc, &manifest)?;
        update::trailer(&mut inc, &manifest);
        let rewrite = self.settings.rewrite || loaded.repaired;
        update::save(inc, output, rewrite)?;
        progress.finish();
        if rewrite && !self.settings.rewrite {
            notes.push(
                "damaged cross-reference: written in full, so no earlier revision is kept"
                    .to_string(),
            );
        }
        Ok(Labelled::new(&PDF, manifest).with_notes(notes))
    }

    fn verify(&self, source: Source<'_>, limits: &Limits) -> Result<Verification> {
        verify::verify(source, limits)
    }

    fn check_job(&self, job: &Job) -> Result<()> {
        self.settings.font.check_label(&job.label)
    }
}
