//! Where the banner goes on a page and the content stream that draws it.

use std::fmt::Write as _;

use tanba_core::{Error, Result};

use crate::font::LabelFont;

/// The page edge the banner sits on, as the page is displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Edge {
    /// Along the top edge.
    Top,
    /// Along the bottom edge.
    #[default]
    Bottom,
}

/// Where along the edge the banner sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Flush with the left edge.
    Left,
    /// Centred.
    Center,
    /// Flush with the right edge.
    Right,
}

/// The visible area of a page in user space, and how it is turned for display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageGeometry {
    /// `[x0, y0, x1, y1]`, normalised so x0 < x1 and y0 < y1.
    pub visible: [f32; 4],
    /// `/Rotate`, normalised to 0, 90, 180 or 270 (clockwise).
    pub rotate: u32,
}

impl PageGeometry {
    /// Width and height of the page as displayed.
    pub fn displayed_size(&self) -> (f32, f32) {
        let w = self.visible[2] - self.visible[0];
        let h = self.visible[3] - self.visible[1];
        if self.rotate % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// The matrix from displayed coordinates (origin at the displayed
    /// bottom-left, x right, y up) to user space.
    pub fn display_to_user(&self) -> [f32; 6] {
        let [x0, y0, x1, y1] = self.visible;
        match self.rotate {
            // Turned clockwise: the displayed bottom-left is the user bottom-right.
            90 => [0.0, 1.0, -1.0, 0.0, x1, y0],
            180 => [-1.0, 0.0, 0.0, -1.0, x1, y1],
            // Turned counter-clockwise: the displayed bottom-left is the user top-left.
            270 => [0.0, -1.0, 1.0, 0.0, x0, y1],
            _ => [1.0, 0.0, 0.0, 1.0, x0, y0],
        }
    }

    /// A key equal for pages whose stamp would be the same bytes.
    pub fn key(&self) -> [i64; 5] {
        let q = |v: f32| (v * 1000.0).round() as i64;
        [
            q(self.visible[0]),
            q(self.visible[1]),
            q(self.visible[2]),
            q(self.visible[3]),
            i64::from(self.rotate),
        ]
    }
}

/// Sizes the banner: text height as a share of the displayed page's shorter side.
const TEXT_SHARE: f32 = 0.025;
/// Never smaller than this, in points, unless the page is too narrow; also
/// the least text size a user may ask for.
pub const MIN_TEXT_PT: f32 = 7.0;
/// Below this the label would not be legible in print: refuse.
const FLOOR_TEXT_PT: f32 = 4.0;

/// What the stamp drew, for the manifest.
#[derive(Debug, Clone, Copy)]
pub struct Drawn {
    /// Text height in points.
    pub text_size: f32,
}

fn num(out: &mut String, v: f32) {
    let v = if v.abs() < 0.0005 { 0.0 } else { v };
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    out.push_str(s);
    out.push(' ');
}

/// How the banner is marked in a tagged PDF: its text is the marked content
/// `mcid` of a `/P` element, lines in another language than the first carry
/// their own `/Lang`, and the box is an artifact. The font must hold a space.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    /// The page's next free marked-content id.
    pub mcid: i64,
    /// Each line's BCP 47 language, if known.
    pub langs: &'a [Option<String>],
}

/// How every banner of one labelling looks: its lines, font, resource
/// names and place on the page.
#[derive(Debug, Clone, Copy)]
pub struct Style<'a> {
    /// The label lines, already [`crate::font::drawable`].
    pub lines: &'a [String],
    /// The subset font, holding every character of `lines`.
    pub font: &'a LabelFont,
    /// The font's resource name on the page.
    pub font_name: &'a str,
    /// The box opacity's ExtGState resource name on the page.
    pub gs_name: &'a str,
    /// The displayed edge the banner sits on.
    pub edge: Edge,
    /// Where along the edge.
    pub align: Align,
    /// Custom colours; `None` draws the default white box and dark text.
    pub colors: Option<crate::BannerColors>,
    /// Text size in points instead of 2.5% of the shorter side (still
    /// shrunk to fit a narrow page).
    pub text_pt: Option<f32>,
}

/// A PDF `rg`/`RG` operand triple for an sRGB colour.
fn rgb(s: &mut String, color: [u8; 3]) {
    for c in color {
        num(s, f32::from(c) / 255.0);
    }
}

/// Padding inside the box and margin outside it, in multiples of the text size.
const PAD: f32 = 0.35;
const MARGIN: f32 = 0.5;

/// Where the box and its text go on one displayed page.
#[derive(Debug, Clone, Copy)]
struct Layout {
    size: f32,
    box_x: f32,
    box_y: f32,
    box_w: f32,
    box_h: f32,
}

