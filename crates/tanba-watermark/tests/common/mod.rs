//! Pictures to mark and the real-tool operations a marked picture goes
//! through, shared by the tests and the robustness example.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{Rgb, RgbImage};

/// A tiny deterministic generator, so every run marks the same pictures.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Kinds of generated picture.
pub const KINDS: [&str; 4] = ["noise", "gradient", "smooth", "text"];

/// A generated picture of `kind`, `w` x `h`, varied by `seed`.
pub fn generated(kind: &str, w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = Rng::new(seed);
    match kind {
        "noise" => RgbImage::from_fn(w, h, |_, _| {
            Rgb([
                rng.next() as u8,
                (rng.next() >> 8) as u8,
                (rng.next() >> 16) as u8,
            ])
        }),
        "gradient" => {
            let (a, b) = (rng.unit() * 255.0, rng.unit() * 255.0);
            RgbImage::from_fn(w, h, |x, y| {
                let t = x as f32 / w as f32;
                let s = y as f32 / h as f32;
                Rgb([
                    (a * t + 20.0) as u8,
                    (b * s + 10.0) as u8,
                    (200.0 * (1.0 - t)) as u8,
                ])
            })
        }
        "smooth" => {
            let f: Vec<f32> = (0..6).map(|_| rng.unit() * 0.02 + 0.002).collect();
            RgbImage::from_fn(w, h, |x, y| {
                let (x, y) = (x as f32, y as f32);
                let v = |k: usize| ((x * f[k]).sin() + (y * f[k + 1]).cos() + 2.0) * 60.0;
                Rgb([v(0) as u8, v(2) as u8, v(4) as u8])
            })
        }
        _ => text_like(w, h, &mut rng),
    }
}

/// Black strokes in lines on white, like a page of text or a screenshot.
fn text_like(w: u32, h: u32, rng: &mut Rng) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, Rgb([250, 250, 248]));
    let line = (h / 30).max(12);
    let mut y = line;
    while y + line < h {
        let mut x = line;
        while x + line < w {
            let glyph = line / 2 + (rng.next() % u64::from(line / 2)) as u32;
            if !rng.next().is_multiple_of(6) {
                for gx in x..(x + glyph).min(w) {
                    for gy in y..y + line * 2 / 3 {
                        if !(gx + gy).is_multiple_of(3) || rng.next().is_multiple_of(4) {
                            img.put_pixel(gx, gy, Rgb([20, 20, 30]));
                        }
                    }
                }
            }
            x += glyph + line / 3;
        }
        y += line * 3 / 2;
    }
    img
}

/// The fixtures' photo.
pub fn photo() -> RgbImage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image/sample-photo.jpg");
    image::open(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .to_rgb8()
}

/// The operations of the robustness matrix: name, ImageMagick arguments,
/// output extension.
pub const OPERATIONS: [(&str, &[&str], &str); 12] = [
    ("strip", &["-strip"], "png"),
    ("jpeg90", &["-strip", "-quality", "90"], "jpg"),
    ("jpeg70", &["-strip", "-quality", "70"], "jpg"),
    ("jpeg50", &["-strip", "-quality", "50"], "jpg"),
    ("resize75", &["-resize", "75%"], "png"),
    ("resize50", &["-resize", "50%"], "png"),
    ("resize50-up", &["-resize", "50%", "-resize", "200%"], "png"),
    (
        "resize50-jpeg70",
        &["-resize", "50%", "-quality", "70"],
        "jpg",
    ),
    (
        "crop5",
        &["-gravity", "center", "-crop", "90%x90%+0+0", "+repage"],
        "png",
    ),
    (
        "crop10",
        &["-gravity", "center", "-crop", "80%x80%+0+0", "+repage"],
        "png",
    ),
    ("webp80", &["-quality", "80"], "webp"),
    ("upscale150", &["-resize", "150%"], "png"),
];

/// Runs ImageMagick `convert` on `input` and reads the result back.
/// Panics (fails the test) when ImageMagick is missing: CI installs it.
pub fn convert(input: &Path, args: &[&str], ext: &str, dir: &Path, tag: &str) -> RgbImage {
    let out: PathBuf = dir.join(format!("{tag}.{ext}"));
    let status = Command::new("convert")
        .arg(input)
        .args(args)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("ImageMagick convert is required: {e}"));
    assert!(status.success(), "convert {args:?} failed");
    image::open(&out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .to_rgb8()
}

/// PSNR of the luma of `b` against `a`, in dB.
pub fn luma_psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let y =
        |p: &Rgb<u8>| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
    let mse: f64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (y(p) - y(q)).powi(2))
        .sum::<f64>()
        / (a.width() * a.height()) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// BT.601 luma of a picture, row by row.
pub fn luma(img: &RgbImage) -> Vec<f32> {
    img.pixels()
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect()
}

/// `p` (`w` wide) blurred by the 11-tap Gaussian of sigma 1.5, edges
/// clamped: the window of Wang et al.'s SSIM.
fn gauss(p: &[f32], w: usize, h: usize) -> Vec<f32> {
    let k: Vec<f32> = (-5..=5i32)
        .map(|i| (-(i * i) as f32 / (2.0 * 1.5 * 1.5)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut rows = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            rows[y * w + x] = (0..11)
                .map(|i| k[i] * p[y * w + (x + i).saturating_sub(5).min(w - 1)])
                .sum();
        }
    }
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = (0..11)
                .map(|i| k[i] * rows[(y + i).saturating_sub(5).min(h - 1) * w + x])
                .sum();
        }
    }
    out
}

/// Mean SSIM (Wang, Bovik, Sheikh and Simoncelli 2004: Gaussian window
/// 11x11, sigma 1.5, K1 0.01, K2 0.03) of the luma of `b` against `a`.
pub fn luma_ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    let (w, h) = (a.width() as usize, a.height() as usize);
    let (x, y) = (luma(a), luma(b));
    let prod = |p: &[f32], q: &[f32]| -> Vec<f32> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
    let (mx, my) = (gauss(&x, w, h), gauss(&y, w, h));
    let (xx, yy, xy) = (
        gauss(&prod(&x, &x), w, h),
        gauss(&prod(&y, &y), w, h),
        gauss(&prod(&x, &y), w, h),
    );
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let total: f64 = (0..w * h)
        .map(|i| {
            let (ux, uy) = (f64::from(mx[i]), f64::from(my[i]));
            let sx = f64::from(xx[i]) - ux * ux;
            let sy = f64::from(yy[i]) - uy * uy;
            let sxy = f64::from(xy[i]) - ux * uy;
            ((2.0 * ux * uy + c1) * (2.0 * sxy + c2)) / ((ux * ux + uy * uy + c1) * (sx + sy + c2))
        })
        .sum();
    total / (w * h) as f64
}

/// ~20 varied pictures: each kind at several sizes, and the photo.
pub fn corpus() -> Vec<(String, RgbImage)> {
    let sizes = [
        (640, 480),
        (1024, 768),
        (1500, 1000),
        (2000, 1500),
        (800, 1200),
    ];
    let mut out = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        for (s, &(w, h)) in sizes.iter().enumerate() {
            out.push((
                format!("{kind}-{w}x{h}"),
                generated(kind, w, h, (k * 10 + s) as u64 + 1),
            ));
        }
    }
    out.push(("photo-800x600".into(), photo()));
    out
}

pub mod video;
