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

use super::frame::Frame;
use super::region::RowBlocks;
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
}

impl DctMark {
    /// The mark for frame `f`; `None` when this path cannot carry it: a
    /// picture under 2048 px on its shorter side (the SSIM floor needs
    /// pixels), or a luma component sampled below the frame's maximum.
    pub(crate) fn new(f: &Frame<'_>, mark: &Watermark) -> Result<Option<DctMark>> {
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
        let field = Field::plain(w, h, mark.payload, key_of(mark.key))?;
        let mut zz = [[0usize; DCT_TERMS]; DCT_TERMS];
        for (k, &n) in ZIGZAG.iter().enumerate() {
            let (v, u) = (n / 8, n % 8);
            if v < DCT_TERMS && u < DCT_TERMS {
                zz[v][u] = k;
            }
        }
        Ok(Some(DctMark { field, q, zz }))
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
