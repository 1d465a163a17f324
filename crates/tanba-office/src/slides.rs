//! Presentations: the notice as a text box on every slide, across the
//! bottom edge like the PDF banner, at least 5 % of the slide's shorter
//! side tall, drawn last so nothing covers it. PPTX puts a `<p:sp>` at the
//! end of each slide's shape tree; ODP a `<draw:frame>` at the end of each
//! `<draw:page>`.

use quick_xml::Reader;
use quick_xml::events::Event;
use tanba_core::{Error, Label, Result};

use crate::container::{Edits, Package};
use crate::odf;
use crate::xml::{self, Span};

/// The name every notice shape carries, so verify and a forced relabel
/// find ours and only ours.
pub const SHAPE_NAME: &str = "Tanba AI notice";

/// The banner's height and its text size for `lines` label lines on a
/// slide whose shorter side is `short` (any unit): 4 % of the shorter side
/// per line, never under 5 %; the text fills three quarters of a line.
pub fn banner(short: f64, lines: usize) -> (f64, f64) {
    let lines = lines.max(1) as f64;
    let height = short * (0.04 * lines).max(0.05);
    (height, height / lines * 0.75)
}

const PRESENTATION: &str = "ppt/presentation.xml";

/// The slide parts of a PPTX, in name order.
fn slide_parts(package: &Package<'_>) -> Vec<String> {
    let mut slides: Vec<String> = package
        .entries()
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| {
            n.strip_prefix("ppt/slides/slide")
                .and_then(|rest| rest.strip_suffix(".xml"))
                .is_some_and(|num| !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    slides.sort_by_key(|n| n.len());
    slides
}

/// The slide size in EMU.
fn pptx_size(package: &mut Package<'_>) -> Result<(f64, f64)> {
    let pres = package
        .read_xml(PRESENTATION)?
        .ok_or_else(|| Error::malformed(format!("not a presentation: no {PRESENTATION}")))?;
    let size = xml::find(&pres, 0, "p:sldSz", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{PRESENTATION}: no <p:sldSz>")))?;
    let mut reader = Reader::from_reader(&pres[size.start..size.inner]);
    if let Ok(Event::Empty(e) | Event::Start(e)) = reader.read_event() {
        let num = |k| xml::attr(&e, k).and_then(|v| v.parse::<f64>().ok());
        if let (Some(cx), Some(cy)) = (num("cx"), num("cy"))
            && cx > 0.0
            && cy > 0.0
        {
            return Ok((cx, cy));
        }
    }
    Err(Error::malformed(format!(
        "{PRESENTATION}: the slide size is not positive"
    )))
}

/// The largest shape id of a slide: ours takes the next.
fn max_shape_id(slide: &[u8]) -> u32 {
    let mut reader = Reader::from_reader(slide);
    let mut max = 1;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.name().as_ref() == b"p:cNvPr" => {
                let id = xml::attr(&e, "id").and_then(|v| v.parse::<u32>().ok());
                max = max.max(id.unwrap_or(0));
            }
            Ok(Event::Eof) | Err(_) => return max,
            _ => {}
        }
    }
}

fn pptx_shape(label: &Label, id: u32, (cx, cy): (f64, f64)) -> String {
    let (h, text) = banner(cx.min(cy), label.lines.len());
    // Text size in hundredths of a point; 12,700 EMU make a point.
    let size = ((text / 12_700.0) * 100.0).round().max(800.0) as u64;
    let mut runs = String::new();
    for (i, line) in label.lines.iter().enumerate() {
        if i > 0 {
            runs.push_str(&format!(
                "<a:br><a:rPr lang=\"{}\" sz=\"{size}\"/></a:br>",
                xml::escape(&line.lang)
            ));
        }
        runs.push_str(&format!(
            "<a:r><a:rPr lang=\"{}\" sz=\"{size}\" b=\"1\"><a:solidFill><a:srgbClr val=\"FFFFFF\"/>\
             </a:solidFill></a:rPr><a:t>{}</a:t></a:r>",
            xml::escape(&line.lang),
            xml::escape(&line.text)
        ));
    }
    format!(
        "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{SHAPE_NAME}\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/>\
         </p:nvSpPr><p:spPr><a:xfrm><a:off x=\"0\" y=\"{y}\"/><a:ext cx=\"{w}\" cy=\"{h}\"/></a:xfrm>\
         <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val=\"111111\"/>\
         </a:solidFill></p:spPr><p:txBody><a:bodyPr wrap=\"square\" lIns=\"0\" tIns=\"0\" rIns=\"0\" \
         bIns=\"0\" anchor=\"ctr\"><a:noAutofit/></a:bodyPr><a:lstStyle/><a:p><a:pPr algn=\"ctr\"/>\
         {runs}</a:p></p:txBody></p:sp>",
        y = (cy - h).round() as u64,
        w = cx.round() as u64,
        h = h.round() as u64,
    )
}

/// Our shape in a slide, if there is one.
fn pptx_ours(slide: &[u8]) -> Result<Option<Span>> {
    let Some(name) = xml::find(slide, 0, "p:cNvPr", |e| {
        xml::attr(e, "name").as_deref() == Some(SHAPE_NAME)
    })?
    else {
        return Ok(None);
    };
    // The `<p:sp>` that holds it is the last one opened before it.
    let before = &slide[..name.start];
    let Some(start) = before.windows(6).rposition(|w| w == b"<p:sp>") else {
        return Ok(None);
    };
    xml::find(slide, start, "p:sp", |_| true)
}

/// Whether any slide carries our shape.
pub fn pptx_has_notice(package: &mut Package<'_>) -> Result<bool> {
    for part in slide_parts(package) {
        if let Some(slide) = package.read_xml(&part)?
            && pptx_ours(&slide)?.is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The text of our shape on each slide (empty where it is missing), and
/// how many slides there are.
pub fn pptx_texts(package: &mut Package<'_>) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for part in slide_parts(package) {
        let slide = package.read_xml(&part)?.unwrap_or_default();
        texts.push(match pptx_ours(&slide)? {
            Some(sp) => xml::text_of(&slide[sp.start..sp.end], &["a:br"]),
            None => String::new(),
        });
    }
    Ok(texts)
}

/// Puts the banner on every slide, replacing ours.
pub fn pptx_label(package: &mut Package<'_>, label: &Label, edits: &mut Edits) -> Result<()> {
    let size = pptx_size(package)?;
    let parts = slide_parts(package);
    if parts.is_empty() {
        return Err(Error::malformed(
            "a presentation without slides: nothing to label",
        ));
    }
    for part in parts {
        let mut slide = package.read_xml(&part)?.unwrap_or_default();
        if let Some(old) = pptx_ours(&slide)? {
            slide = xml::replace(&slide, old.start..old.end, "");
        }
        let tree = xml::find(&slide, 0, "p:spTree", |_| true)?
            .ok_or_else(|| Error::malformed(format!("{part}: no <p:spTree>")))?;
        let shape = pptx_shape(label, max_shape_id(&slide) + 1, size);
        edits
            .replaced
            .insert(part, xml::append_children(&slide, tree, "p:spTree", &shape));
    }
    Ok(())
}

/// A length of ODF (`28cm`, `10in`, `254mm`, `720pt`) in centimetres.
fn centimetres(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = value.split_at(split);
    let num: f64 = num.trim().parse().ok()?;
    let per_cm = match unit {
        "cm" => 1.0,
        "mm" => 10.0,
        "in" => 1.0 / 2.54,
        "pt" => 72.0 / 2.54,
        "pc" => 6.0 / 2.54,
        _ => return None,
    };
    Some(num / per_cm).filter(|v| *v > 0.0)
}

/// The size in centimetres of the slides of master page `master`.
fn odp_size(styles: &[u8], master: &str) -> Result<(f64, f64)> {
    let not_found = || Error::malformed(format!("{}: no slide size", odf::STYLES));
    let page = xml::find(styles, 0, "style:master-page", |e| {
        xml::attr(e, "style:name").as_deref() == Some(master)
    })?
    .ok_or_else(not_found)?;
    let mut reader = Reader::from_reader(&styles[page.start..page.inner]);
    let layout = match reader.read_event() {
        Ok(Event::Start(e) | Event::Empty(e)) => xml::attr(&e, "style:page-layout-name"),
        _ => None,
    }
    .ok_or_else(not_found)?;
    let layout = xml::find(styles, 0, "style:page-layout", |e| {
        xml::attr(e, "style:name").as_deref() == Some(layout.as_str())
    })?
    .ok_or_else(not_found)?;
    let props = xml::find(
        &styles[..layout.end],
        layout.start,
        "style:page-layout-properties",
        |_| true,
    )?
    .ok_or_else(not_found)?;
    let mut reader = Reader::from_reader(&styles[props.start..props.inner]);
    if let Ok(Event::Start(e) | Event::Empty(e)) = reader.read_event() {
        let len = |k| xml::attr(&e, k).as_deref().and_then(centimetres);
        if let (Some(w), Some(h)) = (len("fo:page-width"), len("fo:page-height")) {
            return Ok((w, h));
        }
    }
    Err(not_found())
}

fn odp_frame(label: &Label, (w, h): (f64, f64)) -> String {
    let (height, _) = banner(w.min(h), label.lines.len());
    format!(
        "<draw:frame draw:name=\"{SHAPE_NAME}\" draw:style-name=\"TanbaNoticeFrame\" \
         draw:text-style-name=\"TanbaNoticeSlide\" draw:layer=\"layout\" svg:width=\"{w:.3}cm\" \
         svg:height=\"{height:.3}cm\" svg:x=\"0cm\" svg:y=\"{y:.3}cm\"><draw:text-box><text:p \
         text:style-name=\"TanbaNoticeSlide\">{}</text:p></draw:text-box></draw:frame>",
        odf::spans(label, "TanbaSlide"),
        y = h - height,
    )
}

/// The automatic styles the frame uses, sized to the slide.
fn odp_styles(label: &Label, (w, h): (f64, f64)) -> Vec<(String, String)> {
    let (_, text_cm) = banner(w.min(h), label.lines.len());
    frame_styles(label, text_cm * 72.0 / 2.54)
}

/// The automatic styles of a notice frame: its dark box, its centred
/// paragraph, and a white bold text style of `points` per language.
pub fn frame_styles(label: &Label, points: f64) -> Vec<(String, String)> {
    let size = format!(" fo:color=\"#ffffff\" fo:font-size=\"{points:.1}pt\"");
    let mut styles = vec![
        (
            "TanbaNoticeFrame".to_string(),
            "<style:style style:name=\"TanbaNoticeFrame\" style:family=\"graphic\"><style:graphic-properties \
             draw:stroke=\"none\" draw:fill=\"solid\" draw:fill-color=\"#111111\" \
             draw:textarea-vertical-align=\"middle\" draw:auto-grow-height=\"false\" \
             fo:padding-top=\"0cm\" fo:padding-bottom=\"0cm\" fo:padding-left=\"0cm\" \
             fo:padding-right=\"0cm\"/></style:style>"
                .to_string(),
        ),
        (
            "TanbaNoticeSlide".to_string(),
            "<style:style style:name=\"TanbaNoticeSlide\" style:family=\"paragraph\">\
             <style:paragraph-properties fo:text-align=\"center\"/></style:style>"
                .to_string(),
        ),
    ];
    styles.extend(
        label
            .lines
            .iter()
            .map(|l| odf::lang_style("TanbaSlide", &l.lang, &size)),
    );
    styles
}

fn odp_ours(content: &[u8], from: usize) -> Result<Option<Span>> {
    xml::find(content, from, "draw:frame", |e| {
        xml::attr(e, "draw:name").as_deref() == Some(SHAPE_NAME)
    })
}

/// Whether any slide carries our frame.
pub fn odp_has_notice(package: &mut Package<'_>) -> Result<bool> {
    Ok(odp_ours(&odf::read_content(package)?, 0)?.is_some())
}

/// The text of our frame on each slide (empty where it is missing).
pub fn odp_texts(package: &mut Package<'_>) -> Result<Vec<String>> {
    let content = odf::read_content(package)?;
    let mut texts = Vec::new();
    let mut from = 0;
    while let Some(page) = xml::find(&content, from, "draw:page", |_| true)? {
        let inside = &content[..page.close];
        texts.push(match odp_ours(inside, page.inner)? {
            Some(f) => xml::text_of(&content[f.start..f.end], &["text:line-break"]),
            None => String::new(),
        });
        from = page.end;
    }
    Ok(texts)
}

/// Puts the banner on every slide (`<draw:page>`), replacing ours, before
/// the page's notes and animations, which come last.
pub fn odp_label(package: &mut Package<'_>, label: &Label, edits: &mut Edits) -> Result<()> {
    let mut content = odf::read_content(package)?;
    while let Some(old) = odp_ours(&content, 0)? {
        content = xml::replace(&content, old.start..old.end, "");
    }
    let styles = package
        .read_xml(odf::STYLES)?
        .ok_or_else(|| Error::malformed(format!("no {}", odf::STYLES)))?;
    let mut from = 0;
    let mut size = None;
    while let Some(page) = xml::find(&content, from, "draw:page", |_| true)? {
        let tag = String::from_utf8_lossy(&content[page.start..page.inner]).into_owned();
        let mut reader = Reader::from_reader(tag.as_bytes());
        let master = match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => xml::attr(&e, "draw:master-page-name"),
            _ => None,
        }
        .unwrap_or_default();
        let slide = odp_size(&styles, &master)?;
        size.get_or_insert(slide);
        let (at, _) = xml::first_child(&content, page, |n| {
            n != b"presentation:notes"
                && n != b"presentation:animations"
                && !n.starts_with(b"anim:")
        })?;
        let frame = odp_frame(label, slide);
        content = if page.inner == page.end {
            xml::append_children(&content, page, "draw:page", &frame)
        } else {
            xml::splice(&content, at, &frame)
        };
        from = at + frame.len();
    }
    let size =
        size.ok_or_else(|| Error::malformed("a presentation without slides: nothing to label"))?;
    let content = odf::with_auto_styles(&content, &odp_styles(label, size))?;
    edits.replaced.insert(odf::CONTENT.to_string(), content);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_is_at_least_a_twentieth_of_the_shorter_side() {
        let (h, text) = banner(540.0, 1);
        assert!((h - 27.0).abs() < 1e-9 && text < h);
        let (h, text) = banner(540.0, 2);
        assert!(h >= 27.0 && text * 2.0 < h);
    }

    #[test]
    fn odf_lengths_are_read_in_centimetres() {
        assert_eq!(centimetres("28cm"), Some(28.0));
        assert_eq!(centimetres("254mm"), Some(25.4));
        assert!((centimetres("10in").unwrap() - 25.4).abs() < 1e-9);
        assert!((centimetres("72pt").unwrap() - 2.54).abs() < 1e-9);
        assert_eq!(centimetres("-1cm"), None);
        assert_eq!(centimetres("12"), None);
    }
}
