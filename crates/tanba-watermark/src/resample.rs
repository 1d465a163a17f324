//! Luma planes and a separable resampler (area average when shrinking,
//! bilinear when enlarging), the one used on both sides so the
//! embedder and the detector see the same working grid.

use image::RgbImage;
use rayon::prelude::*;

/// A plane of samples, row by row.
#[derive(Debug, Clone)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub data: Vec<f32>,
}

impl Plane {
    /// BT.601 luma of an RGB picture.
    pub fn luma(img: &RgbImage) -> Plane {
        let data = img
            .pixels()
            .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
            .collect();
        Plane {
            w: img.width() as usize,
            h: img.height() as usize,
            data,
        }
    }

    /// BT.601 luma of an RGB picture shrunk (area average) to `nw` x `nh`
    /// in one pass, rows in parallel: the same plane as
    /// `Plane::luma(img).resized(nw, nh)` without the full-size luma copy.
    pub fn luma_shrunk(img: &RgbImage, nw: usize, nh: usize) -> Plane {
        let w = img.width() as usize;
        let (tx, ty) = (taps(w, nw, 0.0), taps(img.height() as usize, nh, 0.0));
        let raw = img.as_raw();
        let mut data = vec![0.0f32; nw * nh];
        data.par_chunks_mut(nw.max(1))
            .zip(ty.par_iter())
            .for_each(|(out, (start, weights))| {
                let mut row = vec![0.0f32; w];
                // A tall box (12 MP: 12 rows a cell) is read on every
                // other row: half the cost, the same plane within noise.
                let step = if weights.len() >= 8 { 2 } else { 1 };
                let kept: f32 = weights.iter().step_by(step).sum();
                for (k, wt) in weights.iter().enumerate().step_by(step) {
                    let wt = wt / kept;
                    let src = &raw[(start + k) * w * 3..(start + k + 1) * w * 3];
                    for (r, p) in row.iter_mut().zip(src.chunks_exact(3)) {
                        let y = 0.299 * f32::from(p[0])
                            + 0.587 * f32::from(p[1])
                            + 0.114 * f32::from(p[2]);
                        *r += wt * y;
                    }
                }
                for (o, (s, ws)) in out.iter_mut().zip(&tx) {
                    *o = row[*s..*s + ws.len()]
                        .iter()
                        .zip(ws)
                        .map(|(a, b)| a * b)
                        .sum();
                }
            });
        Plane { w: nw, h: nh, data }
    }

    /// This plane resampled to `nw` x `nh`.
    pub fn resized(&self, nw: usize, nh: usize) -> Plane {
        self.resized_at(nw, nh, 0.0, 0.0)
    }

    /// This plane resampled to `nw` x `nh`, the output grid moved right
    /// and down by `px`, `py` output cells (the detector's sub-cell phase).
    pub fn resized_at(&self, nw: usize, nh: usize, px: f64, py: f64) -> Plane {
        let rows = resize_rows(self, nw, px);
        resize_columns(&rows, nh, py)
    }
}

/// Taps of a 1-D filter: for each output sample, the first input index and
/// the weights (summing to 1). Shrinking averages the area each output
/// sample covers (a box, so a cell pattern enlarged and shrunk back keeps
/// its cells apart); enlarging interpolates linearly.
pub(crate) fn taps(n_in: usize, n_out: usize, phase: f64) -> Vec<(usize, Vec<f32>)> {
    let scale = n_in as f64 / n_out as f64;
    if scale > 1.0 {
        box_taps(n_in, n_out, scale, phase)
    } else {
        linear_taps(n_in, n_out, scale, phase)
    }
}

fn box_taps(n_in: usize, n_out: usize, scale: f64, phase: f64) -> Vec<(usize, Vec<f32>)> {
    let end = n_in as f64;
    (0..n_out)
        .map(|i| {
            let a = ((i as f64 + phase) * scale).min(end - 1.0);
            let b = ((i as f64 + 1.0 + phase) * scale).min(end).max(a + 1.0);
            let scale = b - a;
            let lo = (a.floor() as usize).min(n_in - 1);
            let hi = ((b.ceil() as usize).max(lo + 1)).min(n_in);
            let w = (lo..hi)
                .map(|j| ((b.min(j as f64 + 1.0) - a.max(j as f64)).max(0.0) / scale) as f32)
                .collect();
            (lo, w)
        })
        .collect()
}

fn linear_taps(n_in: usize, n_out: usize, scale: f64, phase: f64) -> Vec<(usize, Vec<f32>)> {
    let last = n_in.saturating_sub(1);
    (0..n_out)
        .map(|i| {
            let centre = ((i as f64 + 0.5 + phase) * scale - 0.5).clamp(0.0, last as f64);
            let lo = (centre.floor() as usize).min(last);
            let frac = (centre - lo as f64) as f32;
            if lo == last {
                (lo, vec![1.0])
            } else {
                (lo, vec![1.0 - frac, frac])
            }
        })
        .collect()
}

fn resize_rows(src: &Plane, nw: usize, phase: f64) -> Plane {
    let t = taps(src.w, nw, phase);
    let mut data = Vec::with_capacity(nw * src.h);
    for row in src.data.chunks_exact(src.w.max(1)) {
        for (start, w) in &t {
            let s: f32 = row[*start..*start + w.len()]
                .iter()
                .zip(w)
                .map(|(a, b)| a * b)
                .sum();
            data.push(s);
        }
    }
    Plane {
        w: nw,
        h: src.h,
        data,
    }
}

