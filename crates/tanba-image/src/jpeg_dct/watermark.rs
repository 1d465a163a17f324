//! The imperceptible mark added in the coefficient domain, one MCU row at
//! a time as the blocks pass through (before the badge is drawn, as the
//! full re-encode does on pixels).
//!
//! The mark adds one value to R, G and B alike, which changes luma only
//! (the BT.601 weights sum to 1) and leaves Cb and Cr as they are. Each
//! luma block gets the DCT of its share of the smooth field
//! ([`tanba_watermark::Field::block_dct`]), added to its dequantised
//! coefficients and quantised again with the source's own table: a term
//! whose change rounds to zero stays untouched. The DC term's rounding
//! error is carried to the next block of the row (error diffusion), so a
//! field smaller than one DC step (2 luma levels at quality 50) still
//! moves each cell's mean by its own amount rather than by 0 or a step.
//!
//! The mark is the blind one (every bit at the base amplitude, see
//! docs/watermark.md for why that is enough from 2048 px); pictures whose
//! shorter side is under 2048 px are marked on their pixels by the full
//! re-encode, whose SSIM floor needs them.

use tanba_watermark::{DCT_TERMS, Field};

use super::codec::{self, Patches, Rows, Sink, Walk};
use super::frame::Frame;
use super::region::{Badge, RowBlocks};
use crate::jpeg::ZIGZAG;
use crate::mark::{Watermark, key_of};
use tanba_core::Result;

/// The mark of one picture, ready to add to its luma blocks.
pub(crate) struct DctMark {
    field: Field,
    /// The luma quantisation table, natural order.
    q: [u16; 64],
    /// Zig-zag index of each kept term `[v][u]`.
    zz: [[usize; DCT_TERMS]; DCT_TERMS],
    /// Whether the picture carries it weakly (see
    /// [`tanba_watermark::Strength::is_weak`]), for the labeler's note.
    pub weak: bool,
}

impl DctMark {
    /// The mark for frame `f`, informed by the block means of its luma
    /// (the DC terms, gathered by one pass over `rows`: Huffman decoding
    /// only, no inverse transform); `None` when this path cannot carry it:
    /// a picture under 2048 px on its shorter side (the SSIM floor needs
    /// pixels), or a luma component sampled below the frame's maximum.
    pub(crate) fn new(
        f: &Frame<'_>,
        mark: &Watermark,
        rows: &mut Rows<'_>,
    ) -> Result<Option<DctMark>> {
        let (w, h) = (f.width as u32, f.height as u32);
        let Some(luma) = f.comps.first() else {
            return Ok(None);
        };
        let Some(q) = f.qt[luma.tq] else {
            return Ok(None);
        };
        if Field::needs_pixels(w, h) || (luma.h, luma.v) != f.max_sampling() {
            return Ok(None);
        }
        let means = block_means(f, rows)?;
        if means.saturated > SATURATED_MAX {
            return Ok(None);
        }
        let (field, strength) = Field::informed(
            (w, h),
            &means.luma,
            means.size,
            mark.payload,
            key_of(mark.key),
        )?;
        let mut zz = [[0usize; DCT_TERMS]; DCT_TERMS];
        for (k, &n) in ZIGZAG.iter().enumerate() {
            let (v, u) = (n / 8, n % 8);
            if v < DCT_TERMS && u < DCT_TERMS {
                zz[v][u] = k;
            }
        }
        Ok(Some(DctMark {
            field,
            q,
            zz,
            weak: strength.is_weak(),
        }))
    }

    /// Adds the mark to the luma blocks of MCU row `row`, in place.
    pub(crate) fn row(&self, f: &Frame<'_>, row: usize, blocks: &mut RowBlocks) {
        let Some((luma, c)) = blocks.first_mut().zip(f.comps.first()) else {
            return;
        };
        let across = f.mcus().0 * c.h;
        for (by, line) in luma.chunks_exact_mut(across).take(c.v).enumerate() {
            let rows = self.field.block_row(row * c.v + by);
            let mut carry = 0f32;
            for (bx, block) in line.iter_mut().enumerate() {
                let d = self.field.block_dct(&rows, bx);
                for (v, terms) in d.iter().enumerate() {
                    for (u, &t) in terms.iter().enumerate() {
                        let step = f32::from(self.q[v * 8 + u]);
                        let want = if (v, u) == (0, 0) { t + carry } else { t };
                        let change = round(want / step);
                        if (v, u) == (0, 0) {
                            carry = want - change as f32 * step;
                        }
                        if change != 0 {
                            let k = self.zz[v][u];
                            let lo = if k == 0 { -1024 } else { -1023 };
                            block[k] = (i32::from(block[k]) + change).clamp(lo, 1023) as i16;
                        }
                    }
                }
            }
        }
    }
}

/// Rounds half away from zero (no `roundf` call per term).
#[inline]
fn round(v: f32) -> i32 {
    if v >= 0.0 {
        (v + 0.5) as i32
    } else {
        (v - 0.5) as i32
    }
}

