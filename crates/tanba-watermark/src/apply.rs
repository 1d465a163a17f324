//! Putting a working-grid mark onto the full-size picture: the grid is
//! enlarged (bilinear) on the fly, row by row in parallel, and added to R,
//! G and B alike, so no full-size plane is ever allocated.

use image::RgbImage;
use rayon::prelude::*;

use crate::field::linear;
use crate::resample::Plane;

/// Largest RMS of the luma difference: PSNR 41 dB before rounding to 8 bits.
const MAX_RMS: f32 = 2.27;

/// Row `(lo, f)` of the grid, interpolated between grid rows `lo` and `lo + 1`.
fn grid_row(grid: &Plane, (lo, f): (usize, f32), out: &mut [f32]) {
    let a = &grid.data[lo * grid.w..(lo + 1) * grid.w];
    let b = grid
        .data
        .get((lo + 1) * grid.w..(lo + 2) * grid.w)
        .unwrap_or(a);
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x + f * (y - x);
    }
}

/// The RMS the grid will have once enlarged to `w` x `h`, estimated on
/// every 4th row and column (the enlarged plane is smooth at that scale).
pub(crate) fn enlarged_rms(grid: &Plane, w: usize, h: usize) -> f32 {
    let (tx, ty) = (linear(grid.w, w), linear(grid.h, h));
    let mut row = vec![0.0f32; grid.w];
    let (mut sum, mut n) = (0.0f64, 0usize);
    for &t in ty.iter().step_by(4) {
        grid_row(grid, t, &mut row);
        for &(lo, f) in tx.iter().step_by(4) {
            let next = row.get(lo + 1).copied().unwrap_or(row[lo]);
            let d = row[lo] + f * (next - row[lo]);
            sum += f64::from(d * d);
            n += 1;
        }
    }
    (sum / n.max(1) as f64).sqrt() as f32
}

/// The factor that brings `grid`, enlarged to `w` x `h`, within
/// [`MAX_RMS`] (1.0 when it already is): PSNR >= 40 dB is a hard floor.
pub(crate) fn cap_scale(grid: &Plane, w: usize, h: usize) -> f32 {
    let rms = enlarged_rms(grid, w, h);
    if rms > MAX_RMS { MAX_RMS / rms } else { 1.0 }
}

/// Adds `grid` times `scale`, enlarged to the picture's size, to its luma.
pub(crate) fn add_enlarged(img: &mut RgbImage, grid: &Plane, scale: f32) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mark = Enlarged::new(grid, w, h, scale);
    let raw: &mut [u8] = img;
    raw.par_chunks_mut(w * 3).enumerate().for_each_init(
        || vec![0i16; w],
        |line, (y, pixels)| {
            mark.row_delta(y, line);
            add_row(pixels, 3, line);
        },
    );
}

/// Adds the luma deltas `line` to a row of 8-bit pixels, `channels` a
/// pixel (grey, grey+alpha, RGB or RGBA; alpha is left alone).
pub(crate) fn add_row(pixels: &mut [u8], channels: usize, line: &[i16]) {
    for (p, &d) in pixels.chunks_exact_mut(channels).zip(line) {
        if channels < 3 {
            p[0] = (i16::from(p[0]) + d).clamp(0, 255) as u8;
            continue;
        }
        let (r, g, b) = (
            i16::from(p[0]) + d,
            i16::from(p[1]) + d,
            i16::from(p[2]) + d,
        );
        // One test for all three: a negative sum is above 255 as u16.
        if (r | g | b) as u16 > 255 {
            add_luma_saturated(&mut p[..3], f32::from(d));
        } else {
            p[..3].copy_from_slice(&[r as u8, g as u8, b as u8]);
        }
    }
}

/// `rgb` with its luma raised by `d` where a channel would leave 0..=255:
/// what a channel at 0 or 255 cannot take is given to the others, so
/// saturated colours carry the mark too. (Elsewhere `d` is added to R, G
/// and B alike: no change of hue.)
pub(crate) fn add_luma_saturated(p: &mut [u8], d: f32) {
    const W: [f32; 3] = [0.299, 0.587, 0.114];
    let mut v = [p[0], p[1], p[2]].map(f32::from);
    let mut left = d;
    for _ in 0..3 {
        let free: f32 = (0..3)
            .filter(|&c| if left > 0.0 { v[c] < 255.0 } else { v[c] > 0.0 })
            .map(|c| W[c])
            .sum();
        if free <= 0.0 || left.abs() < 0.05 {
            break;
        }
        let step = left / free;
        for c in 0..3 {
            let before = v[c];
            v[c] = (v[c] + step).clamp(0.0, 255.0);
            left -= W[c] * (v[c] - before);
        }
    }
    p.iter_mut().zip(v).for_each(|(c, x)| *c = x.round() as u8);
}

