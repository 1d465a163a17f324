//! The SSIM floor: on small pictures the mark's cells are only a few pixels
//! wide, so it adds structure SSIM sees in flat areas; the embedder checks
//! the SSIM its mark will give and scales the mark down to the floor.

use rayon::prelude::*;

use image::RgbImage;

use crate::field::linear;
use crate::resample::Plane;

/// Mean SSIM the embedder keeps at or above (the goal is 0.98; the
/// margin covers rounding to 8 bits).
pub(crate) const SSIM_FLOOR: f64 = 0.982;

/// Planes from this many samples are blurred in parallel: the sampled
/// estimate's 74 x 74 windows cost less than rayon's hand-offs.
const PARALLEL_FROM: usize = 1 << 16;

/// Outputs a blur works on at once: two SSE vectors, each output summed in
/// its own lane in the taps' order (the same sum, bit for bit, as one
/// output at a time).
const LANES: usize = 8;

/// The 11 taps of the Gaussian of sigma 1.5 (Wang et al.'s window).
fn kernel() -> [f32; 11] {
    let mut k = [0.0f32; 11];
    for (v, i) in k.iter_mut().zip(-5..=5i32) {
        *v = (-(i * i) as f32 / 4.5).exp();
    }
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k
}

/// `p` (`w` x `h`) blurred by the 11-tap Gaussian, edges clamped, at the
/// samples `m` or more from every edge only (what [`ssim_sum`] keeps):
/// (w - 2m) x (h - 2m) values, row by row.
fn gauss(p: &[f32], w: usize, h: usize, m: usize) -> Vec<f32> {
    let k = kernel();
    let (iw, ih) = (w.saturating_sub(2 * m), h.saturating_sub(2 * m));
    if iw == 0 || ih == 0 {
        return Vec::new();
    }
    // The row pass at the kept columns of every row, from the row with its
    // edge samples repeated (not needed from a margin of 5: the taps then
    // stay inside the row).
    let row_pass = |src: &[f32], out: &mut Vec<f32>| {
        if m >= 5 {
            blur_row(&src[m - 5..], &k, iw, out);
        } else {
            let mut padded = Vec::with_capacity(w + 10);
            padded.extend_from_slice(&[src[0]; 5]);
            padded.extend_from_slice(src);
            padded.extend_from_slice(&[src[w - 1]; 5]);
            blur_row(&padded[m..], &k, iw, out);
        }
    };
    let column_pass = |rows: &[f32], y: usize, out: &mut Vec<f32>| {
        let taps: [&[f32]; 11] = std::array::from_fn(|i| {
            let r = (y + m + i).saturating_sub(5).min(h - 1);
            &rows[r * iw..(r + 1) * iw]
        });
        weighted_sum(&taps, &k, iw, out);
    };
    if w * h < PARALLEL_FROM {
        // Appended, not written over zeros: clearing the planes cost a
        // fifth of the blur.
        let mut rows = Vec::with_capacity(iw * h);
        p.chunks_exact(w).for_each(|src| row_pass(src, &mut rows));
        let mut out = Vec::with_capacity(iw * ih);
        (0..ih).for_each(|y| column_pass(&rows, y, &mut out));
        return out;
    }
    let mut rows = vec![0.0f32; iw * h];
    let row = || Vec::with_capacity(iw);
    rows.par_chunks_mut(iw)
        .zip(p.par_chunks(w))
        .for_each_init(row, |buf, (o, src)| {
            buf.clear();
            row_pass(src, buf);
            o.copy_from_slice(buf);
        });
    let mut out = vec![0.0f32; iw * ih];
    out.par_chunks_mut(iw)
        .enumerate()
        .for_each_init(row, |buf, (y, o)| {
            buf.clear();
            column_pass(&rows, y, buf);
            o.copy_from_slice(buf);
        });
    out
}

/// One row of [`gauss`]: `n` values, the `j`th the sum of `k[i] * src[j +
/// i]` (`src` has at least ten samples more), appended to `out`.
fn blur_row(src: &[f32], k: &[f32; 11], n: usize, out: &mut Vec<f32>) {
    // As [`weighted_sum`], each chunk's taps read from one slice of the
    // row at fixed offsets (no length check a tap).
    let full = n / LANES * LANES;
    for at in (0..full / LANES).map(|c| c * LANES) {
        let row = &src[at..at + LANES + 10];
        let mut acc = [0.0f32; LANES];
        for (i, &kv) in k.iter().enumerate() {
            acc.iter_mut()
                .zip(&row[i..i + LANES])
                .for_each(|(a, v)| *a += kv * v);
        }
        out.extend_from_slice(&acc);
    }
    let taps: [&[f32]; 11] = std::array::from_fn(|i| &src[full + i..i + n]);
    weighted_sum(&taps, k, n - full, out);
}

