//! Finding the badge without a manifest: when a platform stripped the
//! metadata, nothing records where the badge is or how big, so the badge
//! the job would draw is rendered again and searched for anywhere in the
//! picture.
//!
//! The badge's text size is a fixed fraction of the displayed shorter side
//! (with a 12-px floor), so after a resize it keeps its size relative to
//! the picture; a crop makes it relatively larger, and the floor makes it
//! larger on small originals. The search renders the text mask at the few
//! sizes a resize of 25 %..200 % and a crop of up to 20 % imply, and scores
//! every place with the normalised cross-correlation of the luminance with
//! that mask (white text on a dark box: a present badge correlates near 1),
//! first on a picture shrunk so the text is about 5 px high, then around the
//! best places at twice that. Places where up to a quarter of the badge's
//! width or half its height lies outside the picture count too (a crop
//! that cut into it), as long as 55 % of it is inside. The position
//! the job asks for (bottom-right by default) is tried first, and a match
//! there ends the search.

use image::GrayImage;

use crate::badge::{self, BadgeStyle};
use tanba_core::font::FontFile;
use tanba_core::{Label, Position, Result, VisibleFound};

/// Scores at or above this count as "badge found". Measured (see
/// docs/watermark.md): labelled pictures after a resize, JPEG q70, a crop
/// or an upscale score 0.75..0.97; unmarked photos, generated pictures and
/// text pages at most 0.35.
pub const FIND_THRESHOLD: f32 = 0.6;

/// The least part of the badge that must lie inside the picture: a crop of
/// 10 % from each side cuts up to a third of a corner badge's lines.
const MIN_INSIDE: f32 = 0.55;
/// How many of the best coarse places (one per candidate size) are refined.
const REFINED: usize = 4;
/// Text size, in pixels, of the badge in the finer of the two search scales.
const FINE_EM: f32 = 10.0;
/// Crops (as the shorter side's shrink) the candidate sizes allow for.
const CROPS: [f32; 7] = [1.0, 1.04, 1.08, 1.12, 1.17, 1.22, 1.27];
/// Resize factors since labelling the candidate sizes allow for (they
/// matter only where the 12-px floor set the text size).
const RESIZES: [f32; 7] = [0.25, 0.35, 0.5, 0.7, 1.0, 1.41, 2.0];

/// The best match of the badge in a picture, found or not.
#[derive(Debug, Clone, PartialEq)]
pub struct BadgeMatch {
    /// Normalised cross-correlation, 0..=1 (negative correlation counts 0).
    pub score: f32,
    /// `[x, y, w, h]` of the badge in the picture's pixels (may reach past
    /// its edges after a crop).
    pub rect: [i64; 4],
    /// The nearest of the six positions.
    pub position: Position,
}

impl BadgeMatch {
    /// The match as a find, when it scores at least [`FIND_THRESHOLD`].
    pub fn found(&self) -> Option<VisibleFound> {
        (self.score >= FIND_THRESHOLD).then(|| VisibleFound::new(self.position.name(), self.score))
    }
}

/// What badge is looked for: the job's label and position, the labeler's
/// font and style.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// The label text.
    pub label: &'a Label,
    /// Where the job puts it (tried first).
    pub position: Position,
    /// The badge font.
    pub font: &'a FontFile,
    /// The badge style.
    pub style: &'a BadgeStyle,
}

/// The badge searched for in `luma` (the picture as displayed): the best
/// match, with its score, or `None` when the picture is too small to hold
/// a badge of any candidate size.
pub fn best_match(luma: &GrayImage, wanted: &Wanted<'_>) -> Result<Option<BadgeMatch>> {
    let (w, h) = luma.dimensions();
    let base = wanted.style.min_text_fraction * w.min(h) as f32;
    // At least FINE_EM: coarser, the text's strokes fall between pixels.
    let k = ((base / FINE_EM).floor() as u32).max(1);
    let fine = Level::new(shrink(luma, k), k);
    let coarse = Level::new(shrink(&fine.img, 2), 2 * k);
    let sizes = candidate_sizes(w, h, wanted.style);
    // The job's own position at the expected size first: enough when the
    // picture was only resized or re-encoded.
    if let Some(&first) = sizes.first()
        && let Some(t) = Template::render(wanted, first, &fine)?
    {
        let (tw, th) = t.img.dimensions();
        let margin = wanted.style.margin_for(first.text_px) / fine.scale as f32;
        let (fw, fh) = fine.img.dimensions();
        let (x, y) = badge::badge_origin(wanted.position, fw, fh, tw, th, margin as u32);
        let at = (i64::from(x), i64::from(y));
        let m = fine.refine_scaled(wanted, first, at, (w, h))?;
        if m.as_ref().is_some_and(|m| m.score >= FIND_THRESHOLD) {
            return Ok(m);
        }
    }
    // Everywhere, at every size, on the coarse level; the three best
    // places are refined on the fine one.
    let mut places: Vec<(f32, Size, (i64, i64))> = Vec::new();
    for &size in &sizes {
        if let Some(tf) = Template::render(wanted, size, &fine)?
            && let Some(tc) = tf.halved()
            && let Some((score, at)) = coarse.search(&tc)
        {
            places.push((score, size, at));
        }
    }
    places.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best: Option<BadgeMatch> = None;
    for &(_, size, (cx, cy)) in places.iter().take(REFINED) {
        if let Some(m) = fine.refine_scaled(wanted, size, (2 * cx, 2 * cy), (w, h))?
            && best.as_ref().is_none_or(|b| m.score > b.score)
        {
            best = Some(m);
        }
    }
    Ok(best)
}

