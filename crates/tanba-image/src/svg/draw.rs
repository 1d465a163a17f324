//! The label as SVG: a rounded box and `<text>` lines in a group, laid out
//! like the raster badge (same wrapping, padding, margin and corner
//! placement) on a proxy canvas whose shorter side is [`PROXY`] pixels,
//! then scaled to user units. The text is real text, so it stays sharp and
//! searchable; its size is 5 % (the style's fraction) of the shorter side.

use ab_glyph::{Font, FontRef};

use tanba_core::font::FontFile;
use tanba_core::{Error, Label, Position, Result};

use super::canvas::Canvas;
use super::scan::{GROUP_ID, MARKS_ID};
use crate::badge::{self, BadgeStyle};

/// Shorter side of the proxy canvas the layout is made on, in pixels.
const PROXY: f64 = 1000.0;

/// How much wider than the embedded font's the fallback fonts' text may
/// be (DejaVu Sans Bold sets Cyrillic about 15 % wider than Noto Sans
/// Bold): the box leaves room for it, the text is centred in it.
pub(crate) const FALLBACK_SLACK: f64 = 1.2;

/// The fonts the text asks for, the embedded badge font first.
pub(crate) const FONT_FAMILY: &str = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif";

/// The label laid out in user units.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Text size.
    pub font_size: f64,
    /// The box: x, y, width, height.
    pub rect: [f64; 4],
    /// Corner radius.
    pub radius: f64,
    /// Each line: its centre x, baseline y, width in the embedded font,
    /// and text.
    pub lines: Vec<(f64, f64, f64, String)>,
}

/// Lays the label out on `canvas`.
pub(crate) fn lay_out(
    canvas: Canvas,
    font: &FontFile,
    label: &Label,
    position: Position,
    style: &BadgeStyle,
) -> Result<Layout> {
    let k = canvas.shorter() / PROXY;
    let (pw, ph) = (canvas.w / k, canvas.h / k);
    if pw.max(ph) > 60.0 * PROXY {
        return Err(Error::cannot_label(format!(
            "SVG of {}x{} units is too narrow for a legible label",
            canvas.w, canvas.h
        )));
    }
    let (pw, ph) = (pw.round() as u32, ph.round() as u32);
    // Wrapped for the wider fallback fonts.
    let mut narrow = style.clone();
    narrow.max_width_fraction = (style.max_width_fraction as f64 / FALLBACK_SLACK) as f32;
    let laid = badge::render_badge(font, label, pw, ph, &narrow)?;
    let px = f64::from(laid.text_px);
    let pad_x = (f64::from(style.padding_x_em) * px).round();
    let pad_y = (f64::from(style.padding_y_em) * px).round();
    let widths = laid
        .lines
        .iter()
        .map(|l| Ok(f64::from(font.shape(l)?.width_em()) * px))
        .collect::<Result<Vec<f64>>>()?;
    let text_w = widths.iter().copied().fold(0.0, f64::max);
    let box_w = (text_w * FALLBACK_SLACK + 2.0 * pad_x).ceil();
    let box_h = f64::from(laid.height());
    let margin = laid.margin;
    if box_w + 2.0 * f64::from(margin) > f64::from(pw) {
        return Err(Error::cannot_label(format!(
            "SVG too small for a legible label: {}x{} units would need a {} unit wide box",
            canvas.w,
            canvas.h,
            box_w * k
        )));
    }
    let (bx, by) = badge::badge_origin(position, pw, ph, box_w as u32, box_h as u32, margin);
    let (bx, by) = (f64::from(bx), f64::from(by));
    let ascent = ascent_em(font)? * px;
    let pitch = f64::from(style.line_pitch_em) * px;
    let lines = laid
        .lines
        .iter()
        .zip(&widths)
        .enumerate()
        .map(|(i, (text, w))| {
            let cx = canvas.x + (bx + box_w / 2.0) * k;
            let base = canvas.y + (by + pad_y + ascent + i as f64 * pitch) * k;
            (cx, base, w * k, text.clone())
        })
        .collect();
    let radius = (f64::from(style.radius_em) * px)
        .min(box_w / 2.0)
        .min(box_h / 2.0);
    Ok(Layout {
        font_size: px * k,
        rect: [canvas.x + bx * k, canvas.y + by * k, box_w * k, box_h * k],
        radius: radius * k,
        lines,
    })
}

/// The embedded font's ascent, in ems (where the first baseline goes).
fn ascent_em(font: &FontFile) -> Result<f64> {
    let f = FontRef::try_from_slice(font.bytes()).map_err(|_| {
        Error::cannot_label(format!("the label font {} does not parse", font.name()))
    })?;
    let upem = f.units_per_em().unwrap_or(1000.0);
    Ok(f64::from(f.ascent_unscaled() / upem))
}

/// A number for an attribute: at most three decimals, no trailing zeros.
pub(crate) fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Escapes text or an attribute value.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// Set inline on every element of the group, so no rule of the picture's
/// own sheets (`rect { display: none }`, `g { transform: scale(0) }`, a
/// mask or filter) can hide it.
const SHOWN: &str = "display:inline;visibility:visible;opacity:1;transform:none;\
                     clip-path:none;mask:none;filter:none";

/// The label group. Styles are inline (`style=`), which outranks the
/// document's own sheets, so a rule such as `text { fill: none }` in the
/// picture cannot restyle the label; `textLength` holds each line to the
/// embedded font's width where the renderer honours it.
pub(crate) fn group_xml(layout: &Layout, style: &BadgeStyle) -> String {
    let [x, y, w, h] = layout.rect;
    let mut out = format!(
        "<g id=\"{GROUP_ID}\" style=\"{SHOWN}\">\n\
         <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{r}\" ry=\"{r}\" \
         style=\"{SHOWN};fill:{};fill-opacity:{};stroke:none\"/>\n",
        num(x),
        num(y),
        num(w),
        num(h),
        hex(style.box_color),
        num(f64::from(style.box_opacity)),
        r = num(layout.radius),
    );
    for (cx, base, width, text) in &layout.lines {
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\" \
             style=\"{SHOWN};font-family:{FONT_FAMILY};font-weight:bold;font-style:normal;\
             font-size:{}px;fill:{};fill-opacity:1;stroke:none;text-anchor:middle\">{}</text>\n",
            num(*cx),
            num(*base),
            num(*width),
            num(layout.font_size),
            hex(style.text_color),
            escape(text),
        ));
    }
    out.push_str("</g>");
    out
}

/// The `<metadata>` element holding the XMP packet (what exiftool and
/// XMP-aware editors read from an SVG).
pub(crate) fn metadata_xml(packet: &str) -> String {
    format!("<metadata id=\"{MARKS_ID}\">\n{packet}\n</metadata>")
}