fn resize_columns(src: &Plane, nh: usize, phase: f64) -> Plane {
    let t = taps(src.h, nh, phase);
    let mut data = vec![0.0f32; src.w * nh];
    for (out_row, (start, w)) in data.chunks_exact_mut(src.w.max(1)).zip(&t) {
        for (k, weight) in w.iter().enumerate() {
            let row = &src.data[(start + k) * src.w..(start + k + 1) * src.w];
            out_row
                .iter_mut()
                .zip(row)
                .for_each(|(o, s)| *o += weight * s);
        }
    }
    Plane {
        w: src.w,
        h: nh,
        data,
    }
}

/// Largest residual kept: the mark is a few levels, and edges of text or
/// hard shapes (hundreds of levels) would otherwise drown it.
const CLIP: f32 = 2.5;

/// `p - box3(p)`, limited to `±CLIP`: the detector's whitening, which takes
/// away most of the picture (smooth at this scale) and keeps the cell-sized
/// mark.
pub(crate) fn high_pass(p: &Plane) -> Plane {
    let (w, h) = (p.w, p.h);
    let at = |x: isize, y: isize| {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        p.data[y * w + x]
    };
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h as isize {
        for x in 0..w as isize {
            let mut s = 0.0;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    s += at(x + dx, y + dy);
                }
            }
            data.push((at(x, y) - s / 9.0).clamp(-CLIP, CLIP));
        }
    }
    Plane { w, h, data }
}

/// Half side of the window [`local_normalised`] measures a cell's
/// neighbourhood on (5x5 cells).
const LOCAL_RADIUS: usize = 2;
/// Floor of the local mean square, in squared levels: where the residual
/// is near zero (a flat area a codec coded as skip blocks) a cell is
/// scaled up at most `1 / sqrt(0.05)` = 4.5 times.
const LOCAL_FLOOR: f32 = 0.05;

/// Each cell of a residual plane divided by the RMS of its 5x5
/// neighbourhood (edges clamped), floored at [`LOCAL_FLOOR`]: a locally
/// adaptive detector. Equal weights let a busy area (edges, text, a codec's
/// ringing) drown the cells where the mark is clean; scaled by its own
/// noise, every area counts by how clearly it carries the mark.
pub(crate) fn local_normalised(p: &Plane) -> Plane {
    let (w, h) = (p.w, p.h);
    let r = LOCAL_RADIUS as isize;
    let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
    // Separable box sum of the squares: rows, then columns.
    let mut rows = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            rows[y * w + x] = (-r..=r)
                .map(|d| p.data[y * w + clamp(x as isize + d, w)].powi(2))
                .sum();
        }
    }
    let n = ((2 * r + 1) * (2 * r + 1)) as f32;
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let s: f32 = (-r..=r)
                .map(|d| rows[clamp(y as isize + d, h) * w + x])
                .sum();
            data.push(p.data[y * w + x] / (s / n + LOCAL_FLOOR).sqrt());
        }
    }
    Plane { w, h, data }
}

/// The working-grid size of a `w` x `h` picture whose shorter side becomes `short`.
pub(crate) fn grid_size(w: usize, h: usize, short: usize) -> (usize, usize) {
    let long = |a: usize, b: usize| ((a as f64 * short as f64 / b as f64).round() as usize).max(1);
    if w <= h {
        (short, long(h, w))
    } else {
        (long(w, h), short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_pattern_enlarged_and_shrunk_back_keeps_most_of_each_cell() {
        // Pseudo-random ±1 cells, as the mark is.
        let mut seed = 12345u32;
        let cells: Vec<f32> = (0..40 * 30)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if seed >> 31 == 1 { 1.0 } else { -1.0 }
            })
            .collect();
        let p = Plane {
            w: 40,
            h: 30,
            data: cells,
        };
        let back = p.resized(400, 300).resized(40, 30);
        let n = p.data.len() as f32;
        let gain: f32 = p
            .data
            .iter()
            .zip(&back.data)
            .map(|(a, b)| a * b)
            .sum::<f32>()
            / n;
        let same_sign = p
            .data
            .iter()
            .zip(&back.data)
            .filter(|(a, b)| a.signum() == b.signum())
            .count();
        // `travelled` in lib.rs assumes 3/4 per axis, 0.56 in all.
        assert!(gain > 0.5, "gain {gain}");
        assert!(
            same_sign as f32 > 0.95 * n,
            "{same_sign} of {n} cells kept their sign"
        );
        let flat = Plane {
            w: 50,
            h: 20,
            data: vec![7.0; 1000],
        };
        assert!(
            flat.resized(33, 17)
                .data
                .iter()
                .all(|v| (v - 7.0).abs() < 1e-4)
        );
        assert!(
            flat.resized(90, 41)
                .data
                .iter()
                .all(|v| (v - 7.0).abs() < 1e-4)
        );
    }

    #[test]
    fn grid_keeps_the_aspect_on_the_shorter_side() {
        assert_eq!(grid_size(4000, 3000, 128), (171, 128));
        assert_eq!(grid_size(800, 1200, 128), (128, 192));
    }
}
