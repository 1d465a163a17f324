//! The mark as a smooth luma field over the full-size picture: the
//! working grid enlarged bilinearly (the one mapping [`linear`] gives,
//! which `apply` uses too), so a codec can add it where it likes. A JPEG
//! coefficient path adds it block by block in the DCT domain: the field
//! is bilinear, so an 8x8 block's transform is separable and costs a few
//! dozen multiplies ([`Field::block_dct`]), with no inverse transform of
//! the picture's own blocks.

use tanba_core::Error;

use crate::pattern::{CODED_BITS, Pattern, encode};
use crate::resample::{Plane, grid_size, taps};
use crate::{BIT_AMP, Key, MIN_PICTURE_SIDE, SSIM_SAMPLED_SIDE, SYNC_AMP, WORK_SIDE, apply};

/// Low-frequency terms per axis [`Field::block_dct`] gives (`u`, `v` in
/// `0..DCT_TERMS`). Within a block the field is bilinear with at most one
/// kink per axis (cells are 16 px or more wherever the field is used on
/// coefficients), so each term above these is under 1 (the tests check
/// it): less than half of every step from the fourth term on in tables up
/// to IJG quality 95 (2 or more), so re-quantised they would not move.
pub const DCT_TERMS: usize = 4;

/// Bilinear taps as (first cell, weight of the next one).
pub(crate) fn linear(n_in: usize, n_out: usize) -> Vec<(usize, f32)> {
    taps(n_in, n_out, 0.0)
        .into_iter()
        .map(|(lo, w)| (lo, w.get(1).copied().unwrap_or(0.0)))
        .collect()
}

