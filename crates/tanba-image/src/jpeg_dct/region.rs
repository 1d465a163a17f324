//! The badge drawn onto one MCU row's coefficients: the MCUs it touches are
//! decoded to pixels (inverse DCT with the source's tables, chroma
//! replicated up), the badge is blended over them as [`crate::badge`] does
//! over decoded pixels, and each block under a badge pixel is transformed
//! and quantised back with the source's tables. Blocks the badge does not
//! reach keep their coefficients. The badge's rows are painted a band at a
//! time as the MCU rows pass ([`crate::badge::Bands`]; whole only for a
//! picture stored turned by its EXIF), and each MCU row copies the few
//! rows it needs once.

use std::borrow::Cow;
use std::cell::RefCell;

use image::RgbaImage;

use super::dct;
use super::frame::Frame;
use crate::badge::{Bands, PlacedLayout};

/// The badge in stored pixels, painted a band of rows at a time as the MCU
/// rows pass (whole only for a picture stored turned).
pub(crate) struct Badge<'a> {
    source: RefCell<Source<'a>>,
    width: usize,
    height: usize,
    pub x: usize,
    pub y: usize,
}

/// Where the badge's rows come from.
enum Source<'a> {
    Bands(Bands<'a>),
    Whole(&'a RgbaImage),
}

/// Rows `top..` of the badge (RGBA, the badge's width a row).
struct Strip<'a> {
    top: usize,
    stride: usize,
    rgba: Cow<'a, [u8]>,
}

impl<'a> Badge<'a> {
    /// The badge of `placed`: painted in bands when the picture is stored
    /// upright, else `whole` (painted whole and turned) is asked for.
    pub(crate) fn of(placed: &'a PlacedLayout, whole: impl FnOnce() -> &'a RgbaImage) -> Self {
        let [x, y, w, h] = placed.region();
        let source = match placed.upright() {
            Some(layout) => Source::Bands(layout.bands()),
            None => Source::Whole(whole()),
        };
        Badge {
            source: RefCell::new(source),
            width: w as usize,
            height: h as usize,
            x: x as usize,
            y: y as usize,
        }
    }

    /// A badge painted whole, at (`x`, `y`): for tests of the walk.
    #[cfg(test)]
    pub(crate) fn whole(rgba: &'a RgbaImage, x: usize, y: usize) -> Self {
        Badge {
            width: rgba.width() as usize,
            height: rgba.height() as usize,
            source: RefCell::new(Source::Whole(rgba)),
            x,
            y,
        }
    }

    /// Badge rows `top..top + n` (clipped to the badge), asked top to
    /// bottom: each band is painted once.
    fn strip(&self, top: usize, n: usize) -> Strip<'a> {
        let end = (top + n).min(self.height);
        let stride = self.width;
        let rgba = match &mut *self.source.borrow_mut() {
            Source::Whole(img) => {
                let raw: &'a [u8] = img.as_raw();
                let rows = raw.get(top * stride * 4..end * stride * 4);
                Cow::Borrowed(rows.unwrap_or_default())
            }
            Source::Bands(bands) => {
                let mut rows = Vec::with_capacity(end.saturating_sub(top) * stride * 4);
                for y in top..end {
                    rows.extend_from_slice(bands.rgba_row(y as u32));
                }
                Cow::Owned(rows)
            }
        };
        Strip { top, stride, rgba }
    }

    /// Width and height clipped to a `w` x `h` picture.
    fn size_in(&self, w: usize, h: usize) -> (usize, usize) {
        (
            self.width.min(w.saturating_sub(self.x)),
            self.height.min(h.saturating_sub(self.y)),
        )
    }

    /// First and last MCU column and row the badge touches; `None` when it
    /// lies outside the picture or is empty.
    pub(crate) fn mcu_rect(&self, f: &Frame<'_>) -> Option<[usize; 4]> {
        let (w, h) = self.size_in(f.width, f.height);
        if w == 0 || h == 0 {
            return None;
        }
        let (hmax, vmax) = f.max_sampling();
        let (mw, mh) = (8 * hmax, 8 * vmax);
        Some([
            self.x / mw,
            (self.x + w - 1) / mw,
            self.y / mh,
            (self.y + h - 1) / mh,
        ])
    }
}

impl Strip<'_> {
    /// `n` pixels of badge row `y` from badge column `x`, if in the strip.
    fn run(&self, x: usize, y: usize, n: usize) -> Option<&[u8]> {
        let at = (y.checked_sub(self.top)? * self.stride + x) * 4;
        self.rgba.get(at..at + 4 * n)
    }
}