/// Appends to `out` the `n` sums of `k[i] * taps[i][j]`, each added in the
/// taps' order from zero, [`LANES`] of them at a time kept in registers
/// across the taps.
fn weighted_sum(taps: &[&[f32]; 11], k: &[f32; 11], n: usize, out: &mut Vec<f32>) {
    let full = n / LANES * LANES;
    for at in (0..full / LANES).map(|c| c * LANES) {
        let mut acc = [0.0f32; LANES];
        for (t, &kv) in taps.iter().zip(k) {
            let s = &t[at..at + LANES];
            acc.iter_mut().zip(s).for_each(|(a, v)| *a += kv * v);
        }
        out.extend_from_slice(&acc);
    }
    for j in full..n {
        let mut acc = 0.0f32;
        for (t, &kv) in taps.iter().zip(k) {
            acc += kv * t[j];
        }
        out.push(acc);
    }
}

/// Mean SSIM (Gaussian window 11x11, sigma 1.5, K1 0.01, K2 0.03) of
/// `y + delta` (clamped to 0..=255) against `y`.
#[cfg(test)]
pub(crate) fn ssim_with(y: &Plane, delta: &Plane) -> f64 {
    let (sum, n) = ssim_sum(y, &Blurred::of(y, 0), delta, 1.0);
    sum / n.max(1) as f64
}

/// A picture's blurred luma and blurred square, `margin` samples in from
/// every edge: the part of its SSIM against a marked copy that does not
/// depend on the mark, computed once for the one or two scales
/// [`scale_to_floor`] tries.
struct Blurred {
    mx: Vec<f32>,
    xx: Vec<f32>,
    margin: usize,
}

impl Blurred {
    fn of(y: &Plane, margin: usize) -> Blurred {
        let square: Vec<f32> = y.data.iter().map(|u| u * u).collect();
        Blurred {
            mx: gauss(&y.data, y.w, y.h, margin),
            xx: gauss(&square, y.w, y.h, margin),
            margin,
        }
    }
}

/// One sample's blurred luma, square, marked luma, its square and the
/// product, as [`ssim_sum`] zips them.
type Moments<'a> = (((&'a f32, &'a f32), (&'a f32, &'a f32)), &'a f32);

/// Sum and count of the SSIM map of `y + scale * delta` against `y`,
/// leaving out `own.margin` samples at every edge (a window cut out of a
/// larger picture, whose edge samples would see clamped neighbours).
fn ssim_sum(y: &Plane, own: &Blurred, delta: &Plane, scale: f32) -> (f64, usize) {
    let (w, h, m) = (y.w, y.h, own.margin);
    let x = &y.data;
    let z: Vec<f32> = x
        .iter()
        .zip(&delta.data)
        .map(|(a, d)| (a + d * scale).clamp(0.0, 255.0))
        .collect();
    let prod = |p: &[f32], q: &[f32]| -> Vec<f32> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
    let mz = gauss(&z, w, h, m);
    let (zz, xz) = (gauss(&prod(&z, &z), w, h, m), gauss(&prod(x, &z), w, h, m));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let ssim = |(((&mx, &xx), (&mz, &zz)), &xz): Moments| {
        let (ux, uz) = (f64::from(mx), f64::from(mz));
        let sx = f64::from(xx) - ux * ux;
        let sz = f64::from(zz) - uz * uz;
        let sxz = f64::from(xz) - ux * uz;
        ((2.0 * ux * uz + c1) * (2.0 * sxz + c2)) / ((ux * ux + uz * uz + c1) * (sx + sz + c2))
    };
    // The map's values a row at a time (they vectorise), then added in
    // order (a sum in any other order would not be the same bits).
    let mut total = 0.0f64;
    let mut map = Vec::with_capacity(w);
    let iw = w.saturating_sub(2 * m).max(1);
    let (a, b, c) = (own.mx.chunks(iw), own.xx.chunks(iw), mz.chunks(iw));
    for ((((a, b), c), d), e) in a.zip(b).zip(c).zip(zz.chunks(iw)).zip(xz.chunks(iw)) {
        map.clear();
        map.extend(a.iter().zip(b).zip(c.iter().zip(d)).zip(e).map(ssim));
        total = map.iter().fold(total, |t, v| t + v);
    }
    (total, mz.len())
}

/// The factor that keeps `grid` (the working-grid mark, enlarged bilinear
/// to the picture) above [`SSIM_FLOOR`] on the picture of luma `y`; 1.0
/// when it already is. SSIM's loss grows with the mark's variance, about
/// as the square of its scale, so one measurement gives the factor; a
/// second checks it.
pub(crate) fn ssim_scale(y: &Plane, grid: &Plane) -> f32 {
    let delta = grid.resized(y.w, y.h);
    let own = Blurred::of(y, 0);
    scale_to_floor(SSIM_FLOOR, |scale| {
        let (sum, n) = ssim_sum(y, &own, &delta, scale);
        sum / n.max(1) as f64
    })
}

/// The floor kept when the SSIM is estimated on windows: higher, for the
/// estimate's error (measured: 1280x1024 SMPTE bars at 0.982 estimated gave
/// 0.9799 in full).
const SAMPLED_FLOOR: f64 = 0.985;