impl Layout {
    /// Sizes and places the banner on a displayed page of `width` x
    /// `height`, for lines whose widest is `widest` em.
    fn fit(width: f32, height: f32, widest: f32, style: &Style<'_>) -> Result<Self> {
        if !(width.is_finite() && height.is_finite()) || width <= 0.0 || height <= 0.0 {
            return Err(Error::cannot_label(format!(
                "page has an empty visible area ({width} x {height} pt)"
            )));
        }
        let mut size = match style.text_pt {
            Some(pt) if pt.is_nan() || pt < MIN_TEXT_PT => {
                return Err(Error::config(format!(
                    "PDF banner text size {pt} pt is under the {MIN_TEXT_PT} pt minimum"
                )));
            }
            Some(pt) => pt,
            None => (width.min(height) * TEXT_SHARE).max(MIN_TEXT_PT),
        };
        let line_height = style.font.ascent + style.font.descent;
        if widest * size + 2.0 * (PAD + MARGIN) * size > width {
            size = width / (widest + 2.0 * (PAD + MARGIN));
        }
        let box_h = (2.0 * PAD + line_height * style.lines.len() as f32) * size;
        if size < FLOOR_TEXT_PT || box_h > height {
            return Err(Error::cannot_label(format!(
                "page is too small for a legible label ({width:.0} x {height:.0} pt displayed)"
            )));
        }
        let box_w = (widest + 2.0 * PAD) * size;
        let m = MARGIN * size;
        let box_x = match style.align {
            Align::Left => m,
            Align::Center => (width - box_w) / 2.0,
            Align::Right => width - m - box_w,
        };
        let box_y = match style.edge {
            Edge::Bottom => m,
            Edge::Top => height - m - box_h,
        };
        Ok(Layout {
            size,
            box_x,
            box_y,
            box_w,
            box_h,
        })
    }
}

/// The stamp content stream for one page: `Q q … Q`, following a leading `q`
/// stream so the page's own graphics state cannot reach the banner.
pub fn content(
    geometry: &PageGeometry,
    style: &Style<'_>,
    tag: Option<Tag<'_>>,
) -> Result<(Vec<u8>, Drawn)> {
    let (width, height) = geometry.displayed_size();
    let widths = style
        .lines
        .iter()
        .map(|l| style.font.width(l))
        .collect::<Result<Vec<_>>>()?;
    let widest = widths.iter().copied().fold(0.0_f32, f32::max) / 1000.0;
    let layout = Layout::fit(width, height, widest, style)?;

    let mut s = String::with_capacity(512);
    s.push_str("Q\nq\n");
    for v in geometry.display_to_user() {
        num(&mut s, v);
    }
    s.push_str("cm\n");
    draw_box(&mut s, &layout, style, tag);
    draw_text(&mut s, &layout, style, &widths, tag)?;
    if tag.is_some() {
        s.push_str("EMC\n");
    }
    s.push_str("Q\n");
    Ok((
        s.into_bytes(),
        Drawn {
            text_size: layout.size,
        },
    ))
}

/// The box, slightly see-through so it never wholly hides what is under it;
/// in a tagged PDF an artifact, followed by the opening of the text's `/P`.
fn draw_box(s: &mut String, layout: &Layout, style: &Style<'_>, tag: Option<Tag<'_>>) {
    if tag.is_some() {
        s.push_str("/Artifact BMC\n");
    }
    let _ = write!(s, "q /{} gs ", style.gs_name);
    match style.colors {
        Some(colors) => {
            rgb(s, colors.box_color);
            s.push_str("rg ");
            rgb(s, colors.text_color);
            s.push_str("RG 0.6 w ");
        }
        None => s.push_str("1 1 1 rg 0.2 0.2 0.2 RG 0.6 w "),
    }
    for v in [layout.box_x, layout.box_y, layout.box_w, layout.box_h] {
        num(s, v);
    }
    s.push_str("re B Q\n");
    if let Some(tag) = tag {
        let _ = write!(s, "EMC\n/P <</MCID {}>> BDC\n", tag.mcid);
    }
}