/// One MCU row's blocks: for each component, `v` rows of `h` blocks per
/// MCU across the picture.
pub(crate) type RowBlocks = Vec<Vec<[i16; 64]>>;

/// Draws the badge over MCU row `row`, columns `c0..=c1`, in place.
pub(crate) fn apply(
    f: &Frame<'_>,
    blocks: &mut RowBlocks,
    row: usize,
    cols: [usize; 2],
    badge: &Badge<'_>,
) {
    let (hmax, vmax) = f.max_sampling();
    let (cols_total, _) = f.mcus();
    let [c0, c1] = cols;
    let (w, h) = ((c1 - c0 + 1) * 8 * hmax, 8 * vmax);
    let (x0, y0) = (c0 * 8 * hmax, row * 8 * vmax);
    // The badge's rows under this MCU row, painted once for all its MCUs.
    let top = y0.max(badge.y);
    let strip = badge.strip(top - badge.y, (y0 + h).saturating_sub(top));
    // MCUs wholly under one badge colour (most of the box) are blended in
    // the coefficients, with no transform: the rest go through pixels.
    let steps: Vec<[f32; 64]> = f
        .comps
        .iter()
        .map(|c| f.qt[c.tq].as_ref().map_or([1.0; 64], dct::zigzag_steps))
        .collect();
    let skip: Vec<bool> = (c0..=c1)
        .map(|col| {
            let mcu = (col * 8 * hmax, y0, 8 * hmax, 8 * vmax);
            let Some(colour) = uniform(f, badge, &strip, mcu) else {
                return false;
            };
            if colour[3] > 0 {
                blend_coefficients(f, blocks, col, colour, &steps);
            }
            true
        })
        .collect();
    // Full-resolution planes of the region, one per component.
    let mut planes: Vec<Vec<f32>> = Vec::with_capacity(f.comps.len());
    for (ci, c) in f.comps.iter().enumerate() {
        let (sx, sy) = (hmax / c.h, vmax / c.v);
        let mut plane = vec![0f32; w * h];
        let Some(q) = f.qt[c.tq].as_ref() else { return };
        for by in 0..c.v {
            for bx in c0 * c.h..=(c1 * c.h + c.h - 1) {
                if skip[bx / c.h - c0] {
                    continue;
                }
                let samples = dct::inverse(&blocks[ci][by * cols_total * c.h + bx], q);
                let (px, py) = ((bx - c0 * c.h) * 8 * sx, by * 8 * sy);
                for (i, &s) in samples.iter().enumerate() {
                    let (u, v) = (i % 8, i / 8);
                    for dy in 0..sy {
                        let at = (py + v * sy + dy) * w + px + u * sx;
                        plane[at..at + sx].fill(s);
                    }
                }
            }
        }
        planes.push(plane);
    }
    let touched = blend(&mut planes, (w, h), (x0, y0), &skip, f, (badge, &strip));
    if !touched.iter().any(|&t| t) {
        return;
    }
    for (ci, c) in f.comps.iter().enumerate() {
        let (sx, sy) = (hmax / c.h, vmax / c.v);
        let Some(q) = f.qt[c.tq].as_ref() else { return };
        for by in 0..c.v {
            for bx in c0 * c.h..=(c1 * c.h + c.h - 1) {
                let (px, py) = ((bx - c0 * c.h) * 8 * sx, by * 8 * sy);
                let (bw, bh) = (8 * sx, 8 * sy);
                let hit =
                    (py..py + bh).any(|y| touched[y * w + px..y * w + px + bw].iter().any(|&t| t));
                if !hit {
                    continue;
                }
                // Box average of the full-resolution samples: untouched
                // pixels give back exactly what was decoded.
                let mut samples = [0f32; 64];
                for (i, s) in samples.iter_mut().enumerate() {
                    let (u, v) = (i % 8, i / 8);
                    let mut sum = 0f32;
                    for dy in 0..sy {
                        let at = (py + v * sy + dy) * w + px + u * sx;
                        sum += planes[ci][at..at + sx].iter().sum::<f32>();
                    }
                    *s = sum / (sx * sy) as f32;
                }
                blocks[ci][by * cols_total * c.h + bx] = dct::forward(&samples, q);
            }
        }
    }
}

