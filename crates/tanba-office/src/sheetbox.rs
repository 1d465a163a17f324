//! The text box at the top of a workbook's first sheet, so the notice is
//! seen on opening and not only when printing. XLSX: an absolute anchor
//! in the sheet's drawing (a drawing part, its relationship and content
//! type made when the sheet has none). ODS: a frame in the first table's
//! `<table:shapes>`. No cell is touched.

use tanba_core::{Error, Label, Result};

use crate::container::{Edits, Package};
use crate::odf;
use crate::slides::{self, SHAPE_NAME};
use crate::xml;

const WORKBOOK: &str = "xl/workbook.xml";
const WORKBOOK_RELS: &str = "xl/_rels/workbook.xml.rels";
const CONTENT_TYPES: &str = "[Content_Types].xml";
/// The drawing part made for a first sheet that has none.
const OUR_DRAWING: &str = "xl/drawings/drawingTanba.xml";
const DRAWING_REL: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing";
const DRAWING_TYPE: &str = "application/vnd.openxmlformats-officedocument.drawing+xml";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
/// Worksheet elements that come after `<drawing>`.
const AFTER_DRAWING: [&[u8]; 8] = [
    b"legacyDrawing",
    b"legacyDrawingHF",
    b"picture",
    b"oleObjects",
    b"controls",
    b"webPublishItems",
    b"tableParts",
    b"extLst",
];
/// The box: 6 inches wide, a quarter inch per line, in EMU.
const BOX_WIDTH: u64 = 5_486_400;
const LINE_HEIGHT: u64 = 228_600;

fn first_attr(bytes: &[u8], span: xml::Span, key: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(&bytes[span.start..span.inner]);
    match reader.read_event() {
        Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
            xml::attr(&e, key)
        }
        _ => None,
    }
}

