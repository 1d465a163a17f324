//! Painting: a [`BadgeLayout`]'s rows into the straight-alpha RGBA badge
//! and its text mask (or only its masks), a band of rows at a time into
//! the caller's buffers, whole into a [`BadgeImage`], or top to bottom
//! through [`Bands`], which holds one band. Every way paints the same
//! pixels: a glyph's coverage is summed in the same order whatever band
//! asks for the row.

use image::{GrayImage, RgbaImage};

use super::layout::{BAND, BadgeLayout};
use super::recall;
use super::runs::MaskRuns;
use super::style::BadgeStyle;

/// A rendered badge, upright.
#[derive(Debug, Clone)]
pub struct BadgeImage {
    /// The badge, straight (not premultiplied) alpha.
    pub rgba: RgbaImage,
    /// Coverage of the text alone (255 = glyph ink), same size as `rgba`;
    /// what verification compares against.
    pub text_mask: GrayImage,
    /// The text size in pixels (em).
    pub text_px: f32,
    /// Distance the badge keeps from the picture's edges, in pixels.
    pub margin: u32,
    /// The lines as wrapped.
    pub lines: Vec<String>,
}

impl BadgeImage {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.rgba.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.rgba.height()
    }
}

impl BadgeLayout {
    /// Paints rows `y0..` of the badge: straight-alpha RGBA (4 bytes a
    /// pixel) into `rgba` and the text's coverage into `text_mask`, each
    /// row `width()` pixels. As many rows as both buffers hold and the
    /// badge has from `y0` are painted; the rest of the buffers is left.
    pub fn paint_rows(&self, y0: u32, rgba: &mut [u8], text_mask: &mut [u8]) {
        let width = self.width() as usize;
        if width == 0 || y0 >= self.height() {
            return;
        }
        let rows = (rgba.len() / (4 * width))
            .min(text_mask.len() / width)
            .min((self.height() - y0) as usize);
        let colours = Colours::of(&self.style);
        let mut coverage = Vec::new();
        let bands = rgba[..rows * width * 4]
            .chunks_mut(width * 4 * BAND as usize)
            .zip(text_mask[..rows * width].chunks_mut(width * BAND as usize));
        for (i, (rgba_band, mask_band)) in bands.enumerate() {
            let top = y0 + i as u32 * BAND;
            let n = (mask_band.len() / width) as u32;
            self.ink.band(top, n, &mut coverage);
            let rows = rgba_band
                .chunks_exact_mut(width * 4)
                .zip(mask_band.chunks_exact_mut(width))
                .zip(coverage.chunks_exact(width));
            for (dy, ((out_row, mask_row), cov_row)) in rows.enumerate() {
                self.paint_row(top + dy as u32, cov_row, out_row, mask_row, &colours);
            }
        }
    }

    /// One row: `cov` is its text coverage (0..=1).
    fn paint_row(&self, y: u32, cov: &[f32], out: &mut [u8], mask: &mut [u8], c: &Colours) {
        let (box_w, box_h) = (self.width() as f32, self.height() as f32);
        let radius = self.radius;
        let py = y as f32 + 0.5;
        let corner_row = py < radius || py > box_h - radius;
        for (x, ((px, m), &text)) in out
            .chunks_exact_mut(4)
            .zip(mask.iter_mut())
            .zip(cov)
            .enumerate()
        {
            let in_corner = corner_row && {
                let px = x as f32 + 0.5;
                px < radius || px > box_w - radius
            };
            if text <= 0.0 && !in_corner {
                px.copy_from_slice(&c.plain_box);
                *m = 0;
                continue;
            }
            // Inside the straight edges the rounded box covers the pixel fully.
            let edge = if in_corner {
                rounded_rect_coverage(x as u32, y, box_w, box_h, radius)
            } else {
                1.0
            };
            px.copy_from_slice(&over_box(text, c.opacity * edge, &self.style));
            *m = to_u8(text * 255.0);
        }
    }

