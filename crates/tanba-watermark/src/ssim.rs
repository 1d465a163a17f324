//! The SSIM floor: on small pictures the mark's cells are only a few pixels
//! wide, so it adds structure SSIM sees in flat areas; the embedder checks
//! the SSIM its mark will give and scales the mark down to the floor.

use rayon::prelude::*;

use crate::resample::Plane;

/// Mean SSIM the embedder keeps at or above (the goal is 0.98; the
/// margin covers rounding to 8 bits).
pub(crate) const SSIM_FLOOR: f64 = 0.982;

/// `p` blurred by the 11-tap Gaussian of sigma 1.5 (Wang et al.'s window),
/// edges clamped.
fn gauss(p: &[f32], w: usize, h: usize) -> Vec<f32> {
    let k: Vec<f32> = (-5..=5i32).map(|i| (-(i * i) as f32 / 4.5).exp()).collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut rows = vec![0.0f32; w * h];
    rows.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        let src = &p[y * w..(y + 1) * w];
        for (x, o) in out.iter_mut().enumerate() {
            *o = (0..11)
                .map(|i| k[i] * src[(x + i).saturating_sub(5).min(w - 1)])
                .sum();
        }
    });
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
        for (i, kv) in k.iter().enumerate() {
            let r = &rows[(y + i).saturating_sub(5).min(h - 1) * w..][..w];
            o.iter_mut().zip(r).for_each(|(a, b)| *a += kv * b);
        }
    });
    out
}

/// Mean SSIM (Gaussian window 11x11, sigma 1.5, K1 0.01, K2 0.03) of
/// `y + delta` (clamped to 0..=255) against `y`.
pub(crate) fn ssim_with(y: &Plane, delta: &Plane) -> f64 {
    let (w, h) = (y.w, y.h);
    let x = &y.data;
    let z: Vec<f32> = x
        .iter()
        .zip(&delta.data)
        .map(|(a, d)| (a + d).clamp(0.0, 255.0))
        .collect();
    let prod = |p: &[f32], q: &[f32]| -> Vec<f32> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
    let (mx, mz) = (gauss(x, w, h), gauss(&z, w, h));
    let (xx, zz, xz) = (
        gauss(&prod(x, x), w, h),
        gauss(&prod(&z, &z), w, h),
        gauss(&prod(x, &z), w, h),
    );
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let total: f64 = (0..w * h)
        .map(|i| {
            let (ux, uz) = (f64::from(mx[i]), f64::from(mz[i]));
            let sx = f64::from(xx[i]) - ux * ux;
            let sz = f64::from(zz[i]) - uz * uz;
            let sxz = f64::from(xz[i]) - ux * uz;
            ((2.0 * ux * uz + c1) * (2.0 * sxz + c2)) / ((ux * ux + uz * uz + c1) * (sx + sz + c2))
        })
        .sum();
    total / (w * h).max(1) as f64
}

/// The factor that keeps `grid` (the working-grid mark, enlarged bilinear
/// to the picture) above [`SSIM_FLOOR`] on the picture of luma `y`; 1.0
/// when it already is. SSIM's loss grows with the mark's variance, about
/// as the square of its scale, so one measurement gives the factor; a
/// second checks it.
pub(crate) fn ssim_scale(y: &Plane, grid: &Plane) -> f32 {
    let delta = grid.resized(y.w, y.h);
    let mut scale = 1.0f64;
    for _ in 0..2 {
        let scaled = Plane {
            w: delta.w,
            h: delta.h,
            data: delta.data.iter().map(|d| d * scale as f32).collect(),
        };
        let loss = 1.0 - ssim_with(y, &scaled);
        if loss <= 1.0 - SSIM_FLOOR {
            break;
        }
        scale *= ((1.0 - SSIM_FLOOR) / loss).sqrt() * 0.98;
    }
    scale as f32
}