/// Blends the badge over the region's planes (YCbCr or grey) whose top-left
/// is stored pixel `origin`; returns which region pixels it changed.
fn blend(
    planes: &mut [Vec<f32>],
    (w, h): (usize, usize),
    origin: (usize, usize),
    skip: &[bool],
    f: &Frame<'_>,
    (badge, strip): (&Badge<'_>, &Strip<'_>),
) -> Vec<bool> {
    let mcu_w = 8 * f.max_sampling().0;
    let mut touched = vec![false; w * h];
    let (bw, bh) = badge.size_in(f.width, f.height);
    // The region's columns under the badge, in MCUs not blended already.
    let (x0, x1) = (
        badge.x.saturating_sub(origin.0).min(w),
        (badge.x + bw).saturating_sub(origin.0).min(w),
    );
    let columns = || {
        skip.iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .flat_map(|(m, _)| (m * mcu_w).max(x0)..((m + 1) * mcu_w).min(x1))
    };
    for ry in 0..h {
        let y = origin.1 + ry;
        if y < badge.y || y >= badge.y + bh || x0 >= x1 {
            continue;
        }
        // The badge's pixels over region columns x0..x1 of this row.
        let Some(row_px) = strip.run(origin.0 + x0 - badge.x, y - badge.y, x1 - x0) else {
            continue;
        };
        for rx in columns() {
            let Some(&[r, g, b, a]) = row_px
                .get((rx - x0) * 4..(rx - x0) * 4 + 4)
                .and_then(|s| <&[u8; 4]>::try_from(s).ok())
            else {
                continue;
            };
            if a == 0 {
                continue;
            }
            let i = ry * w + rx;
            touched[i] = true;
            if planes.len() == 1 {
                // As `blend_onto` draws on grey: the badge's luminance.
                let grey = 0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b);
                let alpha = f32::from(a) / 255.0;
                let d = planes[0][i];
                planes[0][i] = (grey * alpha + d * (1.0 - alpha)).round();
                continue;
            }
            // As `blend_onto` draws on decoded RGB, in integers.
            let under = dct::to_rgb(planes[0][i], planes[1][i], planes[2][i]);
            let (a32, keep) = (u32::from(a), 255 - u32::from(a));
            let over = [r, g, b];
            let px: [u8; 3] = std::array::from_fn(|c| {
                ((u32::from(over[c]) * a32 + u32::from(under[c]) * keep + 127) / 255) as u8
            });
            let ycc = dct::to_ycc(px);
            for (p, v) in planes.iter_mut().zip(ycc) {
                p[i] = v;
            }
        }
    }
    touched
}

/// The one colour (straight RGBA) the badge has over all of the MCU at
/// `(x, y, w, h)`, when the MCU lies wholly inside the badge.
fn uniform(
    f: &Frame<'_>,
    badge: &Badge<'_>,
    strip: &Strip<'_>,
    (x, y, w, h): (usize, usize, usize, usize),
) -> Option<[u8; 4]> {
    let (bw, bh) = badge.size_in(f.width, f.height);
    if x < badge.x || y < badge.y || x + w > badge.x + bw || y + h > badge.y + bh {
        return None;
    }
    let bx = x - badge.x;
    let first: [u8; 4] = strip.run(bx, y - badge.y, 1)?.try_into().ok()?;
    for yy in y..y + h {
        let row = strip.run(bx, yy - badge.y, w)?;
        if !row.chunks_exact(4).all(|p| p == first) {
            return None;
        }
    }
    Some(first)
}

/// Blends `colour` over every block of MCU column `col`: the blend, the
/// colour conversion and the DCT are all linear, so each dequantised
/// coefficient is scaled by 1 - alpha and the colour's level added to DC.
/// `steps`: each component's quantisation steps in zig-zag order.
fn blend_coefficients(
    f: &Frame<'_>,
    blocks: &mut RowBlocks,
    col: usize,
    colour: [u8; 4],
    steps: &[[f32; 64]],
) {
    let cols = f.mcus().0;
    let [r, g, b, a] = colour;
    let alpha = f32::from(a) / 255.0;
    let levels = if f.comps.len() == 1 {
        [
            0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b),
            0.0,
            0.0,
        ]
    } else {
        dct::to_ycc([r, g, b])
    };
    for (((c, comp_blocks), level), q) in
        f.comps.iter().zip(blocks.iter_mut()).zip(levels).zip(steps)
    {
        if f.qt[c.tq].is_none() {
            continue;
        }
        for by in 0..c.v {
            for bx in col * c.h..(col + 1) * c.h {
                let Some(block) = comp_blocks.get_mut(by * cols * c.h + bx) else {
                    continue;
                };
                dct::blend_flat(block, q, alpha, level);
            }
        }
    }
}
