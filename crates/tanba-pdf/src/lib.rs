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

mod content;
mod font;
mod load;
mod pages;
mod stamp;
mod structure;

use std::collections::HashMap;
use std::io::{Cursor, Write as _};
use std::ops::RangeInclusive;
use std::path::Path;
use std::str::FromStr;

use lopdf::{
    Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, StringFormat, dictionary,
};
use tanba_core::manifest::sha256_hex;
use tanba_core::{
    Error, Format, Job, Label, Labeler, Labelled, Limits, Mark, MarkKind, PerceptibleCheck,
    Placement, Position, Result, SignatureState, Source, Verification, WriteSeek, read_all,
};

use crate::content::SaveBalance;

pub use stamp::{Align, Edge};

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
}

/// The PDF labeler.
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
}

const FONT_PREFIX: &str = "TanbaLabelF";
const GS_PREFIX: &str = "TanbaLabelGS";
/// How much stream data verification decodes per page at most.
const MAX_PAGE_TEXT_BYTES: usize = 64 * 1024 * 1024;

fn align_of(position: Position) -> Align {
    match position {
        Position::TopLeft | Position::BottomLeft => Align::Left,
        Position::TopCenter | Position::BottomCenter => Align::Center,
        Position::TopRight | Position::BottomRight => Align::Right,
    }
}

fn label_texts(label: &Label) -> Vec<String> {
    label
        .lines
        .iter()
        .map(|l| font::drawable(&l.text))
        .collect()
}

/// The Info dictionary, if any.
fn info_dict(doc: &Document) -> Option<&Dictionary> {
    let info = doc.trailer.get(b"Info").ok()?;
    doc.dereference(info).ok()?.1.as_dict().ok()
}