    /// Paints rows `y0..` of the badge's masks only (no colours, about half
    /// the work): the text's coverage into `text_mask` and the badge's
    /// alpha into `alpha`, as [`BadgeLayout::paint_rows`] would paint them.
    pub fn mask_rows(&self, y0: u32, text_mask: &mut [u8], alpha: &mut [u8]) {
        let width = self.width() as usize;
        if width == 0 || y0 >= self.height() {
            return;
        }
        let rows = (text_mask.len() / width)
            .min(alpha.len() / width)
            .min((self.height() - y0) as usize);
        let (w, h) = (self.width() as f32, self.height() as f32);
        let opacity = self.style.box_opacity.clamp(0.0, 1.0);
        let plain = to_u8(opacity * 255.0);
        let mut coverage = Vec::new();
        let bands = text_mask[..rows * width]
            .chunks_mut(width * BAND as usize)
            .zip(alpha[..rows * width].chunks_mut(width * BAND as usize));
        for (i, (mask_band, alpha_band)) in bands.enumerate() {
            let top = y0 + i as u32 * BAND;
            self.ink
                .band(top, (mask_band.len() / width) as u32, &mut coverage);
            let rows = mask_band
                .chunks_exact_mut(width)
                .zip(alpha_band.chunks_exact_mut(width))
                .zip(coverage.chunks_exact(width));
            for (dy, ((mask_row, alpha_row), cov_row)) in rows.enumerate() {
                let y = top + dy as u32;
                let corner_row = self.in_corner(0, y);
                let pixels = mask_row.iter_mut().zip(alpha_row).zip(cov_row);
                for (x, ((m, a), &text)) in pixels.enumerate() {
                    let x = x as u32;
                    let in_corner = corner_row && self.in_corner(x, y);
                    if text <= 0.0 && !in_corner {
                        *m = 0;
                        *a = plain;
                        continue;
                    }
                    let edge = if in_corner {
                        rounded_rect_coverage(x, y, w, h, self.radius)
                    } else {
                        1.0
                    };
                    *m = to_u8(text * 255.0);
                    *a = to_u8((text + opacity * edge * (1.0 - text)) * 255.0);
                }
            }
        }
    }

    /// The whole badge, painted band by band. Its masks are kept (as run
    /// lengths) for the check that follows on this thread.
    pub fn paint(&self) -> BadgeImage {
        let (w, h) = (self.width(), self.height());
        let mut rgba = RgbaImage::new(w, h);
        let mut text_mask = GrayImage::new(w, h);
        self.paint_rows(0, &mut rgba, &mut text_mask);
        let mut runs = MaskRuns::new(w);
        if w > 0 {
            let rows = text_mask
                .chunks_exact(w as usize)
                .zip(rgba.chunks_exact(w as usize * 4));
            for (mask_row, rgba_row) in rows {
                runs.push_row(mask_row, rgba_row.chunks_exact(4).map(|p| p[3]));
            }
        }
        recall::remember(self.key.clone(), runs);
        BadgeImage {
            rgba,
            text_mask,
            text_px: self.text_px,
            margin: self.margin,
            lines: self.lines.clone(),
        }
    }

    /// The badge's masks as run lengths, drawn a band at a time: what the
    /// check compares against, never whole.
    pub fn mask_runs(&self) -> MaskRuns {
        let (w, h) = (self.width(), self.height());
        let mut runs = MaskRuns::new(w);
        let width = w as usize;
        let mut text = vec![0u8; width * BAND as usize];
        let mut alpha = vec![0u8; width * BAND as usize];
        for y0 in (0..h).step_by(BAND as usize) {
            let n = BAND.min(h - y0) as usize;
            self.mask_rows(y0, &mut text[..n * width], &mut alpha[..n * width]);
            if width == 0 {
                continue;
            }
            for (t, a) in text[..n * width]
                .chunks_exact(width)
                .zip(alpha.chunks_exact(width))
            {
                runs.push_row(t, a.iter().copied());
            }
        }
        if width == 0 {
            (0..h).for_each(|_| runs.push_row(&[], std::iter::empty()));
        }
        runs
    }

    /// Rows of the badge painted top to bottom, one band in memory.
    pub fn bands(&self) -> Bands<'_> {
        Bands {
            layout: self,
            band: None,
            rgba: Vec::new(),
            mask: Vec::new(),
            runs: Some(MaskRuns::new(self.width())),
        }
    }
}

/// Rows of a [`BadgeLayout`] asked for top to bottom (a picture's rows as
/// they are written), painted a band at a time: one band of RGBA and
/// mask in memory, never the whole badge. When every band was painted in
/// order, the masks are kept (as run lengths) for the check that follows,
/// as [`BadgeLayout::paint`] keeps them.
#[derive(Debug)]
pub struct Bands<'a> {
    layout: &'a BadgeLayout,
    /// The band painted (its index), if any.
    band: Option<u32>,
    rgba: Vec<u8>,
    mask: Vec<u8>,
    /// The masks so far, while the bands come in order from the top.
    runs: Option<MaskRuns>,
}