/// Windows the SSIM is estimated on in [`ssim_scale_sampled`]: 8 x 8 of
/// them, each `SAMPLE` samples square inside a margin of 5 (the Gaussian
/// window's reach).
const SAMPLES: usize = 8;
const SAMPLE: usize = 64;
const MARGIN: usize = 5;

/// Like [`ssim_scale`] on a picture too large for the full SSIM (1080p:
/// ~0.8 s): the SSIM is estimated on 64 windows of 64 x 64 samples spread
/// evenly over the picture (about 260,000 samples whatever its size), the
/// luma and the enlarged mark computed for those windows only.
pub(crate) fn ssim_scale_sampled(img: &RgbImage, grid: &Plane) -> f32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    sampled_scale((w, h), grid, |x, y| {
        let p = img.get_pixel(x as u32, y as u32);
        0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
    })
}

/// Like [`ssim_scale_sampled`] on an 8-bit luma plane (`w` x `h`,
/// `stride` bytes a row): a video frame.
pub(crate) fn ssim_scale_sampled_luma(
    luma: &[u8],
    (w, h, stride): (usize, usize, usize),
    grid: &Plane,
) -> f32 {
    sampled_scale((w, h), grid, |x, y| f32::from(luma[y * stride + x]))
}

/// The SSIM scale estimated on 64 windows of a `w` x `h` picture whose
/// luma at `(x, y)` is `luma_at(x, y)`.
fn sampled_scale(
    (w, h): (usize, usize),
    grid: &Plane,
    luma_at: impl Fn(usize, usize) -> f32 + Sync,
) -> f32 {
    let side = SAMPLE + 2 * MARGIN;
    if w.min(h) < side || grid.w < 2 || grid.h < 2 {
        return 1.0;
    }
    let (tx, ty) = (linear(grid.w, w), linear(grid.h, h));
    let origin = |n: usize, k: usize| k * (n - side) / (SAMPLES - 1);
    let windows: Vec<(Plane, Blurred, Plane)> = (0..SAMPLES * SAMPLES)
        .into_par_iter()
        .map(|k| {
            let (x0, y0) = (origin(w, k % SAMPLES), origin(h, k / SAMPLES));
            let mut luma = Vec::with_capacity(side * side);
            for y in y0..y0 + side {
                luma.extend((x0..x0 + side).map(|x| luma_at(x, y)));
            }
            let delta = window_mark(grid, &tx[x0..x0 + side], &ty[y0..y0 + side]);
            let plane = |data| Plane {
                w: side,
                h: side,
                data,
            };
            let luma = plane(luma);
            let own = Blurred::of(&luma, MARGIN);
            (luma, own, plane(delta))
        })
        .collect();
    scale_to_floor(SAMPLED_FLOOR, |scale| {
        // In parallel by window, summed in order (the same sum as in turn).
        let sums: Vec<(f64, usize)> = windows
            .par_iter()
            .map(|(y, own, d)| ssim_sum(y, own, d, scale))
            .collect();
        let (sum, n) = sums
            .into_iter()
            .fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        sum / n.max(1) as f64
    })
}

/// `grid` enlarged bilinear at the window whose columns and rows have the
/// taps `tx` and `ty` (grid index and weight of the next): each grid row
/// the window touches interpolated along x once, then each window row a
/// blend of two of those (the same sums as pixel by pixel).
fn window_mark(grid: &Plane, tx: &[(usize, f32)], ty: &[(usize, f32)]) -> Vec<f32> {
    let (Some(&(first, _)), Some(&(last, _))) = (ty.first(), ty.last()) else {
        return Vec::new();
    };
    let cell = |r: usize, c: usize| grid.data[r.min(grid.h - 1) * grid.w + c.min(grid.w - 1)];
    let bottom = |gy: usize| (gy + 1).min(grid.h - 1);
    let n = tx.len();
    let mut along_x = Vec::with_capacity(n * (bottom(last) + 1 - first));
    for gy in first..=bottom(last) {
        along_x.extend(
            tx.iter()
                .map(|&(gx, fx)| cell(gy, gx) + fx * (cell(gy, gx + 1) - cell(gy, gx))),
        );
    }
    let row = |gy: usize| &along_x[(gy - first) * n..][..n];
    let mut out = Vec::with_capacity(n * ty.len());
    for &(gy, fy) in ty {
        let (top, under) = (row(gy.min(grid.h - 1)), row(bottom(gy)));
        out.extend(top.iter().zip(under).map(|(t, b)| t + fy * (b - t)));
    }
    out
}

/// The scale that brings `ssim(scale)` to `floor` (1.0 when the
/// full mark already keeps it). SSIM's loss grows with the mark's
/// variance, about as the square of its scale, so one measurement gives
/// the factor; a second checks it.
fn scale_to_floor(floor: f64, ssim: impl Fn(f32) -> f64) -> f32 {
    let mut scale = 1.0f64;
    for _ in 0..2 {
        let loss = 1.0 - ssim(scale as f32);
        if loss <= 1.0 - floor {
            break;
        }
        scale *= ((1.0 - floor) / loss).sqrt() * 0.98;
    }
    scale as f32
}
