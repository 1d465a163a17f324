//! The 8x8 DCT pair of T.81 A.3.3 in floating point (only the blocks under
//! the badge go through it, so precision matters more than speed), and the
//! JFIF YCbCr colour conversion.

use std::sync::OnceLock;

use crate::jpeg::ZIGZAG;

type Matrix = [[f32; 8]; 8];

/// `basis[u][x] = C(u)/2 * cos((2x+1)u pi/16)` and its transpose: the
/// matrix is orthonormal, so it serves both directions.
fn basis() -> &'static (Matrix, Matrix) {
    static B: OnceLock<(Matrix, Matrix)> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = [[0f32; 8]; 8];
        for (u, row) in b.iter_mut().enumerate() {
            let c = if u == 0 { 0.5f64.sqrt() } else { 1.0 };
            for (x, v) in row.iter_mut().enumerate() {
                let angle = (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0;
                *v = (c / 2.0 * angle.cos()) as f32;
            }
        }
        let t = std::array::from_fn(|x| std::array::from_fn(|u| b[u][x]));
        (b, t)
    })
}

/// Rounds half away from zero without the `roundf` call (SSE2 has no
/// rounding instruction, and this runs for every sample under the badge),
/// and without a branch on the sign (unpredictable for coefficients, and
/// in the way of vectors): `v + 0.5` or `v - 0.5`, cut toward zero.
#[inline]
fn round(v: f32) -> i32 {
    (v + 0.5f32.copysign(v)) as i32
}

/// `out[i][j] = sum over k of m[k][i] * x[j][k]`: one pass of the
/// separable transform, stored transposed so the next pass reads rows
/// again; written as 8-wide multiply-adds the compiler vectorises.
#[inline]
fn pass(m: &[[f32; 8]; 8], x: &[f32; 64]) -> [f32; 64] {
    let mut out = [0f32; 64];
    for j in 0..8 {
        let mut row = [0f32; 8];
        for (k, mk) in m.iter().enumerate() {
            let xv = x[j * 8 + k];
            for (r, &c) in row.iter_mut().zip(mk) {
                *r += xv * c;
            }
        }
        for (i, &r) in row.iter().enumerate() {
            out[i * 8 + j] = r;
        }
    }
    out
}

/// Samples (0..=255, level-shifted here) of a block of quantised
/// coefficients in zig-zag order, dequantised with `q` (natural order).
pub(crate) fn inverse(coefs: &[i16; 64], q: &[u16; 64]) -> [f32; 64] {
    let (b, _) = basis();
    let mut f = [0f32; 64];
    for (k, &n) in ZIGZAG.iter().enumerate() {
        f[n] = f32::from(coefs[k]) * f32::from(q[n]);
    }
    // f is [v][u]: over u, then (transposed) over v.
    let rows = pass(b, &f);
    let mut out = pass(b, &rows);
    for s in &mut out {
        *s = round(*s + 128.0).clamp(0, 255) as f32;
    }
    out
}

/// Quantised coefficients (zig-zag order) of a block of samples (0..=255).
pub(crate) fn forward(samples: &[f32; 64], q: &[u16; 64]) -> [i16; 64] {
    let (_, t) = basis();
    let shifted: [f32; 64] = std::array::from_fn(|i| samples[i] - 128.0);
    let rows = pass(t, &shifted);
    let f = pass(t, &rows);
    let mut out = [0i16; 64];
    for (k, &n) in ZIGZAG.iter().enumerate() {
        out[k] = round(f[n] / f32::from(q[n])).clamp(-1023, 1023) as i16;
    }
    out
}

/// The steps of quantisation table `q` (natural order) in zig-zag order.
pub(crate) fn zigzag_steps(q: &[u16; 64]) -> [f32; 64] {
    std::array::from_fn(|k| f32::from(q[ZIGZAG[k]]))
}

/// A flat `level` (0..=255) blended with `alpha` over a block of quantised
/// coefficients (zig-zag order, `steps` from [`zigzag_steps`]), in place:
/// the DCT of `alpha * level + (1 - alpha) * block`.
pub(crate) fn blend_flat(block: &mut [i16; 64], steps: &[f32; 64], alpha: f32, level: f32) {
    let keep = 1.0 - alpha;
    // The DC of a flat block is 8 times its level-shifted value.
    let dc = f32::from(block[0]) * steps[0] * keep + alpha * (level - 128.0) * 8.0;
    for (c, &step) in block.iter_mut().zip(steps) {
        *c = round(f32::from(*c) * step * keep / step).clamp(-1023, 1023) as i16;
    }
    block[0] = round(dc / steps[0]).clamp(-1023, 1023) as i16;
}

/// JFIF YCbCr to 8-bit RGB.
pub(crate) fn to_rgb(y: f32, cb: f32, cr: f32) -> [u8; 3] {
    let (cb, cr) = (cb - 128.0, cr - 128.0);
    [
        y + 1.402 * cr,
        y - 0.344_136 * cb - 0.714_136 * cr,
        y + 1.772 * cb,
    ]
    .map(|v| round(v).clamp(0, 255) as u8)
}

/// 8-bit RGB to JFIF YCbCr.
pub(crate) fn to_ycc(p: [u8; 3]) -> [f32; 3] {
    let [r, g, b] = p.map(f32::from);
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0,
        0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_inverse_gives_the_samples_back() {
        let q = [1u16; 64];
        let samples: [f32; 64] = std::array::from_fn(|i| ((i * 37) % 251) as f32);
        let back = inverse(&forward(&samples, &q), &q);
        for (a, b) in samples.iter().zip(&back) {
            assert!((a - b).abs() <= 1.0, "{a} vs {b}");
        }
        let flat = forward(&[200.0; 64], &[16; 64]);
        assert_eq!(flat[0], ((200.0 - 128.0) * 8.0 / 16.0f32).round() as i16);
        assert!(flat[1..].iter().all(|&c| c == 0));
        let mut block = forward(&[100.0; 64], &[4; 64]);
        blend_flat(&mut block, &[4.0; 64], 0.75, 20.0);
        let expect = forward(&[0.75 * 20.0 + 0.25 * 100.0; 64], &[4; 64]);
        assert_eq!(block, expect);
        let rgb = to_rgb(
            to_ycc([10, 200, 90])[0],
            to_ycc([10, 200, 90])[1],
            to_ycc([10, 200, 90])[2],
        );
        assert!(
            rgb.iter()
                .zip([10u8, 200, 90])
                .all(|(a, b)| a.abs_diff(b) <= 1)
        );
    }
}