/// Largest share of the luma blocks whose mean colour is saturated (a
/// channel at 0 or 255 takes away half the mark or more) for the mark to
/// be added to luma alone. The full re-encode gives what a saturated
/// channel cannot take to the other channels (a chroma change); added to
/// luma alone, colour bars at 2800x2100 lost the payload after quality 70
/// or a 50 % resize in 13 of 16 reads (measured).
const SATURATED_MAX: f32 = 0.05;

/// The block means of a picture, from the DC terms.
struct Means {
    /// The mean of every 8x8 luma block inside the picture (its DC times
    /// the step over 8, plus 128), row by row: the picture's luma shrunk 8
    /// times, which the informed embedding measures.
    luma: Vec<f32>,
    /// Blocks across and down.
    size: (usize, usize),
    /// Share of the luma blocks whose mean colour is saturated.
    saturated: f32,
}

/// The [`Means`] of frame `f`, from one pass over `rows` (Huffman decoding
/// only, no inverse transform).
fn block_means(f: &Frame<'_>, rows: &mut Rows<'_>) -> Result<Means> {
    let (cols, n_rows) = f.mcus();
    let (h, v) = f.max_sampling();
    let q0 = |c: usize| {
        f.comps
            .get(c)
            .and_then(|c| f.qt[c.tq])
            .map_or(1.0, |q| f32::from(q[0]))
    };
    let mut dc = Dc {
        h,
        v,
        cols,
        across: cols * h,
        q0: [q0(0), q0(1), q0(2)],
        per_mcu: f.comps.iter().map(|c| (c.h * c.v) as f32).collect(),
        mcu: 0,
        k: 0,
        luma: vec![0.0; cols * h * n_rows * v],
        chroma: vec![[128.0; 2]; if f.comps.len() == 3 { cols * n_rows } else { 0 }],
    };
    // No badge: the mark is measured (and added) before the badge is drawn.
    let none = image::RgbaImage::new(0, 0);
    let walk = Walk {
        badge: &Badge {
            rgba: &none,
            x: 0,
            y: 0,
        },
        mark: None,
        out_restart: 0,
    };
    codec::run(f, rows, &walk, &mut Patches::new(false), &mut dc)?;
    let (tw, th) = (f.width.div_ceil(8), f.height.div_ceil(8));
    let mut luma = Vec::with_capacity(tw * th);
    let mut saturated = 0usize;
    for (y, line) in dc.luma.chunks_exact(dc.across).take(th).enumerate() {
        for (x, &l) in line[..tw].iter().enumerate() {
            if let Some(&[cb, cr]) = dc.chroma.get((y / v) * cols + x / h)
                && clips(l, cb, cr)
            {
                saturated += 1;
            }
        }
        luma.extend_from_slice(&line[..tw]);
    }
    Ok(Means {
        luma,
        size: (tw, th),
        saturated: saturated as f32 / (tw * th).max(1) as f32,
    })
}

/// Whether a colour's luma takes under half of a 3-level change up or
/// down, its channels clipped at 0 and 255.
fn clips(y: f32, cb: f32, cr: f32) -> bool {
    const W: [f32; 3] = [0.299, 0.587, 0.114];
    const A: f32 = 3.0;
    let (cb, cr) = (cb - 128.0, cr - 128.0);
    let rgb = [
        y + 1.402 * cr,
        y - 0.344_136 * cb - 0.714_136 * cr,
        y + 1.772 * cb,
    ]
    .map(|c| c.clamp(0.0, 255.0));
    let gain = |d: f32| {
        rgb.iter()
            .zip(W)
            .map(|(&c, w)| w * ((c + d).clamp(0.0, 255.0) - c))
            .sum::<f32>()
            / d
    };
    gain(A).min(gain(-A)) < 0.5
}

/// Gathers the DC terms of the blocks a walk hands on, in MCU order: each
/// luma block's mean, and each MCU's mean Cb and Cr.
struct Dc {
    /// Luma blocks per MCU across and down.
    h: usize,
    v: usize,
    /// MCUs across, and luma blocks across.
    cols: usize,
    across: usize,
    /// Each component's DC step.
    q0: [f32; 3],
    /// Each component's blocks per MCU.
    per_mcu: Vec<f32>,
    /// The MCU being read and how many of its luma blocks came.
    mcu: usize,
    k: usize,
    luma: Vec<f32>,
    chroma: Vec<[f32; 2]>,
}

impl Sink for Dc {
    fn block(&mut self, comp: usize, coefs: &[i16; 64]) {
        let mean = |q: f32| f32::from(coefs[0]) * q / 8.0 + 128.0;
        if comp != 0 {
            if let Some(c) = self.chroma.get_mut(self.mcu) {
                // Starts at 128: the mean of the component's blocks.
                let at = (comp - 1).min(1);
                c[at] += (mean(self.q0[at + 1]) - 128.0) / self.per_mcu[comp];
            }
            return;
        }
        if self.k == self.h * self.v {
            self.mcu += 1;
            self.k = 0;
        }
        let (col, row) = (self.mcu % self.cols, self.mcu / self.cols);
        let x = col * self.h + self.k % self.h;
        let y = row * self.v + self.k / self.h;
        if let Some(d) = self.luma.get_mut(y * self.across + x) {
            *d = mean(self.q0[0]);
        }
        self.k += 1;
    }

    fn restart(&mut self) {}
}