/// The catalog's XMP packet, as text, if any.
fn catalog_xmp(doc: &Document) -> Option<(Option<ObjectId>, String)> {
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

fn pdf_string(text: &str) -> Object {
    Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
}

fn lopdf_err(what: &str) -> impl Fn(lopdf::Error) -> Error + '_ {
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
        let bytes = read_all(&mut source, &job.limits)?;
        let loaded = load::load(&bytes, &job.limits)?;
        let mut notes = loaded.notes;
        let doc = loaded.doc;
        let page_ids = doc.get_pages();
        let count = u32::try_from(page_ids.len()).unwrap_or(u32::MAX);
        if count == 0 {
            return Err(Error::cannot_label(
                "the PDF has no pages to carry the label",
            ));
        }
        if !job.force && is_labelled(&doc) {
            return Err(Error::already_labelled());
        }
        let selected = self.settings.pages.pages(count);
        if selected.is_empty() {
            return Err(Error::config(format!(
                "page selection {:?} matches none of the {count} pages",
                self.settings.pages
            )));
        }
        let job = job.with_source_hash(&mut Cursor::new(&bytes))?;
        let source_hash = job.source_sha256.clone().unwrap_or_default();
        // Resource names unique to this labelling, so a forced relabel never
        // redirects an earlier stamp to a different font subset.
        let suffix = source_hash.get(..8).unwrap_or("0");
        let font_name = format!("{FONT_PREFIX}{suffix}");
        let gs_name = format!("{GS_PREFIX}{suffix}");

        let edge = self.settings.edge.unwrap_or(if job.position.is_top() {
            Edge::Top
        } else {
            Edge::Bottom
        });
        let align = align_of(job.position);

        // Everything read from the original comes first, so that a failure
        // (a page too small, a broken box) leaves no half-made output.
        let targets: Vec<(u32, ObjectId)> = selected
            .iter()
            .filter_map(|&number| Some((number, *page_ids.get(&number)?)))
            .collect();
        let langs: Vec<Option<String>> = job
            .label
            .lines
            .iter()
            .map(|l| structure::language(&l.lang))
            .collect();
        let tagging = structure::plan(&doc, &targets, langs.first().cloned().flatten(), &mut notes);
        let lines = label_texts(&job.label);
        // A tagged banner separates its lines with a space (see stamp::Tag).
        let space = tagging.as_ref().map(|_| " ");
        let font = font::LabelFont::for_texts(lines.iter().map(String::as_str).chain(space))?;
        let mut stamps = Vec::with_capacity(targets.len());
        let mut smallest = f32::MAX;
        for &(number, page_id) in &targets {
            let geometry = pages::geometry(&doc, page_id, number, &mut notes)?;
            let mcid = tagging.as_ref().and_then(|t| t.mcid(page_id));
            let tag = mcid.map(|mcid| stamp::Tag {
                mcid,
                langs: &langs,
            });
            let (content, drawn) = stamp::content(
                &geometry, &lines, &font, &font_name, &gs_name, edge, align, tag,
            )
            .map_err(|e| match e {
                Error::CannotLabel { reason, .. } => {
                    Error::cannot_label(format!("page {number}: {reason}"))
                }
                other => other,
            })?;
            smallest = smallest.min(drawn.text_size);
            let contents = pages::contents(&doc, page_id)?;
            let balance = content::balance(&doc, &contents).unwrap_or_else(|reason| {
                notes.push(format!(
                    "page {number}: its q/Q balance was not checked: {reason}"
                ));
                SaveBalance::default()
            });
            // Pages share a stamp stream only if their MCIDs match too.
            stamps.push((page_id, (geometry.key(), mcid), content, contents, balance));
        }
        let mut placement = Placement::at(format!("{}-{}", edge_name(edge), align_name(align)));
        placement.pages = Some(selected.clone());
        placement.text_size = Some((smallest * 10.0).round() / 10.0);
        let manifest = job.manifest(PDF.mime, placement);

        let existing_xmp = catalog_xmp(&doc);
        let original_size = doc
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .unwrap_or(0);
        let rewrite = self.settings.rewrite || loaded.repaired;
        let mut inc = IncrementalDocument::create_from(bytes, doc);
        let new = &mut inc.new_document;
        // New objects get numbers past every slot the original declares.
        new.max_id = new
            .max_id
            .max(u32::try_from(original_size.saturating_sub(1)).unwrap_or(0));
        let font_id = font.add_to(new);
        let gs_id =
            new.add_object(dictionary! { "Type" => "ExtGState", "ca" => 0.85, "CA" => 1.0 });
        // Tiny streams of `q` or `Q` operators, one object per count.
        let mut operator_streams: HashMap<(u8, usize), ObjectId> = HashMap::new();
        let mut repeated = |inc: &mut IncrementalDocument, operator: u8, count: usize| {
            *operator_streams
                .entry((operator, count))
                .or_insert_with(|| {
                    let text = [operator, b'\n'].repeat(count);
                    let mut stream = Stream::new(Dictionary::new(), text);
                    stream.allows_compression = false;
                    inc.new_document.add_object(stream)
                })
        };

        let mut by_geometry: HashMap<([i64; 5], Option<i64>), ObjectId> = HashMap::new();
        for (page_id, key, content, original_contents, balance) in stamps {
            let stamp_id = match by_geometry.get(&key) {
                Some(&id) => id,
                None => {
                    let mut stream = Stream::new(Dictionary::new(), content);
                    let _ = stream.compress();
                    let id = inc.new_document.add_object(stream);
                    by_geometry.insert(key, id);
                    id
                }
            };
            // `q` once for the wrapper and once per `Q` the content pops
            // beyond its own; `Q` for each `q` it leaves open. The stamp
            // itself starts with `Q q`.
            let opening = repeated(&mut inc, b'q', 1 + balance.extra_restores);
            let mut contents = Vec::with_capacity(original_contents.len() + 3);
            contents.push(Object::Reference(opening));
            contents.extend(original_contents);
            if balance.left_open > 0 {
                contents.push(Object::Reference(repeated(
                    &mut inc,
                    b'Q',
                    balance.left_open,
                )));
            }
            contents.push(Object::Reference(stamp_id));
            inc.opt_clone_object_to_new_document(page_id)
                .map_err(lopdf_err("page object"))?;
            inc.new_document
                .get_dictionary_mut(page_id)
                .map_err(lopdf_err("page object"))?
                .set("Contents", contents);
            pages::add_resource(&mut inc, page_id, b"Font", &font_name, font_id)?;
            pages::add_resource(&mut inc, page_id, b"ExtGState", &gs_name, gs_id)?;
        }
        if let Some(tagging) = tagging {
            tagging.apply(&mut inc)?;
        }

        // Metadata: the catalog's XMP, merged with what was there.
        let packet = match &existing_xmp {
            Some((_, text)) => match tanba_core::xmp::merge(text, &manifest) {
                Ok(merged) => merged,
                Err(e) => {
                    notes.push(format!(
                        "the existing XMP packet did not parse ({e}); it was replaced"
                    ));
                    tanba_core::xmp::packet(&manifest)
                }
            },
            None => tanba_core::xmp::packet(&manifest),
        };
        let mut metadata = Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            packet.into_bytes(),
        );
        // XMP stays uncompressed so that tools scanning for packets find it.
        metadata.allows_compression = false;
        let metadata_id = match existing_xmp.as_ref().and_then(|(id, _)| *id) {
            Some(id) => {
                inc.new_document
                    .objects
                    .insert(id, Object::Stream(metadata));
                id
            }
            None => inc.new_document.add_object(metadata),
        };
        let root_id = inc
            .get_prev_documents()
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| Error::malformed("the trailer has no /Root reference"))?;
        inc.opt_clone_object_to_new_document(root_id)
            .map_err(lopdf_err("catalog"))?;
        inc.new_document
            .get_dictionary_mut(root_id)
            .map_err(lopdf_err("catalog"))?
            .set("Metadata", metadata_id);

        // Info: the Annex E AIGC JSON.
        let info_ref = inc.get_prev_documents().trailer.get(b"Info").ok().cloned();
        match info_ref {
            Some(Object::Reference(info_id))
                if inc.get_prev_documents().get_dictionary(info_id).is_ok() =>
            {
                inc.opt_clone_object_to_new_document(info_id)
                    .map_err(lopdf_err("Info dictionary"))?;
                let info = inc
                    .new_document
                    .get_dictionary_mut(info_id)
                    .map_err(lopdf_err("Info dictionary"))?;
                info.set("AIGC", pdf_string(&manifest.aigc.to_json()));
            }
            other => {
                let mut info = match other {
                    Some(Object::Dictionary(d)) => d,
                    _ => Dictionary::new(),
                };
                info.set("AIGC", pdf_string(&manifest.aigc.to_json()));
                let id = inc.new_document.add_object(info);
                inc.new_document.trailer.set("Info", id);
            }
        }

        // Trailer: a new second /ID half marks the changed file; keys that
        // described the original's cross-reference section do not carry over.
        let new_id = sha256_hex(manifest.id.as_bytes());
        let new_id: Vec<u8> = (0..16)
            .filter_map(|i| {
                new_id
                    .get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        let trailer = &mut inc.new_document.trailer;
        let first_id = match trailer.get(b"ID").and_then(Object::as_array) {
            Ok(ids) => ids.first().cloned(),
            Err(_) => None,
        }
        .unwrap_or_else(|| Object::String(new_id.clone(), StringFormat::Hexadecimal));
        trailer.set(
            "ID",
            vec![first_id, Object::String(new_id, StringFormat::Hexadecimal)],
        );
        for key in [
            &b"XRefStm"[..],
            b"DecodeParms",
            b"Filter",
            b"Index",
            b"W",
            b"Length",
            b"Type",
        ] {
            trailer.remove(key);
        }

        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut *output);
        if rewrite {
            write_rewritten(inc, &mut buffered)?;
            if !self.settings.rewrite {
                notes.push(
                    "the damaged file was rewritten in full, so no earlier revision is kept"
                        .to_string(),
                );
            }
        } else {
            inc.save_to(&mut buffered)
                .map_err(|e| Error::malformed(format!("cannot write the update: {e}")))?;
        }
        buffered.flush()?;
        drop(buffered);
        Ok(Labelled {
            format: &PDF,
            manifest,
            notes,
        })
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        let bytes = read_all(&mut source, limits)?;
        let loaded = load::load(&bytes, limits)?;
        let doc = &loaded.doc;
        let mut marks = Vec::new();
        if let Some(aigc) = info_dict(doc).and_then(|i| i.get(b"AIGC").ok()) {
            let valid = aigc
                .as_str()
                .ok()
                .map(|s| tanba_core::manifest::Aigc::from_json(&String::from_utf8_lossy(s)).is_ok())
                .unwrap_or(false);
            if valid {
                marks.push(Mark::new(MarkKind::Aigc, "PDF Info /AIGC"));
            }
        }
        let mut manifest = None;
        let mut problems = Vec::new();
        if let Some((_, text)) = catalog_xmp(doc)
            && let Some(packet) = tanba_core::xmp::find_packet(text.as_bytes())
        {
            match tanba_core::xmp::read(packet) {
                Ok(found) => {
                    if found.digital_source_type.is_some() {
                        marks.push(Mark::new(MarkKind::Xmp, "PDF catalog /Metadata XMP"));
                    }
                    if found.aigc.is_some() {
                        marks.push(Mark::new(MarkKind::Aigc, "XMP TC260:AIGC"));
                    }
                    match found.parsed_manifest() {
                        Some(Ok(m)) => {
                            marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest"));
                            manifest = Some(m);
                        }
                        Some(Err(e)) => problems.push(format!("manifest unreadable: {e}")),
                        None => {}
                    }
                }
                Err(e) => problems.push(format!("XMP unreadable: {e}")),
            }
        }
        if marks.is_empty() {
            let mut v = Verification::unmarked(
                &PDF,
                "no Tanba mark in the Info dictionary or the XMP packet",
            );
            v.perceptible.detail.push_str(
                &problems
                    .iter()
                    .map(|p| format!("; {p}"))
                    .collect::<String>(),
            );
            return Ok(v);
        }
        let signature = manifest
            .as_ref()
            .map_or(SignatureState::Unsigned, |m| m.signature_state());
        let perceptible = check_pages(doc, manifest.as_ref());
        Ok(Verification {
            credentials: None,
            format: PDF.name,
            marks,
            manifest,
            signature,
            perceptible,
        })
    }
}