/// `C(u)/2 * cos((2x+1)u pi/16)`: the 1-D basis of T.81's 8x8 DCT, so a
/// flat block of level `d` has DC `8 d`.
fn basis() -> [[f32; 8]; DCT_TERMS] {
    std::array::from_fn(|u| {
        let c = if u == 0 { 0.5f64.sqrt() } else { 1.0 };
        std::array::from_fn(|x| {
            let angle = (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0;
            (c / 2.0 * angle.cos()) as f32
        })
    })
}

/// The mark on a `w` x `h` picture, in luma levels.
#[derive(Debug, Clone)]
pub struct Field {
    /// The working grid, already scaled by the PSNR floor.
    grid: Plane,
    w: usize,
    h: usize,
    tx: Vec<(usize, f32)>,
    ty: Vec<(usize, f32)>,
    basis: [[f32; 8]; DCT_TERMS],
    /// For each grid row and each 8-pixel column of blocks, the 1-D DCT
    /// (first [`DCT_TERMS`] terms) of that grid row enlarged along x.
    xdct: Vec<[f32; DCT_TERMS]>,
}

impl Field {
    /// The mark carrying `payload` with no knowledge of the picture (every
    /// bit at the base amplitude, brought within the PSNR floor), for a
    /// picture whose shorter side is at least [`MIN_PICTURE_SIDE`].
    pub fn plain(width: u32, height: u32, payload: u64, key: Key) -> Result<Field, Error> {
        if width.min(height) < MIN_PICTURE_SIDE {
            return Err(Error::cannot_label(format!(
                "picture {width}x{height} is too small for the watermark (shorter side under {MIN_PICTURE_SIDE} px)"
            )));
        }
        let (w, h) = (width as usize, height as usize);
        let pat = Pattern::new(key.0);
        let (gw, gh) = grid_size(w, h, WORK_SIDE);
        let amps = [BIT_AMP; CODED_BITS];
        let mut grid = crate::grid::mark_plane(gw, gh, &pat, &encode(payload), SYNC_AMP, &amps);
        let k = apply::cap_scale(&grid, w, h);
        grid.data.iter_mut().for_each(|d| *d *= k);
        Ok(Field::of_grid(grid, w, h))
    }

    /// `grid` (already scaled) as a field over `w` x `h`.
    pub(crate) fn of_grid(grid: Plane, w: usize, h: usize) -> Field {
        let (tx, ty) = (linear(grid.w, w), linear(grid.h, h));
        let basis = basis();
        let cols = w.div_ceil(8);
        let mut xdct = Vec::with_capacity(grid.h * cols);
        for cells in grid.data.chunks_exact(grid.w.max(1)) {
            for bx in 0..cols {
                let mut out = [0f32; DCT_TERMS];
                for i in 0..8 {
                    // Padding columns past the edge repeat the last one.
                    let (lo, f) = tx[(8 * bx + i).min(w - 1)];
                    let next = cells.get(lo + 1).copied().unwrap_or(cells[lo]);
                    let v = cells[lo] + f * (next - cells[lo]);
                    for (o, b) in out.iter_mut().zip(&basis) {
                        *o += v * b[i];
                    }
                }
                xdct.push(out);
            }
        }
        Field {
            grid,
            w,
            h,
            tx,
            ty,
            basis,
            xdct,
        }
    }

    /// Whether a picture of this size must be marked on its pixels: under
    /// 2048 px on the shorter side the SSIM floor measures the picture's
    /// own structure against the mark, which needs every pixel.
    pub fn needs_pixels(width: u32, height: u32) -> bool {
        (width.min(height) as usize) < SSIM_SAMPLED_SIDE
    }

    /// The mark at pixel `(x, y)` (clamped to the picture), in luma levels.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        let (lx, fx) = self.tx[x.min(self.w - 1)];
        let (ly, fy) = self.ty[y.min(self.h - 1)];
        let g = |cx: usize, cy: usize| {
            let cx = cx.min(self.grid.w - 1);
            let cy = cy.min(self.grid.h - 1);
            self.grid.data[cy * self.grid.w + cx]
        };
        let top = g(lx, ly) + fx * (g(lx + 1, ly) - g(lx, ly));
        let bottom = g(lx, ly + 1) + fx * (g(lx + 1, ly + 1) - g(lx, ly + 1));
        top + fy * (bottom - top)
    }

    /// The grid rows block row `by` draws on, each with the 1-D DCT of its
    /// weight over the block's 8 pixel rows (at most three rows wherever
    /// cells are 8 px or more).
    pub fn block_row(&self, by: usize) -> Vec<(usize, [f32; DCT_TERMS])> {
        let mut rows: Vec<(usize, [f32; DCT_TERMS])> = Vec::with_capacity(3);
        let mut add = |j: usize, i: usize, wt: f32| {
            let at = match rows.iter().position(|r| r.0 == j) {
                Some(at) => at,
                None => {
                    rows.push((j, [0.0; DCT_TERMS]));
                    rows.len() - 1
                }
            };
            for (o, b) in rows[at].1.iter_mut().zip(&self.basis) {
                *o += wt * b[i];
            }
        };
        for i in 0..8 {
            let (lo, f) = self.ty[(8 * by + i).min(self.h - 1)];
            add(lo, i, 1.0 - f);
            if f != 0.0 {
                add((lo + 1).min(self.grid.h - 1), i, f);
            }
        }
        rows
    }

    /// The first [`DCT_TERMS`] x [`DCT_TERMS`] DCT coefficients (`[v][u]`,
    /// T.81 scaling: a flat block of level `d` has DC `8 d`) of the mark
    /// over the 8x8 block at block column `bx` of the block row whose
    /// [`Field::block_row`] is `rows`.
    pub fn block_dct(
        &self,
        rows: &[(usize, [f32; DCT_TERMS])],
        bx: usize,
    ) -> [[f32; DCT_TERMS]; DCT_TERMS] {
        let cols = self.w.div_ceil(8);
        let bx = bx.min(cols - 1);
        let mut out = [[0f32; DCT_TERMS]; DCT_TERMS];
        for (j, yv) in rows {
            let xu = &self.xdct[j * cols + bx];
            for (o, y) in out.iter_mut().zip(yv) {
                for (c, x) in o.iter_mut().zip(xu) {
                    *c += y * x;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full 8x8 DCT of the field's block, computed from its pixels.
    fn exact(field: &Field, bx: usize, by: usize) -> [[f32; 8]; 8] {
        let b: [[f64; 8]; 8] = std::array::from_fn(|u| {
            let c = if u == 0 { 0.5f64.sqrt() } else { 1.0 };
            std::array::from_fn(|x| {
                c / 2.0 * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos()
            })
        });
        std::array::from_fn(|v| {
            std::array::from_fn(|u| {
                let mut s = 0f64;
                for y in 0..8 {
                    for x in 0..8 {
                        s += f64::from(field.at(8 * bx + x, 8 * by + y)) * b[v][y] * b[u][x];
                    }
                }
                s as f32
            })
        })
    }

    #[test]
    fn block_dct_matches_the_pixels_and_drops_only_negligible_terms() {
        let field = Field::plain(3000, 2048, 0x0123_4567_89ab_cdef, crate::PUBLIC_KEY).unwrap();
        let mut worst_kept = 0f32;
        let mut worst_dropped = 0f32;
        let mut largest_dc = 0f32;
        for by in (0..256).step_by(7) {
            let rows = field.block_row(by);
            for bx in (0..375).step_by(5) {
                let got = field.block_dct(&rows, bx);
                let want = exact(&field, bx, by);
                for v in 0..8 {
                    for u in 0..8 {
                        if u < DCT_TERMS && v < DCT_TERMS {
                            worst_kept = worst_kept.max((got[v][u] - want[v][u]).abs());
                        } else {
                            worst_dropped = worst_dropped.max(want[v][u].abs());
                        }
                    }
                }
                largest_dc = largest_dc.max(got[0][0].abs());
            }
        }
        assert!(worst_kept < 1e-3, "kept terms off by {worst_kept}");
        // Steps past the fourth term are 2 or more up to IJG quality 95:
        // a term under 1 rounds away.
        assert!(worst_dropped < 1.0, "dropped terms up to {worst_dropped}");
        assert!(largest_dc > 8.0, "the mark is there: DC up to {largest_dc}");
    }

    #[test]
    fn small_pictures_need_pixels_and_tiny_ones_are_refused() {
        assert!(Field::needs_pixels(4000, 2047));
        assert!(!Field::needs_pixels(2048, 4000));
        assert!(Field::plain(255, 4000, 1, crate::PUBLIC_KEY).is_err());
    }
}