/// The text object with one line per label line.
fn draw_text(
    s: &mut String,
    layout: &Layout,
    style: &Style<'_>,
    widths: &[f32],
    tag: Option<Tag<'_>>,
) -> Result<()> {
    let (font, size) = (style.font, layout.size);
    let line_height = font.ascent + font.descent;
    let first_lang = tag.and_then(|t| t.langs.first()).and_then(Option::as_ref);
    let line_break = match tag {
        Some(_) => Some(font.encode(" ", size)?),
        None => None,
    };
    // Text state is reset explicitly: a Q restores it, but be plain about it.
    s.push_str("BT 0 Tc 0 Tw 100 Tz 0 Ts 0 Tr ");
    match style.colors {
        Some(colors) => rgb(s, colors.text_color),
        None => s.push_str("0.1 0.1 0.1 "),
    }
    let _ = write!(s, "rg /{} ", style.font_name);
    num(s, size);
    s.push_str("Tf\n");
    let mut previous = (0.0, 0.0);
    for (i, (line, w)) in style.lines.iter().zip(widths).enumerate() {
        let w = w / 1000.0 * size;
        let x = match style.align {
            Align::Left => layout.box_x + PAD * size,
            Align::Center => layout.box_x + (layout.box_w - w) / 2.0,
            Align::Right => layout.box_x + layout.box_w - PAD * size - w,
        };
        let y = layout.box_y + layout.box_h
            - PAD * size
            - font.ascent * size
            - i as f32 * line_height * size;
        num(s, x - previous.0);
        num(s, y - previous.1);
        s.push_str("Td ");
        let lang = tag
            .and_then(|t| t.langs.get(i))
            .and_then(Option::as_ref)
            .filter(|&lang| Some(lang) != first_lang);
        if let Some(lang) = lang {
            // Tag::langs holds BCP 47 tags only, which need no escaping.
            let _ = write!(s, "/Span <</Lang ({lang})>> BDC ");
        }
        s.push_str(&font.encode(line, size)?);
        // An invisible space ends each line but the last, so that text taken
        // from the structure element does not run two lines into one word.
        if let Some(space) = &line_break
            && i + 1 < widths.len()
        {
            s.push(' ');
            s.push_str(space);
        }
        s.push_str(if lang.is_some() { " EMC\n" } else { "\n" });
        previous = (x, y);
    }
    s.push_str("ET\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style<'a>(lines: &'a [String], font: &'a LabelFont) -> Style<'a> {
        Style {
            lines,
            font,
            font_name: "F",
            gs_name: "G",
            edge: Edge::Bottom,
            align: Align::Right,
            colors: None,
            text_pt: None,
        }
    }

    fn apply(m: [f32; 6], u: f32, v: f32) -> (f32, f32) {
        (m[0] * u + m[2] * v + m[4], m[1] * u + m[3] * v + m[5])
    }

    #[test]
    fn display_origin_maps_to_the_corner_the_viewer_sees_bottom_left() {
        let visible = [10.0, 20.0, 110.0, 220.0];
        for (rotate, expected) in [
            (0, (10.0, 20.0)),
            (90, (110.0, 20.0)),
            (180, (110.0, 220.0)),
            (270, (10.0, 220.0)),
        ] {
            let g = PageGeometry { visible, rotate };
            let (w, h) = g.displayed_size();
            assert_eq!(
                apply(g.display_to_user(), 0.0, 0.0),
                expected,
                "rotate {rotate}"
            );
            // The displayed top-right corner is the opposite user corner.
            let far = apply(g.display_to_user(), w, h);
            assert!(
                (far.0 - (10.0 + 110.0 - expected.0)).abs() < 1e-3,
                "rotate {rotate}"
            );
            assert!(
                (far.1 - (20.0 + 220.0 - expected.1)).abs() < 1e-3,
                "rotate {rotate}"
            );
        }
    }

    #[test]
    fn tagged_banner_marks_text_box_and_other_languages() {
        let lines = vec!["Жасанды".to_string(), "Создано".to_string()];
        let font = LabelFont::for_texts(&Default::default(), ["Жасанды", "Создано", " "]).unwrap();
        let g = PageGeometry {
            visible: [0.0, 0.0, 595.0, 842.0],
            rotate: 0,
        };
        let langs = [Some("kk".to_string()), Some("ru".to_string())];
        let tag = Tag {
            mcid: 3,
            langs: &langs,
        };
        let (bytes, _) = content(&g, &style(&lines, &font), Some(tag)).unwrap();
        let s = String::from_utf8(bytes).unwrap();
        assert_eq!(s.matches("/Artifact BMC").count(), 1, "{s}");
        assert_eq!(s.matches("/P <</MCID 3>> BDC").count(), 1, "{s}");
        assert_eq!(s.matches("/Span <</Lang (ru)>> BDC").count(), 1, "{s}");
        assert!(!s.contains("(kk)"), "{s}");
        assert_eq!(s.matches("BDC").count() + 1, s.matches("EMC").count());
        // The text sits wholly inside the /P sequence.
        let (open, close) = (s.find("/P <<").unwrap(), s.rfind("EMC").unwrap());
        assert!(open < s.find("BT").unwrap() && s.find("ET").unwrap() < close);
    }

    #[test]
    fn tiny_page_is_refused() {
        let font = LabelFont::for_texts(&Default::default(), ["Жасанды интеллект"]).unwrap();
        let g = PageGeometry {
            visible: [0.0, 0.0, 30.0, 30.0],
            rotate: 0,
        };
        let lines = vec!["Жасанды интеллект".to_string()];
        let e = content(&g, &style(&lines, &font), None).unwrap_err();
        assert_eq!(e.kind_name(), "cannot-label");
    }
}