impl Bands<'_> {
    /// Row `y` of the straight-alpha RGBA badge (4 bytes a pixel, `width()`
    /// pixels), painting the band that holds it when it is not the one in
    /// memory; empty past the last row. Any order works, top to bottom
    /// paints each band once.
    pub fn rgba_row(&mut self, y: u32) -> &[u8] {
        let layout = self.layout;
        let (w, h) = (layout.width() as usize, layout.height());
        if y >= h {
            return &[];
        }
        let index = y / BAND;
        if self.band != Some(index) {
            let top = index * BAND;
            let n = BAND.min(h - top) as usize;
            self.rgba.resize(n * w * 4, 0);
            self.mask.resize(n * w, 0);
            layout.paint_rows(top, &mut self.rgba, &mut self.mask);
            self.band = Some(index);
            self.record(top, n);
        }
        let at = (y % BAND) as usize * w * 4;
        &self.rgba[at..at + w * 4]
    }

    /// Adds the band just painted (rows `top..top + n`) to the masks kept,
    /// and keeps them for the check once the last band is in.
    fn record(&mut self, top: u32, n: usize) {
        let w = self.layout.width() as usize;
        let in_order = self.runs.as_ref().is_some_and(|r| r.height() == top);
        let Some(runs) = self.runs.as_mut().filter(|_| in_order && w > 0) else {
            self.runs = None;
            return;
        };
        let rows = self.mask.chunks_exact(w).zip(self.rgba.chunks_exact(w * 4));
        for (mask_row, rgba_row) in rows.take(n) {
            runs.push_row(mask_row, rgba_row.chunks_exact(4).map(|p| p[3]));
        }
        if runs.height() == self.layout.height()
            && let Some(done) = self.runs.take()
        {
            recall::remember(self.layout.key.clone(), done);
        }
    }
}

/// The style's colours as painting uses them.
struct Colours {
    opacity: f32,
    /// Most of the badge is plain box: one colour, computed once.
    plain_box: [u8; 4],
}

impl Colours {
    fn of(style: &BadgeStyle) -> Self {
        let opacity = style.box_opacity.clamp(0.0, 1.0);
        let plain_box = if opacity > 0.0 {
            let [r, g, b] = style.box_color;
            [r, g, b, (opacity * 255.0).round().clamp(0.0, 255.0) as u8]
        } else {
            [0; 4]
        };
        Colours { opacity, plain_box }
    }
}

/// One pixel: text of coverage `text` over box of coverage `box_a`.
fn over_box(text: f32, box_a: f32, style: &BadgeStyle) -> [u8; 4] {
    let out_a = text + box_a * (1.0 - text);
    let mut out = [0u8; 4];
    if out_a > 0.0 {
        for ((slot, &fg), &bg) in out.iter_mut().zip(&style.text_color).zip(&style.box_color) {
            let v = (f32::from(fg) * text + f32::from(bg) * box_a * (1.0 - text)) / out_a;
            *slot = to_u8(v);
        }
    }
    out[3] = to_u8(out_a * 255.0);
    out
}

/// Rounds a sample to 0..=255. `f32::round` is a library call on x86-64,
/// and most of painting a large badge when used per pixel; adding a half
/// and truncating (`as` saturates) rounds the same for these values.
fn to_u8(v: f32) -> u8 {
    (v + 0.5) as u8
}

/// Anti-aliased coverage of pixel (x, y) by a rounded rectangle filling
/// `w` x `h` with corner radius `r`.
fn rounded_rect_coverage(x: u32, y: u32, w: f32, h: f32, r: f32) -> f32 {
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    // Distance from the nearest corner centre, for pixels in a corner square.
    let cx = if px < r {
        r
    } else if px > w - r {
        w - r
    } else {
        px
    };
    let cy = if py < r {
        r
    } else if py > h - r {
        h - r
    } else {
        py
    };
    let d = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt() - r;
    (0.5 - d).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanba_core::Label;
    use tanba_core::font::FontFile;

    #[test]
    fn bands_painted_in_order_keep_the_masks_and_out_of_order_do_not() {
        let font = FontFile::bundled();
        let style = BadgeStyle::default();
        let layout = BadgeLayout::new(&font, &Label::default(), 3000, 3000, &style).unwrap();
        let other = BadgeLayout::new(&font, &Label::default(), 2000, 1500, &style).unwrap();
        other.paint();
        let mut bands = layout.bands();
        for y in 0..layout.height() {
            bands.rgba_row(y);
        }
        assert_eq!(recall::recall(&layout.key), Some(layout.mask_runs()));
        other.paint();
        let mut bands = layout.bands();
        bands.rgba_row(layout.height() - 1);
        bands.rgba_row(0);
        assert_eq!(recall::recall(&layout.key), None);
        assert!(recall::recall(&other.key).is_some());
    }
}