/// [`best_match`] as a find: `Some` when it scores at least [`FIND_THRESHOLD`].
pub fn find_badge(luma: &GrayImage, wanted: &Wanted<'_>) -> Result<Option<VisibleFound>> {
    Ok(best_match(luma, wanted)?.and_then(|m| m.found()))
}

/// One badge size to try: its text size and the display size its text
/// wrapped for, in the picture's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Size {
    text_px: f32,
    display: (f32, f32),
}

/// The badge sizes a resize (the 12-px floor) and a crop imply for a
/// `w` x `h` picture, the expected one first, without near-duplicates.
fn candidate_sizes(w: u32, h: u32, style: &BadgeStyle) -> Vec<Size> {
    let mut out: Vec<Size> = Vec::new();
    for c in CROPS {
        for s in RESIZES.iter().rev().copied().chain([1.0]) {
            let (ow, oh) = (w as f32 * c / s, h as f32 * c / s);
            let text_px = style.text_px_for(ow.ceil() as u32, oh.ceil() as u32) * s;
            let near = out
                .iter()
                .any(|o| (o.text_px / text_px - 1.0).abs() < 0.03 && o.display.0 == w as f32 * c);
            if !near {
                out.push(Size {
                    text_px,
                    display: (w as f32 * c, h as f32 * c),
                });
            }
        }
    }
    // The expected size (no crop, no resize) leads.
    let expected = style.text_px_for(w, h);
    out.sort_by(|a, b| {
        let d = |s: &Size| (s.text_px / expected).ln().abs() + (s.display.0 / w as f32 - 1.0);
        d(a).total_cmp(&d(b))
    });
    out
}

/// A text mask to correlate with, zero where there is no text.
struct Template {
    img: GrayImage,
    sum: Integral,
}