/// The relationship `id`'s target in a `.rels` part, resolved against
/// the folder `base` (with its trailing slash).
fn target(rels: &[u8], id: &str, base: &str) -> Result<Option<String>> {
    let Some(rel) = xml::find(rels, 0, "Relationship", |e| {
        xml::attr(e, "Id").as_deref() == Some(id)
    })?
    else {
        return Ok(None);
    };
    let Some(target) = first_attr(rels, rel, "Target") else {
        return Ok(None);
    };
    if let Some(absolute) = target.strip_prefix('/') {
        return Ok(Some(absolute.to_string()));
    }
    let mut parts: Vec<&str> = base.trim_end_matches('/').split('/').collect();
    for step in target.split('/') {
        match step {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    Ok(Some(parts.join("/")))
}

/// The first sheet's part name.
fn first_sheet(package: &mut Package<'_>) -> Result<String> {
    let missing = || Error::malformed("the workbook does not name its first sheet");
    let book = package.read_xml(WORKBOOK)?.ok_or_else(missing)?;
    let sheet = xml::find(&book, 0, "sheet", |_| true)?.ok_or_else(missing)?;
    let id = first_attr(&book, sheet, "r:id").ok_or_else(missing)?;
    let rels = package.read_xml(WORKBOOK_RELS)?.ok_or_else(missing)?;
    target(&rels, &id, "xl/")?.ok_or_else(missing)
}

fn rels_of(part: &str) -> String {
    match part.rfind('/') {
        Some(at) => format!("{}/_rels/{}.rels", &part[..at], &part[at + 1..]),
        None => format!("_rels/{part}.rels"),
    }
}

fn anchor(label: &Label, id: u32) -> String {
    let height = LINE_HEIGHT * label.lines.len().max(1) as u64 + 91_440;
    let mut runs = String::new();
    for (i, line) in label.lines.iter().enumerate() {
        if i > 0 {
            runs.push_str("</a:p><a:p><a:pPr algn=\"ctr\"/>");
        }
        runs.push_str(&format!(
            "<a:r><a:rPr lang=\"{}\" sz=\"1200\" b=\"1\"><a:solidFill><a:srgbClr val=\"FFFFFF\"/>\
             </a:solidFill></a:rPr><a:t>{}</a:t></a:r>",
            xml::escape(&line.lang),
            xml::escape(&line.text)
        ));
    }
    format!(
        "<xdr:absoluteAnchor><xdr:pos x=\"0\" y=\"0\"/><xdr:ext cx=\"{BOX_WIDTH}\" cy=\"{height}\"/>\
         <xdr:sp macro=\"\" textlink=\"\"><xdr:nvSpPr><xdr:cNvPr id=\"{id}\" name=\"{SHAPE_NAME}\"/>\
         <xdr:cNvSpPr txBox=\"1\"/></xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/>\
         <a:ext cx=\"{BOX_WIDTH}\" cy=\"{height}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/>\
         </a:prstGeom><a:solidFill><a:srgbClr val=\"111111\"/></a:solidFill></xdr:spPr><xdr:txBody>\
         <a:bodyPr wrap=\"square\" anchor=\"ctr\"/><a:lstStyle/><a:p><a:pPr algn=\"ctr\"/>{runs}</a:p>\
         </xdr:txBody></xdr:sp><xdr:clientData/></xdr:absoluteAnchor>"
    )
}

/// `drawing` without our anchor, then with a new one.
fn drawing_with_box(drawing: &[u8], label: &Label) -> Result<Vec<u8>> {
    let mut drawing = drawing.to_vec();
    while let Some(name) = xml::find(&drawing, 0, "xdr:cNvPr", |e| {
        xml::attr(e, "name").as_deref() == Some(SHAPE_NAME)
    })? {
        let before = &drawing[..name.start];
        let Some(start) = before
            .windows(20)
            .rposition(|w| w == b"<xdr:absoluteAnchor>")
        else {
            break;
        };
        let Some(old) = xml::find(&drawing, start, "xdr:absoluteAnchor", |_| true)? else {
            break;
        };
        drawing = xml::replace(&drawing, old.start..old.end, "");
    }
    let text = String::from_utf8_lossy(&drawing);
    let id = text.matches("<xdr:cNvPr ").count() as u32 + 1000;
    let root = xml::find(&drawing, 0, "xdr:wsDr", |_| true)?
        .ok_or_else(|| Error::malformed("a drawing part without <xdr:wsDr>"))?;
    Ok(xml::append_children(
        &drawing,
        root,
        "xdr:wsDr",
        &anchor(label, id),
    ))
}

/// Puts the text box on the first sheet of an XLSX.
pub fn xlsx_box(package: &mut Package<'_>, label: &Label, edits: &mut Edits) -> Result<()> {
    let sheet_part = first_sheet(package)?;
    let sheet = match edits.replaced.get(&sheet_part) {
        Some(bytes) => bytes.clone(),
        None => package
            .read_xml(&sheet_part)?
            .ok_or_else(|| Error::malformed(format!("the first sheet {sheet_part} is missing")))?,
    };
    let rels_part = rels_of(&sheet_part);
    let rels = package.read_xml(&rels_part)?;
    let base = sheet_part
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir)
        .to_string()
        + "/";
    if let Some(drawing) = xml::find(&sheet, 0, "drawing", |_| true)? {
        let id = first_attr(&sheet, drawing, "r:id").unwrap_or_default();
        let part = match &rels {
            Some(rels) => target(rels, &id, &base)?,
            None => None,
        }
        .ok_or_else(|| Error::malformed(format!("{sheet_part}: its drawing is not found")))?;
        let bytes = package
            .read_xml(&part)?
            .ok_or_else(|| Error::malformed(format!("the drawing {part} is missing")))?;
        edits
            .replaced
            .insert(part, drawing_with_box(&bytes, label)?);
        return Ok(());
    }
    let new = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<xdr:wsDr \
         xmlns:xdr=\"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing\" \
         xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\">{}</xdr:wsDr>",
        anchor(label, 1000)
    );
    edits
        .added
        .push((OUR_DRAWING.to_string(), new.into_bytes()));
    let rel = format!(
        "<Relationship Id=\"rIdTanbaDrawing\" Type=\"{DRAWING_REL}\" Target=\"../drawings/drawingTanba.xml\"/>"
    );
    let rels_bytes = match rels {
        Some(rels) => {
            let root = xml::find(&rels, 0, "Relationships", |_| true)?
                .ok_or_else(|| Error::malformed(format!("{rels_part}: no <Relationships>")))?;
            let bytes = xml::append_children(&rels, root, "Relationships", &rel);
            edits.replaced.insert(rels_part.clone(), bytes);
            None
        }
        None => Some(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships \
             xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rel}</Relationships>"
        )),
    };
    if let Some(bytes) = rels_bytes {
        edits.added.push((rels_part, bytes.into_bytes()));
    }
    let root = xml::find(&sheet, 0, "worksheet", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{sheet_part}: no <worksheet>")))?;
    let (at, _) = xml::first_child(&sheet, root, |n| !AFTER_DRAWING.contains(&n))?;
    let element = format!("<drawing xmlns:r=\"{R_NS}\" r:id=\"rIdTanbaDrawing\"/>");
    edits
        .replaced
        .insert(sheet_part, xml::splice(&sheet, at, &element));
    let types = match edits.replaced.get(CONTENT_TYPES) {
        Some(bytes) => bytes.clone(),
        None => package
            .read_xml(CONTENT_TYPES)?
            .ok_or_else(|| Error::malformed("no [Content_Types].xml"))?,
    };
    let root = xml::find(&types, 0, "Types", |_| true)?
        .ok_or_else(|| Error::malformed("[Content_Types].xml: no <Types>"))?;
    let entry = format!("<Override PartName=\"/{OUR_DRAWING}\" ContentType=\"{DRAWING_TYPE}\"/>");
    edits.replaced.insert(
        CONTENT_TYPES.to_string(),
        xml::append_children(&types, root, "Types", &entry),
    );
    Ok(())
}