/// A working-grid mark enlarged along x only (one row of the picture's
/// width per grid row) and scaled: each picture row is a blend of two of
/// these rows. Rounding rows one at a time into a byte-per-pixel delta
/// avoids the whole-frame float plane (133 MB at 8K) that enlarging the
/// grid in one go would take.
#[derive(Debug, Clone)]
pub(crate) struct Enlarged {
    /// Picture width.
    w: usize,
    /// Grid rows enlarged to `w`, row by row.
    wide: Vec<f32>,
    /// For every picture row, its grid row and the weight of the next.
    ty: Vec<(usize, f32)>,
}

impl Enlarged {
    /// `grid` times `scale`, to be enlarged to `w` x `h`.
    pub(crate) fn new(grid: &Plane, w: usize, h: usize, scale: f32) -> Enlarged {
        let tx = linear(grid.w, w);
        let mut wide = vec![0.0f32; w * grid.h];
        for (out, cells) in wide.chunks_exact_mut(w).zip(grid.data.chunks_exact(grid.w)) {
            for (o, &(lo, f)) in out.iter_mut().zip(&tx) {
                let next = cells.get(lo + 1).copied().unwrap_or(cells[lo]);
                *o = scale * (cells[lo] + f * (next - cells[lo]));
            }
        }
        Enlarged {
            w,
            wide,
            ty: linear(grid.h, h),
        }
    }

    /// Picture width and height.
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.w, self.ty.len())
    }

    /// The whole enlarged mark rounded to whole levels, row by row (`w`
    /// bytes a row): adding it to a frame is then one pass of saturating
    /// byte additions, the cheapest there is.
    pub(crate) fn rounded(&self) -> Vec<i8> {
        let w = self.w;
        let mut out = vec![0i8; w * self.ty.len()];
        let mut line = vec![0i16; w];
        for (y, row) in out.chunks_exact_mut(w.max(1)).enumerate() {
            self.row_delta(y, &mut line);
            for (o, &d) in row.iter_mut().zip(&line) {
                *o = d.clamp(-127, 127) as i8;
            }
        }
        out
    }

    /// Picture row `y`'s mark, rounded to whole levels, into `line` (the
    /// picture's width). A row past the picture is left as it is.
    pub(crate) fn row_delta(&self, y: usize, line: &mut [i16]) {
        let Some(&(lo, f)) = self.ty.get(y) else {
            return;
        };
        let w = self.w;
        let a = &self.wide[lo * w..(lo + 1) * w];
        let b = self.wide.get((lo + 1) * w..(lo + 2) * w).unwrap_or(a);
        for ((o, x), y) in line.iter_mut().zip(a).zip(b) {
            *o = level(x + f * (y - x));
        }
    }
}

/// `d` rounded to a whole level (halves up), as `(d + 64.5) as i16 - 64`
/// (a libm `round` call per pixel costs more than the rest of a row): d is
/// a few levels, so d + 64.5 is positive and its floor is d rounded, plus
/// 64. The floor is taken by adding 2^23, which leaves the nearest integer
/// in the float's low bits, less one where that is above: the same integer
/// as the cast, in a form that vectorises (a saturating float cast does not).
#[inline]
fn level(d: f32) -> i16 {
    let v = (d + 64.5).clamp(0.0, 4_194_304.0);
    let m = v + 8_388_608.0;
    let near = m.to_bits() as i32 - 0x4B00_0000;
    (near - i32::from(m - 8_388_608.0 > v) - 64) as i16
}

#[cfg(test)]
mod tests {
    use super::level;

    #[test]
    fn a_level_is_the_cast_it_replaces() {
        // Steps of 1/1024 over the mark's whole range, halves included.
        for i in -64 * 1024..=64 * 1024 {
            let d = i as f32 / 1024.0;
            assert_eq!(level(d), (d + 64.5) as i16 - 64, "{d}");
        }
        for d in [0.49999997f32, -0.50000006, 12.499999, -63.5, 1e-30] {
            assert_eq!(level(d), (d + 64.5) as i16 - 64, "{d}");
        }
    }
}