impl Template {
    /// The job's badge at `size`, drawn at `level`'s scale; `None` when it
    /// would be too small to tell from noise or the label does not fit.
    fn render(wanted: &Wanted<'_>, size: Size, level: &Level) -> Result<Option<Template>> {
        let scale = level.scale as f32;
        let text_px = size.text_px / scale;
        if text_px < 3.0 {
            return Ok(None);
        }
        let (dw, dh) = (
            (size.display.0 / scale).round() as u32,
            (size.display.1 / scale).round() as u32,
        );
        let masks = match badge::render_masks_at(
            wanted.font,
            wanted.label,
            text_px,
            dw,
            dh,
            wanted.style,
        ) {
            Ok(m) => m,
            // Too small a picture for this size: not a candidate.
            Err(tanba_core::Error::CannotLabel { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut img = masks.text_mask;
        // Dark text on a light box: correlate with the text turned.
        if !wanted.style.text_is_lighter() {
            img.iter_mut().for_each(|p| *p = 255 - *p);
        }
        let (w, h) = img.dimensions();
        let (lw, lh) = level.img.dimensions();
        if w < 8 || h < 3 || w > lw + w / 4 || h > lh + h / 2 {
            return Ok(None);
        }
        let sum = Integral::new(&img);
        Ok(Some(Template { img, sum }))
    }

    /// The template at half the size, for the coarse level: shrinking the
    /// fine one costs less than laying the text out again.
    fn halved(&self) -> Option<Template> {
        let img = shrink(&self.img, 2);
        if img.width() < 8 || img.height() < 3 {
            return None;
        }
        let sum = Integral::new(&img);
        Some(Template { img, sum })
    }
}

/// The picture shrunk by `scale`, with its running sums.
struct Level {
    img: GrayImage,
    sum: Integral,
    scale: u32,
}

impl Level {
    fn new(img: GrayImage, scale: u32) -> Self {
        let sum = Integral::new(&img);
        Level { img, sum, scale }
    }

    /// The best place of `t` over the whole level (up to a quarter of its
    /// width and half its height past the edges), with its score.
    fn search(&self, t: &Template) -> Option<(f32, (i64, i64))> {
        let (w, h) = dims(&self.img);
        let (tw, th) = dims(&t.img);
        let (ox, oy) = (tw / 4, th / 2);
        let mut best: Option<(f32, i64, i64)> = None;
        for y in -oy..=(h - th + oy) {
            for x in -ox..=(w - tw + ox) {
                let s = self.ncc(t, x, y);
                if best.is_none_or(|b| s > b.0) {
                    best = Some((s, x, y));
                }
            }
        }
        best.map(|(s, x, y)| (s, (x, y)))
    }

    /// The best match of the badge at `size`, give or take 3 % in steps of
    /// 1.5 % (a crop's size is not among the candidates exactly, and a 3 %
    /// error already moves the ends of a line of text by a stroke), within
    /// 3 pixels of `at` on this level.
    fn refine_scaled(
        &self,
        wanted: &Wanted<'_>,
        size: Size,
        at: (i64, i64),
        full: (u32, u32),
    ) -> Result<Option<BadgeMatch>> {
        let mut best: Option<BadgeMatch> = None;
        for step in -2..=2i8 {
            let f = 1.0 + f32::from(step) * 0.015;
            let scaled = Size {
                text_px: size.text_px * f,
                display: (size.display.0 * f, size.display.1 * f),
            };
            let Some(t) = Template::render(wanted, scaled, self)? else {
                continue;
            };
            if let Some(m) = self.refine(&t, at, 3, full)
                && best.as_ref().is_none_or(|b| m.score > b.score)
            {
                best = Some(m);
            }
        }
        Ok(best)
    }

    /// The best score of `t` within `radius` of `at`, as a match in the
    /// full picture's pixels.
    fn refine(
        &self,
        t: &Template,
        at: (i64, i64),
        radius: i64,
        full: (u32, u32),
    ) -> Option<BadgeMatch> {
        let mut best: Option<(f32, i64, i64)> = None;
        for y in at.1 - radius..=at.1 + radius {
            for x in at.0 - radius..=at.0 + radius {
                let s = self.ncc(t, x, y);
                if best.is_none_or(|b| s > b.0) {
                    best = Some((s, x, y));
                }
            }
        }
        let (score, x, y) = best?;
        let k = i64::from(self.scale);
        let (tw, th) = dims(&t.img);
        let rect = [x * k, y * k, tw * k, th * k];
        Some(BadgeMatch {
            score: score.max(0.0),
            rect,
            position: nearest_position(rect, full),
        })
    }

    /// Normalised cross-correlation of `t` placed at (`x`, `y`) with the
    /// pixels under it; 0 when less than [`MIN_INSIDE`] of it lies inside.
    fn ncc(&self, t: &Template, x: i64, y: i64) -> f32 {
        let (w, h) = dims(&self.img);
        let (tw, th) = dims(&t.img);
        let (tx0, ty0) = ((-x).max(0), (-y).max(0));
        let (tx1, ty1) = (tw.min(w - x), th.min(h - y));
        if tx1 <= tx0 || ty1 <= ty0 {
            return 0.0;
        }
        let n = (tx1 - tx0) * (ty1 - ty0);
        if (n as f32) < (tw * th) as f32 * MIN_INSIDE {
            return 0.0;
        }
        let (si, sii) = self.sum.rect(x + tx0, y + ty0, x + tx1, y + ty1);
        let (st, stt) = t.sum.rect(tx0, ty0, tx1, ty1);
        let (iw, twu) = (w as usize, tw as usize);
        let (raw, traw) = (self.img.as_raw(), t.img.as_raw());
        let mut cross = 0u64;
        let len = (tx1 - tx0) as usize;
        for ty in ty0..ty1 {
            let row = (y + ty) as usize * iw + (x + tx0) as usize;
            let trow = ty as usize * twu + tx0 as usize;
            let (a, b) = (&raw[row..row + len], &traw[trow..trow + len]);
            cross += a
                .iter()
                .zip(b)
                .map(|(&p, &q)| u32::from(p) * u32::from(q))
                .sum::<u32>() as u64;
        }
        let n = n as f64;
        let cov = n * cross as f64 - si * st;
        let vi = n * sii - si * si;
        let vt = n * stt - st * st;
        if vi <= 0.0 || vt <= 0.0 {
            return 0.0;
        }
        (cov / (vi.sqrt() * vt.sqrt())) as f32
    }
}

fn dims(img: &GrayImage) -> (i64, i64) {
    (i64::from(img.width()), i64::from(img.height()))
}

/// The position a badge at `rect` is at: the nearer edge on each axis, or
/// the centre when the gaps to both edges are alike.
fn nearest_position(rect: [i64; 4], (w, h): (u32, u32)) -> Position {
    let (left, right) = (rect[0], i64::from(w) - rect[0] - rect[2]);
    let above = rect[1] < i64::from(h) - rect[1] - rect[3];
    let side = if left * 2 < right {
        0
    } else if right * 2 < left {
        2
    } else {
        1
    };
    match (above, side) {
        (true, 0) => Position::TopLeft,
        (true, 2) => Position::TopRight,
        (true, _) => Position::TopCenter,
        (false, 0) => Position::BottomLeft,
        (false, 2) => Position::BottomRight,
        (false, _) => Position::BottomCenter,
    }
}

/// Running sums of the samples and their squares, for any rectangle's
/// sums in four look-ups.
struct Integral {
    w: usize,
    s: Vec<f64>,
    ss: Vec<f64>,
}

impl Integral {
    fn new(img: &GrayImage) -> Self {
        let (w, h) = (img.width() as usize + 1, img.height() as usize + 1);
        let (mut s, mut ss) = (vec![0.0; w * h], vec![0.0; w * h]);
        for (y, row) in img.as_raw().chunks_exact((w - 1).max(1)).enumerate() {
            let (mut rs, mut rss) = (0.0, 0.0);
            for (x, &p) in row.iter().enumerate() {
                let p = f64::from(p);
                rs += p;
                rss += p * p;
                let i = (y + 1) * w + x + 1;
                s[i] = s[i - w] + rs;
                ss[i] = ss[i - w] + rss;
            }
        }
        Integral { w, s, ss }
    }

    /// Sum and sum of squares over `[x0, x1) x [y0, y1)`.
    fn rect(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> (f64, f64) {
        let at = |x: i64, y: i64| y as usize * self.w + x as usize;
        let pick = |v: &[f64]| v[at(x1, y1)] - v[at(x0, y1)] - v[at(x1, y0)] + v[at(x0, y0)];
        (pick(&self.s), pick(&self.ss))
    }
}

/// `img` shrunk `k` times by averaging `k` x `k` blocks (a partial block at
/// the right or bottom edge is dropped).
pub(crate) fn shrink(img: &GrayImage, k: u32) -> GrayImage {
    if k <= 1 {
        return img.clone();
    }
    let (w, h) = (img.width() / k, img.height() / k);
    let (src_w, k) = (img.width() as usize, k as usize);
    let mut out = Vec::with_capacity(w as usize * h as usize);
    let mut acc = vec![0u32; src_w];
    let area = (k * k) as u32;
    for band in img.as_raw().chunks_exact(src_w * k).take(h as usize) {
        acc.iter_mut().for_each(|a| *a = 0);
        for row in band.chunks_exact(src_w) {
            acc.iter_mut()
                .zip(row)
                .for_each(|(a, &p)| *a += u32::from(p));
        }
        out.extend(
            acc.chunks_exact(k)
                .take(w as usize)
                .map(|c| ((c.iter().sum::<u32>() + area / 2) / area) as u8),
        );
    }
    GrayImage::from_raw(w, h, out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_averages_blocks() {
        let img = GrayImage::from_fn(5, 4, |x, y| image::Luma([(x * 10 + y) as u8]));
        let s = shrink(&img, 2);
        assert_eq!(s.dimensions(), (2, 2));
        // (0 + 10 + 1 + 11) / 4 = 5.5, rounded.
        assert_eq!(s.get_pixel(0, 0).0[0], 6);
    }

    #[test]
    fn candidate_sizes_start_with_the_expected_one() {
        let style = BadgeStyle::default();
        let sizes = candidate_sizes(4000, 3000, &style);
        assert_eq!(sizes[0].text_px, 150.0);
        // A big picture: only the crops give other sizes.
        assert!(sizes.len() <= CROPS.len(), "{sizes:?}");
        // A small one: the floor adds larger ones.
        let small = candidate_sizes(200, 150, &style);
        assert!(small.iter().any(|s| s.text_px >= 20.0), "{small:?}");
    }

    #[test]
    fn positions_by_centre() {
        assert_eq!(
            nearest_position([700, 500, 200, 50], (1000, 600)),
            Position::BottomRight
        );
        // A wide badge nearer the right edge.
        assert_eq!(
            nearest_position([102, 450, 684, 135], (800, 600)),
            Position::BottomRight
        );
        assert_eq!(
            nearest_position([100, 450, 600, 135], (800, 600)),
            Position::BottomCenter
        );
        assert_eq!(
            nearest_position([10, 10, 200, 50], (1000, 600)),
            Position::TopLeft
        );
    }
}