/// The text of our box in the first sheet's drawing (empty without one).
pub fn xlsx_box_text(package: &mut Package<'_>) -> Result<String> {
    let sheet_part = first_sheet(package)?;
    let sheet = package.read_xml(&sheet_part)?.unwrap_or_default();
    let Some(drawing) = xml::find(&sheet, 0, "drawing", |_| true)? else {
        return Ok(String::new());
    };
    let id = first_attr(&sheet, drawing, "r:id").unwrap_or_default();
    let base = sheet_part
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir)
        .to_string()
        + "/";
    let Some(rels) = package.read_xml(&rels_of(&sheet_part))? else {
        return Ok(String::new());
    };
    let Some(part) = target(&rels, &id, &base)? else {
        return Ok(String::new());
    };
    let drawing = package.read_xml(&part)?.unwrap_or_default();
    let ours = xml::find(&drawing, 0, "xdr:cNvPr", |e| {
        xml::attr(e, "name").as_deref() == Some(SHAPE_NAME)
    })?;
    let Some(name) = ours else {
        return Ok(String::new());
    };
    let end = xml::find(&drawing, name.end, "xdr:txBody", |_| true)?;
    Ok(end.map_or(String::new(), |b| {
        xml::text_of(&drawing[b.start..b.end], &["a:p"])
    }))
}

/// The text of our frame in an ODS's content (empty without one).
pub fn ods_box_text(content: &[u8]) -> Result<String> {
    let frame = xml::find(content, 0, "draw:frame", |e| {
        xml::attr(e, "draw:name").as_deref() == Some(SHAPE_NAME)
    })?;
    Ok(frame.map_or(String::new(), |f| {
        xml::text_of(&content[f.start..f.end], &["text:line-break"])
    }))
}

/// Puts the frame at the top of the first table of an ODS, in its
/// `<table:shapes>` (made when missing), replacing ours, with its styles.
pub fn ods_box(content: &[u8], label: &Label) -> Result<Vec<u8>> {
    let mut content = content.to_vec();
    while let Some(old) = xml::find(&content, 0, "draw:frame", |e| {
        xml::attr(e, "draw:name").as_deref() == Some(SHAPE_NAME)
    })? {
        content = xml::replace(&content, old.start..old.end, "");
    }
    let lines = label.lines.len().max(1) as f64;
    let frame = format!(
        "<draw:frame draw:name=\"{SHAPE_NAME}\" draw:style-name=\"TanbaNoticeFrame\" \
         draw:text-style-name=\"TanbaNoticeSlide\" svg:width=\"15.24cm\" svg:height=\"{:.3}cm\" \
         svg:x=\"0cm\" svg:y=\"0cm\"><draw:text-box><text:p text:style-name=\"TanbaNoticeSlide\">{}\
         </text:p></draw:text-box></draw:frame>",
        0.635 * lines + 0.25,
        odf::spans(label, "TanbaSlide")
    );
    let table = xml::find(&content, 0, "table:table", |_| true)?
        .ok_or_else(|| Error::malformed("a spreadsheet without a table"))?;
    content = match xml::find(&content[..table.close], table.inner, "table:shapes", |_| {
        true
    })? {
        Some(shapes) => xml::append_children(&content, shapes, "table:shapes", &frame),
        None => {
            let before: [&[u8]; 6] = [
                b"table:title",
                b"table:desc",
                b"table:table-source",
                b"office:dde-source",
                b"table:scenario",
                b"office:forms",
            ];
            let (at, _) = xml::first_child(&content, table, |n| before.contains(&n))?;
            xml::splice(
                &content,
                at,
                &format!("<table:shapes>{frame}</table:shapes>"),
            )
        }
    };
    odf::with_auto_styles(&content, &slides::frame_styles(label, 12.0))
}