fn align_name(align: Align) -> &'static str {
    match align {
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    }
}

fn edge_name(edge: Edge) -> &'static str {
    match edge {
        Edge::Top => "top",
        Edge::Bottom => "bottom",
    }
}

/// Writes the whole document anew: the original's objects with the changed
/// ones in their place, packed into object streams.
fn write_rewritten<W: std::io::Write>(inc: IncrementalDocument, out: &mut W) -> Result<()> {
    let mut full = inc.get_prev_documents().clone();
    let new = inc.new_document;
    full.max_id = full.max_id.max(new.max_id);
    full.objects.extend(new.objects);
    let mut trailer = new.trailer;
    trailer.remove(b"Prev");
    full.trailer = trailer;
    full.prune_objects();
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .build();
    full.save_with_options(out, options)
        .map_err(|e| Error::malformed(format!("cannot write the rewritten PDF: {e}")))
}

fn normalise_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that every page the manifest lists shows every label line as text.
fn check_pages(doc: &Document, manifest: Option<&tanba_core::Manifest>) -> PerceptibleCheck {
    let count = u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX);
    let (lines, pages) = match manifest {
        Some(m) => (
            m.label
                .lines
                .iter()
                .map(|l| l.text.clone())
                .collect::<Vec<_>>(),
            m.label
                .placement
                .pages
                .clone()
                .unwrap_or_else(|| (1..=count).collect()),
        ),
        None => (label_texts(&Label::default()), (1..=count).collect()),
    };
    let wanted: Vec<String> = lines
        .iter()
        .map(|l| normalise_space(&font::drawable(l)))
        .collect();
    let mut missing = Vec::new();
    for &page in &pages {
        let text = if page <= count {
            doc.extract_text_with_limit(&[page], MAX_PAGE_TEXT_BYTES)
                .unwrap_or_default()
        } else {
            String::new()
        };
        let text = normalise_space(&text);
        if !wanted.iter().all(|w| text.contains(w.as_str())) {
            missing.push(page);
        }
    }
    let found = missing.is_empty() && !pages.is_empty();
    let detail = if found {
        format!(
            "label text extracted from all {} labelled page(s)",
            pages.len()
        )
    } else {
        format!("label text missing from page(s) {missing:?} of {:?}", pages)
    };
    PerceptibleCheck {
        found,
        detail,
        score: None,
    }
}
