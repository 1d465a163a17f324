//! The read side of labelling: for each selected page, the stamp content
//! stream and what the page's own content needs around it, all worked out
//! from the original before anything is written, so that a failure (a page
//! too small, a broken box) leaves no half-made output.

use lopdf::{Document, Object, ObjectId};
use tanba_core::{Error, Job, Placement, Progress, Result};

use crate::content::{self, SaveBalance};
use crate::stamp::{self, Align, Edge, Style};
use crate::{FONT_PREFIX, GS_PREFIX, PdfSettings, font, pages, structure};

/// One page's banner.
#[derive(Debug)]
pub struct PageStamp {
    /// The page object.
    pub page: ObjectId,
    /// Equal for pages whose stamp streams are the same bytes (geometry and,
    /// in a tagged PDF, MCID), which then share one stream.
    pub key: ([i64; 5], Option<i64>),
    /// The stamp content stream.
    pub content: Vec<u8>,
    /// The page's own `/Contents` items, in order.
    pub contents: Vec<Object>,
    /// How the page's own content leaves the graphics-state stack.
    pub balance: SaveBalance,
}

/// Everything one labelling draws.
#[derive(Debug)]
pub struct Banners {
    /// Per stamped page.
    pub stamps: Vec<PageStamp>,
    /// The subset font they share.
    pub font: font::LabelFont,
    /// Resource names unique to this labelling.
    pub font_name: String,
    /// The box opacity's resource name.
    pub gs_name: String,
    /// The box's fill opacity.
    pub box_opacity: f32,
    /// How the banners join a tagged PDF's structure tree, if they do.
    pub tagging: Option<structure::Plan>,
    /// Where the label is, for the manifest.
    pub placement: Placement,
}

fn align_of(position: tanba_core::Position) -> Align {
    use tanba_core::Position;
    match position {
        Position::TopLeft | Position::BottomLeft => Align::Left,
        Position::TopCenter | Position::BottomCenter => Align::Center,
        Position::TopRight | Position::BottomRight => Align::Right,
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

/// Works out the banner of every page in `targets` (number, id). `job`
/// carries the source hash; `progress` counts the pages done (reading
/// each page's content is most of a labelling's time).
pub fn plan(
    doc: &Document,
    (job, settings): (&Job, &PdfSettings),
    targets: &[(u32, ObjectId)],
    progress: &mut Progress,
    notes: &mut Vec<String>,
) -> Result<Banners> {
    let source_hash = job.source_sha256.clone().unwrap_or_default();
    // Resource names unique to this labelling, so a relabel never redirects
    // an earlier stamp to a different font subset.
    let suffix = source_hash.get(..8).unwrap_or("0");
    let font_name = format!("{FONT_PREFIX}{suffix}");
    let gs_name = format!("{GS_PREFIX}{suffix}");
    let edge = settings.edge.unwrap_or(if job.position.is_top() {
        Edge::Top
    } else {
        Edge::Bottom
    });
    let align = align_of(job.position);

    let langs: Vec<Option<String>> = job
        .label
        .lines
        .iter()
        .map(|l| structure::language(&l.lang))
        .collect();
    let tagging = structure::plan(doc, targets, langs.first().cloned().flatten(), notes);
    let lines = crate::label_texts(&job.label);
    // A tagged banner separates its lines with a space (see stamp::Tag).
    let space = tagging.as_ref().map(|_| " ");
    let font = font::LabelFont::for_texts(
        &settings.font,
        lines.iter().map(String::as_str).chain(space),
    )?;
    let style = Style {
        lines: &lines,
        font: &font,
        font_name: &font_name,
        gs_name: &gs_name,
        edge,
        align,
        colors: settings.colors,
        text_pt: settings.text_size_pt,
    };
    let mut stamps = Vec::with_capacity(targets.len());
    let mut smallest = f32::MAX;
    for &(number, page) in targets {
        let mcid = tagging.as_ref().and_then(|t| t.mcid(page));
        let tag = mcid.map(|mcid| stamp::Tag {
            mcid,
            langs: &langs,
        });
        let geometry = pages::geometry(doc, page, number, notes)?;
        let (content, drawn) = stamp::content(&geometry, &style, tag).map_err(|e| match e {
            Error::CannotLabel { reason, .. } => {
                Error::cannot_label(format!("page {number}: {reason}"))
            }
            other => other,
        })?;
        smallest = smallest.min(drawn.text_size);
        let contents = pages::contents(doc, page)?;
        let balance = content::balance(doc, &contents).unwrap_or_else(|reason| {
            notes.push(format!(
                "page {number}: its q/Q balance was not checked: {reason}"
            ));
            SaveBalance::default()
        });
        if balance.cut {
            return Err(Error::cannot_label(format!(
                "page {number}: its content ends inside a string or an inline image, \
                 so readers would not draw anything after it"
            )));
        }
        stamps.push(PageStamp {
            page,
            key: (geometry.key(), mcid),
            content,
            contents,
            balance,
        });
        progress.set(stamps.len() as u64, None);
    }
    let mut placement = Placement::at(format!("{}-{}", edge_name(edge), align_name(align)));
    placement.pages = Some(targets.iter().map(|&(number, _)| number).collect());
    placement.text_size = Some((smallest * 10.0).round() / 10.0);
    Ok(Banners {
        stamps,
        font,
        font_name,
        gs_name,
        box_opacity: settings.colors.map_or(0.85, |c| c.box_opacity),
        tagging,
        placement,
    })
}
