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

/// `p` blurred by the 11-tap Gaussian of sigma 1.5 (Wang et al.'s window),
/// edges clamped.
fn gauss(p: &[f32], w: usize, h: usize) -> Vec<f32> {
    let k: Vec<f32> = (-5..=5i32).map(|i| (-(i * i) as f32 / 4.5).exp()).collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut rows = vec![0.0f32; w * h];
    let row_pass = |(y, out): (usize, &mut [f32])| blur_row(&p[y * w..(y + 1) * w], &k, out);
    let parallel = w * h >= PARALLEL_FROM;
    if parallel {
        rows.par_chunks_mut(w).enumerate().for_each(row_pass);
    } else {
        rows.chunks_mut(w.max(1)).enumerate().for_each(row_pass);
    }
    let mut out = vec![0.0f32; w * h];
    let column_pass = |(y, o): (usize, &mut [f32])| {
        for (i, kv) in k.iter().enumerate() {
            let r = &rows[(y + i).saturating_sub(5).min(h - 1) * w..][..w];
            o.iter_mut().zip(r).for_each(|(a, b)| *a += kv * b);
        }
    };
    if parallel {
        out.par_chunks_mut(w).enumerate().for_each(column_pass);
    } else {
        out.chunks_mut(w.max(1)).enumerate().for_each(column_pass);
    }
    out
}

/// One row of [`gauss`] into `out` (zeroed), from a copy of `src` with
/// its edge samples repeated: the taps are then added in order, tap by
/// tap across the row, with no clamped index (so it vectorises, and every
/// sum is the one taken pixel by pixel, bit for bit).
fn blur_row(src: &[f32], k: &[f32], out: &mut [f32]) {
    let (Some(&first), Some(&last)) = (src.first(), src.last()) else {
        return;
    };
    let mut padded = Vec::with_capacity(src.len() + 10);
    padded.extend_from_slice(&[first; 5]);
    padded.extend_from_slice(src);
    padded.extend_from_slice(&[last; 5]);
    for (i, &kv) in k.iter().enumerate() {
        let from = &padded[i..i + out.len()];
        out.iter_mut().zip(from).for_each(|(o, v)| *o += kv * v);
    }
}

/// Mean SSIM (Gaussian window 11x11, sigma 1.5, K1 0.01, K2 0.03) of
/// `y + delta` (clamped to 0..=255) against `y`.
#[cfg(test)]
pub(crate) fn ssim_with(y: &Plane, delta: &Plane) -> f64 {
    let (sum, n) = ssim_sum(y, &Blurred::of(y), delta, 0);
    sum / n.max(1) as f64
}

/// A picture's blurred luma and blurred square: the part of its SSIM
/// against a marked copy that does not depend on the mark, computed once
/// for the one or two scales [`scale_to_floor`] tries.
struct Blurred {
    mx: Vec<f32>,
    xx: Vec<f32>,
}

impl Blurred {
    fn of(y: &Plane) -> Blurred {
        let square: Vec<f32> = y.data.iter().map(|u| u * u).collect();
        Blurred {
            mx: gauss(&y.data, y.w, y.h),
            xx: gauss(&square, y.w, y.h),
        }
    }
}

/// Sum and count of the SSIM map of `y + delta` against `y`, leaving out
/// `margin` samples at every edge (a window cut out of a larger picture,
/// whose edge samples would see clamped neighbours).
fn ssim_sum(y: &Plane, own: &Blurred, delta: &Plane, margin: usize) -> (f64, usize) {
    let (w, h) = (y.w, y.h);
    let x = &y.data;
    let z: Vec<f32> = x
        .iter()
        .zip(&delta.data)
        .map(|(a, d)| (a + d).clamp(0.0, 255.0))
        .collect();
    let prod = |p: &[f32], q: &[f32]| -> Vec<f32> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
    let (mx, xx) = (&own.mx, &own.xx);
    let mz = gauss(&z, w, h);
    let (zz, xz) = (gauss(&prod(&z, &z), w, h), gauss(&prod(x, &z), w, h));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let inner = (margin..h.saturating_sub(margin))
        .flat_map(|r| (margin..w.saturating_sub(margin)).map(move |c| r * w + c));
    let (mut total, mut n) = (0.0f64, 0usize);
    inner.for_each(|i| {
        let (ux, uz) = (f64::from(mx[i]), f64::from(mz[i]));
        let sx = f64::from(xx[i]) - ux * ux;
        let sz = f64::from(zz[i]) - uz * uz;
        let sxz = f64::from(xz[i]) - ux * uz;
        total +=
            ((2.0 * ux * uz + c1) * (2.0 * sxz + c2)) / ((ux * ux + uz * uz + c1) * (sx + sz + c2));
        n += 1;
    });
    (total, n)
}

/// The factor that keeps `grid` (the working-grid mark, enlarged bilinear
/// to the picture) above [`SSIM_FLOOR`] on the picture of luma `y`; 1.0
/// when it already is. SSIM's loss grows with the mark's variance, about
/// as the square of its scale, so one measurement gives the factor; a
/// second checks it.
pub(crate) fn ssim_scale(y: &Plane, grid: &Plane) -> f32 {
    let delta = grid.resized(y.w, y.h);
    let own = Blurred::of(y);
    scale_to_floor(SSIM_FLOOR, |scale| {
        let (sum, n) = ssim_sum(y, &own, &scaled(&delta, scale), 0);
        sum / n.max(1) as f64
    })
}

/// `p` times `k`.
fn scaled(p: &Plane, k: f32) -> Plane {
    Plane {
        w: p.w,
        h: p.h,
        data: p.data.iter().map(|d| d * k).collect(),
    }
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
            let cell =
                |r: usize, c: usize| grid.data[r.min(grid.h - 1) * grid.w + c.min(grid.w - 1)];
            let mut luma = Vec::with_capacity(side * side);
            let mut delta = Vec::with_capacity(side * side);
            for (y, &(gy, fy)) in ty.iter().enumerate().skip(y0).take(side) {
                for (x, &(gx, fx)) in tx.iter().enumerate().skip(x0).take(side) {
                    let top = cell(gy, gx) + fx * (cell(gy, gx + 1) - cell(gy, gx));
                    let bottom = cell(gy + 1, gx) + fx * (cell(gy + 1, gx + 1) - cell(gy + 1, gx));
                    delta.push(top + fy * (bottom - top));
                    luma.push(luma_at(x, y));
                }
            }
            let plane = |data| Plane {
                w: side,
                h: side,
                data,
            };
            let luma = plane(luma);
            let own = Blurred::of(&luma);
            (luma, own, plane(delta))
        })
        .collect();
    scale_to_floor(SAMPLED_FLOOR, |scale| {
        // In parallel by window, summed in order (the same sum as in turn).
        let sums: Vec<(f64, usize)> = windows
            .par_iter()
            .map(|(y, own, d)| ssim_sum(y, own, &scaled(d, scale), MARGIN))
            .collect();
        let (sum, n) = sums
            .into_iter()
            .fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        sum / n.max(1) as f64
    })
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
